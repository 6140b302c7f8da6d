#include "util/cron.h"

#include <gtest/gtest.h>

#include <string>

namespace telsync {
namespace {

int64_t Utc(int64_t y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  return DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

TimeZone Zone(const char* name) {
  auto z = TimeZone::Load(name);
  EXPECT_TRUE(z.ok()) << name;
  return z.ok() ? *z : TimeZone::Utc();
}

int64_t Next(const char* expr, int64_t after, const TimeZone& zone = TimeZone::Utc()) {
  auto e = CronExpr::Parse(expr);
  EXPECT_TRUE(e.ok()) << expr << ": " << (e.ok() ? "" : e.error().message);
  if (!e.ok()) return -1;
  return e->NextAfter(after, zone).value_or(-1);
}

TEST(CronTest, BasicFieldsListsRangesStepsNames) {
  const int64_t t = Utc(2026, 1, 1, 0, 0);  // a Thursday
  EXPECT_EQ(Next("0 2 * * *", t), Utc(2026, 1, 1, 2, 0));
  EXPECT_EQ(Next("* * * * *", t), Utc(2026, 1, 1, 0, 1));  // strictly after
  EXPECT_EQ(Next("*/15 * * * *", Utc(2026, 1, 1, 0, 16)), Utc(2026, 1, 1, 0, 30));
  EXPECT_EQ(Next("5,50 10-12 * * *", Utc(2026, 1, 1, 10, 51)), Utc(2026, 1, 1, 11, 5));
  EXPECT_EQ(Next("0 8-18/5 * * *", Utc(2026, 1, 1, 13, 0)), Utc(2026, 1, 1, 18, 0));
  EXPECT_EQ(Next("10/20 * * * *", Utc(2026, 1, 1, 0, 31)), Utc(2026, 1, 1, 0, 50));
  EXPECT_EQ(Next("0 0 1 mar *", t), Utc(2026, 3, 1));
  EXPECT_EQ(Next("0 0 * JUN-AUG MON", t), Utc(2026, 6, 1));  // 2026-06-01 is a Monday
  EXPECT_EQ(Next("30 12 * * 1-5", Utc(2026, 1, 2, 13, 0)), Utc(2026, 1, 5, 12, 30));  // Fri→Mon
  EXPECT_EQ(Next("0 0 * * 7", t), Utc(2026, 1, 4));                                   // 7 is Sunday
  EXPECT_EQ(Next("0 0 * * sun", t), Utc(2026, 1, 4));
  EXPECT_EQ(Next("0 0 29 2 *", t), Utc(2028, 2, 29));  // the next leap day
}

TEST(CronTest, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  const int64_t t = Utc(2026, 1, 1);
  EXPECT_EQ(Next("0 0 13 * *", t), Utc(2026, 1, 13));
  EXPECT_EQ(Next("0 0 13 * FRI", t), Utc(2026, 1, 2));  // the Friday comes first: OR
  EXPECT_EQ(Next("0 0 13 * FRI", Utc(2026, 1, 12)), Utc(2026, 1, 13));
  // A field starting with '*' is unrestricted: AND (odd days that are Mondays).
  EXPECT_EQ(Next("0 0 */2 * MON", t), Utc(2026, 1, 5));
  EXPECT_EQ(Next("0 0 */2 * MON", Utc(2026, 1, 6)), Utc(2026, 1, 19));
}

TEST(CronTest, Macros) {
  const int64_t t = Utc(2026, 1, 1, 0, 30);
  EXPECT_EQ(Next("@hourly", t), Utc(2026, 1, 1, 1, 0));
  EXPECT_EQ(Next("@daily", t), Utc(2026, 1, 2));
  EXPECT_EQ(Next("@midnight", t), Utc(2026, 1, 2));
  EXPECT_EQ(Next("@weekly", t), Utc(2026, 1, 4));
  EXPECT_EQ(Next("@MONTHLY", t), Utc(2026, 2, 1));
  EXPECT_EQ(Next("@yearly", t), Utc(2027, 1, 1));
  EXPECT_EQ(CronExpr::Parse("@daily")->text(), "@daily");
}

TEST(CronTest, BadExpressionsNameTheFieldAndReason) {
  const struct {
    const char* expr;
    const char* message;
  } kCases[] = {
      {"", "must have 5 fields"},
      {"0 2 * *", "must have 5 fields (minute hour day-of-month month day-of-week), got 4"},
      {"0 2 * * * *", "got 6"},
      {"60 * * * *", "minute: 60 is out of range 0-59"},
      {"0 24 * * *", "hour: 24 is out of range 0-23"},
      {"0 0 0 * *", "day-of-month: 0 is out of range 1-31"},
      {"0 0 * 13 *", "month: 13 is out of range 1-12"},
      {"0 0 * * 8", "day-of-week: 8 is out of range 0-7"},
      {"0 0 * FOO *", "month: unknown name \"FOO\""},
      {"0 0 * * MONDAY", "day-of-week: unknown name \"MONDAY\""},
      {"x * * * *", "minute: \"x\" is not a number"},
      {"*/0 * * * *", "minute: step 0 is out of range 1-60"},
      {"*/ * * * *", "minute: step \"\" is not a number"},
      {"/5 * * * *", "minute: a step needs a range"},
      {"0 5-2 * * *", "hour: range 5-2 runs backwards"},
      {"1,,2 * * * *", "minute: an empty list item"},
      {"0 0 31 4 *", "day-of-month: 31 never occurs in month 4"},
      {"0 0 30 FEB *", "never occurs"},
      {"@every", "unknown macro \"@every\""},
      {"0 -1 * * *", "hour:"},
  };
  for (const auto& c : kCases) {
    auto e = CronExpr::Parse(c.expr);
    ASSERT_FALSE(e.ok()) << c.expr;
    EXPECT_EQ(e.error().code, ErrorCode::kInvalid);
    EXPECT_NE(e.error().message.find(c.message), std::string::npos)
        << c.expr << " -> " << e.error().message;
  }
  // The OR rule keeps "31 in April" possible when a weekday is also named.
  EXPECT_TRUE(CronExpr::Parse("0 0 31 4 MON").ok());
}

TEST(CronTest, StockholmSpringForwardRunsOnceAtTheNextValidInstant) {
  const TimeZone z = Zone("Europe/Stockholm");
  // 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00 UTC; 02:30 does not exist.
  const int64_t first = Next("30 2 * * *", Utc(2026, 3, 28, 12), z);
  EXPECT_EQ(first, Utc(2026, 3, 29, 1, 0));
  EXPECT_EQ(Next("30 2 * * *", first, z), Utc(2026, 3, 30, 0, 30));  // 02:30 CEST
  // A job at 03:00 the same day shares the instant and is not run twice.
  EXPECT_EQ(Next("0 3 * * *", first, z), Utc(2026, 3, 30, 1, 0));
  // Hourly: 01:00 CET, then the skipped 02:00 at 03:00 CEST, then 04:00 CEST.
  EXPECT_EQ(Next("0 * * * *", Utc(2026, 3, 29, 0, 0), z), Utc(2026, 3, 29, 1, 0));
  EXPECT_EQ(Next("0 * * * *", Utc(2026, 3, 29, 1, 0), z), Utc(2026, 3, 29, 2, 0));
}

TEST(CronTest, StockholmFallBackRunsOnce) {
  const TimeZone z = Zone("Europe/Stockholm");
  // 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:30 happens twice.
  const int64_t first = Next("30 2 * * *", Utc(2026, 10, 24, 12), z);
  EXPECT_EQ(first, Utc(2026, 10, 25, 0, 30));  // 02:30 CEST, the first occurrence
  EXPECT_EQ(Next("30 2 * * *", first, z), Utc(2026, 10, 26, 1, 30));  // not 01:30 UTC today
  // Restarted inside the second pass of the hour: the time has already fired.
  EXPECT_EQ(Next("30 2 * * *", Utc(2026, 10, 25, 1, 15), z), Utc(2026, 10, 26, 1, 30));
  EXPECT_EQ(Next("0 12 * * *", Utc(2026, 10, 25, 0, 0), z), Utc(2026, 10, 25, 11, 0));
}

TEST(CronTest, NewYorkDst) {
  const TimeZone z = Zone("America/New_York");
  // 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
  EXPECT_EQ(Next("30 2 * * *", Utc(2026, 3, 7, 12), z), Utc(2026, 3, 8, 7, 0));
  EXPECT_EQ(Next("30 2 * * *", Utc(2026, 3, 8, 7, 0), z), Utc(2026, 3, 9, 6, 30));
  // 2026-11-01: 02:00 EDT becomes 01:00 EST at 06:00 UTC; 01:30 happens twice.
  const int64_t first = Next("30 1 * * *", Utc(2026, 10, 31, 12), z);
  EXPECT_EQ(first, Utc(2026, 11, 1, 5, 30));
  EXPECT_EQ(Next("30 1 * * *", first, z), Utc(2026, 11, 2, 6, 30));
  EXPECT_EQ(Next("0 9 * * MON-FRI", Utc(2026, 11, 1, 12), z), Utc(2026, 11, 2, 14, 0));
}

TEST(CronTest, FarFutureUsesTheFooterRule) {
  const TimeZone z = Zone("Europe/Stockholm");
  EXPECT_EQ(Next("0 12 1 7 *", Utc(2100, 1, 1), z), Utc(2100, 7, 1, 10, 0));    // CEST
  EXPECT_EQ(Next("0 12 1 12 *", Utc(2100, 1, 1), z), Utc(2100, 12, 1, 11, 0));  // CET
}

}  // namespace
}  // namespace telsync
