// The approval hold (F12), the last stage of plan/planner.cc: whether a plan waits for an
// admin's approval before it is applied, and why.
//
// A plan is held when its deletions exceed the deletion threshold (deletions.h; not for a
// one-user plan) or the profile is in review mode and the plan changes something. The plan
// of an approval is never held here: what an approval may apply is ReholdForApproval's
// rule (plan/approval.h). Pure.
#pragma once

#include <cstddef>
#include <string>

#include "config/profile.h"
#include "model/plan.h"
#include "plan/planner.h"

namespace telsync::plan_detail {

// The hold reason of `plan` ("3 deletions exceed max_deletes 2; review mode: ..."), the
// reasons joined by "; "; empty when the plan is not held. `linked_count` is the number
// of linked stored users (the base of max_delete_percent).
std::string HoldReason(const Plan& plan, const PolicyConfig& policy, size_t linked_count,
                       const PlanOptions& options);

}  // namespace telsync::plan_detail
