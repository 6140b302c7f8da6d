#include "server/scim/resource.h"

#include <algorithm>

#include "server/scim/filter.h"

namespace telsync::scim {
namespace {

using nlohmann::json;

Error Invalid(std::string message, const char* scim_type = "invalidValue") {
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

// ---- PATCH ----

enum class Op { kAdd, kReplace, kRemove };

bool SameValue(const json& a, const json& b) {
  if (a.is_object() && b.is_object()) {
    const json* va = FindMember(a, "value");
    const json* vb = FindMember(b, "value");
    if (va != nullptr && vb != nullptr) {
      const json* ta = FindMember(a, "type");
      const json* tb = FindMember(b, "type");
      const bool same_type =
          (ta == nullptr && tb == nullptr) || (ta != nullptr && tb != nullptr && *ta == *tb);
      return *va == *vb && same_type;
    }
  }
  return a == b;
}

// Sets `name` in `object` by `op`: add appends to arrays and merges objects; replace
// merges objects (RFC 7644 §3.5.2.3: sub-attributes not given are left unchanged) and
// replaces everything else.
void SetMember(json& object, const std::string& name, const json& value, Op op) {
  json* target = FindMember(object, name);
  if (target == nullptr || target->is_null()) {
    object[name] = value;
    return;
  }
  if (target->is_array() && op == Op::kAdd) {
    const json values = value.is_array() ? value : json::array({value});
    for (const json& v : values) {
      const bool present = std::any_of(target->begin(), target->end(),
                                       [&](const json& e) { return SameValue(e, v); });
      if (!present) target->push_back(v);
    }
    return;
  }
  if (target->is_object() && value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it)
      SetMember(*target, it.key(), it.value(), op);
    return;
  }
  *target = value;
}

// Values named by an equality filter (`type eq "work"`, `type eq "work" and primary eq
// true`): the attributes of a new element when an add / replace matches none.
bool EqualityTerms(const Filter& filter, json& element) {
  if (filter.kind == Filter::Kind::kAnd) {
    return EqualityTerms(filter.children[0], element) && EqualityTerms(filter.children[1], element);
  }
  if (filter.kind != Filter::Kind::kCompare || filter.op != CompareOp::kEq ||
      !filter.attr.sub.empty() || !filter.attr.uri.empty()) {
    return false;
  }
  element[filter.attr.name] = filter.value;
  return true;
}

Status ApplyPathOp(ResourceType type, json& resource, Op op, const std::string& path_text,
                   const json* value);

// Op with no path: the value is an object of attributes; Entra's keys may be paths.
Status ApplyNoPath(ResourceType type, json& resource, Op op, const json* value) {
  if (op == Op::kRemove) return Invalid("remove needs a path", "noTarget");
  if (value == nullptr || !value->is_object()) {
    return Invalid("an operation without a path needs an object value");
  }
  for (auto it = value->begin(); it != value->end(); ++it) {
    const std::string& key = it.key();
    if (IsCoreSchema(type, key) ||
        (type == ResourceType::kUser && EqualsIgnoreCase(key, kEnterpriseSchema))) {
      if (!it.value().is_object()) return Invalid("'" + key + "' must be an object");
      for (auto sub = it.value().begin(); sub != it.value().end(); ++sub) {
        const std::string path = IsCoreSchema(type, key) ? sub.key() : key + ":" + sub.key();
        if (auto s = ApplyPathOp(type, resource, op, path, &sub.value()); !s.ok()) return s;
      }
      continue;
    }
    if (EqualsIgnoreCase(key, "schemas")) continue;  // some clients echo it
    if (auto s = ApplyPathOp(type, resource, op, key, &it.value()); !s.ok()) return s;
  }
  return Ok();
}

Status ApplyPathOp(ResourceType type, json& resource, Op op, const std::string& path_text,
                   const json* value) {
  auto parsed = ParsePath(path_text);
  if (!parsed.ok()) return parsed.error();
  const PatchPath& path = *parsed;
  // Entra's tutorial PATCHes the manager by the bare path "manager" (or "manager.value"):
  // the core User schema has no such attribute, so it is the enterprise extension's.
  if (type == ResourceType::kUser && !path.filter && EqualsIgnoreCase(path.attr.name, "manager") &&
      (path.attr.uri.empty() || IsCoreSchema(type, path.attr.uri))) {
    std::string qualified = std::string(kEnterpriseSchema) + ":manager";
    if (!path.attr.sub.empty()) qualified += "." + path.attr.sub;
    return ApplyPathOp(type, resource, op, qualified, value);
  }
  if (op != Op::kRemove && value == nullptr) {
    return Invalid("operation on '" + path_text + "' needs a value");
  }
  if (path.attr.uri.empty() || IsCoreSchema(type, path.attr.uri)) {
    if (EqualsIgnoreCase(path.attr.name, "id") || EqualsIgnoreCase(path.attr.name, "meta") ||
        EqualsIgnoreCase(path.attr.name, "schemas")) {
      return Invalid("'" + path.attr.name + "' is read-only", "mutability");
    }
  } else if (!IsKnownSchema(type, path.attr.uri)) {
    return Invalid("unknown schema '" + path.attr.uri + "' in path '" + path_text + "'",
                   "invalidPath");
  }
  // The container the attribute lives in: the resource, or the extension's object.
  json* container = &resource;
  if (!path.attr.uri.empty() && !IsCoreSchema(type, path.attr.uri)) {
    json* ext = FindMember(resource, path.attr.uri);
    if (ext == nullptr || !ext->is_object()) {
      if (op == Op::kRemove) return Ok();  // removing what is absent changes nothing
      resource[std::string(kEnterpriseSchema)] = json::object();
      ext = &resource[std::string(kEnterpriseSchema)];
    }
    container = ext;
  }
  const std::string& name = path.attr.name;

  if (!path.filter) {
    if (path.attr.sub.empty()) {
      if (op == Op::kRemove) {
        json* target = FindMember(*container, name);
        if (target == nullptr) return Ok();
        // Entra removes members by a value list: {"op":"Remove","path":"members",
        // "value":[{"value":"<id>"}]}.
        if (value != nullptr && !value->is_null() && target->is_array()) {
          const json values = value->is_array() ? *value : json::array({*value});
          json kept = json::array();
          for (const json& element : *target) {
            const bool removed = std::any_of(values.begin(), values.end(), [&](const json& v) {
              const json* ve = FindMember(element, "value");
              const json* vv = v.is_object() ? FindMember(v, "value") : &v;
              return ve != nullptr && vv != nullptr ? *ve == *vv : element == v;
            });
            if (!removed) kept.push_back(element);
          }
          *target = std::move(kept);
          if (target->empty()) container->erase(name);
          for (auto it = container->begin(); it != container->end(); ++it) {
            if (EqualsIgnoreCase(it.key(), name) && it.value().empty()) {
              container->erase(it);
              break;
            }
          }
          return Ok();
        }
        for (auto it = container->begin(); it != container->end(); ++it) {
          if (EqualsIgnoreCase(it.key(), name)) {
            container->erase(it);
            break;
          }
        }
        return Ok();
      }
      // The manager is single-valued and its sub-attributes belong to one id: a new value
      // replaces the old one whole (RFC 7644 §3.5.2.1: add on a single-valued attribute
      // replaces it), rather than merging a new id with the old displayName.
      if (container != &resource && EqualsIgnoreCase(name, "manager")) {
        for (auto it = container->begin(); it != container->end(); ++it) {
          if (EqualsIgnoreCase(it.key(), name)) {
            container->erase(it);
            break;
          }
        }
      }
      SetMember(*container, name, *value, op);
      return Ok();
    }
    // name.givenName: a sub-attribute of a complex attribute.
    json* parent = FindMember(*container, name);
    if (op == Op::kRemove) {
      if (parent == nullptr) return Ok();
      auto erase_sub = [&](json& object) {
        for (auto it = object.begin(); it != object.end(); ++it) {
          if (EqualsIgnoreCase(it.key(), path.attr.sub)) {
            object.erase(it);
            return;
          }
        }
      };
      if (parent->is_object()) erase_sub(*parent);
      if (parent->is_array()) {
        for (json& e : *parent) {
          if (e.is_object()) erase_sub(e);
        }
      }
      return Ok();
    }
    if (parent == nullptr || parent->is_null()) {
      (*container)[name] = json::object();
      parent = &(*container)[name];
    }
    if (parent->is_array()) {
      for (json& e : *parent) {
        if (e.is_object()) SetMember(e, path.attr.sub, *value, Op::kReplace);
      }
      return Ok();
    }
    if (!parent->is_object()) return Invalid("'" + name + "' has no sub-attributes", "invalidPath");
    SetMember(*parent, path.attr.sub, *value, op == Op::kAdd ? Op::kAdd : Op::kReplace);
    return Ok();
  }

  // A value path: emails[type eq "work"].value, members[value eq "..."].
  json* target = FindMember(*container, name);
  if (target != nullptr && !target->is_null() && !target->is_array()) {
    return Invalid("'" + name + "' is not multi-valued", "invalidPath");
  }
  size_t matched = 0;
  if (target != nullptr && target->is_array()) {
    json kept = json::array();
    for (json& element : *target) {
      if (!Matches(*path.filter, element)) {
        kept.push_back(std::move(element));
        continue;
      }
      ++matched;
      if (op == Op::kRemove) {
        if (!path.sub.empty()) {
          json copy = std::move(element);
          for (auto it = copy.begin(); it != copy.end(); ++it) {
            if (EqualsIgnoreCase(it.key(), path.sub)) {
              copy.erase(it);
              break;
            }
          }
          kept.push_back(std::move(copy));
        }
        continue;
      }
      if (!path.sub.empty()) {
        SetMember(element, path.sub, *value, Op::kReplace);
      } else if (value->is_object()) {
        for (auto it = value->begin(); it != value->end(); ++it)
          SetMember(element, it.key(), it.value(), Op::kReplace);
      } else {
        return Invalid("a value path without a sub-attribute needs an object value");
      }
      kept.push_back(std::move(element));
    }
    *target = std::move(kept);
    if (target->empty()) container->erase(name);
  }
  if (matched > 0 || op == Op::kRemove) return Ok();
  // Nothing matched an add or a replace: Entra sends `Add emails[type eq "work"].value`
  // for a user that has no work e-mail yet, so create the element the filter describes.
  json element = json::object();
  if (!EqualityTerms(*path.filter, element)) {
    return Invalid("no value matches '" + path_text + "'", "noTarget");
  }
  if (!path.sub.empty()) {
    element[path.sub] = *value;
  } else if (value->is_object()) {
    for (auto it = value->begin(); it != value->end(); ++it) element[it.key()] = it.value();
  } else {
    return Invalid("a value path without a sub-attribute needs an object value");
  }
  json* array = FindMember(*container, name);
  if (array == nullptr || !array->is_array()) {
    (*container)[name] = json::array();
    array = &(*container)[name];
  }
  array->push_back(std::move(element));
  return Ok();
}

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

Status ApplyPatch(ResourceType type, json& resource, const json& patch) {
  if (!patch.is_object()) return Invalid("the request body must be a JSON object", "invalidSyntax");
  const json* schemas = FindMember(patch, "schemas");
  const bool patch_schema =
      schemas != nullptr && schemas->is_array() &&
      std::any_of(schemas->begin(), schemas->end(), [](const json& s) {
        return s.is_string() && EqualsIgnoreCase(s.get_ref<const std::string&>(), kPatchSchema);
      });
  if (!patch_schema)
    return Invalid("'schemas' must list " + std::string(kPatchSchema), "invalidSyntax");
  const json* operations = FindMember(patch, "Operations");
  if (operations == nullptr || !operations->is_array() || operations->empty()) {
    return Invalid("'Operations' must be a non-empty array", "invalidSyntax");
  }
  json work = resource;
  for (const json& operation : *operations) {
    if (!operation.is_object()) return Invalid("each operation must be an object", "invalidSyntax");
    const json* op_name = FindMember(operation, "op");
    if (op_name == nullptr || !op_name->is_string()) {
      return Invalid("each operation needs an 'op' (add, replace or remove)", "invalidSyntax");
    }
    const std::string& text = op_name->get_ref<const std::string&>();
    Op op;
    // Entra capitalises ops ("Add", "Replace", "Remove"); RFC 7644 spells them lower-case.
    if (EqualsIgnoreCase(text, "add")) {
      op = Op::kAdd;
    } else if (EqualsIgnoreCase(text, "replace")) {
      op = Op::kReplace;
    } else if (EqualsIgnoreCase(text, "remove")) {
      op = Op::kRemove;
    } else {
      return Invalid("unknown op '" + text.substr(0, 40) + "' (add, replace or remove)",
                     "invalidSyntax");
    }
    const json* path = FindMember(operation, "path");
    const json* value = FindMember(operation, "value");
    Status status = Ok();
    if (path == nullptr || path->is_null() ||
        (path->is_string() && path->get_ref<const std::string&>().empty())) {
      status = ApplyNoPath(type, work, op, value);
    } else if (!path->is_string()) {
      status = Invalid("'path' must be a string", "invalidPath");
    } else {
      status = ApplyPathOp(type, work, op, path->get<std::string>(), value);
    }
    if (!status.ok()) return status;
    // Each operation sees the manager in its stored form (a later Add replaces it).
    if (json* ext = FindMember(work, kEnterpriseSchema);
        type == ResourceType::kUser && ext != nullptr && ext->is_object()) {
      if (auto s = NormaliseManager(*ext); !s.ok()) return s;
    }
  }
  if (auto s = Normalise(type, work); !s.ok()) return s;
  resource = std::move(work);
  return Ok();
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
