#include "phone/phone.h"

#include <gtest/gtest.h>
#include <phonenumbers/phonenumberutil.h>

#include <string>

namespace telsync {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

struct Case {
  PhoneMode mode;
  const char* raw;
  const char* e164;         // expected E.164, or nullptr when rejected
  const char* reason_part;  // a part of the reason when rejected
};

TEST(PhoneNormalizerTest, TableOfRawValues) {
  const Case cases[] = {
      {PhoneMode::kStrict, "+46 8 123 456 78", "+46812345678", nullptr},
      {PhoneMode::kStrict, "+46701234567", "+46701234567", nullptr},
      {PhoneMode::kStrict, "  +45 32 12 34 56 ", "+4532123456", nullptr},
      {PhoneMode::kStrict, "+1 (425) 555-0100", "+14255550100", nullptr},
      {PhoneMode::kStrict, "08-123 456 78", nullptr, "has no country code"},
      {PhoneMode::kStrict, "425-555-0100", nullptr, "has no country code"},
      {PhoneMode::kStrict, "+46 70", nullptr, "+46 70"},
      {PhoneMode::kStrict, "+46 70 CALL ME", nullptr, "contains letters"},
      {PhoneMode::kStrict, "", nullptr, "is empty"},
      {PhoneMode::kStrict, "+999 1234567", nullptr, "unknown country code"},
      {PhoneMode::kLenient, "08-123 456 78", "+46812345678", nullptr},
      {PhoneMode::kLenient, "070-123 45 67", "+46701234567", nullptr},
      {PhoneMode::kLenient, "+45 32 12 34 56", "+4532123456", nullptr},
      {PhoneMode::kLenient, "12", nullptr, "12"},
      // Issue 15: numbers as directories hold them, read in both modes.
      {PhoneMode::kStrict, "+46 8 105 780 87 x1073", "+46810578087", nullptr},
      {PhoneMode::kStrict, "+1 425 555 0122 x1023", "+14255550122", nullptr},
      {PhoneMode::kStrict, "tel:+1-425-555-0122;ext=1023", "+14255550122", nullptr},
      {PhoneMode::kStrict, "\xE2\x80\x8E+46 8 105 780 87\xE2\x80\x8F", "+46810578087", nullptr},
      {PhoneMode::kStrict, "\xE2\x80\xAA+46 8 105 780 87\xE2\x80\xAC", "+46810578087", nullptr},
      {PhoneMode::kStrict,
       "+46\xE2\x80\xAF"
       "8\xE2\x81\xA0"
       "105\xC2\xA0"
       "780 87",
       "+46810578087", nullptr},
      {PhoneMode::kStrict, "\xEF\xBC\x8B\xEF\xBC\x94\xEF\xBC\x96 \xEF\xBC\x98 105 780 87",
       "+46810578087", nullptr},
      {PhoneMode::kLenient, "08-105 780 87 x1073", "+46810578087", nullptr},
      {PhoneMode::kLenient, "tel:+1-425-555-0122;ext=1023", "+14255550122", nullptr},
      {PhoneMode::kLenient, "\xEF\xBC\x90\xEF\xBC\x98-105 780 87", "+46810578087", nullptr},
      // Strict mode still demands '+', whatever the value is dressed in.
      {PhoneMode::kStrict, "08-105 780 87 x1073", nullptr,
       "has no country code (strict mode demands +<country code>)"},
      {PhoneMode::kStrict, "tel:08-105-780-87", nullptr, "has no country code"},
      {PhoneMode::kStrict,
       "\xE2\x80\x8E"
       "08-105 780 87",
       nullptr, "has no country code"},
      // Letters outside an extension label, and extensions that cannot be read.
      {PhoneMode::kStrict, "+46 8 105 780 87 CALL", nullptr, "contains letters"},
      {PhoneMode::kStrict, "+46 8 105 780 87 x", nullptr, "contains letters"},
      {PhoneMode::kStrict, "+46 8 105 780 87 ext abc", nullptr, "contains letters"},
      {PhoneMode::kStrict, "+46 8 105 780 87 x1234567890", nullptr,
       "has an extension longer than 9 digits"},
      {PhoneMode::kStrict, "+46 8 105 780 87 ext 123456789012345678901", nullptr,
       "has an extension longer than 20 digits"},
      {PhoneMode::kStrict, "+46 8 105 780 87 x12 34", nullptr,
       "has an extension that is not all digits"},
      {PhoneMode::kStrict, "tel:+46-8-105-780-87;isub=12", nullptr,
       "has a tel: parameter other than ;ext="},
      {PhoneMode::kStrict, "+46 8 105 780 87 / x12", nullptr,
       "has an extension that cannot be read"},
      {PhoneMode::kStrict, "\xE2\x80\x8E\xC2\xA0", nullptr, "is empty"},
  };
  for (const auto& c : cases) {
    PhoneNormalizer n(c.mode, "SE");
    auto r = n.Normalize(c.raw);
    if (c.e164 != nullptr) {
      ASSERT_TRUE(r.ok()) << c.raw << ": " << r.error().message;
      EXPECT_EQ(*r, c.e164) << c.raw;
    } else {
      ASSERT_FALSE(r.ok()) << c.raw << " was accepted as " << *r;
      EXPECT_NE(r.error().message.find(c.reason_part), std::string::npos)
          << c.raw << ": " << r.error().message;
    }
  }
}

TEST(PhoneNormalizerTest, InvalidNumberNamesTheRegion) {
  PhoneNormalizer n(PhoneMode::kStrict, "SE");
  auto r = n.Normalize("+46 70");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "\"+46 70\" is not a valid number for SE");
}

