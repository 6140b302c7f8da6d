// Standard Webhooks signing against the specification's own test vector (the reference
// libraries' TestWebhookSign), and the secret's format.
#include "targets/webhook/webhook_signature.h"

#include <gtest/gtest.h>

namespace telsync {
namespace {

TEST(WebhookSignatureTest, MatchesTheSpecVector) {
  Result<std::string> key = ParseWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(
      SignWebhook(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignatureTest, ChangesWithEveryPart) {
  const std::string key = *ParseWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  const std::string base = SignWebhook(key, "a", 1, "{}");
  EXPECT_NE(SignWebhook(key, "b", 1, "{}"), base);
  EXPECT_NE(SignWebhook(key, "a", 2, "{}"), base);
  EXPECT_NE(SignWebhook(key, "a", 1, "{ }"), base);
  EXPECT_NE(SignWebhook(key + "x", "a", 1, "{}"), base);
  EXPECT_EQ(SignWebhook(key, "a", 1, "{}"), base);
}

TEST(WebhookSignatureTest, SecretFormat) {
  // The prefix may be left out, as the spec's libraries accept.
  EXPECT_EQ(*ParseWebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            *ParseWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
  EXPECT_EQ(ParseWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")->size(), 24u);
  for (const char* bad : {"", "whsec_", "whsec_not base64!", "whsec_c2hvcnQ="}) {
    Result<std::string> r = ParseWebhookSecret(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
    if (std::string(bad).size() > 6) {
      EXPECT_EQ(r.error().message.find(std::string(bad).substr(6)), std::string::npos)
          << "the message must not echo the secret";
    }
  }
}

TEST(WebhookSignatureTest, Base64) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
}

}  // namespace
}  // namespace telsync
