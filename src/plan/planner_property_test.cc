// Property tests of the planner against its in-memory twin (SimulatedStore): planning
// converges (plan, apply, plan again = nothing to do), an incomplete read never plans a
// deletion, and the summary always equals the items.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "plan/planner.h"
#include "plan/simulate.h"

namespace telsync {
namespace {

constexpr int64_t kNow = 1'800'000'000;

class World {
 public:
  explicit World(uint32_t seed) : rng_(seed) {}

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool Chance(int percent) { return Pick(100) < percent; }

  // A value from a small pool (so that duplicates happen) or a unique one.
  std::string Shared(const std::string& prefix, int pool) {
    return prefix + std::to_string(Pick(pool));
  }
  std::string Unique(const std::string& prefix) { return prefix + std::to_string(++counter_); }

  Profile MakeProfile() {
    Profile p;
    p.tenant = "t";
    p.name = "p";
    p.policy.grace_days = 0;  // convergence in one step (pending is covered elsewhere)
    p.policy.protect_mobile = false;
    p.policy.max_deletes = -1;
    p.policy.max_delete_percent = -1;
    p.policy.disabled = static_cast<DisabledAction>(Pick(3));
    if (Chance(50)) p.extensions = {5000, 5000 + Pick(400)};
    p.departments.enabled = Chance(70);
    p.departments.ring_groups = {7000, 7000 + Pick(6)};
    p.templates = {{"support", {"Support"}, "+4680001", {}}, {"std", {"All"}, "", {}}};
    p.rules = {{"department", "support", "", "support"}, {"group", "", "Sales.*", "std"}};
    p.default_template = "std";
    p.default_caller_id = "+4680000";
    return p;
  }

  DesiredUser MakeDesired(size_t i, bool disabled, bool dup_prone) {
    DesiredUser d;
    d.enabled = !disabled;
    PbxUser& u = d.user;
    u.source_key =
        Chance(2) ? "s" + std::to_string(Pick(static_cast<int>(i) + 1)) : "s" + std::to_string(i);
    // Disabled users may be deleted (policy.disabled: delete); values they hold are only
    // free after the deletion is applied, so they do not share values (see below).
    auto value = [&](const std::string& prefix, int pool) {
      return dup_prone && Chance(8) ? Shared(prefix, pool) : Unique(prefix);
    };
    const std::string name = value("user", 40);
    u.fields.Set(Field::kUsername, name);
    u.fields.Set(Field::kFirstName, Chance(90) ? "First" + std::to_string(Pick(9)) : "");
    u.fields.Set(Field::kLastName, "Last" + std::to_string(Pick(9)));
    u.fields.Set(Field::kDisplayName, "Disp" + std::to_string(Pick(9)));
    u.fields.Set(Field::kEmail, Chance(90) ? value("mail", 40) + "@example.se" : "");
    if (Chance(40)) u.fields.Set(Field::kExtension, value("", 30).insert(0, "51"));
    if (Chance(60)) u.fields.Set(Field::kLandline, value("+46810", 30));
    if (Chance(60)) u.fields.Set(Field::kMobile, value("+46700", 30));
    if (Chance(70)) u.fields.Set(Field::kDepartment, Shared("Dept", 5));
    if (Chance(10)) u.fields.Set(Field::kDepartment, "Support");
    if (Chance(50)) u.fields.Set(Field::kCity, Shared("City", 3));
    if (Chance(30)) u.custom.push_back({"alpha", Chance(80) ? Shared("a", 3) : ""});
    if (Chance(30)) u.custom.push_back({"beta", Shared("b", 3)});
    // A UPN that differs from the e-mail would let adoption move a value between users
    // (see ApplyThenReplanIsANoop); the unit tests cover UPN adoption.
    if (Chance(20) && !u.fields.Get(Field::kEmail).empty()) {
      d.set_upn("MAIL" + std::string(u.fields.Get(Field::kEmail)).substr(4));
    }
    if (Chance(30)) d.set_source_groups({Shared("Sales", 2), Shared("G", 4)});
    return d;
  }

