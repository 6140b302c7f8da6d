#include "plan/detail/hold.h"

#include <vector>

#include "plan/detail/deletions.h"

namespace telsync::plan_detail {

std::string HoldReason(const Plan& plan, const PolicyConfig& policy, size_t linked_count,
                       const PlanOptions& options) {
  if (options.approved) return "";
  std::vector<std::string> reasons;
  if (!options.only_user) reasons = ThresholdReasons(plan.items, policy, linked_count);
  if (policy.mode == SyncMode::kReview && !plan.IsNoop()) {
    reasons.push_back("review mode: every run waits for approval");
  }
  std::string out;
  for (const auto& r : reasons) {
    if (!out.empty()) out += "; ";
    out += r;
  }
  return out;
}

}  // namespace telsync::plan_detail
