// UserMapping: a profile's mapping compiled once, applied to every source user (F6).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "mapping/expression.h"
#include "model/fields.h"
#include "model/source_object.h"
#include "util/result.h"

namespace telsync {

// A source user after mapping, before validation. Phone fields are still raw.
struct MappedUser {
  std::string source_key;  // SourceObject::id
  FieldSet fields;
  std::vector<std::pair<std::string, std::string>> custom;  // sorted by name
  bool enabled = true;
  bool deleted = false;
  std::vector<std::string> source_groups;  // SourceObject::groups
  std::string upn;  // userPrincipalName (Graph, AD) when the source has one: a match key (F7)
};

class UserMapping {
 public:
  // Compiles `mapping` (PBX field name -> expression) on top of the defaults for
  // `source_type` ("graph", "ldap", "scim", "file"). Keys that are not fixed field names
  // are custom fields; a key must match [a-z][a-z0-9_]*. Errors name the key and the
  // column: "mapping.mobile: column 9: unknown function 'e165'".
  static Result<UserMapping> Compile(const std::map<std::string, std::string>& mapping,
                                     const std::string& source_type);

  // The defaults for a source type (field -> expression text).
  static std::map<std::string, std::string> Defaults(const std::string& source_type);

  MappedUser Apply(const SourceObject& object) const;

  // Every source attribute any expression reads, plus the ones identity needs.
  std::vector<std::string> Attributes() const;

 private:
  std::vector<std::pair<Field, Expression>> fixed_;
  std::vector<std::pair<std::string, Expression>> custom_;
};

}  // namespace telsync