  // A stored user that is a stale version of `d` (linked), with unique-field values that
  // are either d's own or unique ("old") ones nobody else asks for.
  PbxUser Stale(const DesiredUser& d, int64_t id) {
    PbxUser u = d.user;
    u.id = id;
    u.profile = "p";
    for (Field f :
         {Field::kEmail, Field::kUsername, Field::kExtension, Field::kLandline, Field::kMobile}) {
      if (Chance(15)) u.fields.Set(f, f == Field::kExtension ? "" : Unique("old"));
    }
    if (Chance(30)) u.fields.Set(Field::kCity, "Stale");
    if (Chance(10)) u.fields.Set(Field::kEmail, std::string(u.fields.Get(Field::kEmail)) + "");
    if (Chance(20)) u.searchable = !u.searchable;
    if (Chance(10)) {
      u.state = UserState::kPendingDelete;
      u.pending_since = kNow - 86400;
    }
    if (Chance(10)) u.groups = {"Non AD sync"};
    if (Chance(20)) u.subscription = "licence";
    if (Chance(20)) u.custom = {{"zeta", "kept"}};
    return u;
  }

  // An unlinked user (profile "") may be adopted, by e-mail only: its other unique values
  // are its own. Another profile's user is never changed, so it may share any value.
  PbxUser Manual(int64_t id, const std::string& profile) {
    const bool adoptable = profile.empty();
    PbxUser u;
    u.id = id;
    u.profile = profile;
    u.fields.Set(Field::kUsername,
                 !adoptable && Chance(50) ? Shared("user", 40) : Unique("manual"));
    u.fields.Set(Field::kEmail,
                 (Chance(50) ? Shared("MAIL", 40) : Unique("manual")) + "@Example.se");
    if (Chance(30))
      u.fields.Set(Field::kMobile, adoptable ? Unique("+4699") : Shared("+46700", 30));
    if (Chance(10)) u.groups = {"non ad sync"};
    if (!adoptable) u.source_key = Unique("x");
    return u;
  }

  struct Case {
    Profile profile;
    PlanInput input;
    StoreSnapshot stored;
  };

  Case Make() {
    Case c;
    c.profile = MakeProfile();
    const int n = 50 + Pick(251);
    int64_t id = 1;
    std::set<std::string> stored_keys;
    std::set<std::string> rejected_keys;
    for (int i = 0; i < n; ++i) {
      const bool disabled = Chance(10);
      const bool dup_prone = !(disabled && c.profile.policy.disabled == DisabledAction::kDelete);
      DesiredUser d = MakeDesired(static_cast<size_t>(i), disabled, dup_prone);
      // Only the first user of a repeated source id has a stored twin: otherwise values
      // would move between users within one run (converging in two runs, by design).
      if (stored_keys.insert(d.user.source_key).second && Chance(50)) {
        c.stored.users.push_back(Stale(d, id++));
      }
      if (rejected_keys.count(d.user.source_key) != 0) d.user.source_key = Unique("fresh");
      if (Chance(8) && rejected_keys.insert(d.user.source_key).second) {
        c.input.rejected.push_back({d.user.source_key,
                                    std::string(d.user.fields.Get(Field::kUsername)),
                                    "mobile \"+46 70\" is not a valid number for SE"});
      } else {
        c.input.desired.push_back(std::move(d));
      }
    }
    // Linked users gone from the source, unlinked (adoptable) users, other profiles' users.
    for (int i = Pick(30); i > 0; --i) {
      DesiredUser ghost = MakeDesired(static_cast<size_t>(1000 + i), false, false);
      ghost.user.source_key = Unique("ghost");
      c.stored.users.push_back(Stale(ghost, id++));
    }
    for (int i = Pick(30); i > 0; --i) c.stored.users.push_back(Manual(id++, ""));
    for (int i = Pick(10); i > 0; --i) c.stored.users.push_back(Manual(id++, "other"));
    for (int d = 0; d < 5; ++d) {
      if (Chance(50)) {
        c.stored.departments.push_back({id++,
                                        "Dept" + std::to_string(d),
                                        "p",
                                        Chance(80) ? std::to_string(7000 + d) : "",
                                        {Shared("user", 40)}});
      }
    }
    std::shuffle(c.stored.users.begin(), c.stored.users.end(), rng_);
    return c;
  }

