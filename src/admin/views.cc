#include "admin/views.h"

#include <ctime>
#include <utility>

#include "util/text.h"

namespace telsync::admin {

nlohmann::ordered_json UserJson(const PbxUser& user) {
  nlohmann::ordered_json j;
  j["id"] = user.id;
  for (size_t i = 0; i < kFieldCount; ++i) {
    const auto f = static_cast<Field>(i);
    j[std::string(FieldName(f))] = std::string(user.fields.Get(f));
  }
  j["searchable"] = user.searchable;
  j["state"] = user.state == UserState::kActive ? "active" : "pending_delete";
  j["pending_since"] = user.pending_since;
  j["profile"] = user.profile;
  j["source_key"] = user.source_key;
  j["groups"] = user.groups;
  nlohmann::ordered_json custom = nlohmann::ordered_json::object();
  for (const auto& [k, v] : user.custom) custom[k] = v;
  j["custom"] = std::move(custom);
  j["subscription"] = user.subscription;
  return j;
}

nlohmann::ordered_json TenantDeletionJson(const std::string& name, const TenantDeletion& d) {
  return nlohmann::ordered_json{{"deleted", name},
                                {"removed",
                                 {{"users", d.users},
                                  {"departments", d.departments},
                                  {"runs", d.runs},
                                  {"mirror_entries", d.mirror_entries},
                                  {"tokens", d.tokens},
                                  {"profiles", d.profiles},
                                  {"jobs", d.jobs},
                                  {"notifications", d.notifications}}}};
}

namespace {

const char* ModeName(SyncMode m) {
  switch (m) {
    case SyncMode::kPaused:
      return "paused";
    case SyncMode::kFull:
      return "full";
    case SyncMode::kNewOnly:
      return "new_only";
    case SyncMode::kReview:
      return "review";
  }
  return "full";
}

}  // namespace

nlohmann::ordered_json RunJson(const Run& r) {
  nlohmann::ordered_json j;
  j["id"] = r.id;
  j["tenant"] = r.tenant;
  j["profile"] = r.profile;
  j["kind"] = RunKindName(r.kind);
  j["trigger"] = r.trigger;
  j["status"] = RunStatusName(r.status);
  j["started_at"] = r.started_at;
  j["finished_at"] = r.finished_at;
  j["complete"] = r.complete;
  j["source"] = r.source;
  j["message"] = r.message;
  nlohmann::ordered_json summary = nlohmann::ordered_json::object();
  for (size_t i = 0; i < kActionCount; ++i)
    summary[std::string(SummaryKey(static_cast<Action>(i)))] = r.summary[i];
  j["summary"] = std::move(summary);
  j["approved_run"] = r.approved_run;
  j["reverted_run"] = r.reverted_run;
  j["purged_at"] = r.purged_at != 0 ? nlohmann::ordered_json(Rfc3339Utc(r.purged_at)) : nullptr;
  return j;
}

nlohmann::ordered_json JobJson(const JobRecord& job) {
  nlohmann::ordered_json j;
  j["job"] = job.id;
  j["tenant"] = job.tenant;
  j["profile"] = job.profile;
  j["kind"] = job.kind;
  j["trigger"] = job.trigger;
  j["status"] = std::string(JobStateName(job.state));
  j["run_id"] = job.run_id;
  j["exit_code"] = job.exit_code;
  j["message"] = job.message;
  j["attempts"] = job.attempts;
  j["worker"] = job.worker;
  j["created_at"] = job.created_at;
  j["started_at"] = job.started_at;
  j["finished_at"] = job.finished_at;
  nlohmann::ordered_json progress =
      nlohmann::ordered_json::parse(job.progress.empty() ? "{}" : job.progress, nullptr, false);
  j["progress"] = progress.is_discarded() ? nlohmann::ordered_json::object() : progress;
  return j;
}

nlohmann::ordered_json ProfileJson(const Profile& p) {
  nlohmann::ordered_json j;
  j["tenant"] = p.tenant;
  j["name"] = p.name;
  nlohmann::ordered_json src;
  src["type"] = p.source.type();
  if (const auto* file = p.source.As<FileSourceConfig>()) {
    src["path"] = file->path;
    src["format"] = file->format;
  } else if (const auto* graph = p.source.As<GraphSourceConfig>()) {
    src["tenant_id"] = graph->tenant_id;
    src["client_id"] = graph->client_id;
    src["client_secret"] = graph->client_secret.Masked();  // never the value
    src["groups"] = graph->groups;
    src["include_guests"] = graph->include_guests;
    src["filter"] = graph->odata_filter;
    src["authority"] = graph->authority;
    src["graph_url"] = graph->graph_url;
  } else if (const auto* ldap = p.source.As<LdapSourceConfig>()) {
    src["url"] = ldap->urls;
    src["bind_dn"] = ldap->bind_dn;
    src["bind_password"] = ldap->bind_password.Masked();  // never the value
    src["user_search_dn"] = ldap->user_search_dn;
    src["department_search_dn"] = ldap->department_search_dn;
    src["filter"] = ldap->ldap_filter;
    src["start_tls"] = ldap->start_tls;
    src["tls_verify"] = ldap->tls_verify;
  }
  j["source"] = std::move(src);
  nlohmann::ordered_json policy;
  policy["mode"] = ModeName(p.policy.mode);
  policy["create"] = p.policy.create;
  policy["update"] = p.policy.update;
  policy["delete"] = p.policy.del;
  policy["grace_days"] = p.policy.grace_days;
  policy["max_deletes"] = p.policy.max_deletes;
  policy["max_delete_percent"] = p.policy.max_delete_percent;
  policy["exclusion_group"] = p.policy.exclusion_group;
  j["policy"] = std::move(policy);
  j["mapping"] = p.mapping;
  j["schedules"] = p.schedules;
  j["timezone"] = p.timezone;
  return j;
}

nlohmann::ordered_json TokenJson(const ApiToken& t) {
  return nlohmann::ordered_json{{"id", t.id},
                                {"kind", t.kind},
                                {"label", t.label},
                                {"created_at", t.created_at},
                                {"revoked_at", t.revoked_at}};
}

nlohmann::ordered_json TenantJson(const TenantInfo& t) {
  nlohmann::ordered_json j = {
      {"name", t.name}, {"display_name", t.display_name}, {"origin", t.origin}};
  if (t.created_at != 0) j["created_at"] = t.created_at;
  if (t.updated_at != 0) j["updated_at"] = t.updated_at;
  return j;
}

nlohmann::ordered_json TenantDetailJson(const ProfileCatalog& catalog, const std::string& tenant) {
  nlohmann::ordered_json j =
      TenantJson(catalog.FindTenant(tenant).value_or(TenantInfo{tenant, "", "token", 0, 0}));
  nlohmann::ordered_json profiles = nlohmann::ordered_json::array();
  for (const auto& p : catalog.List(tenant)) {
    profiles.push_back(
        nlohmann::ordered_json{{"name", p->name},
                               {"source", p->source.type()},
                               {"origin", catalog.FromConfig(tenant, p->name) ? "config" : "api"}});
  }
  j["profiles"] = profiles;
  return j;
}

}  // namespace telsync::admin
