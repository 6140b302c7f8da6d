// TimeZone: an IANA time zone read from a TZif file (RFC 8536), for the scheduler.
//
// g++ 12's libstdc++ has no std::chrono::tzdb, so this reads /usr/share/zoneinfo (or
// $TZDIR) itself: the version 2+ 64-bit section (the version 1 section only as a
// fallback), and the POSIX TZ footer rule (e.g. "CET-1CEST,M3.5.0,M10.5.0/3") for
// instants after the last transition of the table, which "slim" files end early.
// Leap seconds are ignored (POSIX time has none).
//
// A TimeZone is an immutable value; copies share nothing mutable, so it may be read from
// several threads. All instants are Unix seconds (UTC); offsets are seconds east of UTC.
//
// In util, not schedule/: config/loader.cc checks a profile's `timezone:` with it, and
// config sits below schedule (docs/architecture.md, Module layers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace telsync {

// A rule of a POSIX TZ string: standard offset, and optionally a daylight offset with the
// dates it starts and ends each year.
struct PosixTzRule {
  int32_t std_offset = 0;  // seconds east of UTC
  bool has_dst = false;
  int32_t dst_offset = 0;
  struct Date {
    char kind = 'M';  // 'J' (1..365, no Feb 29), 'D' (0..365 counting Feb 29), 'M'
    int month = 0, week = 0, weekday = 0;  // for 'M': month 1-12, week 1-5 (5 = last), 0=Sun
    int day = 0;                           // for 'J' and 'D'
    int32_t time = 7200;                   // local seconds after midnight (may be <0 or >24h)
  };
  Date start, end;
};

// Parses a POSIX TZ string (the TZif footer). Errors: kInvalid naming the problem.
Result<PosixTzRule> ParsePosixTz(std::string_view text);

// How a local civil time maps to instants.
struct LocalMapping {
  enum Kind { kUnique, kRepeated, kSkipped } kind = kUnique;
  int64_t first = 0;   // the instant (kUnique), the earlier one (kRepeated), or for
                       // kSkipped the first valid instant after the gap (the transition)
  int64_t second = 0;  // kRepeated: the later instant; otherwise equal to first
};

class TimeZone {
 public:
  // UTC, without reading any file.
  static TimeZone Utc();
  // Reads $TZDIR/<name> or /usr/share/zoneinfo/<name>. Errors: kInvalid for a name that
  // is not a zone name ("../x", "", absolute), kNotFound when no such zone file exists,
  // kInvalid when the file is not valid TZif.
  static Result<TimeZone> Load(std::string_view name);
  // Parses TZif bytes. Errors: kInvalid naming what is wrong (truncated, bad magic...).
  static Result<TimeZone> FromTzif(std::string_view bytes, std::string name);

  const std::string& name() const { return name_; }

  // The UTC offset in effect at `instant`.
  int32_t OffsetAt(int64_t instant) const;

  // The instants at which the wall clock reads `local` (local civil seconds counted from
  // 1970-01-01 00:00 as if it were UTC). A civil time in a spring-forward gap maps to the
  // first instant after the gap; one in a fall-back overlap to both instants.
  LocalMapping FromLocal(int64_t local) const;

 private:
  struct Type {
    int32_t offset = 0;
    bool dst = false;
  };
  int32_t RuleOffsetAt(int64_t instant) const;

  std::string name_;
  std::vector<int64_t> transitions_;  // ascending
  std::vector<uint8_t> type_of_;      // type index per transition
  std::vector<Type> types_;
  std::optional<PosixTzRule> rule_;  // for instants after the last transition
};

// Civil-date helpers (proleptic Gregorian), also used by the cron matcher.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
struct CivilDate {
  int64_t year;
  unsigned month;  // 1-12
  unsigned day;    // 1-31
};
CivilDate CivilFromDays(int64_t days);
// 0 = Sunday.
unsigned WeekdayFromDays(int64_t days);
bool IsLeapYear(int64_t year);
unsigned DaysInMonth(int64_t year, unsigned month);

}  // namespace telsync
