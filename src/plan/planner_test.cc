#include "plan/planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "plan/simulate.h"

namespace telsync {
namespace {

constexpr int64_t kNow = 1'800'000'000;
constexpr int64_t kDay = 86400;

DesiredUser Want(const std::string& key, const std::string& username) {
  DesiredUser d;
  d.user.source_key = key;
  d.user.fields.Set(Field::kUsername, username);
  d.user.fields.Set(Field::kFirstName, username);
  d.user.fields.Set(Field::kLastName, "Test");
  d.user.fields.Set(Field::kDisplayName, username + " Test");
  d.user.fields.Set(Field::kEmail, username + "@example.se");
  return d;
}

// A stored user exactly as `Want(key, username)` would converge to.
PbxUser Have(int64_t id, const std::string& key, const std::string& username,
             const std::string& profile = "p") {
  PbxUser u = Want(key, username).user;
  u.id = id;
  u.profile = key.empty() ? "" : profile;
  return u;
}

Profile BaseProfile() {
  Profile p;
  p.tenant = "t";
  p.name = "p";
  p.policy.grace_days = 0;
  p.policy.protect_mobile = false;
  p.policy.max_deletes = -1;
  p.policy.max_delete_percent = -1;
  return p;
}

const PlanItem* Find(const Plan& plan, const std::string& key) {
  for (const auto& item : plan.items) {
    if (item.key == key) return &item;
  }
  return nullptr;
}

const FieldChange* FindChange(const PlanItem& item, const std::string& field) {
  for (const auto& c : item.changes) {
    if (c.field == field) return &c;
  }
  return nullptr;
}

struct World {
  Profile profile = BaseProfile();
  PlanInput input;
  StoreSnapshot stored;
  PlanOptions options;
  int64_t now = kNow;
  Plan Run() const { return MakePlan(input, stored, profile, now, options); }
};

// The starting world of the policy table: anna stored and linked, in the source as is.
World Base() {
  World w;
  w.input.complete = true;
  w.input.source = "file:test.json";
  w.input.desired.push_back(Want("k1", "anna"));
  w.stored.users.push_back(Have(1, "k1", "anna"));
  // A second, steady user so that "gone" is never the empty-answer case.
  w.input.desired.push_back(Want("k2", "bert"));
  w.stored.users.push_back(Have(2, "k2", "bert"));
  return w;
}

void Gone(World& w) { w.input.desired.erase(w.input.desired.begin()); }
void ChangeCity(World& w) { w.input.desired[0].user.fields.Set(Field::kCity, "Lund"); }
void Disable(World& w) { w.input.desired[0].enabled = false; }

struct PolicyCase {
  const char* name;
  std::function<void(World&)> setup;
  const char* key;
  Action action;
  const char* reason;  // substring; "" = any
  bool held = false;
};

TEST(PlannerTest, PolicyTable) {
  const PolicyCase cases[] = {
      {"in step", [](World&) {}, "k1", Action::kUnchanged, ""},
      {"field changed", ChangeCity, "k1", Action::kUpdate, ""},
      {"new user", [](World& w) { w.input.desired.push_back(Want("k9", "cleo")); }, "k9",
       Action::kCreate, ""},
      {"paused plans as full",
       [](World& w) {
         w.profile.policy.mode = SyncMode::kPaused;
         ChangeCity(w);
       },
       "k1", Action::kUpdate, ""},
      {"new_only skips updates",
       [](World& w) {
         w.profile.policy.mode = SyncMode::kNewOnly;
         ChangeCity(w);
       },
       "k1", Action::kSkip, "new_only mode: existing users are not changed"},
      {"new_only still creates",
       [](World& w) {
         w.profile.policy.mode = SyncMode::kNewOnly;
         w.input.desired.push_back(Want("k9", "cleo"));
       },
       "k9", Action::kCreate, ""},
      {"new_only skips deletes",
       [](World& w) {
         w.profile.policy.mode = SyncMode::kNewOnly;
         Gone(w);
       },
       "k1", Action::kSkip, "new_only mode"},
      {"creates off",
       [](World& w) {
         w.profile.policy.create = false;
         w.input.desired.push_back(Want("k9", "cleo"));
       },
       "k9", Action::kSkip, "creates are switched off"},
      {"updates off",
       [](World& w) {
         w.profile.policy.update = false;
         ChangeCity(w);
       },
       "k1", Action::kSkip, "updates are switched off"},
      {"deletes off",
       [](World& w) {
         w.profile.policy.del = false;
         Gone(w);
       },
       "k1", Action::kSkip, "deletes are switched off"},
      {"gone, no grace", Gone, "k1", Action::kDelete, "gone from the source"},
      {"disabled -> unsearchable", Disable, "k1", Action::kUnsearchable, ""},
      {"disabled, already unsearchable",
       [](World& w) {
         Disable(w);
         w.stored.users[0].searchable = false;
       },
       "k1", Action::kUnchanged, ""},
      {"enabled again -> searchable", [](World& w) { w.stored.users[0].searchable = false; }, "k1",
       Action::kUpdate, ""},
      {"disabled -> skip",
       [](World& w) {
         Disable(w);
         w.profile.policy.disabled = DisabledAction::kSkip;
       },
       "k1", Action::kSkip, "disabled in the directory"},
      {"disabled -> delete",
       [](World& w) {
         Disable(w);
         w.profile.policy.disabled = DisabledAction::kDelete;
       },
       "k1", Action::kDelete, "disabled in the directory"},
      {"disabled -> delete, with grace",
       [](World& w) {
         Disable(w);
         w.profile.policy.disabled = DisabledAction::kDelete;
         w.profile.policy.grace_days = 7;
       },
       "k1", Action::kPendingDelete, "deleted after 7 days"},
      {"disabled new user created unsearchable",
       [](World& w) {
         w.input.desired.push_back(Want("k9", "cleo"));
         w.input.desired.back().enabled = false;
       },
       "k9", Action::kCreate, ""},
      {"excluded not changed",
       [](World& w) {
         w.stored.users[0].groups = {"non ad SYNC"};
         ChangeCity(w);
       },
       "k1", Action::kSkip, "in group \"Non AD sync\""},
      {"excluded not deleted",
       [](World& w) {
         w.stored.users[0].groups = {"Non AD sync"};
         Gone(w);
       },
       "k1", Action::kSkip, "in group \"Non AD sync\""},
      {"grace: pending first",
       [](World& w) {
         w.profile.policy.grace_days = 7;
         Gone(w);
       },
       "k1", Action::kPendingDelete, "gone from the source; deleted after 7 days"},
      {"grace: still pending",
       [](World& w) {
         w.profile.policy.grace_days = 7;
         w.stored.users[0].state = UserState::kPendingDelete;
         w.stored.users[0].pending_since = kNow - 3 * kDay;
         Gone(w);
       },
       "k1", Action::kUnchanged, "pending delete until 2027-01-19"},
      {"grace: over, deleted",
       [](World& w) {
         w.profile.policy.grace_days = 7;
         w.stored.users[0].state = UserState::kPendingDelete;
         w.stored.users[0].pending_since = kNow - 7 * kDay;
         Gone(w);
       },
       "k1", Action::kDelete, "gone from the source for 7 days"},
      {"grace: comes back",
       [](World& w) {
         w.profile.policy.grace_days = 7;
         w.stored.users[0].state = UserState::kPendingDelete;
         w.stored.users[0].pending_since = kNow - 3 * kDay;
       },
       "k1", Action::kRestore, ""},
      {"protect_mobile blocks the delete",
       [](World& w) {
         w.profile.policy.protect_mobile = true;
         w.stored.users[0].fields.Set(Field::kMobile, "+46701234567");
         Gone(w);
       },
       "k1", Action::kBlocked,
       "holds mobile +46701234567: port or cancel the number first (protect_mobile)"},
      {"protect_mobile allows pending",
       [](World& w) {
         w.profile.policy.protect_mobile = true;
         w.profile.policy.grace_days = 3;
         w.stored.users[0].fields.Set(Field::kMobile, "+46701234567");
         Gone(w);
       },
       "k1", Action::kPendingDelete, ""},
      {"incomplete read deletes nothing",
       [](World& w) {
         w.input.complete = false;
         Gone(w);
       },
       "k1", Action::kSkip, "source read incomplete: no deletion"},
      {"empty answer is incomplete", [](World& w) { w.input.desired.clear(); }, "k1", Action::kSkip,
       "source returned no users while 2 are stored: treated as incomplete"},
      {"rejected user is not deleted",
       [](World& w) {
         Gone(w);
         w.input.rejected.push_back({"k1", "anna", "mobile \"+46 70\" is not valid"});
       },
       "k1", Action::kError, "mobile \"+46 70\" is not valid"},
      {"review holds a change",
       [](World& w) {
         w.profile.policy.mode = SyncMode::kReview;
         ChangeCity(w);
       },
       "k1", Action::kUpdate, "", true},
      {"review approved is not held",
       [](World& w) {
         w.profile.policy.mode = SyncMode::kReview;
         w.options.approved = true;
         ChangeCity(w);
       },
       "k1", Action::kUpdate, "", false},
      {"review no-op not held", [](World& w) { w.profile.policy.mode = SyncMode::kReview; }, "k1",
       Action::kUnchanged, "", false},
      {"max_deletes holds",
       [](World& w) {
         w.profile.policy.max_deletes = 0;
         Gone(w);
       },
       "k1", Action::kDelete, "", true},
      {"max_delete_percent holds",
       [](World& w) {
         w.profile.policy.max_delete_percent = 49;
         Gone(w);
       },
       "k1", Action::kDelete, "", true},
      {"max_delete_percent at limit not held",
       [](World& w) {
         w.profile.policy.max_delete_percent = 50;
         Gone(w);
       },
       "k1", Action::kDelete, "", false},
      {"approved not held",
       [](World& w) {
         w.profile.policy.max_deletes = 0;
         w.options.approved = true;
         Gone(w);
       },
       "k1", Action::kDelete, "", false},
  };
  for (const PolicyCase& c : cases) {
    World w = Base();
    c.setup(w);
    const Plan plan = w.Run();
    const PlanItem* item = Find(plan, c.key);
    ASSERT_NE(item, nullptr) << c.name;
    EXPECT_EQ(ActionName(item->action), ActionName(c.action)) << c.name << ": " << item->reason;
    EXPECT_NE(item->reason.find(c.reason), std::string::npos)
        << c.name << ": reason was " << item->reason;
    EXPECT_EQ(plan.held, c.held) << c.name << ": " << plan.hold_reason;
    EXPECT_EQ(plan.tenant, "t");
    EXPECT_EQ(plan.profile, "p");
    EXPECT_EQ(plan.source, "file:test.json");
    size_t total = 0;
    for (size_t n : plan.Summary()) total += n;
    EXPECT_EQ(total, plan.items.size()) << c.name;
  }
}

TEST(PlannerTest, UpdateListsOldAndNewAndKeepsSubscription) {
  World w = Base();
  w.stored.users[0].subscription = "mobile-license-42";
  w.stored.users[0].fields.Set(Field::kJobTitle, "Clerk");
  ChangeCity(w);
  w.input.desired[0].user.custom = {{"cost_center", "42"}};
  const Plan plan = w.Run();
  const PlanItem* item = Find(plan, "k1");
  ASSERT_NE(item, nullptr);
  ASSERT_EQ(item->action, Action::kUpdate);
  const FieldChange* city = FindChange(*item, "city");
  ASSERT_NE(city, nullptr);
  EXPECT_EQ(city->old_value, "");
  EXPECT_EQ(city->new_value, "Lund");
  const FieldChange* job = FindChange(*item, "job_title");
  ASSERT_NE(job, nullptr);  // mapped to empty: cleared
  EXPECT_EQ(job->new_value, "");
  const FieldChange* custom = FindChange(*item, "custom.cost_center");
  ASSERT_NE(custom, nullptr);
  EXPECT_EQ(custom->new_value, "42");
  EXPECT_EQ(item->target->subscription, "mobile-license-42");
  EXPECT_EQ(item->user_id, 1);
  EXPECT_EQ(item->target->fields.Get(Field::kCity), "Lund");
  for (const auto& c : item->changes) EXPECT_NE(c.field, "subscription");
}

TEST(PlannerTest, UnsearchableListsSearchableChange) {
  World w = Base();
  Disable(w);
  const Plan plan = w.Run();
  const PlanItem* item = Find(plan, "k1");
  ASSERT_NE(item, nullptr);
  const FieldChange* c = FindChange(*item, "searchable");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->old_value, "true");
  EXPECT_EQ(c->new_value, "false");
  EXPECT_FALSE(item->target->searchable);
}

TEST(PlannerTest, PendingDeleteAndRestoreCarryState) {
  World w = Base();
  w.profile.policy.grace_days = 7;
  Gone(w);
  const Plan plan = w.Run();
  const PlanItem* item = Find(plan, "k1");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->target->state, UserState::kPendingDelete);
  EXPECT_EQ(item->target->pending_since, kNow);

