#include "plan/detail/switches.h"

namespace telsync::plan_detail {

std::optional<std::string_view> SwitchedOff(Action a, const PolicyConfig& p) {
  if (!IsWrite(a)) return std::nullopt;
  if (p.mode == SyncMode::kNewOnly && a != Action::kCreate) {
    return "new_only mode: existing users are not changed";
  }
  if (a == Action::kCreate && !p.create) return "creates are switched off";
  if ((a == Action::kUpdate || a == Action::kRestore || a == Action::kUnsearchable ||
       a == Action::kRelink) &&
      !p.update) {
    return "updates are switched off";
  }
  if ((a == Action::kDelete || a == Action::kPendingDelete) && !p.del) {
    return "deletes are switched off";
  }
  return std::nullopt;
}

}  // namespace telsync::plan_detail
