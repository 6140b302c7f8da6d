#include "schedule/scheduler.h"

#include <utility>

namespace telsync {

Scheduler::Scheduler(Clock clock, Launcher launcher)
    : clock_(std::move(clock)), launcher_(std::move(launcher)) {}

void Scheduler::AddTimeZone(TimeZone zone) {
  std::lock_guard lock(mu_);
  const std::string name = zone.name();
  zones_.insert_or_assign(name, std::move(zone));
}

Status Scheduler::SetProfile(const std::string& profile, const std::vector<std::string>& schedules,
                             const std::string& timezone, std::optional<int64_t> last_fired) {
  std::vector<CronExpr> crons;
  for (size_t i = 0; i < schedules.size(); ++i) {
    auto expr = CronExpr::Parse(schedules[i]);
    if (!expr.ok()) {
      return Error::Invalid("schedules[" + std::to_string(i) + "]: " + expr.error().message,
                            profile);
    }
    crons.push_back(std::move(expr).value());
  }
  bool known_zone = false;
  {
    std::lock_guard lock(mu_);
    known_zone = zones_.count(timezone) != 0;
  }
  if (!known_zone) {
    // Read outside the lock: a file read must not stall Tick().
    auto zone = timezone == "UTC" ? Result<TimeZone>(TimeZone::Utc()) : TimeZone::Load(timezone);
    if (!zone.ok()) return Error::Invalid("timezone: " + zone.error().message, profile);
    AddTimeZone(std::move(zone).value());
  }
  const int64_t now = clock_();
  std::lock_guard lock(mu_);
  Entry& e = profiles_[profile];
  e.crons = std::move(crons);
  e.zone = timezone;
  if (last_fired) e.state.last_fired = last_fired;
  // Occurrences missed since the last firing collapse into one run at the next Tick():
  // next_run is then in the past.
  e.state.next_run = NextAfter(e, e.state.last_fired.value_or(now));
  return Ok();
}

void Scheduler::RemoveProfile(const std::string& profile) {
  std::lock_guard lock(mu_);
  profiles_.erase(profile);
}

std::optional<int64_t> Scheduler::NextAfter(const Entry& e, int64_t after) const {
  const auto zone = zones_.find(e.zone);
  if (zone == zones_.end()) return std::nullopt;
  std::optional<int64_t> next;
  for (const auto& cron : e.crons) {
    const auto n = cron.NextAfter(after, zone->second);
    if (n && (!next || *n < *next)) next = n;
  }
  return next;
}

bool Scheduler::Launch(const std::string& profile, const std::string& trigger) {
  Status started = launcher_(profile, trigger);
  if (started.ok()) return true;
  std::lock_guard lock(mu_);
  auto it = profiles_.find(profile);
  if (it == profiles_.end()) return false;
  it->second.state.running = false;
  it->second.state.last_error = started.error().message;
  return false;
}

size_t Scheduler::Tick() {
  const int64_t now = clock_();
  std::vector<std::string> due;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, e] : profiles_) {
      if (!e.state.next_run || *e.state.next_run > now) continue;
      e.state.last_fired = now;
      // The latest occurrence due, so that a restart that reads the slot back finds
      // nothing more missed (bounded: a once-a-minute schedule down for ten weeks).
      int64_t slot = *e.state.next_run;
      for (int i = 0; i < 100000; ++i) {
        const std::optional<int64_t> later = NextAfter(e, slot);
        if (!later || *later > now) break;
        slot = *later;
      }
      e.state.last_slot = slot;
      // From now, not from the due instant: every missed occurrence is skipped at once.
      e.state.next_run = NextAfter(e, now);
      if (e.state.running) {
        e.state.follow_up = true;
        e.follow_up_trigger = "schedule";
        continue;
      }
      e.state.running = true;
      due.push_back(name);
    }
  }
  size_t started = 0;
  for (const auto& name : due) started += Launch(name, "schedule") ? 1 : 0;
  return started;
}

Scheduler::SyncNowResult Scheduler::SyncNow(const std::string& profile,
                                            const std::string& trigger) {
  {
    std::lock_guard lock(mu_);
    auto it = profiles_.find(profile);
    if (it == profiles_.end()) return SyncNowResult::kFailed;
    ProfileState& s = it->second.state;
    if (s.running) {
      s.follow_up = true;
      it->second.follow_up_trigger = trigger;
      return SyncNowResult::kCoalesced;
    }
    s.running = true;
  }
  return Launch(profile, trigger) ? SyncNowResult::kStarted : SyncNowResult::kFailed;
}

bool Scheduler::Finished(const std::string& profile, bool success, int64_t finished_at,
                         std::string error) {
  std::string trigger;
  {
    std::lock_guard lock(mu_);
    auto it = profiles_.find(profile);
    if (it == profiles_.end()) return false;
    ProfileState& s = it->second.state;
    s.running = false;
    s.last_error = std::move(error);
    if (success) s.last_success = finished_at;
    if (!s.follow_up) return false;
    s.follow_up = false;
    s.running = true;
    trigger = it->second.follow_up_trigger;
  }
  return Launch(profile, trigger);
}

std::optional<Scheduler::ProfileState> Scheduler::State(const std::string& profile) const {
  std::lock_guard lock(mu_);
  auto it = profiles_.find(profile);
  if (it == profiles_.end()) return std::nullopt;
  return it->second.state;
}

std::optional<int64_t> Scheduler::NextWake() const {
  std::lock_guard lock(mu_);
  std::optional<int64_t> wake;
  for (const auto& [name, e] : profiles_) {
    if (e.state.next_run && (!wake || *e.state.next_run < *wake)) wake = e.state.next_run;
  }
  return wake;
}

}  // namespace telsync
