// SCIM Users and Groups (RFC 7643) as telsync keeps them: validation and normalisation of
// what a client sends, the flat SourceObject the planner maps, attribute projection, and
// PATCH (RFC 7644 §3.5.2) with the quirks of Entra's provisioning service.
//
// Resources are nlohmann::json values; the server keeps one per mirror entry (payload,
// without `id` and `meta`, which it renders from the entry). Pure functions, thread-safe.
//
// Errors: kInvalid with Error::scim_type = the SCIM scimType ("invalidSyntax",
// "invalidValue", "invalidPath", "noTarget", "mutability"); messages name the attribute.
//
// Flat attribute names handed to the mapping (source.type scim; mapping defaults in
// mapping/user_mapping.cc): userName, externalId, displayName, nickName, title,
// userType, preferredLanguage, locale, timezone, name.<sub> (givenName, familyName,
// formatted, middleName, honorificPrefix, honorificSuffix), emails (every value, primary
// first), emails.<type> (work, home, other), phoneNumbers and phoneNumbers.<type> (work,
// mobile, fax, ...), addresses.<type>.<sub> (streetAddress, locality, region, postalCode,
// country, formatted), the enterprise extension both as
// urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.<attr> and as the short
// <attr> (department, employeeNumber, costCenter, organization, division, manager =
// manager.value). Groups: displayName, externalId. SourceObject.enabled = active.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "model/source_object.h"
#include "util/result.h"

namespace telsync::scim {

inline constexpr std::string_view kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr std::string_view kGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
inline constexpr std::string_view kEnterpriseSchema =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
inline constexpr std::string_view kListSchema =
    "urn:ietf:params:scim:api:messages:2.0:ListResponse";
inline constexpr std::string_view kErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
inline constexpr std::string_view kPatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

enum class ResourceType { kUser, kGroup };

// Validates a POST / PUT body and returns its canonical form: known schemas only, the
// required attribute (userName / displayName) present, Entra's string booleans
// ("active": "False") made booleans, the enterprise `manager` as {"value": id} (from an
// object, a bare id or a one-element list; a top-level "manager" is moved into the
// extension; an empty id clears it), `id` and `meta` dropped (the server assigns them).
Result<nlohmann::json> NormalizeResource(ResourceType type, nlohmann::json body);

// Applies a PatchOp body (schemas + Operations) to `resource` and normalises the result
// like NormalizeResource. Operations are all applied or none (the caller keeps the
// original on error). Accepts Entra's capitalised ops, a Replace without a path whose
// keys are paths ("name.givenName", "urn:...:enterprise:2.0:User:department"), member
// removal by a value list or by a filter path, and the manager by the bare path "manager"
// (Entra's tutorial: {"op":"Add","path":"manager","value":[{"$ref":null,"value":id}]}),
// which is the enterprise extension's; a new manager replaces the old one whole.
Status ApplyPatch(ResourceType type, nlohmann::json& resource, const nlohmann::json& patch);

// The planner's view of a resource (names in the header comment). `groups` is left
// empty: the server maintains it from group memberships.
SourceObject ToSourceObject(ResourceType type, const nlohmann::json& resource,
                            const std::string& id);

// RFC 7644 §3.9: `attributes` keeps only the listed attributes (plus id and schemas),
// `excludedAttributes` removes the listed ones; both comma-separated attribute paths.
nlohmann::json Project(const nlohmann::json& resource, std::string_view attributes,
                       std::string_view excluded);

}  // namespace telsync::scim
