#include "util/timezone.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace telsync {

int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  // The days-from-civil algorithm over 400-year eras (H. Hinnant, "chrono-compatible
  // low-level date algorithms"), rewritten here.
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t yoe = year - era * 400;
  const int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

unsigned WeekdayFromDays(int64_t days) {
  // 1970-01-01 was a Thursday (4).
  return static_cast<unsigned>(((days % 7) + 7 + 4) % 7);
}

bool IsLeapYear(int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

unsigned DaysInMonth(int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[(month - 1) % 12];
}

namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

class PosixParser {
 public:
  explicit PosixParser(std::string_view text) : s_(text) {}

  Result<PosixTzRule> Parse() {
    PosixTzRule rule;
    if (!Name()) return Fail("a zone abbreviation (3+ letters or <...>)");
    auto std_offset = Offset();
    if (!std_offset) return Fail("the standard offset");
    rule.std_offset = -*std_offset;  // POSIX counts hours west of Greenwich
    if (i_ == s_.size()) return rule;
    if (!Name()) return Fail("a daylight abbreviation");
    rule.has_dst = true;
    rule.dst_offset = rule.std_offset + 3600;
    if (i_ < s_.size() && s_[i_] != ',') {
      auto dst_offset = Offset();
      if (!dst_offset) return Fail("the daylight offset");
      rule.dst_offset = -*dst_offset;
    }
    if (i_ == s_.size()) {
      // No dates: POSIX leaves them to the implementation; tzcode uses the US rules.
      rule.start = {'M', 3, 2, 0, 0, 7200};
      rule.end = {'M', 11, 1, 0, 0, 7200};
      return rule;
    }
    if (s_[i_] != ',') return Fail("',' before the start date");
    ++i_;
    if (!Date(rule.start)) return Fail("the start date");
    if (i_ >= s_.size() || s_[i_] != ',') return Fail("',' before the end date");
    ++i_;
    if (!Date(rule.end)) return Fail("the end date");
    if (i_ != s_.size()) return Fail("the end of the rule");
    return rule;
  }

 private:
  Error Fail(const std::string& what) const {
    return Error::Invalid("bad POSIX TZ rule \"" + std::string(s_) + "\": expected " + what +
                          " at offset " + std::to_string(i_));
  }

  bool Name() {
    if (i_ < s_.size() && s_[i_] == '<') {
      const size_t close = s_.find('>', i_);
      if (close == std::string_view::npos || close - i_ < 4) return false;
      i_ = close + 1;
      return true;
    }
    const size_t start = i_;
    while (i_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[i_]))) ++i_;
    return i_ - start >= 3;
  }

  std::optional<int> Number(int max) {
    const size_t start = i_;
    int v = 0;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])) && i_ - start < 3) {
      v = v * 10 + (s_[i_++] - '0');
    }
    if (i_ == start || v > max) return std::nullopt;
    return v;
  }

  // [+-]hh[:mm[:ss]] in seconds.
  std::optional<int32_t> Offset(int max_hours = 24) {
    int sign = 1;
    if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) sign = s_[i_++] == '-' ? -1 : 1;
    auto h = Number(max_hours);
    if (!h) return std::nullopt;
    int32_t secs = *h * 3600;
    for (int mult : {60, 1}) {
      if (i_ >= s_.size() || s_[i_] != ':') break;
      ++i_;
      auto part = Number(59);
      if (!part) return std::nullopt;
      secs += *part * mult;
    }
    return sign * secs;
  }

  bool Date(PosixTzRule::Date& d) {
    if (i_ < s_.size() && s_[i_] == 'M') {
      ++i_;
      d.kind = 'M';
      auto m = Number(12);
      if (!m || *m < 1 || i_ >= s_.size() || s_[i_++] != '.') return false;
      auto w = Number(5);
      if (!w || *w < 1 || i_ >= s_.size() || s_[i_++] != '.') return false;
      auto wd = Number(6);
      if (!wd) return false;
      d.month = *m, d.week = *w, d.weekday = *wd;
    } else if (i_ < s_.size() && s_[i_] == 'J') {
      ++i_;
      d.kind = 'J';
      auto n = Number(365);
      if (!n || *n < 1) return false;
      d.day = *n;
    } else {
      d.kind = 'D';
      auto n = Number(365);
      if (!n) return false;
      d.day = *n;
    }
    d.time = 7200;
    if (i_ < s_.size() && s_[i_] == '/') {
      ++i_;
      auto t = Offset(167);  // RFC 8536 allows -167..167 hours
      if (!t) return false;
      d.time = *t;
    }
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// Local seconds (since the epoch, as if UTC) at which a rule date falls in `year`.
int64_t RuleLocal(const PosixTzRule::Date& d, int64_t year) {
  int64_t days = 0;
  if (d.kind == 'J') {
    days = DaysFromCivil(year, 1, 1) + d.day - 1 + (IsLeapYear(year) && d.day >= 60 ? 1 : 0);
  } else if (d.kind == 'D') {
    days = DaysFromCivil(year, 1, 1) + d.day;
  } else {
    const auto month = static_cast<unsigned>(d.month);
    const int64_t first = DaysFromCivil(year, month, 1);
    const int wd = static_cast<int>(WeekdayFromDays(first));
    int day = 1 + (d.weekday - wd + 7) % 7 + (d.week - 1) * 7;
    while (day > static_cast<int>(DaysInMonth(year, month))) day -= 7;
    days = first + day - 1;
  }
  return days * 86400 + d.time;
}

uint32_t Be32(std::string_view b, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(b[at])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 3]));
}

