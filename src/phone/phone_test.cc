#include "phone/phone.h"

#include <gtest/gtest.h>

namespace telsync {
namespace {

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

TEST(RenderPhoneTest, WithAndWithoutPlus) {
  EXPECT_EQ(RenderPhone("+4681234567", PhoneRender::kE164), "+4681234567");
  EXPECT_EQ(RenderPhone("+4681234567", PhoneRender::kDigits), "4681234567");
  EXPECT_EQ(RenderPhone("", PhoneRender::kDigits), "");
}

}  // namespace
}  // namespace telsync
