#include "apply/revert.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <thread>
#include <utility>

#include "plan/revert.h"

namespace telsync {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

// "2026-12-07", UTC.
std::string Day(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  tm parts{};
  gmtime_r(&t, &parts);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &parts);
  return buf;
}

Result<RecordedRun> LoadRecorded(RunStore& store, const Run& run) {
  RecordedRun out;
  out.run = run;
  auto items = store.GetRunItems(run.tenant, run.id, std::nullopt);
  if (!items.ok()) return items.error();
  out.items = std::move(*items);
  auto departments = store.GetRunDepartments(run.tenant, run.id);
  if (!departments.ok()) return departments.error();
  out.departments = std::move(*departments);
  return out;
}

bool HasProblems(const Plan& plan) {
  for (const PlanItem& item : plan.items) {
    if (item.action == Action::kConflict || item.action == Action::kError ||
        item.action == Action::kBlocked) {
      return true;
    }
  }
  return false;
}

// The run lock as Execute takes it: a bounded wait polls.
Result<std::unique_ptr<RunLock>> Lock(RunStore& store, const Profile& profile,
                                      const RevertOptions& options) {
  auto lock = store.LockProfileRuns(profile.tenant, profile.name, options.lock_wait_seconds < 0,
                                    options.now);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(options.lock_wait_seconds);
  while (!lock.ok() && lock.error().code == ErrorCode::kConflict && options.lock_wait_seconds > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    lock = store.LockProfileRuns(profile.tenant, profile.name, false, options.now);
  }
  if (!lock.ok() && lock.error().code == ErrorCode::kConflict) {
    return Error::Unavailable("a run of " + profile.tenant + "/" + profile.name +
                              " is in progress (" + lock.error().message + "); try again");
  }
  return lock;
}

}  // namespace

bool RunApplied(const Run& run) {
  return (run.kind == RunKind::kSync || run.kind == RunKind::kRevert) &&
         (run.status == RunStatus::kSuccess || run.status == RunStatus::kPartial) &&
         run.message.find("nothing applied") == std::string::npos;
}

Result<RevertOutcome> ExecuteRevert(const Profile& profile, Store& store,
                                    const RevertOptions& options) {
  std::unique_ptr<RunLock> lock;
  if (options.apply) {
    auto taken = Lock(store, profile, options);
    if (!taken.ok()) return taken.error();
    lock = std::move(*taken);
  }
  const std::string id = std::to_string(options.run_id);
  auto reverted = store.GetRun(profile.tenant, options.run_id);
  if (!reverted.ok()) {
    if (reverted.error().code != ErrorCode::kNotFound) return reverted.error();
    return Error::NotFound("no run " + id + " in tenant " + profile.tenant);
  }
  if (reverted->profile != profile.name) {
    return Error::Invalid("run " + id + " belongs to profile " + reverted->profile + ", not " +
                          profile.name);
  }
  if (!RunApplied(*reverted)) {
    return Error::Invalid("run " + id + " is a " + RunKindName(reverted->kind) + " run, " +
                          RunStatusName(reverted->status) +
                          (reverted->message.empty() ? "" : " (" + reverted->message + ")") +
                          ": it applied nothing to revert");
  }
  if (reverted->purged_at != 0) {
    return Error::Invalid("run " + id + " was purged on " + Day(reverted->purged_at) +
                          " (older than history.keep_days): what it changed is no longer kept, "
                          "so it can no longer be reverted");
  }
  if (options.keep_days > 0 &&
      options.now - reverted->started_at > options.keep_days * kSecondsPerDay) {
    return Error::Invalid("run " + id + " is older than history.keep_days (" +
                          std::to_string(options.keep_days) +
                          " days): what it changed is no longer kept for a revert");
  }

  RevertInput input;
  auto recorded = LoadRecorded(store, *reverted);
  if (!recorded.ok()) return recorded.error();
  input.reverted = std::move(*recorded);
  auto runs = store.ListRuns(profile.tenant, profile.name, 0);
  if (!runs.ok()) return runs.error();
  std::sort(runs->begin(), runs->end(), [](const Run& a, const Run& b) { return a.id < b.id; });
  for (const Run& r : *runs) {
    if (r.id <= reverted->id || !RunApplied(r)) continue;
    auto later = LoadRecorded(store, r);
    if (!later.ok()) return later.error();
    input.later.push_back(std::move(*later));
  }
  auto snapshot = store.LoadSnapshot(profile.tenant, profile.name);
  if (!snapshot.ok()) return snapshot.error();

  RevertOutcome out;
  out.plan = MakeRevertPlan(input, *snapshot, profile, options.approve);
  out.plan.targets = options.targets;
  Plan& plan = out.plan;
  Run& run = out.run;
  run.tenant = profile.tenant;
  run.profile = profile.name;
  run.kind = RunKind::kRevert;
  run.trigger = options.trigger;
  run.status = RunStatus::kRunning;
  run.started_at = options.now;
  run.source = plan.source;
  run.complete = true;
  run.reverted_run = reverted->id;
  run.summary = plan.Summary();

  auto pause = store.GetProfilePause(profile.tenant, profile.name);
  if (!pause.ok()) return pause.error();
  out.paused = profile.policy.mode == SyncMode::kPaused || pause->has_value();

  if (!options.apply) {
    run.status = plan.held           ? RunStatus::kHeld
                 : HasProblems(plan) ? RunStatus::kPartial
                                     : RunStatus::kSuccess;
    run.message = plan.hold_reason;
    out.exit_code = plan.held ? kExitHeld : HasProblems(plan) ? kExitUserErrors : kExitOk;
  } else {
    auto created = store.CreateRun(run);
    if (!created.ok()) return created.error();
    run.id = *created;
    if (plan.held) {
      run.status = RunStatus::kHeld;
      run.message = plan.hold_reason + "; nothing applied (--approve applies it)";
      out.exit_code = kExitHeld;
    } else {
      if (options.pause) plan.pause_run = run.id;
      RunItemsSave saved = store.StartSaveRunItems(run.id, plan);
      auto applied = store.Apply(plan);
      if (!applied.ok()) {
        (void)saved.Wait();
        run.status = RunStatus::kFailed;
        run.message = "applying the revert failed: " + applied.error().message;
        run.finished_at = options.clock ? options.clock() : options.now;
        (void)store.UpdateRun(run);
        out.exit_code = kExitFailed;
        return out;
      }
      if (Status s = saved.Wait(); !s.ok()) return s.error();
      out.applied = *applied;
      const bool partial = HasProblems(plan);
      run.status = partial ? RunStatus::kPartial : RunStatus::kSuccess;
      run.message = "revert of run " + id;
      out.exit_code = partial ? kExitUserErrors : kExitOk;
      if (options.pause) out.paused = true;
    }
    if (plan.held) {
      if (Status s = store.SaveRunItems(run.id, plan); !s.ok()) return s.error();
    }
    run.finished_at = options.clock ? options.clock() : options.now;
    if (Status s = store.UpdateRun(run); !s.ok()) return s.error();
  }
  if (!out.paused) {
    out.next_sync_note =
        "profile " + profile.tenant + "/" + profile.name +
        " is not paused: its next sync would apply the directory again" +
        (options.apply && !plan.held ? "" : " (--pause pauses it with the revert)");
  }
  return out;
}

}  // namespace telsync
