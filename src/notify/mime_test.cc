#include "notify/mime.h"

#include <gtest/gtest.h>

namespace telsync {
namespace {

TEST(MimeTest, Base64MatchesRfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {{"", ""},
                                                       {"f", "Zg=="},
                                                       {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},
                                                       {"foob", "Zm9vYg=="},
                                                       {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (const auto& [in, out] : cases) EXPECT_EQ(Base64(in, false), out) << in;
  const std::string wrapped = Base64(std::string(100, 'x'), true);
  EXPECT_EQ(wrapped.find("\r\n"), 76u);
  EXPECT_EQ(wrapped.substr(wrapped.size() - 2), "\r\n");
}

TEST(MimeTest, HeaderTextIsEncodedOnlyWhenNeeded) {
  EXPECT_EQ(EncodeHeaderText("Run 12 success"), "Run 12 success");
  EXPECT_EQ(EncodeHeaderText("Välkommen"), "=?UTF-8?B?VsOkbGtvbW1lbg==?=");
  // Long text is split into several encoded words, never inside a UTF-8 character.
  const std::string encoded = EncodeHeaderText(std::string(40, 'a') + "åäö" + std::string(40, 'b'));
  EXPECT_NE(encoded.find("?=\r\n =?UTF-8?B?"), std::string::npos);
  for (size_t start = 0; (start = encoded.find("=?UTF-8?B?", start)) != std::string::npos;) {
    const size_t end = encoded.find("?=", start + 10);
    EXPECT_LE(end + 2 - start, 75u);
    start = end;
  }
}

TEST(MimeTest, RendersHeadersBodyAndAttachment) {
  MailMessage m;
  m.from = "telsync <telsync@example.com>";
  m.to = {"admin@example.com", "Åsa Berg <asa@example.com>"};
  m.subject = "Rapport för körning 7";
  m.text = "Hej!\nline two";
  m.attachments.push_back({"run-7.xlsx", "application/octet-stream", std::string("PK\x03\x04", 4)});
  auto mime = RenderMail(m, 1'790'000'000, "host");
  ASSERT_TRUE(mime.ok()) << mime.error().message;
  EXPECT_NE(mime->find("From: telsync <telsync@example.com>\r\n"), std::string::npos);
  EXPECT_NE(mime->find("=?UTF-8?B?"), std::string::npos);
  EXPECT_NE(mime->find("<asa@example.com>"), std::string::npos);
  EXPECT_NE(mime->find("Date: Mon, 21 Sep 2026 "), std::string::npos);
  EXPECT_NE(mime->find("Content-Type: multipart/mixed; boundary=\""), std::string::npos);
  EXPECT_NE(mime->find(Base64("Hej!\nline two", true)), std::string::npos);
  EXPECT_NE(mime->find("filename=\"run-7.xlsx\""), std::string::npos);
  EXPECT_NE(mime->find("UEsDBA=="), std::string::npos);  // base64 of the zip magic
  // Every line ends in CRLF and none is longer than 998 characters (RFC 5322 §2.1.1).
  size_t start = 0;
  for (size_t nl; (nl = mime->find('\n', start)) != std::string::npos; start = nl + 1) {
    ASSERT_GT(nl, 0u);
    EXPECT_EQ((*mime)[nl - 1], '\r');
    EXPECT_LE(nl - start, 998u);
  }

  m.to = {"bad address"};
  EXPECT_FALSE(RenderMail(m, 0, "h").ok());
  m.to.clear();
  EXPECT_FALSE(RenderMail(m, 0, "h").ok());
}

}  // namespace
}  // namespace telsync
