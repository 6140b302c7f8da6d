#include "admin/plan_items.h"

#include <gtest/gtest.h>

#include "admin/admin_test_store.h"

namespace telsync::admin {
namespace {

// 30 creates (user00..user29, mail userNN@acme.example), 5 updates of a phone, 3 errors.
Plan SamplePlan() {
  Plan plan;
  plan.tenant = "acme";
  plan.profile = "hr";
  plan.complete = true;
  for (int i = 0; i < 30; ++i) {
    const std::string n = (i < 10 ? "0" : "") + std::to_string(i);
    PlanItem item;
    item.action = Action::kCreate;
    item.key = "src" + n;
    item.username = "user" + n;
    PbxUser user;
    user.fields.Set(Field::kUsername, item.username);
    user.fields.Set(Field::kEmail, "user" + n + "@Acme.example");
    user.fields.Set(Field::kDisplayName, i == 7 ? "Ågot Kvist" : "User " + n);
    item.target = std::move(user);
    plan.items.push_back(std::move(item));
  }
  for (int i = 0; i < 5; ++i) {
    PlanItem item;
    item.action = Action::kUpdate;
    item.key = "old" + std::to_string(i);
    item.username = "old" + std::to_string(i);
    item.changes.push_back({"phone", "+4685550000" + std::to_string(i), "+4685551111"});
    plan.items.push_back(std::move(item));
  }
  for (int i = 0; i < 3; ++i) {
    PlanItem item;
    item.action = Action::kError;
    item.key = "bad" + std::to_string(i);
    item.reason = "mobile \"+46 70\" is not a valid number for SE";
    plan.items.push_back(std::move(item));
  }
  return plan;
}

std::vector<std::string> Keys(const PlanItemPage& page) {
  std::vector<std::string> keys;
  for (const PlanItem& item : page.plan.items) keys.push_back(item.key);
  return keys;
}

struct Case {
  std::string name;
  PlanItemQuery query;
  size_t matched;
  std::vector<std::string> keys;
};

std::vector<Case> Cases() {
  return {
      {"first page of everything", {std::nullopt, "", 0, 3}, 38, {"src00", "src01", "src02"}},
      {"second page", {std::nullopt, "", 3, 2}, 38, {"src03", "src04"}},
      {"by action", {Action::kUpdate, "", 1, 2}, 5, {"old1", "old2"}},
      {"last partial page", {Action::kError, "", 2, 50}, 3, {"bad2"}},
      {"past the end", {Action::kError, "", 10, 50}, 3, {}},
      {"text in a create's values, any case",
       {std::nullopt, "USER2", 0, 50},
       10,
       {"src20", "src21", "src22", "src23", "src24", "src25", "src26", "src27", "src28", "src29"}},
      {"text in an e-mail's domain",
       {std::nullopt, "acme.EXAMPLE", 28, 50},
       30,
       {"src28", "src29"}},
      {"text in a name beyond ASCII", {std::nullopt, "Ågot", 0, 50}, 1, {"src07"}},
      {"text in a changed value", {Action::kUpdate, "85550000", 0, 2}, 5, {"old0", "old1"}},
      {"text in a reason",
       {std::nullopt, "not a valid number", 0, 50},
       3,
       {"bad0", "bad1", "bad2"}},
      {"text and action", {Action::kCreate, "not a valid", 0, 50}, 0, {}},
      {"nothing matches", {std::nullopt, "zzz", 0, 50}, 0, {}},
      // Only a field's name: the stored changes' JSON holds it, the values do not.
      {"a field name is no value", {std::nullopt, "phone", 0, 50}, 0, {}},
      {"quotes, as the reason has them", {std::nullopt, "\"+46 70\"", 1, 50}, 3, {"bad1", "bad2"}},
  };
}

TEST(PlanItemsTest, FiltersAndPagesInPlanOrderWithTheWholePlansSummary) {
  for (const Case& c : Cases()) {
    PlanItemPage page = PagePlanItems(SamplePlan(), c.query);
    EXPECT_EQ(page.matched, c.matched) << c.name;
    EXPECT_EQ(Keys(page), c.keys) << c.name;
    EXPECT_EQ(page.summary[static_cast<size_t>(Action::kCreate)], 30u) << c.name;
    EXPECT_EQ(page.summary[static_cast<size_t>(Action::kUpdate)], 5u) << c.name;
    EXPECT_EQ(page.summary[static_cast<size_t>(Action::kError)], 3u) << c.name;
    EXPECT_EQ(page.plan.tenant, "acme") << c.name;
    EXPECT_TRUE(page.plan.complete) << c.name;
  }
}

// A stored run's items are paged by the store (RunStore::GetRunItemsPage, so the first page
// of a 100,000-item run does not read them all): every case gives what the page of the
// plan in memory gives.
class StoredPlanItemsTest : public AdminStoreTest {};

TEST_F(StoredPlanItemsTest, AStoredRunIsPagedByTheStoreAsThePlanIs) {
  telsync::Run run;
  run.tenant = "acme";
  run.profile = "hr";
  run.kind = RunKind::kPreview;
  run.status = RunStatus::kSuccess;
  run.started_at = 1;
  const Result<int64_t> id = store_->CreateRun(run);
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  ASSERT_TRUE(store_->SaveRunItems(*id, SamplePlan()).ok());
  for (const Case& c : Cases()) {
    auto page = store_->GetRunItemsPage("acme", *id, ToRunItemsQuery(c.query));
    ASSERT_TRUE(page.ok()) << c.name << ": " << page.error().ToString();
    EXPECT_EQ(page->matched, c.matched) << c.name;
    std::vector<std::string> keys;
    for (const PlanItem& item : page->items) keys.push_back(item.key);
    EXPECT_EQ(keys, c.keys) << c.name;
    EXPECT_EQ(page->summary[static_cast<size_t>(Action::kCreate)], 30u) << c.name;
    EXPECT_EQ(page->summary[static_cast<size_t>(Action::kError)], 3u) << c.name;
  }
  EXPECT_EQ(store_->GetRunItemsPage("globex", *id, {}).error().code, ErrorCode::kNotFound);
}

TEST(PlanItemsTest, AnOverlongSearchIsRefusedAtItsField) {
  PlanItemQuery query;
  query.text = std::string(kMaxPlanQuery, 'a');
  EXPECT_TRUE(CheckPlanItemQuery(query).ok());
  query.text += "a";
  Status s = CheckPlanItemQuery(query);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(s.error().field, "q");
}

}  // namespace
}  // namespace telsync::admin
