#include "admin/schedules.h"

#include <ctime>

#include "util/cron.h"
#include "util/timezone.h"

namespace telsync::admin {
namespace {

// "YYYY-MM-DD HH:MM +HH:MM" of `instant` at the zone's offset then.
std::string LocalText(int64_t instant, const TimeZone& zone) {
  const int32_t offset = zone.OffsetAt(instant);
  const std::time_t local = static_cast<std::time_t>(instant + offset);
  std::tm tm{};
  gmtime_r(&local, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
  const int32_t minutes = (offset < 0 ? -offset : offset) / 60;
  char zone_text[16];
  std::snprintf(zone_text, sizeof zone_text, " %c%02d:%02d", offset < 0 ? '-' : '+', minutes / 60,
                minutes % 60);
  return std::string(when) + zone_text;
}

}  // namespace

Result<std::vector<Occurrence>> NextOccurrences(const std::string& cron,
                                                const std::string& timezone, int64_t after,
                                                size_t count) {
  if (count < 1 || count > 20) return Error::Invalid("count must be 1..20").WithField("count");
  auto expr = CronExpr::Parse(cron);
  if (!expr.ok()) return Error::Invalid(expr.error().message).WithField("cron");
  TimeZone zone = TimeZone::Utc();
  if (!timezone.empty()) {
    auto loaded = TimeZone::Load(timezone);
    // An unknown zone is a bad request here, whatever the loader's code for it.
    if (!loaded.ok()) return Error::Invalid(loaded.error().message).WithField("timezone");
    zone = std::move(loaded).value();
  }
  std::vector<Occurrence> out;
  int64_t from = after;
  while (out.size() < count) {
    const std::optional<int64_t> next = expr->NextAfter(from, zone);
    if (!next) break;
    out.push_back({*next, LocalText(*next, zone)});
    from = *next;
  }
  return out;
}

}  // namespace telsync::admin
