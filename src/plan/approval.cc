#include "plan/approval.h"

#include <unordered_set>

namespace telsync {
namespace {

bool IsDeletion(Action a) { return a == Action::kDelete || a == Action::kPendingDelete; }

std::string ApprovalKey(Action action, const std::string& key) {
  return std::string(ActionName(action)) + "|" + key;
}

}  // namespace

Plan ReholdForApproval(Plan plan, const HeldRun& held) {
  std::unordered_set<std::string> approved;
  for (const auto& [action, key] : held.deletions) approved.insert(ApprovalKey(action, key));
  for (const PlanItem& item : plan.items) {
    if (!IsDeletion(item.action) || approved.count(ApprovalKey(item.action, item.key))) continue;
    plan.held = true;
    plan.hold_reason = "the directory changed since run " + std::to_string(held.id) +
                       " was held: " + std::string(ActionName(item.action)) + " of " +
                       (item.username.empty() ? item.key : item.username) +
                       " was not part of it; review the new run";
    break;
  }
  return plan;
}

}  // namespace telsync
