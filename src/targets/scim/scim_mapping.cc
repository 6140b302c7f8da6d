#include "targets/scim/scim_mapping.h"

#include <algorithm>
#include <optional>
#include <set>

#include "model/fields.h"
#include "phone/phone.h"
#include "util/text.h"

namespace telsync {
namespace {

using json = nlohmann::json;

// A parsed attribute path: [schema:]attr[[type eq "T"]][.sub]
struct Path {
  std::string schema;  // "" = core
  std::string attr;
  std::string type;  // the multi-valued entry's type; "" = not multi-valued
  std::string sub;   // "" = the attribute itself
};

bool IsName(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-' || c == '$')) {
      return false;
    }
  }
  return true;
}

std::optional<Path> Parse(std::string_view text) {
  Path p;
  if (text.rfind("urn:", 0) == 0) {
    const size_t colon = text.rfind(':');
    p.schema = std::string(text.substr(0, colon));
    text.remove_prefix(colon + 1);
  }
  const size_t bracket = text.find('[');
  if (bracket != std::string_view::npos) {
    p.attr = std::string(text.substr(0, bracket));
    std::string_view rest = text.substr(bracket + 1);
    constexpr std::string_view kPrefix = "type eq \"";
    if (rest.rfind(kPrefix, 0) != 0) return std::nullopt;
    rest.remove_prefix(kPrefix.size());
    const size_t quote = rest.find("\"]");
    if (quote == std::string_view::npos || quote == 0) return std::nullopt;
    p.type = std::string(rest.substr(0, quote));
    rest.remove_prefix(quote + 2);
    if (rest.empty()) {
      p.sub = "value";
    } else if (rest[0] == '.' && IsName(rest.substr(1))) {
      p.sub = std::string(rest.substr(1));
    } else {
      return std::nullopt;
    }
  } else {
    const size_t dot = text.find('.');
    p.attr = std::string(text.substr(0, dot));
    if (dot != std::string_view::npos) {
      p.sub = std::string(text.substr(dot + 1));
      if (!IsName(p.sub)) return std::nullopt;
    }
  }
  if (!IsName(p.attr)) return std::nullopt;
  return p;
}

Path MustParse(const std::string& text) { return Parse(text).value_or(Path{"", text, "", ""}); }

std::string AsText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();
  return "";
}

// The container of a path's attribute in `resource` (the resource or its extension object).
const json* Container(const json& resource, const Path& p) {
  if (!resource.is_object()) return nullptr;
  if (p.schema.empty()) return &resource;
  auto it = resource.find(p.schema);
  return it != resource.end() && it->is_object() ? &*it : nullptr;
}

const json* Entry(const json& list, const std::string& type) {
  if (!list.is_array()) return nullptr;
  for (const json& e : list) {
    if (e.is_object() && e.contains("type") && e["type"].is_string() &&
        AsciiLower(e["type"].get<std::string>()) == AsciiLower(type)) {
      return &e;
    }
  }
  return nullptr;
}