int64_t Be64(std::string_view b, size_t at) {
  return static_cast<int64_t>((static_cast<uint64_t>(Be32(b, at)) << 32) | Be32(b, at + 4));
}

struct TzifHeader {
  char version = 0;
  uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
  size_t DataSize(size_t time_size) const {
    return timecnt * time_size + timecnt + typecnt * 6 + charcnt + leapcnt * (time_size + 4) +
           isstdcnt + isutcnt;
  }
};

std::optional<TzifHeader> ReadHeader(std::string_view b, size_t at) {
  if (b.size() < at + 44 || b.substr(at, 4) != "TZif") return std::nullopt;
  TzifHeader h;
  h.version = b[at + 4];
  h.isutcnt = Be32(b, at + 20);
  h.isstdcnt = Be32(b, at + 24);
  h.leapcnt = Be32(b, at + 28);
  h.timecnt = Be32(b, at + 32);
  h.typecnt = Be32(b, at + 36);
  h.charcnt = Be32(b, at + 40);
  // RFC 8536 3.1 bounds; they also keep the size arithmetic far from overflow.
  if (h.typecnt == 0 || h.typecnt > 256 || h.timecnt > 1'000'000 || h.leapcnt > 100'000 ||
      h.charcnt > 100'000 || (h.isutcnt != 0 && h.isutcnt != h.typecnt) ||
      (h.isstdcnt != 0 && h.isstdcnt != h.typecnt)) {
    return std::nullopt;
  }
  return h;
}

}  // namespace

Result<PosixTzRule> ParsePosixTz(std::string_view text) { return PosixParser(text).Parse(); }

TimeZone TimeZone::Utc() {
  TimeZone z;
  z.name_ = "UTC";
  z.types_.push_back({0, false});
  return z;
}

Result<TimeZone> TimeZone::FromTzif(std::string_view b, std::string name) {
  auto bad = [&](const std::string& why) {
    return Error::Invalid("time zone " + name + ": not a valid TZif file (" + why + ")");
  };
  auto h = ReadHeader(b, 0);
  if (!h) return bad("bad header");
  size_t at = 44;
  size_t time_size = 4;
  if (h->version >= '2') {
    // Skip the 32-bit section: the 64-bit one that follows covers all instants.
    at += h->DataSize(4);
    h = ReadHeader(b, at);
    if (!h) return bad("bad second header");
    at += 44;
    time_size = 8;
  }
  if (b.size() < at + h->DataSize(time_size)) return bad("truncated");
  TimeZone z;
  z.name_ = std::move(name);
  z.transitions_.reserve(h->timecnt);
  for (uint32_t i = 0; i < h->timecnt; ++i) {
    const int64_t t =
        time_size == 8 ? Be64(b, at + i * 8) : static_cast<int32_t>(Be32(b, at + i * 4));
    if (!z.transitions_.empty() && t <= z.transitions_.back()) return bad("unordered times");
    z.transitions_.push_back(t);
  }
  at += h->timecnt * time_size;
  for (uint32_t i = 0; i < h->timecnt; ++i) {
    const auto idx = static_cast<uint8_t>(b[at + i]);
    if (idx >= h->typecnt) return bad("type index out of range");
    z.type_of_.push_back(idx);
  }
  at += h->timecnt;
  for (uint32_t i = 0; i < h->typecnt; ++i) {
    const auto offset = static_cast<int32_t>(Be32(b, at + i * 6));
    if (offset <= -89999 || offset >= 93600) return bad("offset out of range");
    z.types_.push_back({offset, b[at + i * 6 + 4] != 0});
  }
  at += h->DataSize(time_size) - h->timecnt * (time_size + 1);
  if (time_size == 8 && at < b.size() && b[at] == '\n') {
    const size_t end = b.find('\n', at + 1);
    if (end == std::string_view::npos) return bad("unterminated footer");
    const std::string_view footer = b.substr(at + 1, end - at - 1);
    if (!footer.empty()) {
      auto rule = ParsePosixTz(footer);
      if (!rule.ok()) return bad(rule.error().message);
      z.rule_ = *rule;
    }
  }
  return z;
}

