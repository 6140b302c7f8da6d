// The revert planner (plan/revert.h): unit cases, and the property of issue 18 §2 against the
// planner's in-memory twin: over random syncs on generated directories, sync A, sync B,
// revert B gives the PBX directory of A field by field; values changed in between are
// conflicts and stay as they were changed.
#include "plan/revert.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "plan/planner.h"
#include "plan/simulate.h"

namespace telsync {
namespace {

constexpr int64_t kNow = 1'800'000'000;

Profile TestProfile() {
  Profile p;
  p.tenant = "t";
  p.name = "p";
  p.policy.grace_days = 0;
  p.policy.protect_mobile = false;
  p.policy.max_deletes = -1;
  p.policy.max_delete_percent = -1;
  p.departments.enabled = true;
  p.departments.ring_groups = {7000, 7099};
  return p;
}

DesiredUser Desired(const std::string& key, const std::string& name,
                    const std::string& city = "Lund") {
  DesiredUser d;
  d.enabled = true;
  d.user.source_key = key;
  d.user.fields.Set(Field::kUsername, name);
  d.user.fields.Set(Field::kEmail, name + "@example.se");
  d.user.fields.Set(Field::kDisplayName, "User " + name);
  d.user.fields.Set(Field::kCity, city);
  return d;
}

// What the store keeps of a run (SaveRunItems / GetRunItems): each item's effective
// changes, and a deleted user's row; no other target.
RecordedRun Record(const Plan& plan, int64_t id, int64_t started = kNow) {
  RecordedRun r;
  r.run.id = id;
  r.run.tenant = plan.tenant;
  r.run.profile = plan.profile;
  r.run.kind = RunKind::kSync;
  r.run.status = RunStatus::kSuccess;
  r.run.started_at = started;
  for (const PlanItem& item : plan.items) {
    PlanItem kept;
    kept.action = item.action;
    kept.key = item.key;
    kept.username = item.username;
    kept.changes = EffectiveChanges(item);
    kept.reason = item.reason;
    kept.user_id = item.user_id;
    if (item.action == Action::kDelete) kept.target = *item.target;
    r.items.push_back(std::move(kept));
  }
  r.departments = plan.departments;
  return r;
}

class Sim {
 public:
  explicit Sim(Profile profile) : profile_(std::move(profile)) {}

  // Plans and applies a sync of `desired`, records it as run `next id`.
  const RecordedRun& Sync(const std::vector<DesiredUser>& desired) {
    PlanInput input;
    input.desired = desired;
    input.complete = true;
    input.source = "gen";
    Plan plan = MakePlan(input, store.snapshot, profile_, kNow);
    plan.tenant = profile_.tenant;
    plan.profile = profile_.name;
    store.Apply(plan);
    runs.push_back(Record(plan, static_cast<int64_t>(runs.size()) + 1));
    return runs.back();
  }

  Plan Revert(int64_t id, bool approved = false) {
    RevertInput input;
    input.reverted = runs[static_cast<size_t>(id - 1)];
    for (size_t i = static_cast<size_t>(id); i < runs.size(); ++i) input.later.push_back(runs[i]);
    return MakeRevertPlan(input, store.snapshot, profile_, approved);
  }

  PbxUser* Find(const std::string& name) {
    for (PbxUser& u : store.snapshot.users) {
      if (u.fields.Get(Field::kUsername) == name) return &u;
    }
    return nullptr;
  }

