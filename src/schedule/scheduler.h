// Scheduler: decides when each profile syncs (F18), with the clock and the run launcher
// injected so tests drive it without sleeping.
//
// Each profile has one or more cron expressions in its time zone. Rules:
//   - One run per profile at a time. A trigger (schedule or "sync now") while the profile
//     runs is coalesced: at most one follow-up run starts when the current one finishes,
//     however many triggers arrived meanwhile.
//   - Missed runs after a restart run once: given the last time the schedule fired (from
//     the run history), every occurrence missed since then becomes a single run at the
//     first Tick(), never a burst.
//   - "Sync now" starts a run at once when the profile is idle.
// The scheduler does no I/O and owns no thread: the service calls Tick() when NextWake()
// is reached (or every few seconds), and calls Finished() when a run it launched ends.
// The launcher is called outside the scheduler's lock, so it may call Finished() itself
// (a synchronous run). All methods are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "util/cron.h"
#include "util/result.h"
#include "util/timezone.h"

namespace telsync {

class Scheduler {
 public:
  // Unix seconds now.
  using Clock = std::function<int64_t()>;
  // Starts a run of `profile` ("tenant/profile") with `trigger` ("schedule", or the
  // trigger given to SyncNow). An error means the run did not start (the profile is then
  // idle again and the error is kept in its state).
  using Launcher = std::function<Status(const std::string& profile, const std::string& trigger)>;

  struct ProfileState {
    bool running = false;
    bool follow_up = false;             // a coalesced trigger waits for the running run
    std::optional<int64_t> next_run;    // the next scheduled instant; none without schedules
    std::optional<int64_t> last_fired;  // the last instant the schedule fired
    // The scheduled instant of the last run the schedule launched (not when Tick() ran):
    // the same on every process that runs this schedule, so a job queue can run each
    // occurrence once.
    std::optional<int64_t> last_slot;
    std::optional<int64_t> last_success;
    std::string last_error;  // of the last launch or run; empty when it went well
  };

  enum class SyncNowResult { kStarted, kCoalesced, kFailed };

  Scheduler(Clock clock, Launcher launcher);

  // Adds or replaces a profile. `last_fired`: when its schedule last fired before a
  // restart (nullopt: never, and nothing is considered missed). Errors: kInvalid naming
  // the expression (`schedules[1]: hour: ...`) or the time zone; the profile is unchanged.
  Status SetProfile(const std::string& profile, const std::vector<std::string>& schedules,
                    const std::string& timezone, std::optional<int64_t> last_fired = {});
  // Loads a time zone once per name for all profiles (tests may inject one).
  void AddTimeZone(TimeZone zone);
  void RemoveProfile(const std::string& profile);

  // Starts every profile whose next run is due (or coalesces it when it runs). Returns the
  // number of runs started.
  size_t Tick();
  // Starts a run now, or coalesces it into a follow-up if the profile is running.
  // Unknown profile: kFailed.
  SyncNowResult SyncNow(const std::string& profile, const std::string& trigger = "api");
  // A launched run ended at `finished_at`. A pending follow-up starts now; true when one
  // started.
  bool Finished(const std::string& profile, bool success, int64_t finished_at,
                std::string error = {});

  std::optional<ProfileState> State(const std::string& profile) const;
  // The earliest next run over all profiles: when the service should call Tick().
  std::optional<int64_t> NextWake() const;

 private:
  struct Entry {
    std::vector<CronExpr> crons;
    std::string zone;
    ProfileState state;
    std::string follow_up_trigger;
  };
  std::optional<int64_t> NextAfter(const Entry& e, int64_t after) const;
  // Calls the launcher (the entry is already marked running; the lock is not held). On a
  // launch error the entry is idle again with the error kept. True when it started.
  bool Launch(const std::string& profile, const std::string& trigger);

  Clock clock_;
  Launcher launcher_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> profiles_;
  std::map<std::string, TimeZone> zones_;
};

}  // namespace telsync
