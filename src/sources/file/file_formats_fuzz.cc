// libFuzzer target for the file source's parsers (SPEC R7: parsers of outside input are
// fuzzed). The first byte picks the format; the rest is the file.
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     src/sources/file/file_formats_fuzz.cc src/sources/file/{json,csv,ldif}_users.cc \
//     src/model/source_object.cc -o build/file_formats_fuzz
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "sources/file/file_formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::istringstream in(text);
  const telsync::ObjectSink sink = [](telsync::SourceObject&& object) {
    if (object.id.empty()) __builtin_trap();  // readers never emit an object without an id
  };
  const telsync::ProblemSink problems = [](const std::string&, const std::string&) {};
  switch (data[0] % 3) {
    case 0:
      (void)telsync::file_formats::ReadJson(in, "fuzz.json", sink, problems);
      break;
    case 1:
      (void)telsync::file_formats::ReadCsv(in, "fuzz.csv", sink, problems);
      break;
    default:
      (void)telsync::file_formats::ReadLdif(in, "fuzz.ldif", sink, problems);
      break;
  }
  return 0;
}