Result<TimeZone> TimeZone::Load(std::string_view name) {
  const std::string n(name);
  const bool bad_name = n.empty() || n.front() == '/' || n.find("..") != std::string::npos ||
                        std::any_of(n.begin(), n.end(), [](char c) {
                          return !(std::isalnum(static_cast<unsigned char>(c)) || c == '/' ||
                                   c == '_' || c == '-' || c == '+');
                        });
  if (bad_name) return Error::Invalid("\"" + n + "\" is not an IANA time zone name");
  const char* dir = std::getenv("TZDIR");
  const std::filesystem::path path =
      std::filesystem::path(dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo") / n;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Error::NotFound("unknown time zone \"" + n + "\" (no " + path.string() + ")");
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes;
  bytes.assign(std::istreambuf_iterator<char>(in), {});
  if (bytes.size() > (1 << 20))
    return Error::Invalid("time zone file " + path.string() + " is too large");
  return FromTzif(bytes, n);
}

int32_t TimeZone::RuleOffsetAt(int64_t instant) const {
  const PosixTzRule& r = *rule_;
  if (!r.has_dst) return r.std_offset;
  const int64_t year = CivilFromDays(FloorDiv(instant + r.std_offset, 86400)).year;
  // The start is given in standard time, the end in daylight time (POSIX).
  const int64_t start = RuleLocal(r.start, year) - r.std_offset;
  const int64_t end = RuleLocal(r.end, year) - r.dst_offset;
  const bool dst = start < end ? (instant >= start && instant < end)
                               : !(instant >= end && instant < start);  // southern hemisphere
  return dst ? r.dst_offset : r.std_offset;
}

int32_t TimeZone::OffsetAt(int64_t instant) const {
  if (transitions_.empty() || instant >= transitions_.back()) {
    if (rule_) return RuleOffsetAt(instant);
    if (transitions_.empty()) return types_.front().offset;
  }
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), instant);
  if (it == transitions_.begin()) return types_.front().offset;  // RFC 8536: type 0
  return types_[type_of_[static_cast<size_t>(it - transitions_.begin() - 1)]].offset;
}

LocalMapping TimeZone::FromLocal(int64_t local) const {
  // Real zones change offset at most once within a day either side of any instant, so
  // the offsets a day before and a day after are the only candidates.
  const int32_t before = OffsetAt(local - 86400);
  const int32_t after = OffsetAt(local + 86400);
  const int64_t with_before = local - before;
  const int64_t with_after = local - after;
  const bool before_ok = OffsetAt(with_before) == before;
  const bool after_ok = OffsetAt(with_after) == after;
  if (before == after || (before_ok && !after_ok))
    return {LocalMapping::kUnique, with_before, with_before};
  if (after_ok && !before_ok) return {LocalMapping::kUnique, with_after, with_after};
  if (before_ok && after_ok) {
    return {LocalMapping::kRepeated, std::min(with_before, with_after),
            std::max(with_before, with_after)};
  }
  // A gap: the clock jumped over `local`. The first instant with the new offset is the
  // transition; find it between the two candidates.
  int64_t lo = std::min(with_before, with_after);  // still the old offset
  int64_t hi = std::max(with_before, with_after);  // already the new offset
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (OffsetAt(mid) == after ? hi : lo) = mid;
  }
  return {LocalMapping::kSkipped, hi, hi};
}

}  // namespace telsync
