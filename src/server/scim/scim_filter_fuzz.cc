// libFuzzer target for the SCIM filter parser (SPEC R7): any input parses to a filter or
// an invalidFilter error, and any filter matches a resource, without a crash, a sanitizer
// report, unbounded recursion or a hang. Built and run by scripts/fuzz.sh with the corpus
// tests/fuzz/corpus/scim_filter.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/scim/filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const nlohmann::json resource = nlohmann::json::parse(R"({
    "id": "2819c223", "userName": "bjensen@example.com", "active": true, "loginCount": 7,
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, "odd"],
    "phoneNumbers": [{"value": "+46 70 123 45 67", "type": "mobile"}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour",
      "employeeNumber": "701984", "manager": {"value": "2819c223"}},
    "members": [{"value": "a"}, {"value": null}]})");
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto filter = telsync::scim::ParseFilter(text);
  if (filter.ok()) {
    (void)telsync::scim::Matches(*filter, resource);
  } else if (filter.error().scim_type != "invalidFilter") {
    __builtin_trap();  // every parse error must carry the SCIM scimType
  }
  return 0;
}
