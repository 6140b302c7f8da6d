// The JSON views of admin values, once for the REST API and the CLI (issue 16 item 1).
// The documents are ordered as written here; callers choose the indentation (DumpJson).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "model/pbx.h"
#include "store/store.h"

namespace telsync::admin {

// One user of the PBX directory: GET /api/v1/tenants/{t}/users[/{name}] and
// `telsync users show` / `users list -f json`. Keys: id, every field by its FieldName,
// searchable, state ("active" | "pending_delete"), pending_since, profile, source_key,
// groups, custom (an object), subscription.
nlohmann::ordered_json UserJson(const PbxUser& user);

// What DELETE /api/v1/tenants/{t} answers: {"deleted": name, "removed": {counts by kind}}.
nlohmann::ordered_json TenantDeletionJson(const std::string& name, const TenantDeletion& d);

}  // namespace telsync::admin
