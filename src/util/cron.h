// CronExpr: a 5-field cron expression and the next time it fires in a time zone (F18).
//
// Fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or JAN-DEC)
// day-of-week (0-7 or SUN-SAT; 0 and 7 are Sunday). Each field is "*", a value, a range
// "a-b", a step "*/n" or "a-b/n" or "a/n" (a to the field's end), or a comma list of these.
// Names are case-insensitive. Macros: @hourly, @daily (= @midnight), @weekly, @monthly,
// @yearly (= @annually). As in classic cron, when both day-of-month and day-of-week are
// restricted (neither starts with "*"), a day matches if EITHER matches.
//
// Times are wall-clock times in the given zone. Around DST changes each matching wall-clock
// minute fires once:
//   - a time that does not exist (spring forward, e.g. 02:30 in Europe/Stockholm on the
//     last Sunday of March) fires at the first instant after the gap (03:00 CEST);
//   - a time that happens twice (fall back) fires at its first occurrence only.
// CronExpr is an immutable value, safe to share between threads.
//
// In util, not schedule/: config/loader.cc checks a profile's `schedules:` with it, and
// config sits below schedule (docs/architecture.md, Module layers).
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"
#include "util/timezone.h"

namespace telsync {

class CronExpr {
 public:
  // Errors: kInvalid with a message naming the field and the reason, e.g.
  // `hour: 24 is out of range 0-23 in "0 24 * * *"`, or the field count.
  static Result<CronExpr> Parse(std::string_view text);

  // The first instant strictly after `after` (Unix seconds) at which the expression fires
  // in `zone`; nullopt if it never fires within the next 8 years (e.g. "0 0 31 2 *" is
  // refused by Parse, but "0 0 29 2 1" with its OR rule always fires).
  std::optional<int64_t> NextAfter(int64_t after, const TimeZone& zone) const;

  const std::string& text() const { return text_; }

 private:
  bool DayMatches(int64_t days) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1-31
  std::bitset<13> months_;   // 1-12
  std::bitset<7> weekdays_;  // 0-6, Sunday = 0
  bool day_star_ = false;    // day-of-month field started with "*"
  bool weekday_star_ = false;
};

}  // namespace telsync
