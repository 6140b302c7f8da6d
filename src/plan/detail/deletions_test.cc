#include "plan/detail/deletions.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace telsync::plan_detail {
namespace {

PlanItem ItemOf(Action action) {
  PlanItem item;
  item.action = action;
  return item;
}

constexpr int64_t kNow = 1'800'000'000;
constexpr int64_t kDay = 86400;

PbxUser Stored(const std::string& key, const std::string& username) {
  PbxUser u;
  u.id = 7;
  u.source_key = key;
  u.profile = "p";
  u.fields.Set(Field::kUsername, username);
  return u;
}

Profile TestProfile() {
  Profile p;
  p.name = "p";
  p.policy.grace_days = 0;
  p.policy.protect_mobile = false;
  return p;
}

struct DeletionCase {
  const char* name;
  std::function<void(PbxUser&, Profile&, PlanInput&)> setup;
  Action action;
  std::string reason;
};

// One stored user "gone" (linked, source id g) and a source that returned only a steady
// user; each row changes the world a little and expects the one deletion item.
TEST(DeletionsTest, DecidesWhatHappensToAGoneUser) {
  const std::vector<DeletionCase> cases = {
      {"deleted at once without a grace period", [](PbxUser&, Profile&, PlanInput&) {},
       Action::kDelete, "gone from the source"},
      {"marked pending delete with a grace period",
       [](PbxUser&, Profile& p, PlanInput&) { p.policy.grace_days = 7; }, Action::kPendingDelete,
       "gone from the source; deleted after 7 days"},
      {"left pending until the grace period ends",
       [](PbxUser& u, Profile& p, PlanInput&) {
         p.policy.grace_days = 7;
         u.state = UserState::kPendingDelete;
         u.pending_since = kNow - 6 * kDay;
       },
       Action::kUnchanged, "pending delete until 2027-01-16"},
      {"deleted once the grace period is over",
       [](PbxUser& u, Profile& p, PlanInput&) {
         p.policy.grace_days = 7;
         u.state = UserState::kPendingDelete;
         u.pending_since = kNow - 7 * kDay;
       },
       Action::kDelete, "gone from the source for 7 days"},
      {"an incomplete read deletes nothing",
       [](PbxUser&, Profile&, PlanInput& in) { in.complete = false; }, Action::kSkip,
       "source read incomplete: no deletion"},
      {"the exclusion group protects",
       [](PbxUser& u, Profile& p, PlanInput&) {
         p.policy.exclusion_group = "Non AD sync";
         u.groups = {"non ad sync"};
       },
       Action::kSkip, "in group \"Non AD sync\""},
      {"protect_mobile blocks",
       [](PbxUser& u, Profile& p, PlanInput&) {
         p.policy.protect_mobile = true;
         u.fields.Set(Field::kMobile, "+46701234567");
       },
       Action::kBlocked,
       "holds mobile +46701234567: port or cancel the number first (protect_mobile)"},
      {"deletes switched off", [](PbxUser&, Profile& p, PlanInput&) { p.policy.del = false; },
       Action::kSkip, "deletes are switched off"},
      {"disabled under policy.disabled: delete",
       [](PbxUser&, Profile& p, PlanInput& in) {
         p.policy.disabled = DisabledAction::kDelete;
         DesiredUser d;
         d.user.source_key = "g";
         d.enabled = false;
         in.desired.push_back(d);
       },
       Action::kDelete, "disabled in the directory"},
  };
  for (const DeletionCase& c : cases) {
    StoreSnapshot stored;
    stored.users = {Stored("g", "gone"), Stored("s", "steady")};
    Profile profile = TestProfile();
    PlanInput input;
    input.complete = true;
    DesiredUser steady;
    steady.user = stored.users[1];
    input.desired.push_back(steady);
    c.setup(stored.users[0], profile, input);
    Links links(stored, input.desired, profile);
    const Completeness completeness = JudgeCompleteness(input, links.linked_count(), false);
    const std::vector<Deletion> got = PlanDeletions(
        stored, links, FindPresence(input, stored.users.size(), links, profile.policy), profile, {},
        completeness, kNow);
    ASSERT_EQ(got.size(), 1u) << c.name;
    EXPECT_EQ(got[0].stored, 0u) << c.name;
    EXPECT_EQ(got[0].item.key, "g") << c.name;
    EXPECT_EQ(got[0].item.action, c.action) << c.name << ": " << got[0].item.reason;
    EXPECT_EQ(got[0].item.reason, c.reason) << c.name;
  }
}

TEST(DeletionsTest, PresenceCountsRejectedAndRelinkedUsersAsSeen) {
  StoreSnapshot stored;
  stored.users = {Stored("a", "a"), Stored("b", "b"), Stored("c", "c")};
  stored.users[2].fields.Set(Field::kEmail, "c@x.se");
  Profile profile = TestProfile();
  PlanInput input;
  input.complete = true;
  input.rejected.push_back({"a", "a", "bad e-mail"});
  DesiredUser moved;  // c under a new id
  moved.user.source_key = "c2";
  moved.user.fields.Set(Field::kEmail, "c@x.se");
  input.desired.push_back(moved);
  Links links(stored, input.desired, profile);
  links.FindRelinks(input.rejected);
  EXPECT_EQ(FindPresence(input, stored.users.size(), links, profile.policy),
            (std::vector<uint8_t>{kSeen, kUnseen, kSeen}));
  const std::vector<Deletion> got =
      PlanDeletions(stored, links, FindPresence(input, stored.users.size(), links, profile.policy),
                    profile, {}, JudgeCompleteness(input, links.linked_count(), false), kNow);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].item.key, "b");
}

