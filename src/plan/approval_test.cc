#include "plan/approval.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace telsync {
namespace {

PlanItem Item(Action action, const std::string& key, const std::string& username = "") {
  PlanItem item;
  item.action = action;
  item.key = key;
  item.username = username;
  return item;
}

struct ReholdCase {
  const char* name;
  std::vector<std::pair<Action, std::string>> held;
  std::vector<PlanItem> plan;
  std::string want;  // the hold reason; "" = not held
};

TEST(ApprovalTest, HoldsAgainADeletionTheAdminDidNotSee) {
  const std::vector<ReholdCase> cases = {
      {"the same deletions",
       {{Action::kDelete, "k1"}, {Action::kPendingDelete, "k2"}},
       {Item(Action::kDelete, "k1"), Item(Action::kPendingDelete, "k2")},
       ""},
      {"fewer deletions",
       {{Action::kDelete, "k1"}, {Action::kDelete, "k2"}},
       {Item(Action::kDelete, "k2")},
       ""},
      {"creates and updates are not compared",
       {},
       {Item(Action::kCreate, "k3"), Item(Action::kUpdate, "k4"), Item(Action::kUnchanged, "k5")},
       ""},
      {"a new deletion, named by username",
       {{Action::kDelete, "k1"}},
       {Item(Action::kDelete, "k1"), Item(Action::kDelete, "k2", "bert")},
       "the directory changed since run 7 was held: delete of bert was not part of it; review "
       "the new run"},
      {"a new deletion without a username is named by its key",
       {},
       {Item(Action::kPendingDelete, "k9")},
       "the directory changed since run 7 was held: pending_delete of k9 was not part of it; "
       "review the new run"},
      {"a pending delete that became a delete is another deletion",
       {{Action::kPendingDelete, "k1"}},
       {Item(Action::kDelete, "k1", "anna")},
       "the directory changed since run 7 was held: delete of anna was not part of it; review "
       "the new run"},
      {"the first unseen deletion in plan order names the reason",
       {},
       {Item(Action::kDelete, "k2", "bert"), Item(Action::kDelete, "k1", "anna")},
       "the directory changed since run 7 was held: delete of bert was not part of it; review "
       "the new run"},
  };
  for (const ReholdCase& c : cases) {
    Plan plan;
    plan.items = c.plan;
    const Plan got = ReholdForApproval(plan, HeldRun{7, c.held});
    EXPECT_EQ(got.held, !c.want.empty()) << c.name;
    EXPECT_EQ(got.hold_reason, c.want) << c.name;
    EXPECT_EQ(got.items.size(), c.plan.size()) << c.name;
  }
}

}  // namespace
}  // namespace telsync
