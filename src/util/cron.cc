#include "util/cron.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <sstream>
#include <vector>

namespace telsync {
namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const char* const* names;  // nullptr, or names for min..max (index = value - min)
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};

constexpr FieldSpec kFields[] = {
    {"minute", 0, 59, nullptr},       {"hour", 0, 23, nullptr},
    {"day-of-month", 1, 31, nullptr}, {"month", 1, 12, kMonthNames},
    {"day-of-week", 0, 7, kDayNames},
};

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

// A value of the field: a number or (month, weekday) a three-letter name.
Result<int> Value(std::string_view word, const FieldSpec& spec) {
  if (word.empty()) return Error::Invalid("a value is missing");
  if (spec.names != nullptr && std::isalpha(static_cast<unsigned char>(word[0]))) {
    std::string upper(word);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (int v = spec.min; v <= spec.max; ++v) {
      if (upper == spec.names[v - spec.min]) return v;
    }
    return Error::Invalid("unknown name \"" + std::string(word) + "\"");
  }
  int v = 0;
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
  if (ec != std::errc() || end != word.data() + word.size()) {
    return Error::Invalid("\"" + std::string(word) + "\" is not a number");
  }
  if (v < spec.min || v > spec.max) {
    return Error::Invalid(std::to_string(v) + " is out of range " + std::to_string(spec.min) + "-" +
                          std::to_string(spec.max));
  }
  return v;
}

// The set of values of one field, as a 64-bit mask (bit v = value v).
Result<uint64_t> ParseField(std::string_view text, const FieldSpec& spec) {
  uint64_t mask = 0;
  for (std::string_view part : Split(text, ',')) {
    if (part.empty()) return Error::Invalid("an empty list item");
    int step = 1;
    if (const size_t slash = part.find('/'); slash != std::string_view::npos) {
      const std::string_view step_text = part.substr(slash + 1);
      const auto [end, ec] =
          std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (ec != std::errc() || end != step_text.data() + step_text.size() || step_text.empty()) {
        return Error::Invalid("step \"" + std::string(step_text) + "\" is not a number");
      }
      if (step < 1 || step > spec.max - spec.min + 1) {
        return Error::Invalid("step " + std::to_string(step) + " is out of range 1-" +
                              std::to_string(spec.max - spec.min + 1));
      }
      part = part.substr(0, slash);
      if (part.empty()) return Error::Invalid("a step needs a range before it, e.g. */5");
    }
    int lo = spec.min;
    int hi = spec.max;
    if (part != "*") {
      const size_t dash = part.find('-');
      auto a = Value(part.substr(0, dash), spec);
      if (!a.ok()) return a.error();
      lo = *a;
      if (dash != std::string_view::npos) {
        auto b = Value(part.substr(dash + 1), spec);
        if (!b.ok()) return b.error();
        hi = *b;
        if (hi < lo) {
          return Error::Invalid("range " + std::string(part) + " runs backwards");
        }
      } else if (step == 1) {
        hi = lo;  // a single value; "a/n" means a to the end of the field
      }
    }
    for (int v = lo; v <= hi; v += step) mask |= uint64_t{1} << v;
  }
  return mask;
}

}  // namespace

Result<CronExpr> CronExpr::Parse(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  std::istringstream words{std::string(text)};
  std::vector<std::string> fields;
  for (std::string w; words >> w;) fields.push_back(w);
  if (fields.size() == 1 && fields[0].front() == '@') {
    std::string macro = fields[0];
    for (char& c : macro) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    static const std::pair<const char*, const char*> kMacros[] = {
        {"@hourly", "0 * * * *"},   {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
        {"@weekly", "0 0 * * 0"},   {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
        {"@annually", "0 0 1 1 *"},
    };
    for (const auto& [name, expansion] : kMacros) {
      if (macro == name) {
        auto expr = Parse(expansion);
        if (expr.ok()) expr->text_ = std::string(text);
        return expr;
      }
    }
    return Error::Invalid("unknown macro " + quoted +
                          " (use @hourly, @daily, @weekly, @monthly or @yearly)");
  }
  if (fields.size() != 5) {
    return Error::Invalid("must have 5 fields (minute hour day-of-month month day-of-week), got " +
                          std::to_string(fields.size()) + " in " + quoted);
  }
  CronExpr expr;
  expr.text_ = std::string(text);
  std::array<uint64_t, 5> masks{};
  for (size_t i = 0; i < 5; ++i) {
    auto mask = ParseField(fields[i], kFields[i]);
    if (!mask.ok()) {
      return Error::Invalid(std::string(kFields[i].name) + ": " + mask.error().message + " in " +
                            quoted);
    }
    masks[i] = *mask;
  }
  expr.minutes_ = std::bitset<60>(masks[0]);
  expr.hours_ = std::bitset<24>(masks[1]);
  expr.days_ = std::bitset<32>(masks[2]);
  expr.months_ = std::bitset<13>(masks[3]);
  // 7 is Sunday too.
  expr.weekdays_ = std::bitset<7>((masks[4] | (masks[4] >> 7)) & 0x7f);
  expr.day_star_ = fields[2].front() == '*';
  expr.weekday_star_ = fields[4].front() == '*';
  if (expr.weekday_star_) {
    // Only the day of month decides: refuse a day that no chosen month has ("31 4").
    bool possible = false;
    for (unsigned m = 1; m <= 12; ++m) {
      if (!expr.months_[m]) continue;
      for (unsigned d = 1; d <= DaysInMonth(2000, m); ++d) possible |= expr.days_[d];
    }
    if (!possible) {
      return Error::Invalid("day-of-month: " + fields[2] + " never occurs in month " + fields[3] +
                            " in " + quoted);
    }
  }
  return expr;
}

bool CronExpr::DayMatches(int64_t days) const {
  const CivilDate date = CivilFromDays(days);
  if (!months_[date.month]) return false;
  const bool dom = days_[date.day];
  const bool dow = weekdays_[WeekdayFromDays(days)];
  // Classic cron: both restricted means either may match.
  if (!day_star_ && !weekday_star_) return dom || dow;
  return dom && dow;
}

std::optional<int64_t> CronExpr::NextAfter(int64_t after, const TimeZone& zone) const {
  const int64_t local_after = after + zone.OffsetAt(after);
  // The first whole local minute after `after`.
  const int64_t start = (local_after >= 0 ? local_after / 60 : (local_after - 59) / 60) * 60 + 60;
  const int64_t first_day = (start >= 0 ? start : start - 86399) / 86400;
  constexpr int64_t kSearchDays = 8 * 366;
  for (int64_t day = first_day; day < first_day + kSearchDays; ++day) {
    if (!DayMatches(day)) continue;
    for (int h = 0; h < 24; ++h) {
      if (!hours_[h]) continue;
      for (int m = 0; m < 60; ++m) {
        if (!minutes_[m]) continue;
        const int64_t local = day * 86400 + h * 3600 + m * 60;
        if (local < start) continue;
        // A repeated wall-clock time fires at its first instant only; if that is already
        // past (we are in the second pass of the hour), it has fired.
        const LocalMapping at = zone.FromLocal(local);
        if (at.first > after) return at.first;
      }
    }
  }
  return std::nullopt;
}

}  // namespace telsync