  Profile profile_;
  SimulatedStore store;
  std::vector<RecordedRun> runs;
};

const PlanItem* ItemOf(const Plan& plan, const std::string& name, Action action) {
  for (const PlanItem& item : plan.items) {
    if (item.username == name && item.action == action) return &item;
  }
  return nullptr;
}

// The field-by-field difference of two directories ("" when equal).
std::string Diff(StoreSnapshot a, StoreSnapshot b) {
  auto by_id = [](const PbxUser& x, const PbxUser& y) { return x.id < y.id; };
  std::sort(a.users.begin(), a.users.end(), by_id);
  std::sort(b.users.begin(), b.users.end(), by_id);
  std::string out;
  std::map<int64_t, const PbxUser*> bs;
  for (const PbxUser& u : b.users) bs[u.id] = &u;
  std::set<int64_t> seen;
  for (const PbxUser& u : a.users) {
    auto it = bs.find(u.id);
    if (it == bs.end()) {
      out += "user " + std::to_string(u.id) + " missing; ";
      continue;
    }
    seen.insert(u.id);
    const PbxUser& v = *it->second;
    for (size_t f = 0; f < kFieldCount; ++f) {
      if (u.fields.Get(static_cast<Field>(f)) != v.fields.Get(static_cast<Field>(f))) {
        out += "user " + std::to_string(u.id) + " " +
               std::string(FieldName(static_cast<Field>(f))) + ": " +
               std::string(u.fields.Get(static_cast<Field>(f))) +
               " != " + std::string(v.fields.Get(static_cast<Field>(f))) + "; ";
      }
    }
    if (u.source_key != v.source_key || u.profile != v.profile || u.searchable != v.searchable ||
        u.state != v.state || u.pending_since != v.pending_since || u.groups != v.groups ||
        u.custom != v.custom) {
      out += "user " + std::to_string(u.id) + " state, link, groups or custom differ; ";
    }
  }
  for (const PbxUser& u : b.users) {
    if (!seen.count(u.id)) out += "extra user " + std::to_string(u.id) + "; ";
  }
  std::map<std::string, const Department*> bd;
  for (const Department& d : b.departments) bd[d.name] = &d;
  for (const Department& d : a.departments) {
    auto it = bd.find(d.name);
    if (it == bd.end()) {
      out += "department " + d.name + " missing; ";
    } else if (it->second->ring_group != d.ring_group || it->second->members != d.members) {
      out += "department " + d.name + " differs; ";
    }
    bd.erase(d.name);
  }
  for (const auto& [name, d] : bd) out += "extra department " + name + "; ";
  return out;
}

TEST(RevertTest, UndoesCreatesUpdatesAndDeletesAndKeepsTheDeletedUsersId) {
  Sim sim(TestProfile());
  sim.Sync({Desired("k1", "anna"), Desired("k2", "bert"), Desired("k3", "cleo")});
  const StoreSnapshot after_a = sim.store.snapshot;
  const int64_t cleo_id = sim.Find("cleo")->id;
  sim.Sync({Desired("k1", "anna", "Malmö"), Desired("k2", "bert"), Desired("k4", "dora")});
  ASSERT_EQ(sim.Find("cleo"), nullptr);

  const Plan plan = sim.Revert(2);
  EXPECT_FALSE(plan.held);
  EXPECT_EQ(plan.source, "revert of run 2");
  const PlanItem* dora = ItemOf(plan, "dora", Action::kDelete);
  ASSERT_NE(dora, nullptr);
  EXPECT_EQ(dora->reason, "created by run 2");
  const PlanItem* anna = ItemOf(plan, "anna", Action::kUpdate);
  ASSERT_NE(anna, nullptr);
  ASSERT_EQ(anna->changes.size(), 1u);
  EXPECT_EQ(anna->changes[0].field, "city");
  EXPECT_EQ(anna->changes[0].old_value, "Malmö");
  EXPECT_EQ(anna->changes[0].new_value, "Lund");
  const PlanItem* cleo = ItemOf(plan, "cleo", Action::kCreate);
  ASSERT_NE(cleo, nullptr);
  EXPECT_EQ(cleo->user_id, cleo_id);
  EXPECT_EQ(cleo->target->fields.Get(Field::kEmail), "cleo@example.se");

  sim.store.Apply(plan);
  EXPECT_EQ(Diff(after_a, sim.store.snapshot), "");
}

TEST(RevertTest, AValueChangedSinceIsAConflictNamingTheRunThatChangedIt) {
  Sim sim(TestProfile());
  sim.Sync({Desired("k1", "anna"), Desired("k2", "bert")});
  sim.Sync({Desired("k1", "anna", "Malmö"), Desired("k2", "bert", "Malmö")});
  sim.Sync({Desired("k1", "anna", "Ystad"), Desired("k2", "bert", "Malmö")});  // run 3
  sim.Find("bert")->fields.Set(Field::kJobTitle, "Boss");  // outside telsync, not a run-2 field

  const Plan plan = sim.Revert(2);
  const PlanItem* conflict = ItemOf(plan, "anna", Action::kConflict);
  ASSERT_NE(conflict, nullptr);
  EXPECT_EQ(conflict->reason, "city changed since run 2 by run 3");
  ASSERT_EQ(conflict->changes.size(), 1u);
  EXPECT_EQ(conflict->changes[0].old_value, "Ystad");
  EXPECT_EQ(conflict->changes[0].new_value, "Lund");
  EXPECT_EQ(ItemOf(plan, "anna", Action::kUpdate), nullptr);
  EXPECT_NE(ItemOf(plan, "bert", Action::kUpdate), nullptr);
  EXPECT_EQ(plan.Summary()[static_cast<size_t>(Action::kConflict)], 1u);

  sim.store.Apply(plan);
  EXPECT_EQ(sim.Find("anna")->fields.Get(Field::kCity), "Ystad");
  EXPECT_EQ(sim.Find("bert")->fields.Get(Field::kCity), "Lund");
  EXPECT_EQ(sim.Find("bert")->fields.Get(Field::kJobTitle), "Boss");

  // Changed outside telsync: no run to name.
  sim.Find("bert")->fields.Set(Field::kCity, "Kiruna");
  sim.runs.push_back(Record(plan, 4));
  const Plan again = sim.Revert(4);
  const PlanItem* outside = ItemOf(again, "bert", Action::kConflict);
  ASSERT_NE(outside, nullptr);
  EXPECT_EQ(outside->reason, "city changed since run 4 outside telsync");
}

TEST(RevertTest, ACreatedUserChangedSinceIsNotDeleted) {
  Sim sim(TestProfile());
  sim.Sync({Desired("k1", "anna")});
  sim.Sync({Desired("k1", "anna"), Desired("k2", "bert")});
  sim.Sync({Desired("k1", "anna"), Desired("k2", "bert", "Ystad")});
  const Plan plan = sim.Revert(2);
  const PlanItem* bert = ItemOf(plan, "bert", Action::kConflict);
  ASSERT_NE(bert, nullptr);
  EXPECT_EQ(bert->reason, "created by run 2, not deleted: city changed since run 2 by run 3");
  EXPECT_EQ(ItemOf(plan, "bert", Action::kDelete), nullptr);
}

TEST(RevertTest, SafetyRulesHoldAsInASync) {
  Profile profile = TestProfile();
  profile.policy.protect_mobile = true;
  profile.policy.max_deletes = 1;
  Sim sim(profile);
  sim.Sync({Desired("k1", "anna")});
  DesiredUser mobile = Desired("k2", "bert");
  mobile.user.fields.Set(Field::kMobile, "+46701234567");
  sim.Sync({Desired("k1", "anna"), mobile, Desired("k3", "cleo"), Desired("k4", "dora")});

  const Plan held = sim.Revert(2);
  // protect_mobile: bert holds a number; cleo and dora are 2 deletions > max_deletes 1.
  const PlanItem* bert = ItemOf(held, "bert", Action::kBlocked);
  ASSERT_NE(bert, nullptr);
  EXPECT_NE(bert->reason.find("protect_mobile"), std::string::npos);
  EXPECT_TRUE(held.held);
  EXPECT_EQ(held.hold_reason, "2 deletions exceed max_deletes 1");
  const Plan approved = sim.Revert(2, true);
  EXPECT_FALSE(approved.held);
  EXPECT_EQ(approved.Summary()[static_cast<size_t>(Action::kDelete)], 2u);
}

TEST(RevertTest, ARestoredUsersValuesHeldByAnotherUserAreAConflict) {
  Sim sim(TestProfile());
  sim.Sync({Desired("k1", "anna"), Desired("k2", "bert")});
  sim.Sync({Desired("k1", "anna")});
  DesiredUser taker = Desired("k9", "bert2");
  taker.user.fields.Set(Field::kEmail, "bert@example.se");
  sim.Sync({Desired("k1", "anna"), taker});
  const Plan plan = sim.Revert(2);
  const PlanItem* bert = ItemOf(plan, "bert", Action::kConflict);
  ASSERT_NE(bert, nullptr);
  EXPECT_EQ(bert->reason,
            "deleted by run 2, not restored: email \"bert@example.se\" is also used by bert2");
}

TEST(RevertTest, ADeletedUserWithoutAKeptRowIsAnError) {
  Sim sim(TestProfile());
  sim.Sync({Desired("k1", "anna"), Desired("k2", "bert")});
  sim.Sync({Desired("k1", "anna")});
  for (PlanItem& item : sim.runs[1].items) item.target = TargetUser();  // recorded before 11
  const Plan plan = sim.Revert(2);
  const PlanItem* bert = ItemOf(plan, "bert", Action::kError);
  ASSERT_NE(bert, nullptr);
  EXPECT_NE(bert->reason.find("did not keep"), std::string::npos);
}

TEST(RevertTest, DepartmentAndRingGroupChangesAreUndone) {
  Sim sim(TestProfile());
  DesiredUser anna = Desired("k1", "anna");
  anna.user.fields.Set(Field::kDepartment, "Sales");
  DesiredUser bert = Desired("k2", "bert");
  bert.user.fields.Set(Field::kDepartment, "Sales");
  sim.Sync({anna, bert});
  const StoreSnapshot after_a = sim.store.snapshot;
  bert.user.fields.Set(Field::kDepartment, "Support");
  sim.Sync({anna, bert});
  ASSERT_EQ(sim.store.snapshot.departments.size(), 2u);
  const Plan plan = sim.Revert(2);
  ASSERT_EQ(plan.departments.size(), 2u);
  sim.store.Apply(plan);
  EXPECT_EQ(Diff(after_a, sim.store.snapshot), "");
}

// ---- The property ----

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool Chance(int percent) { return Pick(100) < percent; }

