// What the SCIM client target writes for a user (issue 17 §2): the PBX fields as SCIM 2.0
// User attributes (RFC 7643 §4.1 core, §4.3 enterprise extension), and the comparison of a
// server's copy with it. Pure: no I/O.
//
// Default mapping (a target's `mapping` replaces a field's path; an empty path drops it):
//   username     -> userName                    first_name -> name.givenName
//   last_name    -> name.familyName             display_name -> displayName
//   email        -> emails[type eq "work"].value
//   landline     -> phoneNumbers[type eq "work"].value     (render.phone: e164 | digits)
//   mobile       -> phoneNumbers[type eq "mobile"].value   (render.phone: e164 | digits)
//   job_title    -> title
//   department   -> urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department
// plus externalId = telsync's key of the user (scim_target.cc: "<tenant>:<profile>:<source
// key>", or "<tenant>:<user id>" for a user no source manages) and active = the user
// is searchable and not pending deletion. Paths take three shapes: `attr`, `attr.sub`,
// `attr[type eq "T"].sub`, each optionally prefixed by an extension's schema URN.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "phone/phone_settings.h"
#include "util/result.h"

namespace telsync {

inline constexpr const char* kScimUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr const char* kScimEnterpriseSchema =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

// One mapped attribute: where it goes and the value telsync wants there ("" = none).
struct ScimValue {
  std::string path;
  std::string value;
};

// The user as the target wants it on the server.
struct ScimDesired {
  std::string external_id;
  std::string user_name;
  bool active = true;
  std::vector<ScimValue> values;  // every mapped path, in mapping order, userName included
};

// The mapping of a target: the defaults with `overrides` (field -> path, "" = dropped).
// kInvalid naming the path when one is not of the shapes above.
Result<std::vector<std::pair<std::string, std::string>>> ScimMapping(
    const std::vector<std::pair<std::string, std::string>>& overrides);

// `fields`: the user's PBX fields by FieldName.
ScimDesired MakeScimDesired(const std::vector<std::pair<std::string, std::string>>& mapping,
                            const std::map<std::string, std::string>& fields, bool active,
                            const std::string& external_id, PhoneRender render);

// The resource to POST.
nlohmann::json ScimResource(const ScimDesired& desired);

// The value at `path` in a server's resource ("" when absent); booleans as "true"/"false".
std::string ScimRead(const nlohmann::json& resource, const std::string& path);

// The PATCH (RFC 7644 §3.5.2) that brings `current` (the server's copy) to `desired`, or
// an empty Operations list when nothing differs. Touches only the mapped paths, active and
// externalId; entries of multi-valued attributes with types telsync does not map are kept.
// `changed` receives the paths that differ, for reports.
nlohmann::json ScimPatch(const ScimDesired& desired, const nlohmann::json& current,
                         std::vector<std::string>* changed);

}  // namespace telsync
