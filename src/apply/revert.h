// Revert of an applied run (issue 18 §2, SPEC F27): `telsync runs revert ID [--apply]
// [--pause]` and POST /api/v1/tenants/{tenant}/runs/{id}/revert share this.
//
//   GetRun + items ──► MakeRevertPlan (pure, plan/revert.h) ──► preview, or Store::Apply
//
// A preview is the plan, not applied and not recorded. `apply` records a run of kind
// `revert` linked to the reverted run (Run::reverted_run), under a sync's safety rules:
// the profile's run lock, the deletion threshold (a held revert applies nothing; `approve`
// lifts it), protect_mobile (in the planner) and the targets' outbox (Store::Apply writes
// the events). With `pause`, Apply records the profile as paused in the transaction of the
// plan's last write, so the next sync does not apply the directory again.
//
// What a revert needs is kept `history.keep_days` (default 90): a run older than that is
// refused, and so is a run whose items were purged (RunStore::PurgeRunHistory, which a
// sync runs when it has applied its plan: EngineOptions::history_keep_days). Not thread-safe: one
// call per Store at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "apply/engine.h"
#include "config/profile.h"
#include "model/plan.h"
#include "model/run.h"
#include "model/target_route.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync {

struct RevertOptions {
  int64_t run_id = 0;    // the run to revert
  bool apply = false;    // false: preview only
  bool pause = false;    // with apply: pause the profile in the same transaction
  bool approve = false;  // with apply: the deletion threshold does not hold the revert
  int keep_days = 90;    // history.keep_days: older runs cannot be reverted
  std::string trigger = "cli";
  int64_t now = 0;                 // unix seconds; the revert never reads a clock
  std::function<int64_t()> clock;  // for finished_at; unset: finished_at = now
  int lock_wait_seconds = 0;       // as EngineOptions::lock_wait_seconds
  std::vector<TargetRoute> targets;
};

struct RevertOutcome {
  // The revert run as recorded (apply), or as it would be (preview: id 0, not recorded).
  Run run;
  Plan plan;
  ApplyReport applied;
  int exit_code = kExitOk;
  // The profile is paused (mode paused, or a revert's pause, or this one's).
  bool paused = false;
  // What to tell the admin about the next sync: it would apply the directory again
  // unless the profile is paused. Empty when it is paused.
  std::string next_sync_note;
};

// Errors: kNotFound (no such run in the profile's tenant), kInvalid (the run is another
// profile's, was not applied, is older than keep_days or was purged), kUnavailable (the profile's
// run lock is held elsewhere), store errors. Conflicts and blocked users are items, not
// errors (exit 4); a held revert is exit 3.
Result<RevertOutcome> ExecuteRevert(const Profile& profile, Store& store,
                                    const RevertOptions& options);

// True when `run` changed the PBX directory: a sync or revert that succeeded (fully or
// partly) and was not paused.
bool RunApplied(const Run& run);

}  // namespace telsync
