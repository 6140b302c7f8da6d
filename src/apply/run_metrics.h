// RunMetrics: what one engine run reports to /metrics (util/service_metrics.h): the run's
// result and wall time, a failed or incomplete source read, and the profile's PBX users
// by state after the run (telsync_users{tenant,state}, summed over the tenant's profiles).
//
// The users gauge comes from the run rather than a COUNT at scrape time: the engine
// already holds the profile's users (the snapshot) and knows what it wrote (the plan), so
// a scrape never queries a store of a million users. Until a profile has run since the
// service started, its users are not in the gauge.
//
// Use: one RunMetrics per run, on the run's thread. The engine calls ReadDone() after the
// read, Snapshot() after planning (before the snapshot is freed) and Finished() once the
// run's final status is recorded. The shared gauges behind it are thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>

#include "config/profile.h"
#include "model/pbx.h"
#include "model/plan.h"
#include "model/run.h"
#include "sources/source.h"

namespace telsync {

// The states of telsync_users: a user is pending_delete, else unsearchable, else active.
enum class UserGaugeState : uint8_t { kActive, kPendingDelete, kUnsearchable };
inline constexpr size_t kUserGaugeStates = 3;
using UserStateCounts = std::array<int64_t, kUserGaugeStates>;

const char* UserGaugeStateName(UserGaugeState state);  // "active", "pending_delete", ...
UserGaugeState UserGaugeStateOf(const PbxUser& user);

// The profile's users by state after applying `plan` to `snapshot` (before: every user of
// the snapshot whose profile is `profile`). Pure; the engine's Snapshot() uses it.
struct UserStateChange {
  UserStateCounts before{};
  UserStateCounts delta{};  // what applying the plan's writes changes
};
UserStateChange CountUserStates(const StoreSnapshot& snapshot, const Plan& plan,
                                const std::string& profile);

class RunMetrics {
 public:
  explicit RunMetrics(const Profile& profile);  // starts the run's wall clock

  // A read that failed, came back incomplete or had unreadable records counts one
  // telsync_source_read_errors_total.
  void ReadDone(const ReadResult& read);
  // Before the snapshot is freed: the profile's users now and what the plan would change.
  void Snapshot(const StoreSnapshot& snapshot, const Plan& plan);
  // The run's final status is recorded: counts the run, observes its duration and, when
  // Snapshot() was called, sets the users gauge (with the plan's changes when the run
  // applied them).
  void Finished(const Run& run);

 private:
  const Profile& profile_;
  std::chrono::steady_clock::time_point started_;
  bool have_users_ = false;
  UserStateChange users_;
};

}  // namespace telsync
