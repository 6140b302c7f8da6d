#include "apply/run_metrics.h"

#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "util/service_metrics.h"

namespace telsync {
namespace {

// Each profile's last counts: telsync_users is per tenant, the sum over its profiles.
struct UsersByProfile {
  std::mutex mutex;
  std::map<std::pair<std::string, std::string>, UserStateCounts> counts;
};

UsersByProfile& Users() {
  static UsersByProfile* users = new UsersByProfile();  // never destroyed, like Metrics()
  return *users;
}

void PublishUsers(const std::string& tenant, const std::string& profile,
                  const UserStateCounts& counts) {
  UsersByProfile& users = Users();
  std::lock_guard<std::mutex> lock(users.mutex);
  users.counts[{tenant, profile}] = counts;
  UserStateCounts total{};
  for (const auto& [key, c] : users.counts) {
    if (key.first != tenant) continue;
    for (size_t i = 0; i < kUserGaugeStates; ++i) total[i] += c[i];
  }
  for (size_t i = 0; i < kUserGaugeStates; ++i) {
    metrics::Users()
        .With({tenant, UserGaugeStateName(static_cast<UserGaugeState>(i))})
        .Set(static_cast<double>(total[i]));
  }
}

}  // namespace

const char* UserGaugeStateName(UserGaugeState state) {
  switch (state) {
    case UserGaugeState::kActive:
      return "active";
    case UserGaugeState::kPendingDelete:
      return "pending_delete";
    case UserGaugeState::kUnsearchable:
      return "unsearchable";
  }
  return "active";
}

UserGaugeState UserGaugeStateOf(const PbxUser& user) {
  if (user.state == UserState::kPendingDelete) return UserGaugeState::kPendingDelete;
  if (!user.searchable) return UserGaugeState::kUnsearchable;
  return UserGaugeState::kActive;
}

UserStateChange CountUserStates(const StoreSnapshot& snapshot, const Plan& plan,
                                const std::string& profile) {
  UserStateChange out;
  // The stored users the plan writes: their state before, when they are this profile's.
  std::unordered_map<int64_t, int> prior;  // user id -> state index, -1: not this profile's
  for (const PlanItem& item : plan.items) {
    if (IsWrite(item.action) && item.user_id != 0) prior.emplace(item.user_id, -1);
  }
  for (const PbxUser& user : snapshot.users) {
    const bool mine = user.profile == profile;
    if (mine) ++out.before[static_cast<size_t>(UserGaugeStateOf(user))];
    if (!prior.empty() && mine) {
      auto it = prior.find(user.id);
      if (it != prior.end()) it->second = static_cast<int>(UserGaugeStateOf(user));
    }
  }
  for (const PlanItem& item : plan.items) {
    if (!IsWrite(item.action)) continue;
    if (item.user_id != 0) {
      auto it = prior.find(item.user_id);
      if (it != prior.end() && it->second >= 0) --out.delta[static_cast<size_t>(it->second)];
    }
    // Every write but a delete leaves the user in the target state, managed by this
    // profile (an adopted unlinked user becomes this profile's).
    if (item.action != Action::kDelete && item.target.has_value()) {
      ++out.delta[static_cast<size_t>(UserGaugeStateOf(*item.target))];
    }
  }
  return out;
}

RunMetrics::RunMetrics(const Profile& profile)
    : profile_(profile), started_(std::chrono::steady_clock::now()) {}

void RunMetrics::ReadDone(const ReadResult& read) {
  if (read.complete && read.bad_records == 0) return;
  metrics::SourceReadErrorsTotal()
      .With({profile_.tenant, profile_.name, profile_.source.type()})
      .Inc();
}

void RunMetrics::Snapshot(const StoreSnapshot& snapshot, const Plan& plan) {
  users_ = CountUserStates(snapshot, plan, profile_.name);
  have_users_ = true;
}

void RunMetrics::Finished(const Run& run) {
  const char* kind = RunKindName(run.kind);
  metrics::RunsTotal().With({run.tenant, run.profile, kind, RunStatusName(run.status)}).Inc();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  metrics::RunDurationSeconds().With({run.tenant, run.profile, kind}).Observe(seconds);
  if (!have_users_) return;
  // Applied: a sync that wrote its plan (the engine applies unless held, failed or paused).
  const bool applied = run.kind == RunKind::kSync &&
                       (run.status == RunStatus::kSuccess || run.status == RunStatus::kPartial) &&
                       profile_.policy.mode != SyncMode::kPaused;
  UserStateCounts now = users_.before;
  if (applied) {
    for (size_t i = 0; i < kUserGaugeStates; ++i) now[i] += users_.delta[i];
  }
  PublishUsers(run.tenant, run.profile, now);
}

}  // namespace telsync
