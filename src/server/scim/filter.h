// SCIM filters and PATCH paths (RFC 7644 §3.4.2.2 and §3.5.2): parsing and matching.
//
// The grammar in full, not only what Entra sends: eq ne co sw ew pr gt ge lt le,
// and / or / not with RFC precedence (not > and > or), parentheses, value paths
// (`emails[type eq "work" and primary eq true]`) and schema-qualified attribute paths
// (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`). Beyond the
// RFC's FILTER, a value path may be followed by a sub-attribute and a comparison, as
// Entra sends it for a matching attribute: `emails[type eq "work"].value eq "a@b.c"`
// means `emails[type eq "work" and value eq "a@b.c"]` and parses to that. Keywords and
// attribute names are case-insensitive. Parsing and matching take time linear in the
// filter (times the resource's size for matching). Pure functions: no I/O, thread-safe.
//
// Errors: kInvalid with Error::scim_type = the SCIM scimType ("invalidFilter" for filters,
// "invalidPath" for PATCH paths); the message says what was expected and where.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace telsync::scim {

// attrPath = [URI ":"] ATTRNAME ["." subAttr]
struct AttrPath {
  std::string uri;   // "" or the schema URN it was qualified with
  std::string name;  // the attribute
  std::string sub;   // "" or the sub-attribute
  std::string ToString() const;
};

enum class CompareOp { kEq, kNe, kCo, kSw, kEw, kPr, kGt, kGe, kLt, kLe };

struct Filter {
  enum class Kind { kCompare, kAnd, kOr, kNot, kValuePath };
  Kind kind = Kind::kCompare;
  AttrPath attr;                  // kCompare and kValuePath
  CompareOp op = CompareOp::kEq;  // kCompare
  nlohmann::json value;           // kCompare (not kPr): string, number, boolean or null
  std::vector<Filter> children;   // kAnd / kOr: two; kNot: one; kValuePath: the element filter
};

// At most this deep (parentheses, not, value paths): outside input must not exhaust the
// stack.
inline constexpr int kMaxFilterDepth = 32;

Result<Filter> ParseFilter(std::string_view text);

// Whether `resource` (a SCIM resource, or one element of a multi-valued attribute when
// matching inside a value path) satisfies the filter. Strings compare case-insensitively
// except for caseExact attributes (id, externalId, members.value).
bool Matches(const Filter& filter, const nlohmann::json& resource);

// PATH = attrPath / valuePath ["." subAttr]   (RFC 7644 §3.5.2)
struct PatchPath {
  AttrPath attr;                 // attr.sub set for "name.givenName" (no filter)
  std::optional<Filter> filter;  // emails[type eq "work"]
  std::string sub;               // the ".value" after a filter, or ""
  std::string ToString() const;
};

Result<PatchPath> ParsePath(std::string_view text);

// Splits "urn:...:User:department" style and plain "name.givenName" attribute paths;
// kInvalid (invalidPath) for anything else.
Result<AttrPath> ParseAttrPath(std::string_view text);

// Case-insensitive lookup of an object member; nullptr when absent or not an object.
const nlohmann::json* FindMember(const nlohmann::json& object, std::string_view name);
nlohmann::json* FindMember(nlohmann::json& object, std::string_view name);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace telsync::scim