  World back = Base();
  back.stored.users[0].state = UserState::kPendingDelete;
  back.stored.users[0].pending_since = kNow - kDay;
  const Plan back_plan = back.Run();
  const PlanItem* restored = Find(back_plan, "k1");
  ASSERT_NE(restored, nullptr);
  EXPECT_EQ(restored->action, Action::kRestore);
  EXPECT_EQ(restored->target->state, UserState::kActive);
  EXPECT_EQ(restored->target->pending_since, 0);
}

TEST(PlannerTest, HoldsDeletesAboveThreshold) {
  World w;
  w.input.complete = true;
  w.profile.policy.max_deletes = 5;
  w.input.desired.push_back(Want("k0", "keep"));
  w.stored.users.push_back(Have(100, "k0", "keep"));
  for (int i = 1; i <= 7; ++i) {
    w.stored.users.push_back(Have(i, "g" + std::to_string(i), "gone" + std::to_string(i)));
  }
  const Plan plan = w.Run();
  EXPECT_TRUE(plan.held);
  EXPECT_NE(plan.hold_reason.find("7 deletions exceed max_deletes 5"), std::string::npos)
      << plan.hold_reason;
  EXPECT_EQ(plan.Summary()[static_cast<size_t>(Action::kDelete)], 7u);
  w.options.only_user = "gone1";
  const Plan one = w.Run();
  EXPECT_FALSE(one.held);
  ASSERT_EQ(one.items.size(), 1u);
  EXPECT_EQ(one.items[0].action, Action::kDelete);
}