// Parse gives the extension's digits with the main number, whichever path answers.
TEST(PhoneNormalizerTest, ParseGivesTheExtension) {
  struct Row {
    PhoneMode mode;
    const char* raw;
    ParsedPhone want;
  };
  const Row rows[] = {
      {PhoneMode::kStrict, "+46 8 105 780 87 x1073", {"+46810578087", "1073"}},
      {PhoneMode::kStrict, "+46 8 105 780 87 X 1073", {"+46810578087", "1073"}},
      {PhoneMode::kStrict, "+1 425 555 0122 ext. 1023", {"+14255550122", "1023"}},
      {PhoneMode::kStrict, "+1 425 555 0122 Ext 1023", {"+14255550122", "1023"}},
      {PhoneMode::kStrict, "+1 425 555 0122 extension 1023", {"+14255550122", "1023"}},
      {PhoneMode::kStrict, "+1 425 555 0122 #1023", {"+14255550122", "1023"}},
      {PhoneMode::kStrict, "+1 425 555 0122;ext=1023", {"+14255550122", "1023"}},
      {PhoneMode::kStrict, "tel:+1-425-555-0122;ext=1023", {"+14255550122", "1023"}},
      {PhoneMode::kStrict, "TEL:+1-425-555-0122;EXT=1023", {"+14255550122", "1023"}},
      {PhoneMode::kStrict,
       "+1 425 555 0122 ext 12345678901234567890",
       {"+14255550122", "12345678901234567890"}},
      // Fullwidth digits in the extension come back as ASCII digits.
      {PhoneMode::kStrict,
       "+46 8 105 780 87 \xEF\xBD\x98\xEF\xBC\x91\xEF\xBC\x90",
       {"+46810578087", "10"}},
      // Forms libphonenumber reads as an extension without a label telsync knows.
      {PhoneMode::kStrict, "+1 425 555 0122,,1023", {"+14255550122", "1023"}},
      {PhoneMode::kStrict, "+1 425 555 0122 - 503#", {"+14255550122", "503"}},
      {PhoneMode::kStrict, "+46 8 105 780 87", {"+46810578087", ""}},
      {PhoneMode::kLenient, "08-105 780 87 ext 1073", {"+46810578087", "1073"}},
  };
  for (const Row& row : rows) {
    const PhoneNormalizer n(row.mode, "SE");
    const Result<ParsedPhone> got = n.Parse(row.raw);
    ASSERT_TRUE(got.ok()) << row.raw << ": " << got.error().message;
    EXPECT_EQ(got->e164, row.want.e164) << row.raw;
    EXPECT_EQ(got->extension, row.want.extension) << row.raw;
    // The reference path gives the same.
    const Result<ParsedPhone> slow = detail::SlowParse(row.mode, "SE", row.raw);
    ASSERT_TRUE(slow.ok()) << row.raw << ": " << slow.error().message;
    EXPECT_EQ(*slow, *got) << row.raw;
  }
}

// Messages quote the value as the directory has it (trimmed), not the cleaned text.
TEST(PhoneNormalizerTest, MessagesQuoteTheValueAsGiven) {
  const PhoneNormalizer n(PhoneMode::kStrict, "SE");
  const Result<std::string> r = n.Normalize(
      " 08\xC2\xA0"
      "105 780 87 x1073 ");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "\"08\xC2\xA0"
            "105 780 87 x1073\" has no country code (strict mode demands +<country code>)");
}

// Fullwidth digits and plus signs are read as libphonenumber reads them: the cleaned
// value gives what libphonenumber gives for the value as it is.
TEST(PhoneNormalizerTest, FullwidthFormsReadAsLibphonenumberReadsThem) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  for (const char* raw : {"\xEF\xBC\x8B\xEF\xBC\x94\xEF\xBC\x96 8 105 780 87",
                          "\xEF\xBC\x8B\xEF\xBC\x91 \xEF\xBC\x94\xEF\xBC\x92\xEF\xBC\x95 555 0122",
                          "+44 \xEF\xBC\x92\xEF\xBC\x90 7285 8133"}) {
    PhoneNumber number;
    ASSERT_EQ(util.Parse(raw, "ZZ", &number), PhoneNumberUtil::NO_PARSING_ERROR) << raw;
    std::string want;
    util.Format(number, PhoneNumberUtil::E164, &want);
    const Result<std::string> got = PhoneNormalizer(PhoneMode::kStrict, "SE").Normalize(raw);
    ASSERT_TRUE(got.ok()) << raw << ": " << got.error().message;
    EXPECT_EQ(*got, want) << raw;
  }
}

TEST(RenderPhoneTest, WithAndWithoutPlus) {
  EXPECT_EQ(RenderPhone("+4681234567", PhoneRender::kE164), "+4681234567");
  EXPECT_EQ(RenderPhone("+4681234567", PhoneRender::kDigits), "4681234567");
  EXPECT_EQ(RenderPhone("", PhoneRender::kDigits), "");
}

}  // namespace
}  // namespace telsync
