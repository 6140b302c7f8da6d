#include "phone/phone.h"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <cctype>

namespace telsync {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

std::string_view TrimBlank(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Quote(std::string_view raw) { return "\"" + std::string(raw) + "\""; }

// Seed 000: "Phone numbers must include the country code (+45, +46, etc.) and must not
// contain other characters or letters." Spaces, dashes, dots and parentheses are the
// usual grouping and are tolerated; letters (vanity numbers, "ext") are not.
bool HasLetters(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

}  // namespace

PhoneNormalizer::PhoneNormalizer(PhoneMode mode, std::string default_region)
    : mode_(mode), default_region_(std::move(default_region)) {}

Result<std::string> PhoneNormalizer::Normalize(std::string_view raw_in) const {
  if (std::optional<std::string> fast = detail::FastNormalize(mode_, default_region_, raw_in))
    return std::move(*fast);
  return detail::SlowNormalize(mode_, default_region_, raw_in);
}

Result<std::string> detail::SlowNormalize(PhoneMode mode, const std::string& default_region,
                                          std::string_view raw_in) {
  const std::string_view raw = TrimBlank(raw_in);
  if (raw.empty()) return Error::Invalid("is empty");
  if (HasLetters(raw)) {
    return Error::Invalid(Quote(raw) + " contains letters");
  }
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  const bool international = raw.front() == '+';
  if (mode == PhoneMode::kStrict && !international) {
    return Error::Invalid(Quote(raw) +
                          " has no country code (strict mode demands +<country code>)");
  }
  PhoneNumber number;
  const std::string region = international ? "ZZ" : default_region;
  const auto status = util.Parse(std::string(raw), region, &number);
  if (status != PhoneNumberUtil::NO_PARSING_ERROR) {
    switch (status) {
      case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
        return Error::Invalid(Quote(raw) + " has an unknown country code");
      case PhoneNumberUtil::TOO_SHORT_NSN:
      case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
        return Error::Invalid(Quote(raw) + " is too short");
      case PhoneNumberUtil::TOO_LONG_NSN:
        return Error::Invalid(Quote(raw) + " is too long");
      default:
        return Error::Invalid(Quote(raw) + " is not a phone number");
    }
  }
  if (!util.IsValidNumber(number)) {
    std::string where;
    util.GetRegionCodeForNumber(number, &where);
    if (where.empty() || where == "ZZ") {
      where = "+" + std::to_string(number.country_code());
    }
    return Error::Invalid(Quote(raw) + " is not a valid number for " + where);
  }
  std::string e164;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

std::string RenderPhone(std::string_view e164, PhoneRender render) {
  if (render == PhoneRender::kDigits && !e164.empty() && e164.front() == '+') {
    return std::string(e164.substr(1));
  }
  return std::string(e164);
}

}  // namespace telsync