// Issue 14 item 6: a directory moved to new ids (AD objectGUID -> Entra id) relinks its
// users in place: no delete and create that would lose the PBX user's settings.
TEST(PlannerTest, ANewIdForTheSamePersonIsARelinkNotADeleteAndACreate) {
  World w;
  w.input.complete = true;
  w.profile.policy.max_deletes = 0;  // a relink is a change, never a delete
  for (int i = 1; i <= 3; ++i) {
    const std::string name = "user" + std::to_string(i);
    w.stored.users.push_back(Have(i, "guid-" + std::to_string(i), name));
    w.stored.users.back().subscription = "E5";  // PBX-side state that must survive
    w.input.desired.push_back(Want("entra-" + std::to_string(i), name));
  }
  w.input.desired[2].user.fields.Set(Field::kJobTitle, "Chef");  // and a change with it
  const Plan plan = w.Run();
  EXPECT_FALSE(plan.held) << plan.hold_reason;
  const auto summary = plan.Summary();
  EXPECT_EQ(summary[static_cast<size_t>(Action::kRelink)], 3u);
  EXPECT_EQ(summary[static_cast<size_t>(Action::kCreate)], 0u);
  EXPECT_EQ(summary[static_cast<size_t>(Action::kDelete)], 0u);
  const PlanItem* item = Find(plan, "entra-3");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->action, Action::kRelink);
  EXPECT_EQ(item->user_id, 3);
  const FieldChange* key = FindChange(*item, "source_key");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->old_value, "guid-3");
  EXPECT_EQ(key->new_value, "entra-3");
  EXPECT_NE(FindChange(*item, "job_title"), nullptr);
  // Applied, the users follow their new ids with everything they had; a second plan is
  // a no-op.
  SimulatedStore sim{w.stored};
  sim.Apply(plan);
  for (const PbxUser& u : sim.snapshot.users) {
    EXPECT_EQ(u.source_key.rfind("entra-", 0), 0u) << u.source_key;
    EXPECT_EQ(u.subscription, "E5");
  }
  EXPECT_TRUE(MakePlan(w.input, sim.snapshot, w.profile, w.now).IsNoop());
}

