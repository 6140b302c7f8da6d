#include "plan/detail/hold.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace telsync::plan_detail {
namespace {

PlanItem ItemOf(Action action) {
  PlanItem item;
  item.action = action;
  return item;
}

struct HoldCase {
  const char* name;
  std::vector<Action> items;
  SyncMode mode = SyncMode::kFull;
  bool approved = false;
  std::optional<std::string> only_user;
  std::string want;  // "" = not held
};

TEST(HoldTest, HoldsForTheThresholdAndReviewMode) {
  const std::vector<HoldCase> cases = {
      {"below the threshold",
       {Action::kDelete, Action::kUnchanged},
       SyncMode::kFull,
       false,
       {},
       ""},
      {"above max_deletes",
       {Action::kDelete, Action::kPendingDelete},
       SyncMode::kFull,
       false,
       {},
       "2 deletions exceed max_deletes 1"},
      {"an approval is never held here",
       {Action::kDelete, Action::kDelete},
       SyncMode::kReview,
       true,
       {},
       ""},
      {"a one-user plan has no threshold",
       {Action::kDelete, Action::kDelete},
       SyncMode::kFull,
       false,
       "anna",
       ""},
      {"review mode holds a plan that changes something",
       {Action::kCreate},
       SyncMode::kReview,
       false,
       {},
       "review mode: every run waits for approval"},
      {"review mode lets a no-op plan through",
       {Action::kUnchanged},
       SyncMode::kReview,
       false,
       {},
       ""},
      {"both reasons, threshold first",
       {Action::kDelete, Action::kDelete},
       SyncMode::kReview,
       false,
       {},
       "2 deletions exceed max_deletes 1; review mode: every run waits for approval"},
      {"review mode holds a one-user plan too",
       {Action::kDelete, Action::kDelete},
       SyncMode::kReview,
       false,
       "anna",
       "review mode: every run waits for approval"},
  };
  for (const HoldCase& c : cases) {
    Plan plan;
    for (Action a : c.items) plan.items.push_back(ItemOf(a));
    PolicyConfig policy;
    policy.max_deletes = 1;
    policy.max_delete_percent = -1;
    policy.mode = c.mode;
    PlanOptions options;
    options.approved = c.approved;
    options.only_user = c.only_user;
    EXPECT_EQ(HoldReason(plan, policy, 100, options), c.want) << c.name;
  }
}

}  // namespace
}  // namespace telsync::plan_detail
