#include "util/log.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace telsync {
namespace {

constexpr int64_t kNoon = 1795532400000;  // 2026-11-24T15:00:00Z in ms

// Reads a logfmt line back: key=value pairs, values bare or double-quoted with escapes.
std::map<std::string, std::string> ParseLogfmt(const std::string& line, bool* ok) {
  std::map<std::string, std::string> out;
  *ok = true;
  size_t i = 0;
  while (i < line.size()) {
    const size_t eq = line.find('=', i);
    if (eq == std::string::npos) {
      *ok = false;
      return out;
    }
    const std::string key = line.substr(i, eq - i);
    if (key.find(' ') != std::string::npos) *ok = false;
    std::string value;
    i = eq + 1;
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (i < line.size() && line[i] != '"') {
        if (line[i] == '\\' && i + 1 < line.size()) {
          ++i;
          value += line[i] == 'n' ? '\n' : line[i] == 't' ? '\t' : line[i];
        } else {
          value += line[i];
        }
        ++i;
      }
      if (i >= line.size()) *ok = false;
      ++i;
    } else {
      while (i < line.size() && line[i] != ' ') value += line[i++];
    }
    out[key] = value;
    if (i < line.size() && line[i] == ' ') ++i;
  }
  return out;
}

TEST(LogTest, LogfmtLineHasTimeLevelMessageAndFields) {
  const std::string line = FormatLogLine(LogFormat::kLogfmt, kNoon, LogLevel::kInfo, "run finished",
                                         {{"tenant", "acme"}, {"profile", "entra"}, {"run", "12"}});
  EXPECT_EQ(line,
            "ts=2026-11-24T15:00:00.000Z level=info msg=\"run finished\" tenant=acme "
            "profile=entra run=12");
}

TEST(LogTest, LogfmtQuotesAndEscapesValues) {
  const std::string line =
      FormatLogLine(LogFormat::kLogfmt, kNoon + 7, LogLevel::kWarn, "a \"b\"\nc",
                    {{"empty", ""},
                     {"space", "x y"},
                     {"eq", "a=b"},
                     {"nl", "1\n2"},
                     {"bad key!", "v"},
                     {"msg", "shadow"}});
  bool ok = false;
  auto kv = ParseLogfmt(line, &ok);
  ASSERT_TRUE(ok) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(kv["ts"], "2026-11-24T15:00:00.007Z");
  EXPECT_EQ(kv["level"], "warn");
  EXPECT_EQ(kv["msg"], "a \"b\"\nc");
  EXPECT_EQ(kv["empty"], "");
  EXPECT_EQ(kv["space"], "x y");
  EXPECT_EQ(kv["eq"], "a=b");
  EXPECT_EQ(kv["nl"], "1\n2");
  EXPECT_EQ(kv["bad_key_"], "v");
  EXPECT_EQ(kv["field_msg"], "shadow");  // cannot overwrite the message
}

TEST(LogTest, JsonLinesParse) {
  const std::string line =
      FormatLogLine(LogFormat::kJson, kNoon, LogLevel::kError, "store \"down\"\t\x01",
                    {{"tenant", "acme"},
                     {"bytes", std::string("a\xff\xfe"
                                           "b")},
                     {"level", "x"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto doc = nlohmann::json::parse(line);  // throws (fails the test) on invalid JSON / UTF-8
  EXPECT_EQ(doc["ts"], "2026-11-24T15:00:00.000Z");
  EXPECT_EQ(doc["level"], "error");
  EXPECT_EQ(doc["msg"], "store \"down\"\t\x01");
  EXPECT_EQ(doc["tenant"], "acme");
  EXPECT_EQ(doc["bytes"],
            "a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(doc["field_level"], "x");
  // Fields keep their order after the fixed keys.
  EXPECT_LT(line.find("\"tenant\""), line.find("\"bytes\""));
  EXPECT_EQ(line.rfind("{\"ts\":", 0), 0u);
}

TEST(LogTest, SecretFieldsAreAlwaysMasked) {
  const LogFields fields = {{"password", "hunter2"},         {"client_secret", "s3cr3t-value"},
                            {"Authorization", "Bearer abc"}, {"api_token", "tok-123"},
                            {"bind_PASSWORD", "pw-456"},     {"user", "jdoe"}};
  for (LogFormat format : {LogFormat::kLogfmt, LogFormat::kJson}) {
    const std::string line = FormatLogLine(format, kNoon, LogLevel::kInfo, "connect", fields);
    for (const char* secret : {"hunter2", "s3cr3t-value", "Bearer abc", "tok-123", "pw-456"}) {
      EXPECT_EQ(line.find(secret), std::string::npos) << line;
    }
    EXPECT_NE(line.find("jdoe"), std::string::npos);
    size_t stars = 0;
    for (size_t p = line.find("***"); p != std::string::npos; p = line.find("***", p + 3)) ++stars;
    EXPECT_EQ(stars, 5u) << line;
  }
  EXPECT_TRUE(IsSecretLogKey("SMTP_PASSWORD"));
  EXPECT_TRUE(IsSecretLogKey("credentials"));
  EXPECT_FALSE(IsSecretLogKey("tenant"));
}

TEST(LogTest, MinimumLevelFilters) {
  std::vector<std::string> lines;
  Logger logger([&](std::string_view l) { lines.emplace_back(l); }, [] { return kNoon; });
  logger.Log(LogLevel::kDebug, "hidden");
  logger.Log(LogLevel::kInfo, "shown");
  logger.Configure(LogFormat::kJson, LogLevel::kWarn);
  logger.Log(LogLevel::kInfo, "hidden too");
  logger.Log(LogLevel::kError, "bad", {{"token", "abc"}});
  EXPECT_FALSE(logger.Enabled(LogLevel::kInfo));
  EXPECT_TRUE(logger.Enabled(LogLevel::kWarn));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "ts=2026-11-24T15:00:00.000Z level=info msg=\"shown\"\n");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["token"], "***");
}

TEST(LogTest, ParsesNamesAndRejectsUnknownOnes) {
  EXPECT_EQ(LogLevelFromName("WARNING"), LogLevel::kWarn);
  EXPECT_EQ(LogLevelFromName("debug"), LogLevel::kDebug);
  EXPECT_FALSE(LogLevelFromName("verbose").has_value());
  EXPECT_EQ(LogFormatFromName("JSON"), LogFormat::kJson);
  EXPECT_FALSE(LogFormatFromName("xml").has_value());
  auto bad = ConfigureLogging("xml", "info");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("logfmt or json"), std::string::npos);
  EXPECT_FALSE(ConfigureLogging("json", "loud").ok());
  EXPECT_TRUE(ConfigureLogging("logfmt", "info").ok());
}

TEST(LogTest, ConcurrentEventsNeverInterleave) {
  std::string all;
  Logger logger([&](std::string_view l) { all.append(l); }, [] { return kNoon; });
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        logger.Log(LogLevel::kInfo, "event",
                   {{"thread", std::to_string(t)}, {"i", std::to_string(i)}});
      }
    });
  }
  for (auto& th : threads) th.join();
  std::istringstream in(all);
  std::string line;
  size_t count = 0;
  while (std::getline(in, line)) {
    bool ok = false;
    auto kv = ParseLogfmt(line, &ok);
    ASSERT_TRUE(ok) << line;
    ASSERT_EQ(kv.size(), 5u) << line;
    ++count;
  }
  EXPECT_EQ(count, 3000u);
}

}  // namespace
}  // namespace telsync