TEST(PlannerTest, NoRelinkWhileTheOldIdIsStillReadOrTheReadIsIncomplete) {
  World w = Base();  // anna (k1) stored and in the source
  DesiredUser twin = Want("k7", "anna2");
  twin.user.fields.Set(Field::kEmail, "anna@example.se");
  w.input.desired.push_back(twin);
  Plan plan = w.Run();
  EXPECT_EQ(Find(plan, "k1")->action, Action::kUnchanged);
  EXPECT_EQ(Find(plan, "k7")->action, Action::kConflict);  // anna keeps her e-mail
  // The old id gone, but the read incomplete: nothing is decided about anna.
  Gone(w);
  w.input.complete = false;
  plan = w.Run();
  EXPECT_EQ(plan.Summary()[static_cast<size_t>(Action::kRelink)], 0u);
  EXPECT_EQ(plan.Summary()[static_cast<size_t>(Action::kDelete)], 0u);
  EXPECT_EQ(Find(plan, "k7")->action, Action::kConflict);
  // Complete: the relink.
  w.input.complete = true;
  plan = w.Run();
  EXPECT_EQ(Find(plan, "k7")->action, Action::kRelink);
  EXPECT_EQ(plan.Summary()[static_cast<size_t>(Action::kDelete)], 0u);
}

TEST(PlannerTest, OnlyUserMatchesUsernameEmailOrKey) {
  World w = Base();
  w.input.desired.push_back(Want("k9", "cleo"));
  for (const char* name : {"CLEO", "cleo@example.SE", "k9"}) {
    w.options.only_user = name;
    const Plan plan = w.Run();
    ASSERT_EQ(plan.items.size(), 1u) << name;
    EXPECT_EQ(plan.items[0].key, "k9");
    EXPECT_EQ(plan.items[0].action, Action::kCreate);
  }
  w.options.only_user = "nobody";
  EXPECT_TRUE(w.Run().items.empty());
}