  DesiredUser User(int i) {
    DesiredUser d = Desired("s" + std::to_string(i), "user" + std::to_string(i),
                            "City" + std::to_string(Pick(3)));
    if (Chance(60)) d.user.fields.Set(Field::kDepartment, "Dept" + std::to_string(Pick(4)));
    if (Chance(40)) d.user.fields.Set(Field::kMobile, "+467000" + std::to_string(1000 + i));
    if (Chance(50)) d.user.fields.Set(Field::kJobTitle, "Title" + std::to_string(Pick(5)));
    if (Chance(30)) d.user.custom.push_back({"alpha", "a" + std::to_string(Pick(3))});
    return d;
  }

  // The next state of the directory: users leave, arrive, move, change and get disabled.
  std::vector<DesiredUser> Mutate(const std::vector<DesiredUser>& a, int& next) {
    std::vector<DesiredUser> b;
    for (DesiredUser d : a) {
      if (Chance(15)) continue;
      if (Chance(30)) d.user.fields.Set(Field::kCity, "City" + std::to_string(Pick(5)));
      if (Chance(20)) d.user.fields.Set(Field::kDepartment, "Dept" + std::to_string(Pick(5)));
      if (Chance(15)) d.user.fields.Set(Field::kJobTitle, "");
      if (Chance(10)) d.user.fields.Set(Field::kDisplayName, "Renamed " + std::to_string(next));
      if (Chance(10)) d.user.custom = {{"alpha", "z"}};
      if (Chance(8)) d.enabled = !d.enabled;
      b.push_back(std::move(d));
    }
    for (int k = Pick(6); k > 0; --k) b.push_back(User(next++));
    return b;
  }

