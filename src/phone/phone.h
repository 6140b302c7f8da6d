// Phone numbers with libphonenumber (F8).
//
// Strict mode (seed 000) demands a leading '+' and a country code; lenient mode also
// accepts national numbers and parses them with the default region. Every accepted
// number is valid for its region (IsValidNumber) and stored as E.164. Thread-safe:
// libphonenumber's PhoneNumberUtil is, and a normalizer holds only constants.
//
// Numbers as directories hold them are read in both modes (detail/phone_text.h says
// exactly which forms): an extension ("+46 8 105 780 87 x1073", "… ext. 1023", "… #12",
// "…;ext=1023"), an RFC 3966 URI ("tel:+1-425-555-0122;ext=1023"), invisible format
// characters and no-break spaces, fullwidth digits and plus signs ("＋４６…"). The
// main number is what is normalised; the extension's digits come separately (Parse).
// Letters anywhere else are rejected (seed 000: "must not contain other characters or
// letters"; vanity numbers like "+1 800 FLOWERS" are not read as digits).
//
// Speed: libphonenumber (ICU regex) is slow, so an ordinary "+<digits and separators>"
// value (with or without an extension) first goes through detail::FastParse, which
// re-implements libphonenumber's steps over the same metadata with RE2 and answers only
// when it is certain to give the same valid E.164 string and extension; everything else
// (and every rejection) is libphonenumber's. A plain value costs one pass over it; only
// the others pay for the preparation (detail/phone_text.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "phone/phone_settings.h"
#include "util/result.h"

namespace telsync {

// A directory number read by PhoneNormalizer::Parse.
struct ParsedPhone {
  std::string e164;       // the main number: "+14255550122"
  std::string extension;  // its extension's ASCII digits ("1023"), "" when it has none

  bool operator==(const ParsedPhone&) const = default;
};

class PhoneNormalizer {
 public:
  PhoneNormalizer(PhoneMode mode, std::string default_region);

  // The main number and the extension of a raw directory value, or the Invalid error
  // Normalize gives. "+1 425 555 0122 x1023" is {"+14255550122", "1023"}.
  Result<ParsedPhone> Parse(std::string_view raw) const;

  // The E.164 form ("+4681234567") of a raw directory value, or an Invalid error whose
  // message says why in an admin's words, quoting the value:
  //   "\"+46 70\" is not a valid number for SE"
  //   "\"08-123 45 67\" has no country code (strict mode demands +<country code>)"
  //   "\"+46 70 CALL ME\" contains letters"
  // An extension is dropped: "+46 8 105 780 87 x1073" is "+46810578087". An empty or
  // all-blank raw value is an Invalid error "is empty"; callers check for emptiness
  // first when the field is optional.
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

// The main number and extension of `raw` when it is a plain number ("+<digits and
// separators>", or in lenient mode digits and separators parsed with `default_region`),
// optionally with an extension, "tel:" or the characters CleanPhoneText reads, that
// libphonenumber would accept as valid with the same extension; nullopt means "ask
// libphonenumber" (never "invalid").
std::optional<ParsedPhone> FastParse(PhoneMode mode, std::string_view default_region,
                                     std::string_view raw);

// Parse without the fast path: libphonenumber only (the reference).
Result<ParsedPhone> SlowParse(PhoneMode mode, const std::string& default_region,
                              std::string_view raw);

// FastParse and SlowParse without the extension (the bench compares these).
std::optional<std::string> FastNormalize(PhoneMode mode, std::string_view default_region,
                                         std::string_view raw);
Result<std::string> SlowNormalize(PhoneMode mode, const std::string& default_region,
                                  std::string_view raw);

}  // namespace detail

}  // namespace telsync
