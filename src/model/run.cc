#include "model/run.h"

namespace telsync {

const char* RunKindName(RunKind k) {
  switch (k) {
    case RunKind::kPreview:
      return "preview";
    case RunKind::kSync:
      return "sync";
    case RunKind::kRevert:
      return "revert";
  }
  return "sync";
}

const char* RunStatusName(RunStatus s) {
  switch (s) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kSuccess:
      return "success";
    case RunStatus::kPartial:
      return "partial";
    case RunStatus::kHeld:
      return "held";
    case RunStatus::kApproved:
      return "approved";
    case RunStatus::kFailed:
      return "failed";
  }
  return "failed";
}

std::optional<RunKind> RunKindFromName(std::string_view name) {
  if (name == "preview") return RunKind::kPreview;
  if (name == "sync") return RunKind::kSync;
  if (name == "revert") return RunKind::kRevert;
  return std::nullopt;
}

std::optional<RunStatus> RunStatusFromName(std::string_view name) {
  for (RunStatus s : {RunStatus::kRunning, RunStatus::kSuccess, RunStatus::kPartial,
                      RunStatus::kHeld, RunStatus::kApproved, RunStatus::kFailed}) {
    if (name == RunStatusName(s)) return s;
  }
  return std::nullopt;
}

}  // namespace telsync
