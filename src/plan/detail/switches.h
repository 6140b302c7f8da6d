// The policy switches (policy.mode, policy.create / update / delete), a rule the
// planner's stages share: a write they turn off becomes a skip with this reason. Pure.
#pragma once

#include <optional>
#include <string_view>

#include "config/profile.h"
#include "model/plan.h"

namespace telsync::plan_detail {

// Why `action` is not done under `policy`, or nullopt when it may be. Only writes are
// switched off; new_only mode keeps creates and nothing else.
std::optional<std::string_view> SwitchedOff(Action action, const PolicyConfig& policy);

// `item` as the switches leave it: a switched-off write becomes kSkip with the reason.
inline void ApplySwitches(PlanItem& item, const PolicyConfig& policy) {
  if (auto reason = SwitchedOff(item.action, policy)) {
    item.action = Action::kSkip;
    item.reason = *reason;
  }
}

}  // namespace telsync::plan_detail
