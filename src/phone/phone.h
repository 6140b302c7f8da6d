// Phone numbers with libphonenumber (F8).
//
// Strict mode (seed 000) demands a leading '+' and a country code; lenient mode also
// accepts national numbers and parses them with the default region. Every accepted
// number is valid for its region (IsValidNumber) and stored as E.164. Thread-safe:
// libphonenumber's PhoneNumberUtil is, and a normalizer holds only constants.
//
// Speed: libphonenumber (ICU regex) is slow, so an ordinary "+<digits and separators>"
// value first goes through detail::FastNormalize, which re-implements libphonenumber's
// steps over the same metadata with RE2 and answers only when it is certain to give the
// same valid E.164 string; everything else (and every rejection) is libphonenumber's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/profile.h"
#include "util/result.h"

namespace telsync {

class PhoneNormalizer {
 public:
  PhoneNormalizer(PhoneMode mode, std::string default_region);

  // The E.164 form ("+4681234567") of a raw directory value, or an Invalid error whose
  // message says why in an admin's words, quoting the value:
  //   "\"+46 70\" is not a valid number for SE"
  //   "\"08-123 45 67\" has no country code (strict mode demands +<country code>)"
  // An empty or all-blank raw value is an Invalid error "is empty"; callers check for
  // emptiness first when the field is optional.
  Result<std::string> Normalize(std::string_view raw) const;

 private:
  PhoneMode mode_;
  std::string default_region_;
};

// Renders a stored E.164 number for a target: kE164 keeps the '+', kDigits drops it
// ("4681234567", seed 001's "PSTN fixed 46xxxxxxxxx"). Non-E.164 input is returned as is.
std::string RenderPhone(std::string_view e164, PhoneRender render);

// The two paths of Normalize, exposed for the differential test, the fuzz target and
// the bench. Not for other callers.
namespace detail {

// The E.164 form of `raw` when it is a plain number ("+<digits and separators>", or in
// lenient mode digits and separators parsed with `default_region`) that libphonenumber
// would accept as valid; nullopt means "ask libphonenumber" (never "invalid").
std::optional<std::string> FastNormalize(PhoneMode mode, std::string_view default_region,
                                         std::string_view raw);

// Normalize without the fast path: libphonenumber only (the reference).
Result<std::string> SlowNormalize(PhoneMode mode, const std::string& default_region,
                                  std::string_view raw);

}  // namespace detail

}  // namespace telsync
