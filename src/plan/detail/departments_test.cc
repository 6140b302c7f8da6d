#include "plan/detail/departments.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace telsync::plan_detail {
namespace {

PbxUser User(const std::string& username, const std::string& department) {
  PbxUser u;
  u.fields.Set(Field::kUsername, username);
  u.fields.Set(Field::kDepartment, department);
  return u;
}

PlanItem Item(Action action, PbxUser target) {
  PlanItem item;
  item.action = action;
  item.target = std::move(target);
  return item;
}

Department Dept(const std::string& name, const std::string& ring_group,
                std::vector<std::string> members) {
  Department d;
  d.name = name;
  d.profile = "p";
  d.ring_group = ring_group;
  d.members = std::move(members);
  return d;
}

// "create Sales 7000 [anna,bert]": action, name, ring group and members after the change.
std::vector<std::string> Describe(const std::vector<DepartmentChange>& changes) {
  std::vector<std::string> out;
  for (const DepartmentChange& c : changes) {
    std::string members;
    for (const auto& m : c.target.members) members += (members.empty() ? "" : ",") + m;
    out.push_back(std::string(ActionName(c.action)) + " " + c.target.name + " " +
                  c.target.ring_group + " [" + members + "]");
  }
  return out;
}

struct DepartmentCase {
  const char* name;
  std::vector<PbxUser> stored_users;
  std::vector<Department> stored_departments;
  std::vector<PlanItem> items;
  std::vector<int64_t> item_stored;
  bool complete = true;
  std::vector<std::string> want;
};

TEST(DepartmentsTest, GroupsTheUsersThePlanLeaves) {
  const std::vector<DepartmentCase> cases = {
      {"new departments by name, ring groups from the range",
       {},
       {},
       {Item(Action::kCreate, User("bert", "Support")),
        Item(Action::kCreate, User("anna", "Sales")), Item(Action::kCreate, User("cleo", "Sales"))},
       {-1, -1, -1},
       true,
       {"create Sales 7000 [anna,cleo]", "create Support 7001 [bert]"}},
      {"a stored department keeps its number; a used number is skipped",
       {User("anna", "Sales")},
       {Dept("Sales", "7000", {"anna"})},
       {Item(Action::kUnchanged, PbxUser()), Item(Action::kCreate, User("bert", "Support"))},
       {0, -1},
       true,
       {"unchanged Sales 7000 [anna]", "create Support 7001 [bert]"}},
      {"a member who moves changes both departments",
       {User("anna", "Sales"), User("bert", "Sales")},
       {Dept("Sales", "7000", {"anna", "bert"}), Dept("Support", "7001", {})},
       {Item(Action::kUpdate, User("anna", "Support")), Item(Action::kUnchanged, PbxUser())},
       {0, 1},
       true,
       {"update Sales 7000 [bert]", "update Support 7001 [anna]"}},
      {"an emptied department is deleted",
       {User("anna", "Sales")},
       {Dept("Sales", "7000", {"anna"})},
       {Item(Action::kDelete, User("anna", "Sales"))},
       {0},
       true,
       {"delete Sales 7000 [anna]"}},
      {"an incomplete read never shrinks a ring group",
       {User("anna", "Sales")},
       {Dept("Sales", "7000", {"anna", "bert"})},
       {Item(Action::kUnchanged, PbxUser())},
       {0},
       false,
       {"unchanged Sales 7000 [anna,bert]"}},
      {"a pending-delete user is no member",
       {User("anna", "Sales")},
       {Dept("Sales", "7000", {"anna"})},
       {[] {
         PbxUser u = User("anna", "Sales");
         u.state = UserState::kPendingDelete;
         return Item(Action::kPendingDelete, u);
       }()},
       {0},
       true,
       {"delete Sales 7000 [anna]"}},
      {"the range runs out: created without a ring group",
       {},
       {Dept("Old", "7000", {"x"}), Dept("Older", "7001", {"y"})},
       {Item(Action::kCreate, User("x", "Old")), Item(Action::kCreate, User("y", "Older")),
        Item(Action::kCreate, User("z", "New"))},
       {-1, -1, -1},
       true,
       {"unchanged Old 7000 [x]", "unchanged Older 7001 [y]", "create New  [z]"}},
  };
  for (const DepartmentCase& c : cases) {
    StoreSnapshot stored;
    stored.users = c.stored_users;
    stored.departments = c.stored_departments;
    Profile profile;
    profile.name = "p";
    profile.departments.enabled = true;
    profile.departments.ring_groups = {7000, 7001};
    EXPECT_EQ(Describe(PlanDepartments(c.items, c.item_stored, stored, profile, c.complete)),
              c.want)
        << c.name;
  }
}

TEST(DepartmentsTest, ReportsTheFieldChanges) {
  StoreSnapshot stored;
  stored.departments = {Dept("Sales", "", {"anna"})};
  Profile profile;
  profile.name = "p";
  profile.departments.ring_groups = {7000, 7099};
  const std::vector<PlanItem> items = {Item(Action::kCreate, User("anna", "Sales")),
                                       Item(Action::kCreate, User("bert", "Sales"))};
  const auto got = PlanDepartments(items, {-1, -1}, stored, profile, true);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].changes.size(), 2u);
  EXPECT_EQ(got[0].changes[0].field, "members");
  EXPECT_EQ(got[0].changes[0].old_value, "anna");
  EXPECT_EQ(got[0].changes[0].new_value, "anna,bert");
  EXPECT_EQ(got[0].changes[1].field, "ring_group");
  EXPECT_EQ(got[0].changes[1].new_value, "7000");
}

}  // namespace
}  // namespace telsync::plan_detail
