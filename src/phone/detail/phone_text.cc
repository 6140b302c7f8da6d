#include "phone/detail/phone_text.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace telsync::detail {
namespace {

bool IsBlank(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view TrimBlank(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 0x20) : c; }

// `s` starts with the lower-case ASCII `prefix`, ignoring case.
bool StartsWithFold(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(s[i]) != prefix[i]) return false;
  }
  return true;
}

// The extension labels telsync reads, longest first where one is a prefix of another,
// with the most digits libphonenumber 8.12 reads after each (CreateExtnPattern: 20 after
// an explicit label, 9 after a one-character one).
struct Label {
  std::string_view text;
  size_t max_digits;
};
constexpr std::array<Label, 6> kLabels = {{
    {"extension", 20},
    {"extn", 20},
    {"ext", 20},
    {"xt", 20},
    {"x", 9},
    {"#", 9},
}};
constexpr std::string_view kRfc3966Extension = ";ext=";
constexpr size_t kRfc3966MaxDigits = 20;

}  // namespace

std::string QuotePhone(std::string_view raw) { return "\"" + std::string(raw) + "\""; }

std::string CleanPhoneText(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  const size_t n = raw.size();
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    const auto b1 = i + 1 < n ? static_cast<unsigned char>(raw[i + 1]) : 0;
    const auto b2 = i + 2 < n ? static_cast<unsigned char>(raw[i + 2]) : 0;
    if (c == 0xC2 && (b1 == 0xA0 || b1 == 0xAD)) {  // U+00A0 no-break space, U+00AD
      if (b1 == 0xA0) out.push_back(' ');
      i += 1;
      continue;
    }
    if (c == 0xD8 && b1 == 0x9C) {  // U+061C Arabic letter mark
      i += 1;
      continue;
    }
    if (c == 0xE1 && b1 == 0x9A && b2 == 0x80) {  // U+1680 Ogham space mark
      out.push_back(' ');
      i += 2;
      continue;
    }
    if (c == 0xE1 && b1 == 0xA0 && b2 == 0x8E) {  // U+180E Mongolian vowel separator
      i += 2;
      continue;
    }
    if (c == 0xE2 && b1 == 0x80) {
      if (b2 >= 0x80 && b2 <= 0x8A) {  // U+2000-U+200A spaces
        out.push_back(' ');
        i += 2;
        continue;
      }
      if ((b2 >= 0x8B && b2 <= 0x8F) || (b2 >= 0xAA && b2 <= 0xAE)) {
        // U+200B-U+200F zero-width and direction marks, U+202A-U+202E embeddings
        i += 2;
        continue;
      }
      if (b2 >= 0x90 && b2 <= 0x95) {  // U+2010-U+2015 hyphens and dashes
        out.push_back('-');
        i += 2;
        continue;
      }
      if (b2 == 0xAF) {  // U+202F narrow no-break space
        out.push_back(' ');
        i += 2;
        continue;
      }
    }
    if (c == 0xE2 && b1 == 0x81) {
      if (b2 == 0x9F) {  // U+205F medium mathematical space
        out.push_back(' ');
        i += 2;
        continue;
      }
      if ((b2 >= 0xA0 && b2 <= 0xA4) || (b2 >= 0xA6 && b2 <= 0xAF)) {
        // U+2060 word joiner, invisible operators, U+2066-U+2069 isolates, U+206A-U+206F
        i += 2;
        continue;
      }
    }
    if (c == 0xE2 && b1 == 0x88 && b2 == 0x92) {  // U+2212 minus sign
      out.push_back('-');
      i += 2;
      continue;
    }
    if (c == 0xE3 && b1 == 0x80 && b2 == 0x80) {  // U+3000 ideographic space
      out.push_back(' ');
      i += 2;
      continue;
    }
    if (c == 0xEF && b1 == 0xBB && b2 == 0xBF) {  // U+FEFF byte order mark
      i += 2;
      continue;
    }
    if (c == 0xEF && b1 == 0xBC && b2 >= 0x81 && b2 <= 0xBF) {  // U+FF01-U+FF3F
      out.push_back(static_cast<char>(0x21 + (b2 - 0x81)));
      i += 2;
      continue;
    }
    if (c == 0xEF && b1 == 0xBD && b2 >= 0x80 && b2 <= 0x9E) {  // U+FF40-U+FF5E
      out.push_back(static_cast<char>(0x60 + (b2 - 0x80)));
      i += 2;
      continue;
    }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

Result<PreparedPhone> PreparePhone(std::string_view raw_in) {
  const std::string_view raw = TrimBlank(raw_in);
  if (raw.empty()) return Error::Invalid("is empty");
  PreparedPhone out;
  out.raw = raw;
  const bool ascii = std::none_of(raw.begin(), raw.end(), [](char c) { return (c & 0x80) != 0; });
  out.text = ascii ? std::string(raw) : std::string(TrimBlank(CleanPhoneText(raw)));
  // A value of invisible characters and no-break spaces only.
  if (out.text.empty()) return Error::Invalid("is empty");

  std::string_view body = out.text;
  const bool tel = StartsWithFold(body, "tel:");
  if (tel) body.remove_prefix(4);
  // The first character that may start an extension; before it, the number.
  size_t start = 0;
  while (start < body.size() && !IsLetter(body[start]) && body[start] != '#' &&
         body[start] != ';') {
    ++start;
  }
  if (start == body.size()) {
    out.main = std::string(body);
    return out;
  }
  const std::string_view tail = body.substr(start);
  const auto has_letters = [](std::string_view s) {
    return std::any_of(s.begin(), s.end(), IsLetter);
  };

  size_t i = 0;
  size_t max_digits = 0;
  const bool rfc = StartsWithFold(tail, kRfc3966Extension);
  if (rfc) {
    i = kRfc3966Extension.size();
    max_digits = kRfc3966MaxDigits;
  } else if (tel && tail.front() == ';') {
    return Error::Invalid(QuotePhone(raw) + " has a tel: parameter other than ;ext=");
  } else {
    for (const Label& label : kLabels) {
      if (StartsWithFold(tail, label.text)) {
        i = label.text.size();
        max_digits = label.max_digits;
        break;
      }
    }
    if (i == 0) {
      if (has_letters(tail)) return Error::Invalid(QuotePhone(raw) + " contains letters");
      // '#' or ';' without a label ("- 503#", ";12"): libphonenumber decides.
      out.main = std::string(body);
      return out;
    }
    if (i < tail.size() && (tail[i] == '.' || tail[i] == ':')) ++i;
    while (i < tail.size() &&
           (tail[i] == ' ' || tail[i] == '\t' || tail[i] == ',' || tail[i] == '-')) {
      ++i;
    }
  }
  const size_t digits_begin = i;
  while (i < tail.size() && IsDigit(tail[i])) ++i;
  const std::string_view digits = tail.substr(digits_begin, i - digits_begin);
  if (!rfc && i < tail.size() && tail[i] == '#') ++i;
  if (digits.empty() || i != tail.size()) {
    if (has_letters(tail.substr(digits_begin))) {
      return Error::Invalid(QuotePhone(raw) + " contains letters");
    }
    if (digits.empty() && !has_letters(tail)) {
      // A '#' that labels nothing ("+46 8 123 456 78#"): libphonenumber decides.
      out.main = std::string(body);
      return out;
    }
    if (digits.empty()) return Error::Invalid(QuotePhone(raw) + " contains letters");
    return Error::Invalid(QuotePhone(raw) + " has an extension that is not all digits");
  }
  if (digits.size() > max_digits) {
    return Error::Invalid(QuotePhone(raw) + " has an extension longer than " +
                          std::to_string(max_digits) + " digits");
  }
  std::string_view main = body.substr(0, start);
  // libphonenumber's separators before a label: "[ \u00A0\t,]*" (U+00A0 is ' ' by now).
  while (!main.empty() && (main.back() == ' ' || main.back() == '\t' || main.back() == ',')) {
    main.remove_suffix(1);
  }
  out.main = std::string(main);
  out.extension = std::string(digits);
  return out;
}

}  // namespace telsync::detail
