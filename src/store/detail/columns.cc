#include "store/detail/columns.h"

namespace telsync::store_detail {

using json = nlohmann::json;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string GroupsJson(const std::vector<std::string>& groups) {
  if (groups.empty()) return "[]";
  return Dump(json(groups));
}

std::string CustomJson(const std::vector<std::pair<std::string, std::string>>& custom) {
  if (custom.empty()) return "{}";
  json object = json::object();
  for (const auto& [name, value] : custom) object[name] = value;
  return Dump(object);
}

std::string ChangesJson(const std::vector<FieldChange>& changes) {
  if (changes.empty()) return "[]";
  json array = json::array();
  for (const auto& c : changes) array.push_back({c.field, c.old_value, c.new_value});
  return Dump(array);
}

// The empty cases are checked first: most rows have no groups, custom fields or
// changes, and a million rows must not pay for a parser each.
bool IsEmptyJson(std::string_view text) { return text.empty() || text == "[]" || text == "{}"; }

Result<std::vector<std::string>> ParseStringArray(std::string_view text, std::string_view what) {
  std::vector<std::string> out;
  if (IsEmptyJson(text)) return out;
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return Error::Internal("store: corrupt " + std::string(what) + " column");
  out.reserve(parsed.size());
  for (const auto& v : parsed) {
    if (!v.is_string()) return Error::Internal("store: corrupt " + std::string(what) + " column");
    out.push_back(v.get_ref<const std::string&>());
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseCustom(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  if (IsEmptyJson(text)) return out;
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return Error::Internal("store: corrupt custom column");
  out.reserve(parsed.size());
  for (const auto& [name, value] : parsed.items()) {  // std::map order: sorted by name
    if (!value.is_string()) return Error::Internal("store: corrupt custom column");
    out.emplace_back(name, value.get_ref<const std::string&>());
  }
  return out;
}

Result<std::vector<FieldChange>> ParseChanges(std::string_view text) {
  std::vector<FieldChange> out;
  if (IsEmptyJson(text)) return out;
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return Error::Internal("store: corrupt changes column");
  for (const auto& c : parsed) {
    if (!c.is_array() || c.size() != 3 || !c[0].is_string() || !c[1].is_string() ||
        !c[2].is_string()) {
      return Error::Internal("store: corrupt changes column");
    }
    out.push_back({c[0].get<std::string>(), c[1].get<std::string>(), c[2].get<std::string>()});
  }
  return out;
}

std::string UserRowJson(const PbxUser& user) {
  json object = json::object();
  object["id"] = user.id;
  object["profile"] = user.profile;
  object["source_key"] = user.source_key;
  json fields = json::object();
  for (size_t i = 0; i < kFieldCount; ++i) {
    const std::string_view value = user.fields.Get(static_cast<Field>(i));
    if (!value.empty()) fields[std::string(FieldName(static_cast<Field>(i)))] = value;
  }
  object["fields"] = std::move(fields);
  object["searchable"] = user.searchable;
  object["state"] = user.state == UserState::kPendingDelete ? "pending_delete" : "active";
  object["pending_since"] = user.pending_since;
  object["groups"] = user.groups;
  json custom = json::object();
  for (const auto& [name, value] : user.custom) custom[name] = value;
  object["custom"] = std::move(custom);
  object["subscription"] = user.subscription;
  return Dump(object);
}

Result<std::optional<PbxUser>> ParseUserRow(std::string_view text) {
  if (text.empty()) return std::optional<PbxUser>();
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  const Error corrupt = Error::Internal("store: corrupt removed_user column");
  if (!parsed.is_object()) return corrupt;
  PbxUser user;
  try {
    user.id = parsed.at("id").get<int64_t>();
    user.profile = parsed.at("profile").get<std::string>();
    user.source_key = parsed.at("source_key").get<std::string>();
    for (const auto& [name, value] : parsed.at("fields").items()) {
      const std::optional<Field> field = FieldFromName(name);
      if (!field) return corrupt;
      user.fields.Set(*field, value.get<std::string>());
    }
    user.searchable = parsed.at("searchable").get<bool>();
    user.state = parsed.at("state").get<std::string>() == "pending_delete"
                     ? UserState::kPendingDelete
                     : UserState::kActive;
    user.pending_since = parsed.at("pending_since").get<int64_t>();
    user.groups = parsed.at("groups").get<std::vector<std::string>>();
    for (const auto& [name, value] : parsed.at("custom").items()) {  // sorted by name
      user.custom.emplace_back(name, value.get<std::string>());
    }
    user.subscription = parsed.at("subscription").get<std::string>();
  } catch (const json::exception&) {
    return corrupt;
  }
  return std::optional<PbxUser>(std::move(user));
}

Result<PlanItem> RunItemFromColumns(const RunItemColumns& row) {
  PlanItem item;
  const std::optional<Action> parsed = ActionFromName(row.action);
  if (!parsed) return Error::Internal("store: run item with an unknown action");
  item.action = *parsed;
  item.key = std::string(row.key);
  item.username = std::string(row.username);
  Result<std::vector<FieldChange>> changes = ParseChanges(row.changes);
  if (!changes.ok()) return changes.error();
  item.changes = std::move(*changes);
  item.reason = std::string(row.reason);
  item.user_id = row.user_id;
  Result<std::optional<PbxUser>> removed = ParseUserRow(row.removed_user);
  if (!removed.ok()) return removed.error();
  if (removed->has_value()) {
    item.target = std::move(**removed);  // a deleted user's row (issue 18)
  } else {
    // The target is not stored (see the schema); keep what identifies the user.
    item.target->id = item.user_id;
    item.target->fields.Set(Field::kUsername, item.username);
  }
  return item;
}

bool NeedleFitsStoredText(std::string_view needle) {
  for (char c : needle) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

void AddToPage(PlanItem&& item, const RunItemsQuery& query, RunItemsPage& page) {
  if (query.matches && !query.matches(item)) return;
  const size_t index = page.matched++;
  if (index >= query.offset && page.items.size() < query.limit)
    page.items.push_back(std::move(item));
}

std::string SummaryJson(const std::array<size_t, kActionCount>& summary) {
  json object = json::object();
  for (size_t i = 0; i < kActionCount; ++i) {
    object[std::string(ActionName(static_cast<Action>(i)))] = summary[i];
  }
  return Dump(object);
}

std::array<size_t, kActionCount> ParseSummary(std::string_view text) {
  std::array<size_t, kActionCount> summary{};
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return summary;
  for (const auto& [name, value] : parsed.items()) {
    const std::optional<Action> action = ActionFromName(name);
    if (action && value.is_number_unsigned()) {
      summary[static_cast<size_t>(*action)] = value.get<size_t>();
    }
  }
  return summary;
}

std::string EncodeMirrorData(const SourceObject& object) {
  json attributes = json::array();
  for (const auto& [name, values] : object.attributes) attributes.push_back({name, values});
  json out = {{"a", std::move(attributes)}};
  if (!object.groups.empty()) out["g"] = object.groups;
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<SourceObject> DecodeMirrorData(std::string_view data) {
  const json parsed = json::parse(data, nullptr, /*allow_exceptions=*/false);
  auto corrupt = [] { return Error::Internal("store: corrupt mirror data column"); };
  if (!parsed.is_object()) return corrupt();
  SourceObject object;
  if (auto a = parsed.find("a"); a != parsed.end()) {
    if (!a->is_array()) return corrupt();
    object.attributes.reserve(a->size());
    for (const auto& pair : *a) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_array()) {
        return corrupt();
      }
      std::vector<std::string> values;
      values.reserve(pair[1].size());
      for (const auto& v : pair[1]) {
        if (!v.is_string()) return corrupt();
        values.push_back(v.get<std::string>());
      }
      object.attributes.emplace_back(pair[0].get<std::string>(), std::move(values));
    }
  }
  if (auto g = parsed.find("g"); g != parsed.end()) {
    if (!g->is_array()) return corrupt();
    for (const auto& v : *g) {
      if (!v.is_string()) return corrupt();
      object.groups.push_back(v.get<std::string>());
    }
  }
  return object;
}

// FNV-1a over the fields a Put can change, with a separator between them so that moving
// bytes from one field to the next changes the hash.
int64_t EntryHash(const MirrorEntry& entry, std::string_view data) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::string_view text) {
    for (const char c : text) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  };
  mix(data);
  mix(entry.name);
  mix(entry.external_id);
  mix(entry.payload);
  mix(entry.object.enabled ? "1" : "0");
  return static_cast<int64_t>(h);
}

}  // namespace telsync::store_detail

namespace telsync::store_detail {

void CountDeleted(std::string_view table, int64_t rows, TenantDeletion& out) {
  if (table == "users") out.users += rows;
  if (table == "departments") out.departments += rows;
  if (table == "runs") out.runs += rows;
  if (table == "mirror") out.mirror_entries += rows;
  if (table == "api_tokens") out.tokens += rows;
  if (table == "stored_profiles") out.profiles += rows;
  if (table == "jobs") out.jobs += rows;
  if (table == "notifications") out.notifications += rows;
}

}  // namespace telsync::store_detail
