#include "server/scim/resource.h"

#include <algorithm>

#include "server/scim/detail/resource_rules.h"
#include "server/scim/filter.h"

namespace telsync::scim {
namespace detail {

using nlohmann::json;

Error Invalid(std::string message, const char* scim_type) {
  return Error::Invalid(std::move(message)).WithScimType(scim_type);
}

bool IsKnownSchema(ResourceType type, std::string_view uri) {
  // Entra's group create lists this Microsoft schema beside the core one (Microsoft:
  // "Tutorial: Develop a sample SCIM endpoint", Create Group request); it adds nothing.
  constexpr std::string_view kMicrosoftAdScim =
      "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/";
  if (uri.size() > kMicrosoftAdScim.size() &&
      EqualsIgnoreCase(uri.substr(0, kMicrosoftAdScim.size()), kMicrosoftAdScim)) {
    return true;
  }
  if (type == ResourceType::kGroup) return EqualsIgnoreCase(uri, kGroupSchema);
  return EqualsIgnoreCase(uri, kUserSchema) || EqualsIgnoreCase(uri, kEnterpriseSchema);
}

bool IsCoreSchema(ResourceType type, std::string_view uri) {
  return EqualsIgnoreCase(uri, type == ResourceType::kUser ? kUserSchema : kGroupSchema);
}

// Entra sends booleans as strings ("True" / "False") unless the app opts into the
// aadOptscim062020 flag (Microsoft: "Known issues and resolutions with SCIM 2.0").
Status CoerceBoolean(json& value, const std::string& name) {
  if (value.is_boolean() || value.is_null()) return Ok();
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (EqualsIgnoreCase(s, "true")) {
      value = true;
      return Ok();
    }
    if (EqualsIgnoreCase(s, "false")) {
      value = false;
      return Ok();
    }
  }
  return Invalid("attribute '" + name + "' must be a boolean");
}

// Renames a member to its canonical spelling (attribute names are case-insensitive, RFC
// 7643 §2.1) so that later lookups and the mapping see one spelling.
void Canonicalise(json& object, std::string_view canonical) {
  if (!object.is_object() || object.contains(std::string(canonical))) return;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (EqualsIgnoreCase(it.key(), canonical)) {
      json value = std::move(it.value());
      object.erase(it);
      object[std::string(canonical)] = std::move(value);
      return;
    }
  }
}

Status CheckMultiValued(json& resource, const char* name, bool coerce_primary) {
  json* values = FindMember(resource, name);
  if (values == nullptr || values->is_null()) return Ok();
  if (!values->is_array()) return Invalid(std::string("attribute '") + name + "' must be an array");
  for (json& element : *values) {
    if (!element.is_object()) {
      return Invalid(std::string("each element of '") + name + "' must be an object");
    }
    if (coerce_primary) {
      if (json* primary = FindMember(element, "primary")) {
        if (auto s = CoerceBoolean(*primary, std::string(name) + ".primary"); !s.ok()) return s;
      }
    }
  }
  return Ok();
}

// The enterprise manager in its one stored form, {"value": id} (plus "displayName" when a
// client sends one), from the shapes clients send: that object (its "$ref" dropped: the
// server does not resolve references), a bare id string (Entra's PATCH with the
// aadOptscim062020 flag, and PUT bodies), or a list of such objects (Entra's tutorial:
// {"op":"Add","path":"manager","value":[{"$ref":null,"value":"<id>"}]}). An empty id, an
// empty list or null clears the manager.
Status NormaliseManager(json& ext) {
  Canonicalise(ext, "manager");
  auto found = ext.find("manager");
  if (found == ext.end()) return Ok();
  json manager = *found;
  if (manager.is_array()) {
    if (manager.size() > 1) {
      return Invalid("enterprise manager is single-valued: got a list of " +
                     std::to_string(manager.size()) + " values");
    }
    manager = manager.empty() ? json(nullptr) : json(manager[0]);
  }
  std::string id;
  std::string display;
  if (manager.is_string()) {
    id = manager.get<std::string>();
  } else if (manager.is_object()) {
    const json* value = FindMember(manager, "value");
    if (value != nullptr && !value->is_null() && !value->is_string()) {
      return Invalid("enterprise manager.value must be a string (the manager's id)");
    }
    if (value == nullptr && !manager.empty()) {
      return Invalid("enterprise manager needs a \"value\" (the manager's id)");
    }
    if (value != nullptr && value->is_string()) id = value->get<std::string>();
    const json* display_name = FindMember(manager, "displayName");
    if (display_name != nullptr && display_name->is_string()) {
      display = display_name->get<std::string>();
    }
  } else if (!manager.is_null()) {
    return Invalid("enterprise manager must be an object {\"value\": id} or an id string");
  }
  if (id.empty()) {
    ext.erase("manager");
    return Ok();
  }
  json canonical = {{"value", id}};
  if (!display.empty()) canonical["displayName"] = display;
  ext["manager"] = std::move(canonical);
  return Ok();
}

