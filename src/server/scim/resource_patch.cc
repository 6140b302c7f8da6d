// PATCH (RFC 7644 §3.5.2) of a SCIM resource: ApplyPatch of resource.h and its path
// operations, as Entra sends them (Microsoft: "Known issues and resolutions with SCIM 2.0").
#include <algorithm>

#include "server/scim/detail/resource_rules.h"
#include "server/scim/filter.h"
#include "server/scim/resource.h"

namespace telsync::scim {
namespace {

using detail::Invalid;
using detail::IsCoreSchema;
using detail::IsKnownSchema;
using detail::Normalise;
using detail::NormaliseManager;
using nlohmann::json;

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

}  // namespace

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

}  // namespace telsync::scim
