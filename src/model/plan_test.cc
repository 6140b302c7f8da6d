#include "model/plan.h"

#include <gtest/gtest.h>

namespace telsync {
namespace {

TEST(PlanTest, SummaryCountsEveryItemOnce) {
  Plan plan;
  for (Action a : {Action::kCreate, Action::kCreate, Action::kError, Action::kUnchanged}) {
    PlanItem item;
    item.action = a;
    plan.items.push_back(item);
  }
  const auto counts = plan.Summary();
  EXPECT_EQ(counts[static_cast<size_t>(Action::kCreate)], 2u);
  EXPECT_EQ(counts[static_cast<size_t>(Action::kError)], 1u);
  EXPECT_EQ(counts[static_cast<size_t>(Action::kUnchanged)], 1u);
  EXPECT_FALSE(plan.IsNoop());
  plan.items.erase(plan.items.begin(), plan.items.begin() + 2);
  EXPECT_TRUE(plan.IsNoop());
}

TEST(PlanTest, ActionNamesRoundTrip) {
  for (size_t i = 0; i < kActionCount; ++i) {
    const auto a = static_cast<Action>(i);
    EXPECT_EQ(ActionFromName(ActionName(a)), a);
  }
  EXPECT_EQ(SummaryKey(Action::kConflict), "conflicts");
  EXPECT_EQ(ActionFromName("nonsense"), std::nullopt);
}

TEST(PlanTest, EffectiveChangesOfACreateListEverySetValue) {
  PlanItem item;
  item.action = Action::kCreate;
  item.target->fields.Set(Field::kUsername, "anna");
  item.target->fields.Set(Field::kMobile, "+46701234567");
  item.target->searchable = false;
  item.target->groups = {"All Staff", "Support Queue"};
  item.target->custom = {{"office", "Lund 3"}};
  const auto changes = EffectiveChanges(item);
  ASSERT_EQ(changes.size(), 5u);
  EXPECT_EQ(changes[0].field, "username");
  EXPECT_EQ(changes[0].new_value, "anna");
  EXPECT_EQ(changes[1].field, "mobile");
  EXPECT_EQ(changes[2].field, "searchable");
  EXPECT_EQ(changes[3].new_value, "All Staff,Support Queue");
  EXPECT_EQ(changes[4].field, "custom.office");
  // Other actions show their own changes only.
  item.action = Action::kUpdate;
  item.changes = {{"city", "Lund", "Malmö"}};
  ASSERT_EQ(EffectiveChanges(item).size(), 1u);
}

}  // namespace
}  // namespace telsync