TEST(DeletionsTest, OnlyKeysLimitsTheDeletions) {
  StoreSnapshot stored;
  stored.users = {Stored("a", "a"), Stored("b", "b")};
  const Profile profile = TestProfile();
  PlanInput input;
  input.complete = true;
  Links links(stored, input.desired, profile);
  const std::vector<Deletion> got =
      PlanDeletions(stored, links, FindPresence(input, stored.users.size(), links, profile.policy),
                    profile, {"b"}, JudgeCompleteness(input, links.linked_count(), true), kNow);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].item.key, "b");
  EXPECT_EQ(got[0].item.action, Action::kDelete);
}

TEST(DeletionsTest, JudgesAnEmptyAnswerIncomplete) {
  struct Case {
    bool complete;
    bool empty;
    size_t linked;
    bool scoped;
    bool want_complete;
    std::string want_reason;
  };
  const std::vector<Case> cases = {
      {true, false, 5, false, true, ""},
      {false, false, 5, false, false, "source read incomplete: no deletion"},
      {true, true, 5, false, false,
       "source returned no users while 5 are stored: treated as incomplete"},
      {true, true, 0, false, true, ""},  // nobody stored: a first run of an empty source
      {true, true, 5, true, true, ""},   // a scoped plan is empty by design
  };
  for (const Case& c : cases) {
    PlanInput input;
    input.complete = c.complete;
    if (!c.empty) input.desired.emplace_back();
    const Completeness got = JudgeCompleteness(input, c.linked, c.scoped);
    EXPECT_EQ(got.complete, c.want_complete) << c.want_reason;
    EXPECT_EQ(got.reason, c.want_reason);
  }
}

TEST(DeletionsTest, ThresholdCountsDeletesAndPendingDeletes) {
  struct Case {
    int64_t max_deletes;
    double max_percent;
    size_t deletes;
    size_t pending;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {-1, -1, 50, 50, {}},
      {2, -1, 2, 0, {}},
      {2, -1, 2, 1, {"3 deletions exceed max_deletes 2"}},
      {-1, 10, 1, 0, {}},  // 1 of 10 is 10%: not above
      {-1, 10, 1, 1, {"2 deletions exceed max_delete_percent 10% of 10 users"}},
      {-1, 12.5, 2, 0, {"2 deletions exceed max_delete_percent 12.5% of 10 users"}},
      {1,
       5,
       0,
       2,
       {"2 deletions exceed max_deletes 1",
        "2 deletions exceed max_delete_percent 5% of 10 users"}},
  };
  for (const Case& c : cases) {
    PolicyConfig policy;
    policy.max_deletes = c.max_deletes;
    policy.max_delete_percent = c.max_percent;
    std::vector<PlanItem> items(3);  // unchanged ones do not count
    for (size_t k = 0; k < c.deletes; ++k) items.push_back(ItemOf(Action::kDelete));
    for (size_t k = 0; k < c.pending; ++k) items.push_back(ItemOf(Action::kPendingDelete));
    EXPECT_EQ(ThresholdReasons(items, policy, 10), c.want) << c.deletes << "+" << c.pending;
  }
}

TEST(DeletionsTest, DisabledUsersFollowThePolicy) {
  struct Case {
    DisabledAction policy;
    bool written;
    bool deletion_path;
    std::string skip_reason;
  };
  const std::vector<Case> cases = {
      {DisabledAction::kUnsearchable, true, false, ""},  // written: never skipped
      {DisabledAction::kSkip, false, false, "disabled in the directory"},
      {DisabledAction::kDelete, false, true, "disabled in the directory (policy.disabled: delete)"},
  };
  for (const Case& c : cases) {
    PolicyConfig policy;
    policy.disabled = c.policy;
    DesiredUser enabled;
    DesiredUser disabled;
    disabled.enabled = false;
    EXPECT_TRUE(IsWritten(enabled, policy));
    EXPECT_FALSE(TakesDeletionPath(enabled, policy));
    EXPECT_EQ(IsWritten(disabled, policy), c.written);
    EXPECT_EQ(TakesDeletionPath(disabled, policy), c.deletion_path);
    if (!c.written) {
      EXPECT_EQ(DisabledSkipReason(policy), c.skip_reason);
    }
  }
}

}  // namespace
}  // namespace telsync::plan_detail
