#include "admin/views.h"

#include <utility>

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

}  // namespace telsync::admin
