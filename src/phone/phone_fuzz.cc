// libFuzzer target for the phone fast path (phone_fast.cc): whenever
// detail::FastParse answers, libphonenumber (detail::SlowParse) must accept the same value
// with the same E.164 string and the same extension (strict and lenient mode, several
// default regions); otherwise the process aborts and libFuzzer saves the input. Run by
// scripts/fuzz.sh (seeds: tests/fuzz/corpus/phone/, among them numbers with extensions,
// "tel:" URIs, direction marks, no-break spaces and fullwidth digits). Built by hand:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc
//     src/phone/phone.cc src/phone/phone_fast.cc src/phone/detail/phone_text.cc
//     src/phone/phone_fuzz.cc -lphonenumber -lre2 -lprotobuf -o /tmp/phonefuzz
//   /tmp/phonefuzz -max_total_time=60 tests/fuzz/corpus/phone
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "phone/phone.h"

namespace {

void Check(const std::string& region, const std::string& raw) {
  for (const telsync::PhoneMode mode :
       {telsync::PhoneMode::kStrict, telsync::PhoneMode::kLenient}) {
    const std::optional<telsync::ParsedPhone> fast = telsync::detail::FastParse(mode, region, raw);
    if (!fast) continue;
    const telsync::Result<telsync::ParsedPhone> slow =
        telsync::detail::SlowParse(mode, region, raw);
    if (!slow.ok() || *slow != *fast) {
      std::fprintf(stderr,
                   "phone fast path differs on \"%s\" (%s): fast %s ext \"%s\", "
                   "libphonenumber %s ext \"%s\"\n",
                   raw.c_str(), region.c_str(), fast->e164.c_str(), fast->extension.c_str(),
                   slow.ok() ? slow->e164.c_str() : slow.error().message.c_str(),
                   slow.ok() ? slow->extension.c_str() : "");
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string raw(reinterpret_cast<const char*>(data), size);
  // The first byte picks the default region of lenient mode.
  static const char* const kRegions[] = {"SE", "US", "GB", "DE", "IT", "RU", "AR", "MX",
                                         "BR", "FR", "CA", "KZ", "IN", "JP", "AU", "ZZ"};
  const std::string region = kRegions[size > 0 ? data[0] % 16 : 0];
  Check(region, raw);
  // Random bytes rarely start with '+': also try the input as an international number.
  if (raw.empty() || raw.front() != '+') Check(region, "+" + raw);
  // And with an extension, the form a tenth of a directory's numbers take (issue 15).
  Check(region, raw + " x1073");
  return 0;
}
