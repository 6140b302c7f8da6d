#include "admin/users.h"

#include <gtest/gtest.h>

#include "admin/admin_test_store.h"

namespace telsync::admin {
namespace {

// A directory of tenant acme: user01..user12 (linked to src01..src12) and bob@other.
class UsersTest : public AdminStoreTest {
 protected:
  void SetUp() override {
    AdminStoreTest::SetUp();
    Plan plan;
    plan.tenant = "acme";
    plan.profile = "hr";
    plan.source = "file:test.json";
    plan.complete = true;
    auto add = [&](const std::string& key, const std::string& username, const std::string& mail) {
      PlanItem item;
      item.action = Action::kCreate;
      item.key = key;
      item.username = username;
      PbxUser user;
      user.source_key = key;
      user.profile = "hr";
      user.fields.Set(Field::kUsername, username);
      user.fields.Set(Field::kEmail, mail);
      user.fields.Set(Field::kDisplayName, "User " + username);
      item.target = std::move(user);
      plan.items.push_back(std::move(item));
    };
    for (int i = 1; i <= 12; ++i) {
      const std::string n = (i < 10 ? "0" : "") + std::to_string(i);
      add("src" + n, "user" + n, "user" + n + "@acme.example");
    }
    add("src-bob", "bob", "bob@other.example");
    ASSERT_TRUE(store_->Apply(plan).ok());
  }
};

TEST_F(UsersTest, APageCountsTheDirectoryOnlyWhenItIsNotAllOfIt) {
  auto all = ListUsers(*store_, "acme", 100, 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->users.size(), 13u);
  EXPECT_FALSE(all->total.has_value());
  auto first = ListUsers(*store_, "acme", 5, 0);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->users.size(), 5u);
  EXPECT_EQ(first->total, std::optional<size_t>(13));
  auto rest = ListUsers(*store_, "acme", 100, 10);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->users.size(), 3u);
  EXPECT_EQ(rest->total, std::optional<size_t>(13));
  auto other = ListUsers(*store_, "globex", 100, 0);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->users.empty());
}

TEST_F(UsersTest, SearchMatchesAnyCaseAndPagesThroughMatches) {
  auto acme = SearchUsers(*store_, "acme", "ACME.EXAMPLE", 100, 0);
  ASSERT_TRUE(acme.ok());
  EXPECT_EQ(acme->size(), 12u);
  auto page = SearchUsers(*store_, "acme", "user1", 2, 1);  // user10, 11, 12: skip one
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].fields.Get(Field::kUsername), "user11");
  EXPECT_EQ((*page)[1].fields.Get(Field::kUsername), "user12");
  auto none = SearchUsers(*store_, "acme", "nobody", 100, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto long_query = SearchUsers(*store_, "acme", std::string(201, 'a'), 100, 0);
  ASSERT_FALSE(long_query.ok());
  EXPECT_EQ(long_query.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(long_query.error().field, "q");
}

TEST_F(UsersTest, GetFindsByUsernameOrMailAndNamesAMissingOne) {
  auto by_mail = GetUser(*store_, "acme", "bob@other.example");
  ASSERT_TRUE(by_mail.ok());
  EXPECT_EQ(by_mail->fields.Get(Field::kUsername), "bob");
  auto missing = GetUser(*store_, "acme", "carol");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().field, "name");
  EXPECT_EQ(missing.error().message, "no user carol");
  EXPECT_FALSE(GetUser(*store_, "globex", "bob").ok());  // another tenant's directory
}

TEST_F(UsersTest, UnlinkReturnsTheUserAsItWasAndClearsItsLink) {
  auto unlinked = UnlinkUser(*store_, "acme", "user03");
  ASSERT_TRUE(unlinked.ok()) << unlinked.error().ToString();
  EXPECT_EQ(unlinked->source_key, "src03");
  auto now = GetUser(*store_, "acme", "user03");
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->source_key, "");
  auto missing = UnlinkUser(*store_, "acme", "carol");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().field, "name");
}

TEST_F(UsersTest, ExcludeAddsTheGroupOnceAndIncludeTakesOnlyItOut) {
  auto other = SetExcluded(*store_, "acme", "user04", "Reception", true);
  ASSERT_TRUE(other.ok()) << other.error().ToString();
  auto excluded = SetExcluded(*store_, "acme", "user04@acme.example", "Non AD sync", true);
  ASSERT_TRUE(excluded.ok()) << excluded.error().ToString();
  EXPECT_EQ(excluded->groups, (std::vector<std::string>{"Reception", "Non AD sync"}));
  // Twice is once; the stored user is what was returned.
  ASSERT_TRUE(SetExcluded(*store_, "acme", "user04", "Non AD sync", true).ok());
  auto stored = GetUser(*store_, "acme", "user04");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->groups, (std::vector<std::string>{"Reception", "Non AD sync"}));

  auto included = SetExcluded(*store_, "acme", "user04", "Non AD sync", false);
  ASSERT_TRUE(included.ok()) << included.error().ToString();
  EXPECT_EQ(included->groups, (std::vector<std::string>{"Reception"}));
  stored = GetUser(*store_, "acme", "user04");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->groups, (std::vector<std::string>{"Reception"}));
}

TEST_F(UsersTest, ExcludeNamesWhatIsWrong) {
  auto missing = SetExcluded(*store_, "acme", "carol", "Non AD sync", true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().field, "name");
  auto no_group = SetExcluded(*store_, "acme", "user04", "", true);
  ASSERT_FALSE(no_group.ok());
  EXPECT_EQ(no_group.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(no_group.error().field, "group");
  EXPECT_FALSE(SetExcluded(*store_, "globex", "bob", "Non AD sync", true).ok());
}

}  // namespace
}  // namespace telsync::admin
