#include "plan/detail/switches.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace telsync::plan_detail {
namespace {

struct SwitchCase {
  Action action;
  SyncMode mode;
  bool create, update, del;
  std::string want;  // "" = allowed
};

TEST(SwitchesTest, TurnsSwitchedOffWritesIntoSkips) {
  const std::vector<SwitchCase> cases = {
      {Action::kCreate, SyncMode::kFull, true, true, true, ""},
      {Action::kCreate, SyncMode::kFull, false, true, true, "creates are switched off"},
      {Action::kUpdate, SyncMode::kFull, true, false, true, "updates are switched off"},
      {Action::kRestore, SyncMode::kFull, true, false, true, "updates are switched off"},
      {Action::kUnsearchable, SyncMode::kFull, true, false, true, "updates are switched off"},
      {Action::kDelete, SyncMode::kFull, true, true, false, "deletes are switched off"},
      {Action::kPendingDelete, SyncMode::kFull, true, true, false, "deletes are switched off"},
      {Action::kCreate, SyncMode::kNewOnly, true, true, true, ""},
      {Action::kUpdate, SyncMode::kNewOnly, true, true, true,
       "new_only mode: existing users are not changed"},
      {Action::kDelete, SyncMode::kNewOnly, true, true, false,
       "new_only mode: existing users are not changed"},
      {Action::kConflict, SyncMode::kFull, false, false, false, ""},  // not a write
      {Action::kUnchanged, SyncMode::kNewOnly, false, false, false, ""},
  };
  for (const SwitchCase& c : cases) {
    PolicyConfig policy;
    policy.mode = c.mode;
    policy.create = c.create;
    policy.update = c.update;
    policy.del = c.del;
    PlanItem item;
    item.action = c.action;
    item.reason = "before";
    ApplySwitches(item, policy);
    const std::string name = std::string(ActionName(c.action));
    if (c.want.empty()) {
      EXPECT_EQ(item.action, c.action) << name;
      EXPECT_EQ(item.reason, "before") << name;
    } else {
      EXPECT_EQ(item.action, Action::kSkip) << name;
      EXPECT_EQ(item.reason, c.want) << name;
    }
  }
}

}  // namespace
}  // namespace telsync::plan_detail
