#include "util/timezone.h"

#include <gtest/gtest.h>

#include <string>

namespace telsync {
namespace {

int64_t Utc(int64_t y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  return DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

TEST(TimeZoneTest, CivilDateRoundTrip) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  for (int64_t d : {-800000L, -1L, 0L, 59L, 11016L, 20000L, 2932896L}) {
    const CivilDate c = CivilFromDays(d);
    EXPECT_EQ(DaysFromCivil(c.year, c.month, c.day), d);
  }
  EXPECT_EQ(WeekdayFromDays(0), 4u);                           // Thursday
  EXPECT_EQ(WeekdayFromDays(DaysFromCivil(2026, 3, 29)), 0u);  // Sunday
  EXPECT_EQ(DaysInMonth(2100, 2), 28u);
  EXPECT_EQ(DaysInMonth(2000, 2), 29u);
}

TEST(TimeZoneTest, StockholmOffsets) {
  auto z = TimeZone::Load("Europe/Stockholm");
  ASSERT_TRUE(z.ok()) << z.error().message;
  EXPECT_EQ(z->OffsetAt(Utc(2026, 1, 15)), 3600);
  EXPECT_EQ(z->OffsetAt(Utc(2026, 3, 29, 0, 59)), 3600);
  EXPECT_EQ(z->OffsetAt(Utc(2026, 3, 29, 1, 0)), 7200);
  EXPECT_EQ(z->OffsetAt(Utc(2026, 10, 25, 0, 59)), 7200);
  EXPECT_EQ(z->OffsetAt(Utc(2026, 10, 25, 1, 0)), 3600);
  EXPECT_EQ(z->OffsetAt(Utc(2200, 7, 1)), 7200);  // the footer rule
  const auto gap = z->FromLocal(Utc(2026, 3, 29, 2, 30));
  EXPECT_EQ(gap.kind, LocalMapping::kSkipped);
  EXPECT_EQ(gap.first, Utc(2026, 3, 29, 1, 0));
  const auto twice = z->FromLocal(Utc(2026, 10, 25, 2, 30));
  EXPECT_EQ(twice.kind, LocalMapping::kRepeated);
  EXPECT_EQ(twice.first, Utc(2026, 10, 25, 0, 30));
  EXPECT_EQ(twice.second, Utc(2026, 10, 25, 1, 30));
  const auto once = z->FromLocal(Utc(2026, 6, 1, 12, 0));
  EXPECT_EQ(once.kind, LocalMapping::kUnique);
  EXPECT_EQ(once.first, Utc(2026, 6, 1, 10, 0));
}

TEST(TimeZoneTest, PosixRules) {
  auto ny = ParsePosixTz("EST5EDT,M3.2.0,M11.1.0");
  ASSERT_TRUE(ny.ok());
  EXPECT_EQ(ny->std_offset, -18000);
  EXPECT_EQ(ny->dst_offset, -14400);
  EXPECT_EQ(ny->start.month, 3);
  EXPECT_EQ(ny->start.week, 2);
  auto india = ParsePosixTz("<+0530>-5:30");
  ASSERT_TRUE(india.ok());
  EXPECT_EQ(india->std_offset, 19800);
  EXPECT_FALSE(india->has_dst);
  auto dublin = ParsePosixTz("IST-1GMT0,M10.5.0,M3.5.0/1");  // negative DST
  ASSERT_TRUE(dublin.ok());
  EXPECT_EQ(dublin->std_offset, 3600);
  EXPECT_EQ(dublin->dst_offset, 0);
  EXPECT_EQ(dublin->end.time, 3600);
  auto late = ParsePosixTz("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1");
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->start.time, -7200);
  for (const char* bad : {"", "E5", "EST", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0", "<+05",
                          "EST5EDT,M3.2.0,M11.1.0junk", "EST5EDT,J0,J100"}) {
    EXPECT_FALSE(ParsePosixTz(bad).ok()) << bad;
  }
}

TEST(TimeZoneTest, SouthernHemisphereRuleAfterTheTable) {
  auto z = TimeZone::Load("Australia/Sydney");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->OffsetAt(Utc(2100, 1, 15)), 39600);  // AEDT in January
  EXPECT_EQ(z->OffsetAt(Utc(2100, 7, 15)), 36000);  // AEST in July
}

TEST(TimeZoneTest, BadNamesAndFiles) {
  for (const char* name : {"", "/etc/passwd", "../etc/passwd", "Europe/../../etc", "a b"}) {
    auto z = TimeZone::Load(name);
    ASSERT_FALSE(z.ok()) << name;
    EXPECT_EQ(z.error().code, ErrorCode::kInvalid) << name;
  }
  auto missing = TimeZone::Load("Mars/Olympus_Mons");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(TimeZone::FromTzif("not a tzif file at all, not even close....", "x").ok());
  EXPECT_FALSE(TimeZone::FromTzif("", "x").ok());
  // A valid header whose data is cut short.
  std::string header = "TZif2" + std::string(15, '\0');
  for (uint32_t count : {0u, 0u, 0u, 5u, 1u, 4u}) {
    header += static_cast<char>(count >> 24);
    header += static_cast<char>(count >> 16);
    header += static_cast<char>(count >> 8);
    header += static_cast<char>(count);
  }
  auto cut = TimeZone::FromTzif(header + "abc", "x");
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message.find("not a valid TZif"), std::string::npos);
  EXPECT_TRUE(TimeZone::Load("UTC").ok());
  EXPECT_EQ(TimeZone::Load("UTC")->OffsetAt(Utc(2026, 6, 1)), 0);
}

}  // namespace
}  // namespace telsync
