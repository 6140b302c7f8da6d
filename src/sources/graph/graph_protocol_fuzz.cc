// libFuzzer target for the Graph source's parsers of server answers (SPEC R7): user pages,
// token answers, error bodies and cursors. The first byte picks the parser; the rest is the
// answer. Built and run by scripts/fuzz.sh (links libcurl and simdjson).
#include <cstddef>
#include <cstdint>
#include <string>

#include "sources/graph/graph_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      (void)telsync::graph::ParseUsersPage(
          text,
          [](telsync::SourceObject&& user) {
            if (user.id.empty()) __builtin_trap();  // never a user without an id
          },
          [](const std::string&) {});
      break;
    case 1:
      (void)telsync::graph::ParseTokenAnswer(400, text, "t", "c");
      break;
    case 2:
      (void)telsync::graph::GraphError(403, text, "reading users", "User.Read.All");
      (void)telsync::graph::GraphErrorCode(text);
      break;
    default:
      (void)telsync::graph::DecodeCursor(text);
      break;
  }
  return 0;
}