Status Normalise(ResourceType type, json& resource) {
  if (!resource.is_object()) return Invalid("the resource must be a JSON object", "invalidSyntax");
  resource.erase("id");
  resource.erase("meta");
  if (type == ResourceType::kUser) {
    for (const char* name : {"userName", "externalId", "displayName", "active", "name", "emails",
                             "phoneNumbers", "addresses", "title", "nickName", "userType",
                             "preferredLanguage", "locale", "timezone"}) {
      Canonicalise(resource, name);
    }
    Canonicalise(resource, kEnterpriseSchema);
    // The core User schema has no "manager": one at the top level (a client's shortcut, or
    // a resource stored before PATCH "manager" went to the extension) is the enterprise
    // extension's, unless that already holds one.
    Canonicalise(resource, "manager");
    if (auto top = resource.find("manager"); top != resource.end()) {
      json manager = std::move(*top);
      resource.erase(top);
      json& ext = resource[std::string(kEnterpriseSchema)];
      if (ext.is_null()) ext = json::object();
      if (ext.is_object() && FindMember(ext, "manager") == nullptr) {
        ext["manager"] = std::move(manager);
      }
    }
    const json* user_name = FindMember(resource, "userName");
    if (user_name == nullptr || !user_name->is_string() ||
        user_name->get_ref<const std::string&>().empty()) {
      return Invalid("userName is required and must be a non-empty string");
    }
    if (json* active = FindMember(resource, "active")) {
      if (auto s = CoerceBoolean(*active, "active"); !s.ok()) return s;
    }
    if (json* name = FindMember(resource, "name");
        name != nullptr && !name->is_null() && !name->is_object()) {
      return Invalid("attribute 'name' must be an object");
    }
    for (const char* multi : {"emails", "phoneNumbers", "addresses"}) {
      if (auto s = CheckMultiValued(resource, multi, true); !s.ok()) return s;
    }
    if (json* ext = FindMember(resource, kEnterpriseSchema)) {
      if (!ext->is_object()) return Invalid("the enterprise extension must be an object");
      if (auto s = NormaliseManager(*ext); !s.ok()) return s;
      if (ext->empty()) resource.erase(std::string(kEnterpriseSchema));
    }
  } else {
    for (const char* name : {"displayName", "externalId", "members"}) Canonicalise(resource, name);
    const json* display = FindMember(resource, "displayName");
    if (display == nullptr || !display->is_string() ||
        display->get_ref<const std::string&>().empty()) {
      return Invalid("displayName is required and must be a non-empty string");
    }
    if (auto s = CheckMultiValued(resource, "members", false); !s.ok()) return s;
    if (json* members = FindMember(resource, "members");
        members != nullptr && members->is_array()) {
      json unique = json::array();
      for (json& m : *members) {
        const json* value = FindMember(m, "value");
        if (value == nullptr || !value->is_string() ||
            value->get_ref<const std::string&>().empty()) {
          return Invalid("each member needs a \"value\" (the member's id)");
        }
        const bool seen = std::any_of(unique.begin(), unique.end(),
                                      [&](const json& u) { return u["value"] == *value; });
        if (!seen) unique.push_back(json{{"value", *value}});
        if (const json* display_name = FindMember(m, "display");
            display_name && display_name->is_string()) {
          if (!seen) unique.back()["display"] = *display_name;
        }
      }
      *members = std::move(unique);
    }
  }
  json schemas = json::array();
  schemas.push_back(type == ResourceType::kUser ? kUserSchema : kGroupSchema);
  if (type == ResourceType::kUser && resource.contains(std::string(kEnterpriseSchema))) {
    schemas.push_back(kEnterpriseSchema);
  }
  resource["schemas"] = std::move(schemas);
  return Ok();
}

}  // namespace detail
namespace {

using detail::Invalid;
using detail::IsCoreSchema;
using detail::IsKnownSchema;
using detail::Normalise;
using nlohmann::json;

// ---- flattening ----

void AddString(SourceObject& object, const std::string& name, const json* value) {
  if (value == nullptr) return;
  if (value->is_string()) {
    if (!value->get_ref<const std::string&>().empty()) object.Add(name, value->get<std::string>());
  } else if (value->is_number() || value->is_boolean()) {
    object.Add(name, value->dump());
  }
}

// emails / phoneNumbers: every value (primary first) and one per type.
void AddMultiValued(SourceObject& object, const json& resource, const char* name) {
  const json* values = FindMember(resource, name);
  if (values == nullptr || !values->is_array()) return;
  std::vector<const json*> ordered;
  for (const json& e : *values) {
    const json* primary = FindMember(e, "primary");
    if (primary != nullptr && primary->is_boolean() && primary->get<bool>()) {
      ordered.insert(ordered.begin(), &e);
    } else {
      ordered.push_back(&e);
    }
  }
  std::vector<std::string> typed;
  for (const json* e : ordered) {
    const json* value = FindMember(*e, "value");
    AddString(object, name, value);
    const json* type = FindMember(*e, "type");
    if (type != nullptr && type->is_string() && value != nullptr) {
      std::string key = std::string(name) + "." + type->get<std::string>();
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      // Only the first (primary) value of each type.
      if (std::find(typed.begin(), typed.end(), key) == typed.end()) {
        typed.push_back(key);
        AddString(object, key, value);
      }
    }
  }
}

// Splits a comma-separated attribute list into paths.
std::vector<AttrPath> AttrList(std::string_view text) {
  std::vector<AttrPath> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      // A fully qualified core attribute ("urn:...:core:2.0:User:userName") is just the
      // attribute; the extension's URN alone names the whole extension.
      if (EqualsIgnoreCase(item, kEnterpriseSchema)) {
        out.push_back(AttrPath{"", std::string(kEnterpriseSchema), ""});
      } else if (auto path = ParseAttrPath(item); path.ok()) {
        AttrPath p = std::move(path).value();
        if (EqualsIgnoreCase(p.uri, kUserSchema) || EqualsIgnoreCase(p.uri, kGroupSchema))
          p.uri.clear();
        out.push_back(std::move(p));
      }
    }
    start = comma + 1;
  }
  return out;
}

}  // namespace