TEST(PlannerTest, OnlyKeysPlansTheTouchedObjectsAndDeletesOnlyThose) {
  // A SCIM batch: k9 created, k1 deleted from the mirror; bert (k2) is not in the input
  // at all (the batch did not read him) and must be left alone, not deleted.
  World w;
  w.input.complete = true;
  w.stored.users.push_back(Have(1, "k1", "anna"));
  w.stored.users.push_back(Have(2, "k2", "bert"));
  w.input.desired.push_back(Want("k9", "cleo"));
  w.options.only_keys = {"k9", "k1"};
  const Plan plan = w.Run();
  ASSERT_EQ(plan.items.size(), 2u);
  ASSERT_NE(Find(plan, "k9"), nullptr);
  EXPECT_EQ(Find(plan, "k9")->action, Action::kCreate);
  ASSERT_NE(Find(plan, "k1"), nullptr);
  EXPECT_EQ(Find(plan, "k1")->action, Action::kDelete);
  EXPECT_EQ(Find(plan, "k2"), nullptr);

  // The deletion thresholds still hold a scoped plan.
  w.profile.policy.max_deletes = 0;
  EXPECT_TRUE(w.Run().held);
  // A new user may still not take a stored user's e-mail (the whole store is checked).
  w.profile.policy.max_deletes = -1;
  w.options.only_keys = {"k9"};
  w.input.desired[0].user.fields.Set(Field::kEmail, "bert@example.se");
  const Plan clash = w.Run();
  ASSERT_EQ(clash.items.size(), 1u);
  EXPECT_EQ(clash.items[0].action, Action::kConflict);
}

TEST(PlannerTest, CreateTargetIsCompleteAndNew) {
  World w = Base();
  w.input.desired.push_back(Want("k9", "cleo"));
  w.input.desired.back().user.custom = {{"a", "1"}, {"b", ""}};
  const Plan plan = w.Run();
  const PlanItem* item = Find(plan, "k9");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->user_id, 0);
  EXPECT_EQ(item->target->id, 0);
  EXPECT_EQ(item->target->profile, "p");
  EXPECT_EQ(item->target->source_key, "k9");
  EXPECT_TRUE(item->target->searchable);
  EXPECT_EQ(item->target->custom.size(), 1u);
  EXPECT_EQ(item->username, "cleo");
}

// ---- identity (F7) ----

struct AdoptCase {
  const char* name;
  std::function<void(PbxUser&, DesiredUser&)> setup;
  bool adopted;
};

TEST(PlannerTest, AdoptsUnlinkedUsersOnceNeverDuplicates) {
  const AdoptCase cases[] = {
      {"email, case-insensitive",
       [](PbxUser& s, DesiredUser&) { s.fields.Set(Field::kEmail, "Cleo@Example.SE"); }, true},
      {"upn",
       [](PbxUser& s, DesiredUser& d) {
         s.fields.Set(Field::kEmail, "cleo@corp.example.se");
         s.fields.Set(Field::kUsername, "c.manual");
         d.set_upn("CLEO@corp.example.se");
       },
       true},
      {"username",
       [](PbxUser& s, DesiredUser&) {
         s.fields.Set(Field::kEmail, "other@example.se");
         s.fields.Set(Field::kUsername, "CLEO");
       },
       true},
      {"another profile's user is never adopted",
       [](PbxUser& s, DesiredUser&) {
         s.profile = "other";
         s.source_key = "x1";
       },
       false},
  };
  for (const AdoptCase& c : cases) {
    World w = Base();
    DesiredUser d = Want("k9", "cleo");
    PbxUser s = Have(50, "", "cleo");
    c.setup(s, d);
    w.input.desired.push_back(d);
    w.stored.users.push_back(s);
    const Plan plan = w.Run();
    const PlanItem* item = Find(plan, "k9");
    ASSERT_NE(item, nullptr) << c.name;
    EXPECT_EQ(plan.Summary()[static_cast<size_t>(Action::kCreate)], 0u) << c.name;
    if (c.adopted) {
      EXPECT_EQ(item->action, Action::kUpdate) << c.name << ": " << item->reason;
      EXPECT_EQ(item->user_id, 50) << c.name;
      const FieldChange* link = FindChange(*item, "source_key");
      ASSERT_NE(link, nullptr) << c.name;
      EXPECT_EQ(link->old_value, "");
      EXPECT_EQ(link->new_value, "k9");
      EXPECT_EQ(item->target->profile, "p");
      // Adopted, applied, planned again: linked and in step.
      SimulatedStore sim{w.stored};
      sim.Apply(plan);
      const Plan again = MakePlan(w.input, sim.snapshot, w.profile, kNow);
      EXPECT_TRUE(again.IsNoop()) << c.name;
      EXPECT_EQ(sim.snapshot.users.size(), w.stored.users.size()) << c.name;
    } else {
      EXPECT_EQ(item->action, Action::kConflict) << c.name;
    }
  }
}

TEST(PlannerTest, SecondCandidateForAnAdoptedUserIsAConflict) {
  World w = Base();
  w.stored.users.push_back(Have(50, "", "cleo"));
  DesiredUser a = Want("k8", "cleo");
  DesiredUser b = Want("k9", "cleo2");
  b.set_upn("cleo@example.se");
  w.input.desired.push_back(a);
  w.input.desired.push_back(b);
  const Plan plan = w.Run();
  EXPECT_EQ(Find(plan, "k8")->action, Action::kUpdate);
  const PlanItem* second = Find(plan, "k9");
  EXPECT_EQ(second->action, Action::kConflict);
  EXPECT_NE(second->reason.find("also matches user cleo adopted by cleo"), std::string::npos)
      << second->reason;
}

