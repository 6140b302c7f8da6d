#include "targets/webhook/webhook_event.h"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "model/fields.h"
#include "util/text.h"

namespace telsync {
namespace {

using ojson = nlohmann::ordered_json;

std::string Digest(std::string_view text) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64: names a state, not a security check
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string TypeOf(const std::string& kind) {
  std::string type = kind;
  const size_t underscore = type.find('_');
  if (underscore != std::string::npos) type[underscore] = '.';
  return type;
}

std::string Dump(const ojson& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void CollectFields(const ojson& user, std::map<std::string, std::string>& fields) {
  if (!user.is_object()) return;
  for (const auto& [name, value] : user.items()) {
    if (value.is_string()) fields[name] = value.get<std::string>();
  }
}

}  // namespace

WebhookMessage WebhookFromEvent(const OutboxEvent& event) {
  WebhookMessage message;
  message.id = "evt_" + event.tenant + "_" + std::to_string(event.seq);
  message.type = TypeOf(event.kind);
  message.is_user = event.user_id != 0;
  ojson payload = ojson::parse(event.payload, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) payload = ojson::object();
  ojson data = ojson::object();
  if (message.is_user) data["user_id"] = event.user_id;
  for (auto& [name, value] : payload.items()) data[name] = value;
  if (data.contains("user")) CollectFields(data["user"], message.fields);
  ojson body = {{"type", message.type},
                {"timestamp", Rfc3339Utc(event.created_at)},
                {"tenant", event.tenant},
                {"data", std::move(data)}};
  message.body = Dump(body);
  return message;
}

WebhookMessage WebhookSnapshot(const PbxUser& user, const std::string& tenant, int64_t now) {
  WebhookMessage message;
  message.type = "user.snapshot";
  message.is_user = true;
  ojson state = ojson::object();
  for (size_t i = 0; i < kFieldCount; ++i) {
    const Field f = static_cast<Field>(i);
    if (!user.fields.Get(f).empty()) {
      state[std::string(FieldName(f))] = user.fields.Get(f);
      message.fields[std::string(FieldName(f))] = std::string(user.fields.Get(f));
    }
  }
  state["profile"] = user.profile;
  state["source_key"] = user.source_key;
  state["searchable"] = user.searchable;
  state["state"] = user.state == UserState::kPendingDelete ? "pending_delete" : "active";
  state["groups"] = user.groups;
  if (!user.custom.empty()) {
    ojson custom = ojson::object();
    for (const auto& [name, value] : user.custom) custom[name] = value;
    state["custom"] = std::move(custom);
  }
  ojson data = {{"user_id", user.id}, {"action", "snapshot"}, {"user", std::move(state)}};
  message.id = "snap_" + tenant + "_" + std::to_string(user.id) + "_" + Digest(Dump(data));
  ojson body = {{"type", message.type},
                {"timestamp", Rfc3339Utc(now)},
                {"tenant", tenant},
                {"data", std::move(data)}};
  message.body = Dump(body);
  return message;
}

}  // namespace telsync
