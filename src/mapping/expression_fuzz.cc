// libFuzzer target for the mapping expression language (SPEC R7): any input must parse
// to an expression or an error, and any expression must evaluate, without a crash,
// a sanitizer report or a hang. Built outside CMake (which skips *_fuzz.cc):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc
//     src/mapping/expression.cc src/mapping/user_mapping.cc src/mapping/expression_fuzz.cc
//     $(find src/model src/util src/phone -name '*.cc' ! -name '*_test.cc')
//     -lphonenumber -o /tmp/mapfuzz
//   /tmp/mapfuzz -max_total_time=30 tests/fuzz/corpus/mapping
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mapping/expression.h"

namespace {

telsync::SourceObject MakeUser() {
  telsync::SourceObject o;
  o.id = "fuzz-1";
  o.Add("givenName", "Åsa");
  o.Add("sn", "Örjansson");
  o.Add("displayName", " Åsa Örjansson\xC2\xA0");
  o.Add("mail", "Asa.Orjansson@Example.COM");
  o.Add("userPrincipalName", "asa@example.com");
  o.Add("mobile", "070-123 45 67");
  o.Add("telephoneNumber", "+46 8 123 45 67");
  o.Add("businessPhones", "+46 8 123 45 67");
  o.Add("businessPhones", "08-765 43 21");
  o.Add("department", "Support");
  o.Add("pager", "");
  o.Add("a", "a");
  o.Add("b", "\xFF\xC3");
  o.groups = {"Sales", "Stockholm"};
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const telsync::SourceObject user = MakeUser();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto expression = telsync::Expression::Parse(text);
  if (expression.ok()) {
    (void)expression->Evaluate(user);
    (void)expression->EvaluateScalar(user);
  }
  return 0;
}