TEST(PlannerTest, ExcludedUnlinkedUserIsNotAdoptedNorDuplicated) {
  World w = Base();
  PbxUser s = Have(50, "", "cleo");
  s.groups = {"Non AD sync"};
  w.stored.users.push_back(s);
  w.input.desired.push_back(Want("k9", "cleo"));
  const Plan plan = w.Run();
  EXPECT_EQ(Find(plan, "k9")->action, Action::kSkip);
  EXPECT_EQ(plan.Summary()[static_cast<size_t>(Action::kCreate)], 0u);
}

// ---- conflicts (F8) ----

TEST(PlannerTest, ConflictsOnEveryUniqueField) {
  const Field fields[] = {Field::kEmail, Field::kUsername, Field::kExtension, Field::kLandline,
                          Field::kMobile};
  for (const Field f : fields) {
    const std::string value = f == Field::kExtension ? "2001" : "+46812345678";
    // Among new desired users: the larger source id is the conflict.
    {
      World w = Base();
      DesiredUser a = Want("k8", "cleo");
      DesiredUser b = Want("k9", "dora");
      if (f == Field::kEmail || f == Field::kUsername) {
        b.user.fields.Set(f, a.user.fields.Get(f));
      } else {
        a.user.fields.Set(f, value);
        b.user.fields.Set(f, value);
      }
      w.input.desired.push_back(a);
      w.input.desired.push_back(b);
      const Plan plan = w.Run();
      EXPECT_EQ(Find(plan, "k8")->action, Action::kCreate) << FieldName(f);
      const PlanItem* item = Find(plan, "k9");
      EXPECT_EQ(item->action, Action::kConflict) << FieldName(f);
      EXPECT_NE(item->reason.find(std::string(FieldName(f)) + " \""), std::string::npos);
      EXPECT_NE(item->reason.find("is also used by cleo"), std::string::npos) << item->reason;
    }
    // Against a stored user of another profile.
    {
      World w = Base();
      PbxUser other = Have(60, "x1", "zed", "other");
      DesiredUser b = Want("k9", "dora");
      if (f == Field::kEmail || f == Field::kUsername) {
        b.user.fields.Set(f, other.fields.Get(f));
      } else {
        other.fields.Set(f, value);
        b.user.fields.Set(f, value);
      }
      w.stored.users.push_back(other);
      w.input.desired.push_back(b);
      const Plan plan = w.Run();
      const PlanItem* item = Find(plan, "k9");
      EXPECT_EQ(item->action, Action::kConflict) << FieldName(f);
      EXPECT_NE(item->reason.find("is also used by zed"), std::string::npos) << item->reason;
    }
  }
}

TEST(PlannerTest, UpdateConflictsWithAManualUsersNumber) {
  World w = Base();
  PbxUser manual = Have(70, "", "manual");
  manual.fields.Set(Field::kEmail, "manual@other.se");
  manual.fields.Set(Field::kMobile, "+46701234567");
  manual.profile = "x";  // another profile's unlinked user: not adoptable
  w.stored.users.push_back(manual);
  w.input.desired[0].user.fields.Set(Field::kMobile, "+46701234567");
  const Plan plan = w.Run();
  const PlanItem* item = Find(plan, "k1");
  EXPECT_EQ(item->action, Action::kConflict);
  EXPECT_NE(item->reason.find("mobile \"+46701234567\" is also used by manual"), std::string::npos)
      << item->reason;
}

TEST(PlannerTest, ValueMovedAwayEarlierInTheSameRunIsFree) {
  World w = Base();
  // anna gives up her number, bert takes it; anna comes first in source order.
  w.stored.users[0].fields.Set(Field::kLandline, "+46812345678");
  w.input.desired[1].user.fields.Set(Field::kLandline, "+46812345678");
  const Plan plan = w.Run();
  EXPECT_EQ(Find(plan, "k1")->action, Action::kUpdate);
  EXPECT_EQ(Find(plan, "k2")->action, Action::kUpdate) << Find(plan, "k2")->reason;
}

TEST(PlannerTest, DuplicateSourceIdIsAConflict) {
  World w = Base();
  w.input.desired.push_back(Want("k1", "anna2"));
  w.input.desired.push_back(Want("k9", "x"));
  w.input.desired.push_back(Want("k9", "y"));
  const Plan plan = w.Run();
  // Of two objects with one id, the first read is the one; the other is the conflict.
  EXPECT_EQ(plan.items[2].action, Action::kConflict);
  EXPECT_EQ(plan.items[2].username, "anna2");
  EXPECT_EQ(plan.items[4].action, Action::kConflict);
  EXPECT_EQ(plan.items[4].username, "y");
  EXPECT_EQ(plan.Summary()[static_cast<size_t>(Action::kCreate)], 1u);
}

