#include "phone/phone.h"

#include <phonenumbers/phonenumberutil.h>

#include <utility>

#include "phone/detail/phone_text.h"

namespace telsync {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

}  // namespace

PhoneNormalizer::PhoneNormalizer(PhoneMode mode, std::string default_region)
    : mode_(mode), default_region_(std::move(default_region)) {}

Result<ParsedPhone> PhoneNormalizer::Parse(std::string_view raw) const {
  if (std::optional<ParsedPhone> fast = detail::FastParse(mode_, default_region_, raw)) {
    return std::move(*fast);
  }
  return detail::SlowParse(mode_, default_region_, raw);
}

Result<std::string> PhoneNormalizer::Normalize(std::string_view raw) const {
  Result<ParsedPhone> parsed = Parse(raw);
  if (!parsed.ok()) return parsed.error();
  return std::move(parsed->e164);
}

Result<ParsedPhone> detail::SlowParse(PhoneMode mode, const std::string& default_region,
                                      std::string_view raw_in) {
  // Seed 000: "Phone numbers must include the country code (+45, +46, etc.) and must not
  // contain other characters or letters." Spaces, dashes, dots and parentheses are the
  // usual grouping and are tolerated, and so is an extension (PreparePhone); other
  // letters (vanity numbers) are not.
  Result<PreparedPhone> prepared = PreparePhone(raw_in);
  if (!prepared.ok()) return prepared.error();
  const std::string raw = QuotePhone(prepared->raw);
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  const bool international = !prepared->main.empty() && prepared->main.front() == '+';
  if (mode == PhoneMode::kStrict && !international) {
    return Error::Invalid(raw + " has no country code (strict mode demands +<country code>)");
  }
  PhoneNumber number;
  const std::string region = international ? "ZZ" : default_region;
  // The whole text, extension and "tel:" included: libphonenumber reads the extension
  // itself, and its reading is the reference the fast path is tested against.
  const auto status = util.Parse(prepared->text, region, &number);
  if (status != PhoneNumberUtil::NO_PARSING_ERROR) {
    switch (status) {
      case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
        return Error::Invalid(raw + " has an unknown country code");
      case PhoneNumberUtil::TOO_SHORT_NSN:
      case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
        return Error::Invalid(raw + " is too short");
      case PhoneNumberUtil::TOO_LONG_NSN:
        return Error::Invalid(raw + " is too long");
      default:
        return Error::Invalid(raw + " is not a phone number");
    }
  }
  if (!util.IsValidNumber(number)) {
    std::string where;
    util.GetRegionCodeForNumber(number, &where);
    if (where.empty() || where == "ZZ") {
      where = "+" + std::to_string(number.country_code());
    }
    return Error::Invalid(raw + " is not a valid number for " + where);
  }
  ParsedPhone out;
  util.Format(number, PhoneNumberUtil::E164, &out.e164);
  out.extension = number.extension();
  util.NormalizeDigitsOnly(&out.extension);  // "١٢" is "12"
  // An extension telsync found is the one libphonenumber must find: otherwise its digits
  // would be lost without a word ("+1 425 555 0122 / x12" is read as two numbers).
  if (!prepared->extension.empty() && out.extension != prepared->extension) {
    return Error::Invalid(raw +
                          " has an extension that cannot be read (write it as <number> x<digits>)");
  }
  return out;
}

std::optional<std::string> detail::FastNormalize(PhoneMode mode, std::string_view default_region,
                                                 std::string_view raw) {
  std::optional<ParsedPhone> parsed = FastParse(mode, default_region, raw);
  if (!parsed) return std::nullopt;
  return std::move(parsed->e164);
}

Result<std::string> detail::SlowNormalize(PhoneMode mode, const std::string& default_region,
                                          std::string_view raw) {
  Result<ParsedPhone> parsed = SlowParse(mode, default_region, raw);
  if (!parsed.ok()) return parsed.error();
  return std::move(parsed->e164);
}

std::string RenderPhone(std::string_view e164, PhoneRender render) {
  if (render == PhoneRender::kDigits && !e164.empty() && e164.front() == '+') {
    return std::string(e164.substr(1));
  }
  return std::string(e164);
}

}  // namespace telsync
