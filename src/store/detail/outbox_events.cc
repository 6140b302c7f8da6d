#include "store/detail/outbox_events.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "model/fields.h"
#include "store/detail/columns.h"
#include "util/text.h"

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

// `text` as a JSON string. Plain text (UTF-8 without control characters, quotes or
// backslashes: nearly every value) is copied as it is; anything else is written by
// nlohmann::json, whose escapes and U+FFFD replacements the digests were made with.
void AppendString(std::string& out, std::string_view text) {
  bool plain = IsValidUtf8(text);
  for (size_t i = 0; plain && i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    plain = c >= 0x20 && c != '"' && c != '\\';
  }
  if (!plain) {
    out += Dump(json(std::string(text)));
    return;
  }
  out += '"';
  out.append(text);
  out += '"';
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

std::string UserStateText(const PbxUser& user) {
  // (key, JSON value) in key order, as std::map keeps nlohmann::json's object members.
  std::vector<std::pair<std::string_view, std::string>> members;
  members.reserve(kFieldCount + 6);
  for (size_t i = 0; i < kFieldCount; ++i) {
    const Field f = static_cast<Field>(i);
    const std::string_view value = user.fields.Get(f);
    if (value.empty()) continue;
    std::string text;
    AppendString(text, value);
    members.emplace_back(FieldName(f), std::move(text));
  }
  std::string text;
  AppendString(text, user.profile);
  members.emplace_back("profile", std::move(text));
  text.clear();
  AppendString(text, user.source_key);
  members.emplace_back("source_key", std::move(text));
  members.emplace_back("searchable", user.searchable ? "true" : "false");
  members.emplace_back(
      "state", user.state == UserState::kPendingDelete ? "\"pending_delete\"" : "\"active\"");
  text = "[";
  for (size_t i = 0; i < user.groups.size(); ++i) {
    if (i > 0) text += ',';
    AppendString(text, user.groups[i]);
  }
  text += ']';
  members.emplace_back("groups", std::move(text));
  if (!user.custom.empty()) {
    std::map<std::string_view, std::string_view> custom;  // sorted, the last value wins
    for (const auto& [name, value] : user.custom) custom.insert_or_assign(name, value);
    text = "{";
    for (const auto& [name, value] : custom) {
      if (text.size() > 1) text += ',';
      AppendString(text, name);
      text += ':';
      AppendString(text, value);
    }
    text += '}';
    members.emplace_back("custom", std::move(text));
  }
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out = "{";
  for (const auto& [key, value] : members) {
    if (out.size() > 1) out += ',';
    AppendString(out, key);
    out += ':';
    out += value;
  }
  out += '}';
  return out;
}

std::string UserKey(int64_t user_id) { return "user:" + std::to_string(user_id); }

PendingEvent UserEvent(const PlanItem& item, int64_t user_id) {
  PendingEvent event;
  event.kind = UserKind(item.action);
  event.object_key = user_id > 0 ? UserKey(user_id) : "";
  const std::string state = UserStateText(*item.target);
  event.state_hash = Digest(state);
  // {"action":…,"changes":…,"user":…}: the members in key order, as nlohmann writes them.
  std::string& payload = event.payload;
  payload.reserve(state.size() + 64);
  payload = "{\"action\":";
  AppendString(payload, ActionName(item.action));
  if (item.action != Action::kCreate && !item.changes.empty()) {
    json changes = json::array();
    for (const FieldChange& c : item.changes) {
      changes.push_back({{"field", c.field}, {"old", c.old_value}, {"new", c.new_value}});
    }
    payload += ",\"changes\":" + Dump(changes);
  }
  payload += ",\"user\":";
  payload += state;
  payload += '}';
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
