// An HTTP answer in the publisher's terms (http_outcome.h): one row per status class.
#include "targets/http_outcome.h"

#include <gtest/gtest.h>

namespace telsync {
namespace {

TEST(HttpOutcomeTest, StatusClasses) {
  struct Case {
    long status;  // NOLINT(runtime/int)
    bool ok;
    ErrorCode code;
  };
  const Case cases[] = {
      {200, true, ErrorCode::kInternal},     {201, true, ErrorCode::kInternal},
      {204, true, ErrorCode::kInternal},     {429, false, ErrorCode::kThrottled},
      {408, false, ErrorCode::kUnavailable}, {500, false, ErrorCode::kUnavailable},
      {503, false, ErrorCode::kUnavailable}, {409, false, ErrorCode::kConflict},
      {400, false, ErrorCode::kInvalid},     {401, false, ErrorCode::kInvalid},
      {404, false, ErrorCode::kInvalid},     {422, false, ErrorCode::kInvalid},
      {301, false, ErrorCode::kInvalid},
  };
  for (const Case& c : cases) {
    const Status s = HttpOutcome(c.status, "why", "POST https://h");
    EXPECT_EQ(s.ok(), c.ok) << c.status;
    if (!s.ok()) {
      EXPECT_EQ(s.error().code, c.code) << c.status;
      EXPECT_EQ(s.error().message,
                "POST https://h answered HTTP " + std::to_string(c.status) + ": why");
    }
  }
}

TEST(HttpOutcomeTest, ExcerptIsOneShortLine) {
  EXPECT_EQ(Excerpt("a\nb\tc"), "a b c");
  EXPECT_EQ(Excerpt(std::string(300, 'x')), std::string(200, 'x') + "...");
  // Never cut inside a UTF-8 sequence: "é" is two bytes.
  std::string text = std::string(199, 'x') + "\xc3\xa9" + "tail";
  EXPECT_EQ(Excerpt(text), std::string(199, 'x') + "...");
  EXPECT_EQ(HttpOutcome(500, "", "GET h").error().message, "GET h answered HTTP 500");
}

TEST(HttpOutcomeTest, RetryAfterIsClamped) {
  EXPECT_EQ(RetryAfterSeconds(std::nullopt), 0);
  EXPECT_EQ(RetryAfterSeconds(1.2), 2);
  EXPECT_EQ(RetryAfterSeconds(-5.0), 0);
  EXPECT_EQ(RetryAfterSeconds(1e9), 3600);
}

}  // namespace
}  // namespace telsync