  Profile MakeProfile() {
    Profile p = TestProfile();
    p.policy.grace_days = Chance(50) ? 0 : 7;
    p.policy.disabled = static_cast<DisabledAction>(Pick(3));
    p.departments.enabled = Chance(70);
    if (Chance(50)) p.extensions = {5000, 5999};
    return p;
  }

 private:
  std::mt19937 rng_;
};

TEST(RevertPropertyTest, SyncASyncBRevertBIsTheDirectoryOfA) {
  for (uint32_t seed = 1; seed <= 60; ++seed) {
    Generator gen(seed);
    Sim sim(gen.MakeProfile());
    int next = 0;
    std::vector<DesiredUser> a;
    for (int i = gen.Pick(20) + 5; i > 0; --i) a.push_back(gen.User(next++));
    // A few syncs before A: the directory has a history.
    for (int k = gen.Pick(3); k > 0; --k) sim.Sync(gen.Mutate(a, next));
    sim.Sync(a);
    const StoreSnapshot after_a = sim.store.snapshot;
    const std::vector<DesiredUser> b = gen.Mutate(a, next);
    const int64_t run_b = sim.Sync(b).run.id;
    const Plan plan = sim.Revert(run_b);
    EXPECT_FALSE(plan.held) << "seed " << seed;
    EXPECT_EQ(plan.Summary()[static_cast<size_t>(Action::kConflict)], 0u) << "seed " << seed;
    EXPECT_EQ(plan.Summary()[static_cast<size_t>(Action::kError)], 0u) << "seed " << seed;
    sim.store.Apply(plan);
    EXPECT_EQ(Diff(after_a, sim.store.snapshot), "") << "seed " << seed;
  }
}

TEST(RevertPropertyTest, ValuesChangedInBetweenBecomeConflictsAndStay) {
  for (uint32_t seed = 1; seed <= 60; ++seed) {
    Generator gen(seed);
    Sim sim(gen.MakeProfile());
    int next = 0;
    std::vector<DesiredUser> a;
    for (int i = gen.Pick(20) + 5; i > 0; --i) a.push_back(gen.User(next++));
    sim.Sync(a);
    StoreSnapshot expected = sim.store.snapshot;
    const int64_t run_b = sim.Sync(gen.Mutate(a, next)).run.id;
    // Changed in between, outside telsync: some users' job titles.
    std::set<int64_t> changed;
    for (PbxUser& u : sim.store.snapshot.users) {
      if (!gen.Chance(25)) continue;
      u.fields.Set(Field::kJobTitle, "Changed" + std::to_string(u.id));
      changed.insert(u.id);
    }
    const Plan plan = sim.Revert(run_b);
    // Every changed value that run B had written is a conflict naming no run.
    const RecordedRun& b = sim.runs.back();
    for (const PlanItem& item : b.items) {
      if (!IsWrite(item.action) || item.action == Action::kDelete) continue;
      bool wrote_title = false;
      for (const FieldChange& c : item.changes) wrote_title |= c.field == "job_title";
      const int64_t id = item.user_id;
      if (item.action == Action::kCreate || !wrote_title || !changed.count(id)) continue;
      const PlanItem* conflict = ItemOf(plan, item.username, Action::kConflict);
      ASSERT_NE(conflict, nullptr) << "seed " << seed << " user " << item.username;
      EXPECT_NE(conflict->reason.find("job_title changed since run " + std::to_string(run_b) +
                                      " outside telsync"),
                std::string::npos)
          << conflict->reason;
    }
    sim.store.Apply(plan);
    // The directory of A, but with the values changed since: kept, never overwritten. A
    // user run B created and that was changed since is not deleted.
    std::map<int64_t, PbxUser*> now;
    for (PbxUser& u : sim.store.snapshot.users) now[u.id] = &u;
    for (PbxUser& u : expected.users) {
      if (changed.count(u.id)) u.fields.Set(Field::kJobTitle, "Changed" + std::to_string(u.id));
    }
    std::set<int64_t> in_a;
    for (const PbxUser& u : expected.users) in_a.insert(u.id);
    for (const auto& [id, u] : now) {
      if (!in_a.count(id) && changed.count(id)) expected.users.push_back(*u);
    }
    // Ring groups follow their members: compare users only when a kept user moved them.
    expected.departments = sim.store.snapshot.departments;
    EXPECT_EQ(Diff(expected, sim.store.snapshot), "") << "seed " << seed;
  }
}

}  // namespace
}  // namespace telsync