// Issue 14 item 5: a unique value stays with the PBX user that holds it, whatever the
// order the source returns users in; a new user asking for it is the conflict.
TEST(PlannerTest, TheHolderKeepsItsValueWhateverTheSourceOrder) {
  for (const bool newcomer_first : {true, false}) {
    SCOPED_TRACE(newcomer_first ? "newcomer first" : "holder first");
    World w = Base();
    w.stored.users[0].fields.Set(Field::kLandline, "+46812345678");
    w.input.desired[0].user.fields.Set(Field::kLandline, "+46812345678");
    w.input.desired[0].user.fields.Set(Field::kJobTitle, "Chef");  // a delta-style change
    DesiredUser newcomer = Want("a0", "nils");  // a smaller source id than anna's k1
    newcomer.user.fields.Set(Field::kLandline, "+46812345678");
    newcomer.user.fields.Set(Field::kEmail, "anna@example.se");
    auto& d = w.input.desired;
    d.insert(newcomer_first ? d.begin() : d.end(), newcomer);
    const Plan plan = w.Run();
    EXPECT_EQ(Find(plan, "k1")->action, Action::kUpdate) << Find(plan, "k1")->reason;
    const PlanItem* conflict = Find(plan, "a0");
    EXPECT_EQ(conflict->action, Action::kConflict);
    EXPECT_NE(conflict->reason.find("is also used by anna"), std::string::npos) << conflict->reason;
    // The same when only the two touched users are planned (a delta or a SCIM push).
    w.options.only_keys = {"k1", "a0"};
    const Plan scoped = w.Run();
    EXPECT_EQ(Find(scoped, "k1")->action, Action::kUpdate);
    EXPECT_EQ(Find(scoped, "a0")->action, Action::kConflict);
  }
}

// Between two new users the smaller source id gets the value, not the first one read.
TEST(PlannerTest, BetweenNewUsersTheSmallerSourceIdWins) {
  for (const bool larger_first : {true, false}) {
    World w = Base();
    DesiredUser small = Want("k5", "cleo");
    DesiredUser large = Want("k7", "dora");
    large.user.fields.Set(Field::kEmail, "cleo@example.se");
    auto& d = w.input.desired;
    if (larger_first) {
      d.push_back(large);
      d.push_back(small);
    } else {
      d.push_back(small);
      d.push_back(large);
    }
    const Plan plan = w.Run();
    EXPECT_EQ(Find(plan, "k5")->action, Action::kCreate);
    EXPECT_EQ(Find(plan, "k7")->action, Action::kConflict);
  }
}

// ---- templates (F13) ----

TEST(PlannerTest, TemplatesByRuleAndDefault) {
  World w = Base();
  w.profile.templates = {{"support", {"Support queue"}, "+46800000001", {}},
                         {"sales", {"Sales"}, "", {}},
                         {"standard", {"All"}, "", {}}};
  w.profile.rules = {{"department", "support", "", "support"}, {"group", "", "Sales.*", "sales"}};
  w.profile.default_template = "standard";
  w.profile.default_caller_id = "+46800000000";
  DesiredUser a = Want("ka", "a");
  a.user.fields.Set(Field::kDepartment, "Support");
  DesiredUser b = Want("kb", "b");
  b.set_source_groups({"All staff", "Sales Nordic"});
  DesiredUser c = Want("kc", "c");
  c.set_source_groups({"NotSales"});
  w.input.desired = {a, b, c};
  w.stored.users.clear();
  const Plan plan = w.Run();
  const PlanItem* ia = Find(plan, "ka");
  EXPECT_EQ(ia->target->fields.Get(Field::kTemplate), "support");
  EXPECT_EQ(ia->target->groups, std::vector<std::string>{"Support queue"});
  EXPECT_EQ(ia->target->fields.Get(Field::kCallerId), "+46800000001");
  const PlanItem* ib = Find(plan, "kb");
  EXPECT_EQ(ib->target->fields.Get(Field::kTemplate), "sales");
  EXPECT_EQ(ib->target->fields.Get(Field::kCallerId), "+46800000000");
  const PlanItem* ic = Find(plan, "kc");
  EXPECT_EQ(ic->target->fields.Get(Field::kTemplate), "standard");
  EXPECT_EQ(ic->target->groups, std::vector<std::string>{"All"});

  // Updates do not re-apply templates: converged after one apply.
  SimulatedStore sim;
  sim.Apply(plan);
  EXPECT_TRUE(MakePlan(w.input, sim.snapshot, w.profile, kNow).IsNoop());
}

TEST(PlannerTest, BadRegexRuleNeverMatches) {
  World w = Base();
  w.profile.rules = {{"department", "", "([", "broken"}};
  w.profile.default_template = "standard";
  w.input.desired.push_back(Want("k9", "cleo"));
  const Plan plan = w.Run();
  const PlanItem* item = Find(plan, "k9");
  EXPECT_EQ(item->target->fields.Get(Field::kTemplate), "standard");
}

