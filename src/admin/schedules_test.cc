#include "admin/schedules.h"

#include <gtest/gtest.h>

namespace telsync::admin {
namespace {

constexpr int64_t kNow = 1'790'000'000;  // 2026-09-21 14:13:20 UTC

std::vector<std::string> Local(const std::vector<Occurrence>& list) {
  std::vector<std::string> out;
  for (const Occurrence& o : list) out.push_back(o.local);
  return out;
}

TEST(SchedulesTest, TheNextFiveInTheProfilesZoneAcrossTheDstChange) {
  // 02:00 every day in Stockholm: CEST (+02:00) until the last Sunday of October.
  auto next = NextOccurrences("0 2 * * *", "Europe/Stockholm", kNow, 5);
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(Local(*next),
            (std::vector<std::string>{"2026-09-22 02:00 +02:00", "2026-09-23 02:00 +02:00",
                                      "2026-09-24 02:00 +02:00", "2026-09-25 02:00 +02:00",
                                      "2026-09-26 02:00 +02:00"}));
  EXPECT_EQ((*next)[0].at, 1'790'035'200);  // 2026-09-22 00:00 UTC
  // Around 25 October 2026 the offset changes to +01:00.
  auto october = NextOccurrences("30 2 * * *", "Europe/Stockholm", 1'792'800'000, 3);
  ASSERT_TRUE(october.ok());
  EXPECT_EQ(Local(*october),
            (std::vector<std::string>{"2026-10-24 02:30 +02:00", "2026-10-25 02:30 +02:00",
                                      "2026-10-26 02:30 +01:00"}));
  auto utc = NextOccurrences("@hourly", "", kNow, 2);
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ(Local(*utc),
            (std::vector<std::string>{"2026-09-21 15:00 +00:00", "2026-09-21 16:00 +00:00"}));
}

TEST(SchedulesTest, ErrorsNameTheirField) {
  struct Case {
    std::string cron, zone;
    size_t count;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{{"0 24 * * *", "UTC", 5, "cron"},
                                         {"0 2 * * *", "Mars/Olympus", 5, "timezone"},
                                         {"0 2 * * *", "../etc/passwd", 5, "timezone"},
                                         {"0 2 * * *", "UTC", 0, "count"},
                                         {"0 2 * * *", "UTC", 21, "count"}}) {
    auto next = NextOccurrences(c.cron, c.zone, kNow, c.count);
    ASSERT_FALSE(next.ok()) << c.cron << " " << c.zone;
    EXPECT_EQ(next.error().code, ErrorCode::kInvalid);
    EXPECT_EQ(next.error().field, c.field) << c.cron << " " << c.zone;
  }
}

}  // namespace
}  // namespace telsync::admin
