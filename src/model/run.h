// Run: one execution of a profile (preview or sync), kept with its items (F19).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/plan.h"

namespace telsync {

// kRevert: a run that applied the inverse of an earlier applied run (`runs revert ID
// --apply`, issue 18); Run::reverted_run names that run.
enum class RunKind : uint8_t { kPreview, kSync, kRevert };

enum class RunStatus : uint8_t {
  kRunning,
  kSuccess,   // applied (or previewed) with no per-user problem
  kPartial,   // applied, but some users had errors or conflicts (exit 4)
  kHeld,      // not applied: a deletion threshold was crossed (exit 3)
  kApproved,  // a held run that was approved; the applying run names it
  kFailed,    // not applied: the run itself failed (exit 1)
};

const char* RunKindName(RunKind k);
const char* RunStatusName(RunStatus s);
std::optional<RunKind> RunKindFromName(std::string_view name);
std::optional<RunStatus> RunStatusFromName(std::string_view name);

struct Run {
  int64_t id = 0;
  std::string tenant;
  std::string profile;
  RunKind kind = RunKind::kPreview;
  std::string trigger;  // "cli", "schedule", "api", "approve:<run id>", "user:<name>"
  RunStatus status = RunStatus::kRunning;
  int64_t started_at = 0;   // unix seconds
  int64_t finished_at = 0;  // 0 while running
  bool complete = false;    // the source read was complete
  std::string source;
  std::string message;  // failure or hold reason
  std::array<size_t, kActionCount> summary{};
  int64_t approved_run = 0;  // for a run that applied a held run: that run's id
  int64_t reverted_run = 0;  // for a revert run: the run it reverted
  // When the run's items (what a report lists and what `runs revert` needs) were purged
  // after history.keep_days (RunStore::PurgeRunHistory); 0 while they are kept. The run
  // itself, with its summary counts, stays in the history.
  int64_t purged_at = 0;
};

}  // namespace telsync