Result<json> NormalizeResource(ResourceType type, json body) {
  if (!body.is_object()) return Invalid("the request body must be a JSON object", "invalidSyntax");
  const json* schemas = FindMember(body, "schemas");
  if (schemas == nullptr || !schemas->is_array() || schemas->empty()) {
    return Invalid("'schemas' must list " +
                   std::string(type == ResourceType::kUser ? kUserSchema : kGroupSchema));
  }
  bool has_core = false;
  for (const json& s : *schemas) {
    if (!s.is_string()) return Invalid("'schemas' must be an array of strings");
    if (!IsKnownSchema(type, s.get_ref<const std::string&>())) {
      return Invalid("unknown schema '" + s.get<std::string>().substr(0, 200) + "'");
    }
    has_core = has_core || IsCoreSchema(type, s.get_ref<const std::string&>());
  }
  if (!has_core) {
    return Invalid("'schemas' must list " +
                   std::string(type == ResourceType::kUser ? kUserSchema : kGroupSchema));
  }
  if (auto s = Normalise(type, body); !s.ok()) return s.error();
  return body;
}

SourceObject ToSourceObject(ResourceType type, const json& resource, const std::string& id) {
  SourceObject object;
  object.id = id;
  object.kind = type == ResourceType::kUser ? ObjectKind::kUser : ObjectKind::kGroup;
  if (type == ResourceType::kGroup) {
    AddString(object, "displayName", FindMember(resource, "displayName"));
    AddString(object, "externalId", FindMember(resource, "externalId"));
    return object;
  }
  for (const char* name : {"userName", "externalId", "displayName", "nickName", "title", "userType",
                           "preferredLanguage", "locale", "timezone"}) {
    AddString(object, name, FindMember(resource, name));
  }
  if (const json* name = FindMember(resource, "name"); name != nullptr && name->is_object()) {
    for (auto it = name->begin(); it != name->end(); ++it) {
      AddString(object, "name." + it.key(), &it.value());
    }
  }
  AddMultiValued(object, resource, "emails");
  AddMultiValued(object, resource, "phoneNumbers");
  if (const json* addresses = FindMember(resource, "addresses");
      addresses && addresses->is_array()) {
    for (const json& a : *addresses) {
      const json* type_value = FindMember(a, "type");
      std::string prefix = "addresses.";
      prefix += type_value != nullptr && type_value->is_string() ? type_value->get<std::string>()
                                                                 : "other";
      for (auto it = a.begin(); it != a.end(); ++it) {
        if (it.key() == "type" || it.key() == "primary") continue;
        if (object.Find(prefix + "." + it.key()) == nullptr) {
          AddString(object, prefix + "." + it.key(), &it.value());
        }
      }
    }
  }
  if (const json* ext = FindMember(resource, kEnterpriseSchema);
      ext != nullptr && ext->is_object()) {
    for (const char* name :
         {"department", "employeeNumber", "costCenter", "organization", "division"}) {
      const json* value = FindMember(*ext, name);
      AddString(object, std::string(kEnterpriseSchema) + "." + name, value);
      AddString(object, name, value);
    }
    if (const json* manager = FindMember(*ext, "manager");
        manager != nullptr && manager->is_object()) {
      const json* value = FindMember(*manager, "value");
      AddString(object, std::string(kEnterpriseSchema) + ".manager", value);
      AddString(object, "manager", value);
    }
  }
  const json* active = FindMember(resource, "active");
  object.enabled = active == nullptr || !active->is_boolean() || active->get<bool>();
  return object;
}

