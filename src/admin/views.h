// The JSON views of admin values, once for the REST API and the CLI (issue 16 item 1).
// The documents are ordered as written here; callers choose the indentation (DumpJson).
// No view ever holds a secret: profiles show theirs masked, tokens only their ids.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "config/profile.h"
#include "model/pbx.h"
#include "model/run.h"
#include "schedule/catalog.h"
#include "store/store.h"

namespace telsync::admin {

// One user of the PBX directory: GET /api/v1/tenants/{t}/users[/{name}] and
// `telsync users show` / `users list -f json`. Keys: id, every field by its FieldName,
// searchable, state ("active" | "pending_delete"), pending_since, profile, source_key,
// groups, custom (an object), subscription.
nlohmann::ordered_json UserJson(const PbxUser& user);

// What DELETE /api/v1/tenants/{t} answers: {"deleted": name, "removed": {counts by kind}}.
nlohmann::ordered_json TenantDeletionJson(const std::string& name, const TenantDeletion& d);

// One run: GET /api/v1/tenants/{t}/runs[/{id}]. Keys: id, tenant, profile, kind, trigger,
// status, started_at, finished_at, complete, source, message, summary (counts by action),
// approved_run, reverted_run, purged_at (RFC 3339 when the run's items were purged after
// history.keep_days, else null).
nlohmann::ordered_json RunJson(const Run& run);

// One job: GET /api/v1/tenants/{t}/jobs[/{id}]. Keys: job, tenant, profile, kind, trigger,
// status, run_id, exit_code, message, attempts, worker, created_at, started_at, finished_at,
// progress (the job's progress object; {} when it has none or it is not JSON).
nlohmann::ordered_json JobJson(const JobRecord& job);

// One profile: tenant, name, source (by its type; secrets masked), policy, mapping,
// schedules, timezone. The caller adds origin and version where it knows them.
nlohmann::ordered_json ProfileJson(const Profile& profile);

// One token, never its secret: id, kind, label, created_at, revoked_at.
nlohmann::ordered_json TokenJson(const ApiToken& token);

// One tenant: name, display_name, origin, and created_at / updated_at when not 0.
nlohmann::ordered_json TenantJson(const TenantInfo& tenant);

// GET /api/v1/tenants/{t}: TenantJson of the catalog's tenant (a tenant known only by its
// token: origin "token") and "profiles": [{name, source, origin}] ("config" | "api").
nlohmann::ordered_json TenantDetailJson(const ProfileCatalog& catalog, const std::string& tenant);

}  // namespace telsync::admin