 private:
  std::mt19937 rng_;
  int counter_ = 0;
};

bool IsNoopAction(Action a) {
  return a == Action::kUnchanged || a == Action::kSkip || a == Action::kConflict ||
         a == Action::kError || a == Action::kBlocked;
}

size_t Total(const Plan& plan) {
  size_t total = 0;
  for (size_t n : plan.Summary()) total += n;
  return total;
}

std::string Describe(const Plan& plan) {
  std::string out;
  for (const auto& item : plan.items) {
    if (!IsNoopAction(item.action)) {
      out += std::string(ActionName(item.action)) + " " + item.key + " (" + item.username + ")";
      for (const auto& c : item.changes)
        out += " " + c.field + ":" + c.old_value + "->" + c.new_value;
      out += " " + item.reason + "\n";
    }
  }
  for (const auto& d : plan.departments) {
    if (d.action != Action::kUnchanged) {
      out += "department " + std::string(ActionName(d.action)) + " " + d.target.name;
      for (const auto& c : d.changes) out += " " + c.field + ":" + c.old_value + "->" + c.new_value;
      out += "\n";
    }
  }
  return out;
}

std::string DescribeAll(const Plan& plan) {
  std::string out;
  for (const auto& item : plan.items) {
    out += std::string(ActionName(item.action)) + " " + item.key + " (" + item.username + ")";
    for (const auto& c : item.changes)
      out += " " + c.field + ":" + c.old_value + "->" + c.new_value;
    out += " " + item.reason + "\n";
  }
  return out;
}

TEST(PlannerPropertyTest, ApplyThenReplanIsANoop) {
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    World world(seed);
    World::Case c = world.Make();
    c.input.complete = true;
    const Plan first = MakePlan(c.input, c.stored, c.profile, kNow);
    ASSERT_EQ(Total(first), first.items.size());
    EXPECT_GE(first.items.size(), c.input.desired.size() + c.input.rejected.size());
    SimulatedStore sim{c.stored};
    sim.Apply(first);
    // Never a duplicate: each source key is linked at most once in the profile.
    std::set<std::string> keys;
    for (const auto& u : sim.snapshot.users) {
      if (u.profile == "p" && !u.source_key.empty()) {
        EXPECT_TRUE(keys.insert(u.source_key).second) << "seed " << seed << " " << u.source_key;
      }
    }
    const Plan second = MakePlan(c.input, sim.snapshot, c.profile, kNow);
    EXPECT_TRUE(second.IsNoop()) << "seed " << seed << "\n"
                                 << Describe(second) << "first:\n"
                                 << DescribeAll(first);
    ASSERT_EQ(Total(second), second.items.size());
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(PlannerPropertyTest, IncompleteReadNeverDeletes) {
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    World world(seed + 1000);
    World::Case c = world.Make();
    c.input.complete = false;
    c.profile.policy.grace_days = static_cast<int>(seed % 3);
    if (seed % 4 == 0) c.input.desired.resize(c.input.desired.size() / 4);
    const Plan plan = MakePlan(c.input, c.stored, c.profile, kNow);
    EXPECT_FALSE(plan.complete);
    for (const auto& item : plan.items) {
      EXPECT_NE(item.action, Action::kDelete) << "seed " << seed << " " << item.key;
      EXPECT_NE(item.action, Action::kPendingDelete) << "seed " << seed << " " << item.key;
    }
    for (const auto& d : plan.departments) EXPECT_NE(d.action, Action::kDelete);
    EXPECT_EQ(Total(plan), plan.items.size());
    if (::testing::Test::HasFailure()) return;
  }
}

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// Issue 14 item 5: the plan is a function of the directory, not of the order a source
// returns it in. A delta read feeds users in another order than a full read; a permutation
// of the source must give the same items, the same claims, the same adoptions and the same
// allocated extensions.
TEST(PlannerPropertyTest, SourceOrderNeverChangesThePlan) {
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    World world(seed + 2000);
    World::Case c = world.Make();
    c.input.complete = true;
    // Two objects with one source id are a conflict whichever is read first; which of the
    // two then wins is the source's order by design, so ids are unique here.
    std::set<std::string> keys;
    for (auto& d : c.input.desired) {
      if (!keys.insert(d.user.source_key).second) {
        d.user.source_key = "dup" + std::to_string(keys.size());
        keys.insert(d.user.source_key);
      }
    }
    const Plan plan = MakePlan(c.input, c.stored, c.profile, kNow);
    std::mt19937 rng(seed);
    for (int round = 0; round < 3; ++round) {
      PlanInput shuffled = c.input;
      std::shuffle(shuffled.desired.begin(), shuffled.desired.end(), rng);
      const Plan other = MakePlan(shuffled, c.stored, c.profile, kNow);
      // Items come in source order: the same items, each with the same action, changes
      // and reason, and the same departments.
      ASSERT_EQ(SortedLines(DescribeAll(other)), SortedLines(DescribeAll(plan)))
          << "seed " << seed << " round " << round;
      ASSERT_EQ(SortedLines(Describe(other)), SortedLines(Describe(plan))) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace telsync
