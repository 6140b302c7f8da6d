// libFuzzer target for SCIM PATCH paths and the PATCH engine (SPEC R7): the input is a
// path; it must parse or fail with invalidPath, and a parsed path must apply as add,
// replace and remove to a user without a crash or a sanitizer report. Built and run by
// scripts/fuzz.sh with the corpus tests/fuzz/corpus/scim_path.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/scim/filter.h"
#include "server/scim/resource.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nlohmann::json;
  static const json user = json::parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bjensen", "active": true,
    "name": {"givenName": "Barbara"},
    "emails": [{"value": "b@example.com", "type": "work", "primary": true}, {"value": "h@x.org", "type": "home"}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour"}})");
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto path = telsync::scim::ParsePath(text);
  if (!path.ok()) {
    if (path.error().scim_type != "invalidPath") __builtin_trap();
    return 0;
  }
  for (const char* op : {"add", "replace", "remove"}) {
    for (const json& value : {json("v"), json::parse(R"({"value": "x", "type": "work"})"),
                              json::array({1}), json::parse(R"([{"$ref": null, "value": "m"}])")}) {
      json resource = user;
      json patch = {{"schemas", json::array({"urn:ietf:params:scim:api:messages:2.0:PatchOp"})},
                    {"Operations", json::array({{{"op", op}, {"path", text}, {"value", value}}})}};
      (void)telsync::scim::ApplyPatch(telsync::scim::ResourceType::kUser, resource, patch);
      (void)telsync::scim::ToSourceObject(telsync::scim::ResourceType::kUser, resource, "id");
    }
  }
  return 0;
}