// ---- extensions (F14) ----

TEST(PlannerTest, ExtensionsFromRangeLowestFreeAndStable) {
  World w = Base();
  w.profile.extensions = {2000, 2003};
  w.stored.users[0].fields.Set(Field::kExtension, "2001");  // anna keeps hers
  DesiredUser c = Want("k9", "cleo");
  DesiredUser d = Want("k10", "dora");
  d.user.fields.Set(Field::kExtension, "2000");  // mapped: taken by dora
  w.input.desired.push_back(c);
  w.input.desired.push_back(d);
  const Plan plan = w.Run();
  EXPECT_EQ(Find(plan, "k1")->action, Action::kUnchanged);
  // bert (stored, no extension) gets the lowest free, then cleo the next.
  EXPECT_EQ(Find(plan, "k2")->target->fields.Get(Field::kExtension), "2002");
  EXPECT_EQ(Find(plan, "k9")->target->fields.Get(Field::kExtension), "2003");
  EXPECT_EQ(Find(plan, "k10")->target->fields.Get(Field::kExtension), "2000");

  SimulatedStore sim{w.stored};
  sim.Apply(plan);
  const Plan again = MakePlan(w.input, sim.snapshot, w.profile, kNow);
  EXPECT_TRUE(again.IsNoop());
  EXPECT_EQ(Find(again, "k9")->action, Action::kUnchanged);
  bool found = false;
  for (const auto& u : sim.snapshot.users) {
    if (u.source_key == "k9") {
      found = true;
      EXPECT_EQ(u.fields.Get(Field::kExtension), "2003");
    }
  }
  EXPECT_TRUE(found);

  w.input.desired.push_back(Want("k11", "emil"));
  const Plan exhausted = MakePlan(w.input, sim.snapshot, w.profile, kNow);
  const PlanItem* full = Find(exhausted, "k11");
  EXPECT_EQ(full->action, Action::kError);
  EXPECT_EQ(full->reason, "no free extension in 2000-2003");
}

// ---- departments (F15) ----

TEST(PlannerTest, DepartmentsWithStableRingGroups) {
  World w = Base();
  w.profile.departments.enabled = true;
  w.profile.departments.ring_groups = {7000, 7009};
  w.input.desired[0].user.fields.Set(Field::kDepartment, "Sales");
  w.stored.users[0].fields.Set(Field::kDepartment, "Sales");
  w.input.desired[1].user.fields.Set(Field::kDepartment, "Support");
  w.stored.users[1].fields.Set(Field::kDepartment, "Support");
  DesiredUser c = Want("k9", "cleo");
  c.user.fields.Set(Field::kDepartment, "Sales");
  w.input.desired.push_back(c);
  w.stored.departments = {{5, "Sales", "p", "7000", {"anna"}}, {6, "Legal", "p", "7001", {"zed"}}};
  const Plan plan = w.Run();
  ASSERT_EQ(plan.departments.size(), 3u);
  const DepartmentChange& sales = plan.departments[0];
  EXPECT_EQ(sales.action, Action::kUpdate);
  EXPECT_EQ(sales.target.ring_group, "7000");
  EXPECT_EQ(sales.target.members, (std::vector<std::string>{"anna", "cleo"}));
  ASSERT_EQ(sales.changes.size(), 1u);
  EXPECT_EQ(sales.changes[0].old_value, "anna");
  EXPECT_EQ(sales.changes[0].new_value, "anna,cleo");
  EXPECT_EQ(plan.departments[1].action, Action::kDelete);
  EXPECT_EQ(plan.departments[1].target.name, "Legal");
  const DepartmentChange& support = plan.departments[2];
  EXPECT_EQ(support.action, Action::kCreate);
  EXPECT_EQ(support.target.ring_group, "7002");  // 7001 still held until Legal is gone

  SimulatedStore sim{w.stored};
  sim.Apply(plan);
  const Plan again = MakePlan(w.input, sim.snapshot, w.profile, kNow);
  EXPECT_TRUE(again.IsNoop());
  ASSERT_EQ(again.departments.size(), 2u);
  EXPECT_EQ(again.departments[1].target.ring_group, "7002");

  // An incomplete read neither deletes a department nor shrinks it.
  World partial = w;
  partial.input.complete = false;
  partial.stored = sim.snapshot;
  partial.input.desired.resize(1);
  const Plan p2 = partial.Run();
  for (const auto& d : p2.departments) {
    EXPECT_NE(d.action, Action::kDelete) << d.target.name;
    for (const auto& before : sim.snapshot.departments) {
      if (before.name != d.target.name) continue;
      for (const auto& member : before.members) {
        EXPECT_NE(std::find(d.target.members.begin(), d.target.members.end(), member),
                  d.target.members.end())
            << d.target.name << " lost " << member;
      }
    }
  }
}

}  // namespace
}  // namespace telsync
