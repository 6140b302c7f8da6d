#include "store/detail/outbox_events.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "model/fields.h"
#include "store/detail/columns.h"

namespace telsync::store_detail {
namespace {

using json = nlohmann::json;

std::string Digest(std::string_view text) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

json UserState(const PbxUser& user) {
  json out = json::object();
  for (size_t i = 0; i < kFieldCount; ++i) {
    const Field f = static_cast<Field>(i);
    if (!user.fields.Get(f).empty()) out[std::string(FieldName(f))] = user.fields.Get(f);
  }
  out["profile"] = user.profile;
  out["source_key"] = user.source_key;
  out["searchable"] = user.searchable;
  out["state"] = user.state == UserState::kPendingDelete ? "pending_delete" : "active";
  out["groups"] = user.groups;
  if (!user.custom.empty()) {
    json custom = json::object();
    for (const auto& [name, value] : user.custom) custom[name] = value;
    out["custom"] = std::move(custom);
  }
  return out;
}

const char* UserKind(Action action) {
  switch (action) {
    case Action::kCreate:
      return "user_created";
    case Action::kUnsearchable:
      return "user_unsearchable";
    case Action::kDelete:
      return "user_deleted";
    default:
      return "user_updated";
  }
}

}  // namespace

std::string UserKey(int64_t user_id) { return "user:" + std::to_string(user_id); }

PendingEvent UserEvent(const PlanItem& item, int64_t user_id) {
  PendingEvent event;
  event.kind = UserKind(item.action);
  event.object_key = user_id > 0 ? UserKey(user_id) : "";
  json state = UserState(*item.target);
  const std::string state_text = Dump(state);
  event.state_hash = Digest(state_text);
  json payload = json::object();
  payload["action"] = ActionName(item.action);
  payload["user"] = std::move(state);
  if (item.action != Action::kCreate && !item.changes.empty()) {
    json changes = json::array();
    for (const FieldChange& c : item.changes) {
      changes.push_back({{"field", c.field}, {"old", c.old_value}, {"new", c.new_value}});
    }
    payload["changes"] = std::move(changes);
  }
  event.payload = Dump(payload);
  return event;
}

PendingEvent UserDeletedEvent(const PlanItem& item) {
  PendingEvent event;
  event.kind = "user_deleted";
  event.object_key = UserKey(item.user_id);
  json user = item.target.has_value() ? UserState(*item.target) : json::object();
  if (!user.contains("username") && !item.username.empty()) user["username"] = item.username;
  event.payload = Dump(json{{"action", "delete"}, {"user", std::move(user)}});
  return event;
}

PendingEvent DepartmentEvent(const DepartmentChange& change, const std::string& profile) {
  PendingEvent event;
  const bool deleted = change.action == Action::kDelete;
  event.kind = deleted ? "department_deleted" : "department_changed";
  event.object_key = "department:" + profile + "/" + change.target.name;
  json department = {{"name", change.target.name},
                     {"profile", profile},
                     {"ring_group", change.target.ring_group},
                     {"members", change.target.members}};
  if (!deleted) event.state_hash = Digest(Dump(department));
  event.payload =
      Dump(json{{"action", ActionName(change.action)}, {"department", std::move(department)}});
  return event;
}

}  // namespace telsync::store_detail
