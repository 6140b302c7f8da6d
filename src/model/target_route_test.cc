#include "model/target_route.h"

#include <gtest/gtest.h>

#include "model/plan.h"

namespace telsync {
namespace {

// Two sites by city, and a webhook that gets everyone.
std::vector<TargetRoute> Sites() {
  return {{"sthlm", "kamailio", {"city", {"Stockholm", "Solna"}}},
          {"gbg", "kamailio", {"city", {"Göteborg"}}},
          {"hook", "webhook", {}}};
}

PlanItem Item(Action action, const std::string& city) {
  PlanItem item;
  item.action = action;
  item.username = "anna";
  item.target->fields.Set(Field::kUsername, "anna");
  item.target->fields.Set(Field::kCity, city);
  return item;
}

std::string Steps(const std::vector<TargetStep>& steps) {
  std::string out;
  for (const TargetStep& s : steps) {
    out += s.target + ":" + s.action + (s.detail.empty() ? "" : " (" + s.detail + ")") + "; ";
  }
  return out;
}

TEST(TargetRouteTest, RulesMatchCaseInsensitivelyAndNoRuleRoutesEveryone) {
  EXPECT_TRUE(RuleRoutes({"city", {"Stockholm"}}, "STOCKHOLM"));
  EXPECT_FALSE(RuleRoutes({"city", {"Stockholm"}}, "Stockholmen"));
  EXPECT_FALSE(RuleRoutes({"city", {"Stockholm"}}, ""));
  EXPECT_TRUE(RuleRoutes({}, ""));
  EXPECT_EQ(RuleText({"city", {"Stockholm", "Solna"}}), "city in [Stockholm, Solna]");
  EXPECT_EQ(RuleText({}), "every user");
}

TEST(TargetRouteTest, ACreateGoesToTheRoutedTargetsOnly) {
  EXPECT_EQ(Steps(TargetSteps(Item(Action::kCreate, "solna"), Sites())),
            "sthlm:create; hook:create; ");
  EXPECT_EQ(Steps(TargetSteps(Item(Action::kCreate, "Malmö"), Sites())), "hook:create; ");
}

TEST(TargetRouteTest, AnUpdateOfTheRuleFieldMovesTheUserBetweenTargets) {
  PlanItem item = Item(Action::kUpdate, "Göteborg");
  item.changes.push_back({"city", "Stockholm", "Göteborg"});
  EXPECT_EQ(Steps(TargetSteps(item, Sites())),
            "sthlm:delete (moved to gbg (city: Stockholm -> Göteborg)); "
            "gbg:create (moved from sthlm (city: Stockholm -> Göteborg)); hook:update; ");
  // Out of every site: removed, and no site gains the user.
  item = Item(Action::kUpdate, "Malmö");
  item.changes.push_back({"city", "Solna", "Malmö"});
  EXPECT_EQ(Steps(TargetSteps(item, Sites())),
            "sthlm:delete (no longer routed here (city: Solna -> Malmö)); hook:update; ");
  // Another field: an update where the user is, nothing elsewhere.
  item = Item(Action::kUpdate, "Solna");
  item.changes.push_back({"title", "Dev", "Lead"});
  EXPECT_EQ(Steps(TargetSteps(item, Sites())), "sthlm:update; hook:update; ");
}

TEST(TargetRouteTest, ADeleteReachesTheTargetsThatHeldTheUser) {
  EXPECT_EQ(Steps(TargetSteps(Item(Action::kDelete, "Göteborg"), Sites())),
            "gbg:delete; hook:delete; ");
}

TEST(TargetRouteTest, ItemsThatWriteNothingSendNothing) {
  for (Action a :
       {Action::kUnchanged, Action::kSkip, Action::kConflict, Action::kError, Action::kBlocked}) {
    EXPECT_TRUE(TargetSteps(Item(a, "Solna"), Sites()).empty()) << ActionName(a);
  }
  EXPECT_TRUE(TargetSteps(Item(Action::kCreate, "Solna"), {}).empty());
}

TEST(TargetRouteTest, SummarizeCountsStepsAndListsMoves) {
  Plan plan;
  plan.targets = Sites();
  plan.items.push_back(Item(Action::kCreate, "Solna"));
  plan.items.push_back(Item(Action::kCreate, "Göteborg"));
  plan.items.push_back(Item(Action::kUpdate, "Göteborg"));
  plan.items.back().changes.push_back({"city", "Stockholm", "Göteborg"});
  plan.items.push_back(Item(Action::kDelete, "Stockholm"));
  const std::vector<TargetSummary> s = SummarizeTargets(plan);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].route->name, "sthlm");
  EXPECT_EQ(s[0].create, 1u);
  EXPECT_EQ(s[0].remove, 2u);
  ASSERT_EQ(s[0].moves.size(), 1u);
  EXPECT_EQ(s[0].moves[0].first, &plan.items[2]);
  EXPECT_EQ(s[1].create, 2u);
  EXPECT_EQ(s[1].moves.size(), 1u);
  EXPECT_EQ(s[2].create, 2u);
  EXPECT_EQ(s[2].update, 1u);
  EXPECT_EQ(s[2].remove, 1u);
  EXPECT_TRUE(s[2].moves.empty());
}

}  // namespace
}  // namespace telsync
