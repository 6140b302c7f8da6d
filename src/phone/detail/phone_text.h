// The text of a directory phone value before either path of PhoneNormalizer parses it
// (phone.h): shared by the libphonenumber path (phone.cc) and the fast path
// (phone_fast.cc), so both read the same characters and the same extension.
//
// Directories hold numbers as people typed or pasted them: "+46 8 105 780 87 x1073",
// "tel:+1-425-555-0122;ext=1023", a number wrapped in left-to-right marks by a
// right-to-left editor, no-break spaces from a web page, "＋４６…" from a Japanese IME.
// Prepare turns such a value into the text libphonenumber is given, splits off the
// extension, and rejects the letters that seed 000 forbids, in one pass over the value.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace telsync::detail {

// A value made ready for parsing.
struct PreparedPhone {
  // The value trimmed, as given (a view of PreparePhone's argument): what messages quote.
  std::string_view raw;
  // The value cleaned (CleanPhoneText) and trimmed: what libphonenumber parses.
  std::string text;
  // The number alone: `text` without a leading "tel:" and without the extension and the
  // separators before it ("+1 425 555 0122" of "+1 425 555 0122, ext. 1023").
  std::string main;
  // The extension's digits ("1023"), or "" when Prepare found none. A value with no
  // extension telsync reads may still carry one libphonenumber reads (";12", ",,12",
  // "- 503#"); the libphonenumber path then takes libphonenumber's.
  std::string extension;
};

// One linear pass over UTF-8 text, for values that have a byte >= 0x80: removes
// invisible format characters (U+00AD, U+061C, U+180E, U+200B-U+200F, U+202A-U+202E,
// U+2060-U+2064, U+2066-U+206F, U+FEFF), turns Unicode spaces (U+00A0, U+1680,
// U+2000-U+200A, U+202F, U+205F, U+3000) into ' ' and dashes (U+2010-U+2015, U+2212)
// into '-', and reads fullwidth forms U+FF01-U+FF5E as their ASCII counterparts (the
// compatibility mapping: '＋' is '+', '４' is '4', 'ｘ' is 'x'), which is how
// libphonenumber reads fullwidth digits and plus signs. Other bytes are kept as they are.
std::string CleanPhoneText(std::string_view raw);

// Cleans and trims `raw`, strips "tel:" (any case; RFC 3966) and splits off an extension
// written as libphonenumber reads one: optional blanks or commas, a label, then the digits
// and an optional '#':
//   "x" or "#" then at most 9 digits            "+46 8 105 780 87 x1073", "… #12"
//   "ext", "extn", "xt", "extension" (any case), optionally followed by '.' or ':', then at
//     most 20 digits                           "+1 425 555 0122 ext. 1023"
//   ";ext=" then at most 20 digits (RFC 3966)   "tel:+1-425-555-0122;ext=1023"
// Blanks, commas and '-' may separate a label from its digits. Errors (Invalid, the
// message quoting the trimmed value):
//   "is empty"
//   "\"+46 70 CALL ME\" contains letters"          letters outside an extension label
//   "\"… x1234567890\" has an extension longer than 9 digits"
//   "\"… x12 34\" has an extension that is not all digits"
//   "\"tel:+46…;isub=1\" has a tel: parameter other than ;ext="
Result<PreparedPhone> PreparePhone(std::string_view raw);

// The value between double quotes, for messages.
std::string QuotePhone(std::string_view raw);

}  // namespace telsync::detail
