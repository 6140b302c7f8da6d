// The engine: one run of a profile, from the source read to the run record (DESIGN §1).
//
//   Source ──► map + validate (all cores) ──► MakePlan ──► Store::Apply ──► Run + items
//
// A preview and a sync share every step up to the plan; a sync then hands the same plan
// to the store. Exit codes follow DESIGN §4 (ExitCode below). The engine never deletes on
// an incomplete read: the planner refuses, and a source read with unparseable records
// counts as incomplete (a bad record might be a user the store holds).
//
// Not thread-safe: one run per Store at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/profile.h"
#include "model/explanation.h"
#include "model/plan.h"
#include "model/run.h"
#include "sources/source.h"
#include "store/store.h"
#include "util/progress.h"
#include "util/result.h"

namespace telsync {

// DESIGN §4: what scripts rely on.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,
  kExitUsage = 2,
  kExitHeld = 3,
  kExitUserErrors = 4,
};

struct EngineOptions {
  RunKind kind = RunKind::kPreview;
  std::string trigger = "cli";
  std::optional<std::string> only_user;  // `sync --user NAME`
  int64_t approve_run = 0;               // `sync --approve RUN`
  int64_t now = 0;                       // unix seconds; the engine never reads a clock
  std::function<int64_t()> clock;        // for finished_at; unset: finished_at = now
  unsigned threads = 0;                  // map + validate workers; 0 = hardware threads
  // How far the run is (util/progress.h), from the thread that runs it: "read" (done/total
  // in the source's unit: a file's bytes; else objects, with the previous run's count as
  // an estimated total), "map" (the read's last batches mapped and validated), "plan",
  // "apply", "record". Called every batch of objects at most, never per object.
  std::function<void(const Progress&)> on_progress;
  // Called once the run is recorded (a worker keeps the id with its job, so a run left
  // behind by a worker that died can be closed by the one that takes the job over).
  std::function<void(int64_t run_id)> on_run_created;
  // One run of a profile at a time (Store::LockProfileRuns): when another process or
  // thread runs the profile, wait up to this long for it (-1: as long as it takes), then
  // fail with kConflict naming it. 0: fail at once.
  int lock_wait_seconds = 0;
  // The tenant's targets: the plan carries them so the preview and the reports show what
  // each would receive (Plan::targets). Delivery itself is the publisher's, after the run.
  std::vector<TargetRoute> targets;
  // `telsync explain` (apply/explain.h): a preview that traces the users the set's
  // queries name (username, e-mail, UPN or source id) through mapping, validation and the
  // planner into the set, and records no run. Not owned; null in a normal run.
  ExplainSet* explain = nullptr;
  // `telsync explain USER --fresh`: a traced user that would come from the source mirror
  // or from the changes of a delta read is read again from the source alone
  // (Source::ReadOne) instead; a full read (no cursor, or one the source could not use)
  // is fresh already.
  bool explain_fresh = false;
  // history.keep_days: > 0: once a sync has applied its plan and recorded the run, the
  // items of the tenant's runs that started more than this many days before `now` are
  // purged (RunStore::PurgeRunHistory; they can no longer be reverted). 0: nothing is purged.
  int history_keep_days = 0;
};

struct RunOutcome {
  Run run;
  Plan plan;
  std::vector<std::string> source_problems;  // "file:12: reason", at most 1000 kept
  ApplyReport applied;
  int exit_code = kExitOk;
};

// Runs a preview or a sync. Errors (Result error) only for what stops the run before it
// is recorded: a mapping that does not compile (Invalid -> exit 2), a run of the profile in
// progress elsewhere (Conflict: "a run of acme/main is in progress (run 12, pid 4711 on
// db1, since ...)"), or a store failure. Everything else, including a failed source read,
// is a recorded run with its exit code.
// The profile's run lock is held from before the read to after the run is recorded. Once
// it is taken, a run of the profile still marked running was left by a process that ended
// (it held the lock until then): it is closed as failed before the new run starts.
Result<RunOutcome> ExecuteRun(const Profile& profile, Source& source, Store& store,
                              const EngineOptions& options);

// Plans and applies a run of the profile on its source mirror (DESIGN §1), the source of
// truth of a `scim` profile. With `only_ids` (the source ids a SCIM request touched), the
// run reads and plans just those objects and leaves the rest of the directory as it is;
// an id missing from the mirror plans that user's deletion (with the profile's grace
// period and thresholds). Empty `only_ids`: the whole mirror, like a full read.
Result<RunOutcome> SyncMirror(const Profile& profile, Store& store,
                              const std::vector<std::string>& only_ids,
                              const EngineOptions& options);

}  // namespace telsync