void Set(json& resource, const Path& p, const std::string& value) {
  json& container = p.schema.empty() ? resource : resource[p.schema];
  if (!p.type.empty()) {
    json& list = container[p.attr];
    if (!list.is_array()) list = json::array();
    for (json& e : list) {
      if (e.is_object() && e.value("type", "") == p.type) {
        e[p.sub] = value;
        return;
      }
    }
    list.push_back({{"type", p.type}, {p.sub, value}});
  } else if (!p.sub.empty()) {
    container[p.attr][p.sub] = value;
  } else {
    container[p.attr] = value;
  }
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> ScimMapping(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::pair<std::string, std::string>> mapping = {
      {"username", "userName"},
      {"first_name", "name.givenName"},
      {"last_name", "name.familyName"},
      {"display_name", "displayName"},
      {"email", "emails[type eq \"work\"].value"},
      {"landline", "phoneNumbers[type eq \"work\"].value"},
      {"mobile", "phoneNumbers[type eq \"mobile\"].value"},
      {"job_title", "title"},
      {"department", std::string(kScimEnterpriseSchema) + ":department"},
  };
  for (const auto& [field, path] : overrides) {
    if (field == "username" && path != "userName") {
      return Error::Invalid("username always maps to userName", "mapping.username");
    }
    if (!path.empty() && !Parse(path)) {
      return Error::Invalid("\"" + path +
                                "\" is not a SCIM attribute path (attr, attr.sub or "
                                "attr[type eq \"T\"].sub, optionally after a schema URN)",
                            "mapping." + field);
    }
    bool replaced = false;
    for (auto& [f, p] : mapping) {
      if (f == field) {
        p = path;
        replaced = true;
      }
    }
    if (!replaced) mapping.emplace_back(field, path);
  }
  std::erase_if(mapping, [](const auto& m) { return m.second.empty(); });
  return mapping;
}

ScimDesired MakeScimDesired(const std::vector<std::pair<std::string, std::string>>& mapping,
                            const std::map<std::string, std::string>& fields, bool active,
                            const std::string& external_id, PhoneRender render) {
  ScimDesired d;
  d.external_id = external_id;
  d.active = active;
  for (const auto& [field, path] : mapping) {
    auto it = fields.find(field);
    std::string value = it == fields.end() ? "" : it->second;
    if (!value.empty() && (field == "landline" || field == "mobile")) {
      value = RenderPhone(value, render);
    }
    if (field == "username") d.user_name = value;
    d.values.push_back({path, value});
  }
  return d;
}

json ScimResource(const ScimDesired& desired) {
  json r = json::object();
  json schemas = json::array({kScimUserSchema});
  r["externalId"] = desired.external_id;
  r["userName"] = desired.user_name;
  r["active"] = desired.active;
  for (const ScimValue& v : desired.values) {
    if (v.value.empty() || v.path == "userName") continue;
    const Path p = MustParse(v.path);
    if (!p.schema.empty() && std::find(schemas.begin(), schemas.end(), p.schema) == schemas.end()) {
      schemas.push_back(p.schema);
    }
    Set(r, p, v.value);
  }
  r["schemas"] = std::move(schemas);
  return r;
}

std::string ScimRead(const json& resource, const std::string& path) {
  const Path p = MustParse(path);
  const json* container = Container(resource, p);
  if (container == nullptr) return "";
  auto it = container->find(p.attr);
  if (it == container->end()) return "";
  if (!p.type.empty()) {
    const json* e = Entry(*it, p.type);
    return e != nullptr && e->contains(p.sub) ? AsText((*e)[p.sub]) : "";
  }
  if (!p.sub.empty()) {
    return it->is_object() && it->contains(p.sub) ? AsText((*it)[p.sub]) : "";
  }
  return AsText(*it);
}

json ScimPatch(const ScimDesired& desired, const json& current, std::vector<std::string>* changed) {
  json replace = json::object();
  json removes = json::array();  // operations after the replace: remove, replace of a path
  auto note = [&](const std::string& path) {
    if (changed != nullptr) changed->push_back(path);
  };
  if (ScimRead(current, "externalId") != desired.external_id) {
    replace["externalId"] = desired.external_id;
    note("externalId");
  }
  // A server that leaves active out means active (RFC 7643 §4.1.1 has no default; every
  // server we know writes it).
  const std::string active = ScimRead(current, "active");
  if ((active.empty() ? "true" : active) != (desired.active ? "true" : "false")) {
    replace["active"] = desired.active;
    note("active");
  }
  // Multi-valued attributes are replaced whole: the server's entries of other types kept,
  // telsync's types as wanted.
  std::map<std::string, std::vector<const ScimValue*>> multi;  // "schema\nattr" -> values
  std::set<std::string> multi_changed;
  std::map<std::pair<std::string, std::string>, std::vector<const ScimValue*>> objects;
  std::set<std::pair<std::string, std::string>> objects_changed;
  for (const ScimValue& v : desired.values) {
    const Path p = MustParse(v.path);
    const bool same = ScimRead(current, v.path) == v.value;
    if (!p.type.empty()) {
      multi[p.schema + "\n" + p.attr].push_back(&v);
      if (!same) {
        multi_changed.insert(p.schema + "\n" + p.attr);
        note(v.path);
      }
      continue;
    }
    if (p.schema.empty() && p.sub.empty()) {  // a simple core attribute
      if (same) continue;
      note(v.path);
      if (v.value.empty()) {
        removes.push_back({{"op", "remove"}, {"path", v.path}});
      } else {
        replace[p.attr] = v.value;
      }
      continue;
    }
    // A sub-attribute of a complex attribute or of an extension: the object is replaced
    // whole, keeping the server's other sub-attributes (a replace without a path may not
    // merge on every server).
    const std::pair<std::string, std::string> key{p.schema, p.sub.empty() ? "" : p.attr};
    objects[key].push_back(&v);
    if (!same) {
      objects_changed.insert(key);
      note(v.path);
    }
  }
  for (const auto& [key, values] : objects) {
    if (!objects_changed.count(key)) continue;
    const auto& [schema, attr] = key;
    const json* now = nullptr;
    if (schema.empty()) {
      now = current.is_object() && current.contains(attr) ? &current[attr] : nullptr;
    } else if (current.is_object() && current.contains(schema)) {
      now = attr.empty() ? &current[schema]
                         : (current[schema].contains(attr) ? &current[schema][attr] : nullptr);
    }
    json object = now != nullptr && now->is_object() ? *now : json::object();
    for (const ScimValue* v : values) {
      const Path p = MustParse(v->path);
      const std::string name = p.sub.empty() ? p.attr : p.sub;
      if (v->value.empty()) {
        object.erase(name);
      } else {
        object[name] = v->value;
      }
    }
    const std::string path = schema.empty() ? attr : attr.empty() ? schema : schema + ":" + attr;
    if (object.empty()) {
      removes.push_back({{"op", "remove"}, {"path", path}});
    } else if (schema.empty()) {
      replace[attr] = std::move(object);
    } else if (attr.empty()) {
      replace[schema] = std::move(object);
    } else {
      replace[schema][attr] = std::move(object);
    }
  }
  for (const auto& [key, values] : multi) {
    if (!multi_changed.count(key)) continue;
    const size_t nl = key.find('\n');
    const std::string schema = key.substr(0, nl);
    const std::string attr = key.substr(nl + 1);
    std::set<std::string> ours;
    json entries = json::array();
    for (const ScimValue* v : values) {
      const Path p = MustParse(v->path);
      ours.insert(AsciiLower(p.type));
      if (v->value.empty()) continue;
      bool merged = false;
      for (json& e : entries) {
        if (e.value("type", "") == p.type) {
          e[p.sub] = v->value;
          merged = true;
        }
      }
      if (!merged) entries.push_back({{"type", p.type}, {p.sub, v->value}});
    }
    const json* container = Container(current, Path{schema, attr, "", ""});
    if (container != nullptr && container->contains(attr) && (*container)[attr].is_array()) {
      for (const json& e : (*container)[attr]) {
        const std::string type = e.is_object() ? AsText(e.value("type", json())) : "";
        if (!ours.count(AsciiLower(type))) entries.push_back(e);
      }
    }
    // With the path, the list is replaced whole (RFC 7644 §3.5.2.3); without one, some
    // servers (scimmy) append the values to the list.
    const std::string path = schema.empty() ? attr : schema + ":" + attr;
    if (entries.empty()) {
      removes.push_back({{"op", "remove"}, {"path", path}});
    } else {
      removes.push_back({{"op", "replace"}, {"path", path}, {"value", std::move(entries)}});
    }
  }
  json ops = json::array();
  if (!replace.empty()) ops.push_back({{"op", "replace"}, {"value", std::move(replace)}});
  for (json& r : removes) ops.push_back(std::move(r));
  return {{"schemas", json::array({"urn:ietf:params:scim:api:messages:2.0:PatchOp"})},
          {"Operations", std::move(ops)}};
}

}  // namespace telsync