json Project(const json& resource, std::string_view attributes, std::string_view excluded) {
  if (!resource.is_object()) return resource;
  if (!attributes.empty()) {
    json out = json::object();
    for (const char* always : {"id", "schemas", "meta"}) {
      if (resource.contains(always)) out[always] = resource[always];
    }
    for (const AttrPath& path : AttrList(attributes)) {
      const json* container = &resource;
      json* out_container = &out;
      if (!path.uri.empty()) {
        container = FindMember(resource, path.uri);
        if (container == nullptr) continue;
        if (!out.contains(path.uri)) out[path.uri] = json::object();
        out_container = &out[path.uri];
      }
      for (auto it = container->begin(); it != container->end(); ++it) {
        if (!EqualsIgnoreCase(it.key(), path.name)) continue;
        if (path.sub.empty()) {
          (*out_container)[it.key()] = it.value();
        } else if (it.value().is_object()) {
          if (const json* sub = FindMember(it.value(), path.sub)) {
            (*out_container)[it.key()][path.sub] = *sub;
          }
        }
      }
    }
    return out;
  }
  json out = resource;
  for (const AttrPath& path : AttrList(excluded)) {
    json* container = &out;
    if (!path.uri.empty()) {
      container = FindMember(out, path.uri);
      if (container == nullptr) continue;
    }
    if (EqualsIgnoreCase(path.name, "id") || EqualsIgnoreCase(path.name, "schemas")) continue;
    for (auto it = container->begin(); it != container->end(); ++it) {
      if (!EqualsIgnoreCase(it.key(), path.name)) continue;
      if (path.sub.empty()) {
        container->erase(it);
      } else if (it.value().is_object()) {
        it.value().erase(path.sub);
      }
      break;
    }
  }
  return out;
}

}  // namespace telsync::scim
