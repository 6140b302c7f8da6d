// One source user mapped with a draft mapping, for the admin page's mapping editor (issue 19):
// the admin types expressions and sees the PBX fields of a sample user change as they type.
// Nothing is stored; the profile's mapping changes only when the profile is saved.
//
// Pure over the mapping module; thread-safe.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace telsync::admin {

struct MappingDraft {
  std::string source_type;                     // "graph", "ldap", "scim", "file"
  std::map<std::string, std::string> mapping;  // PBX field -> expression, over the defaults
  // The sample user: attribute name -> values, and the groups it is a member of.
  std::vector<std::pair<std::string, std::vector<std::string>>> attributes;
  std::vector<std::string> groups;
};

struct MappedDraft {
  // Every fixed PBX field in report order with its value ("" when the expression gives none).
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::pair<std::string, std::string>> custom;  // custom fields, sorted by name
  // The mapping in effect: the source type's defaults with the draft laid over them.
  std::map<std::string, std::string> expressions;
};

// Maps the draft's user. kInvalid with field "body.mapping.<field>" for an expression that
// does not compile (the message names the column), "body.mapping" for another problem.
Result<MappedDraft> MapDraft(const MappingDraft& draft);

}  // namespace telsync::admin
