// The rules resource.cc (normalising a resource) and resource_patch.cc (PATCH)
// share. Private to server/scim.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "server/scim/resource.h"
#include "util/result.h"

namespace telsync::scim::detail {

// kInvalid with the SCIM type ("invalidValue" unless told).
Error Invalid(std::string message, const char* scim_type = "invalidValue");
// A schema URN a resource of `type` may list (its core schema, the enterprise
// extension for users, Microsoft's AD SCIM schema), compared ignoring case.
bool IsKnownSchema(ResourceType type, std::string_view uri);
// The core schema of `type`.
bool IsCoreSchema(ResourceType type, std::string_view uri);
// The enterprise manager in its one stored form, {"value": id}.
Status NormaliseManager(nlohmann::json& ext);
// A resource's attributes in their canonical spelling and types, its schemas
// listed.
Status Normalise(ResourceType type, nlohmann::json& resource);

}  // namespace telsync::scim::detail
