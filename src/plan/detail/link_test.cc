#include "plan/detail/link.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace telsync::plan_detail {
namespace {

// A stored user: `profile` "p" is this profile's, "" an unlinked one, "q" another's.
PbxUser Stored(const std::string& key, const std::string& email, const std::string& username,
               const std::string& profile = "p", std::vector<std::string> groups = {}) {
  PbxUser u;
  u.source_key = key;
  u.profile = profile;
  u.fields.Set(Field::kEmail, email);
  u.fields.Set(Field::kUsername, username);
  u.groups = std::move(groups);
  return u;
}

DesiredUser Desired(const std::string& key, const std::string& email, const std::string& username,
                    const std::string& upn = "", bool enabled = true) {
  DesiredUser d;
  d.user.source_key = key;
  d.user.fields.Set(Field::kEmail, email);
  d.user.fields.Set(Field::kUsername, username);
  d.set_upn(upn);
  d.enabled = enabled;
  return d;
}

Profile TestProfile(DisabledAction disabled = DisabledAction::kUnsearchable) {
  Profile p;
  p.name = "p";
  p.policy.exclusion_group = "Non AD sync";
  p.policy.disabled = disabled;
  return p;
}

// What each desired user is, in words: "linked 0", "relinked 1", "adopts 2", "conflict
// (adopter 1)", "new". Relinks are looked for as the planner does for a complete read.
std::vector<std::string> Describe(const StoreSnapshot& stored,
                                  const std::vector<DesiredUser>& desired, const Profile& profile) {
  Links links(stored, desired, profile);
  links.FindRelinks({});
  const std::vector<int32_t> match = links.Matches();
  links.ChooseAdopters(match);
  std::vector<std::string> out;
  for (size_t i = 0; i < desired.size(); ++i) {
    if (const size_t* linked = links.Linked(desired[i].user.source_key)) {
      out.push_back("linked " + std::to_string(*linked));
    } else if (auto relink = links.Relink(i)) {
      out.push_back("relinked " + std::to_string(*relink));
    } else if (auto candidate = links.FindCandidate(desired[i])) {
      const Links::Adoption a = links.Adopt(candidate->first, i);
      out.push_back(a.adopted
                        ? "adopts " + std::to_string(candidate->first) + " by " + candidate->second
                        : "conflict (adopter " + std::to_string(a.adopter) + ")");
    } else {
      out.push_back("new");
    }
  }
  return out;
}

struct LinkCase {
  const char* name;
  std::vector<PbxUser> stored;
  std::vector<DesiredUser> desired;
  std::vector<std::string> want;
  DisabledAction disabled = DisabledAction::kUnsearchable;
};

TEST(LinkTest, DecidesWhoEachDesiredUserIs) {
  const std::vector<LinkCase> cases = {
      {"linked by source id",
       {Stored("k1", "anna@x.se", "anna")},
       {Desired("k1", "anna@x.se", "anna")},
       {"linked 0"}},
      {"another profile's user is not linked, nor adoptable",
       {Stored("k1", "anna@x.se", "anna", "q")},
       {Desired("k1", "anna@x.se", "anna")},
       {"new"}},
      {"adopted by e-mail, case-insensitively",
       {Stored("", "Anna@X.se", "someone", "")},
       {Desired("k1", "anna@x.se", "anna")},
       {"adopts 0 by e-mail \"anna@x.se\""}},
      {"adopted by UPN against the stored e-mail",
       {Stored("", "anna.b@x.se", "someone", "")},
       {Desired("k1", "anna@x.se", "anna", "anna.b@x.se")},
       {"adopts 0 by upn \"anna.b@x.se\""}},
      {"adopted by username when the e-mail matches nobody",
       {Stored("", "old@x.se", "ANNA", "")},
       {Desired("k1", "anna@x.se", "anna")},
       {"adopts 0 by username \"anna\""}},
      {"this profile's user without a source id is adoptable",
       {Stored("", "anna@x.se", "anna", "p")},
       {Desired("k1", "anna@x.se", "anna")},
       {"adopts 0 by e-mail \"anna@x.se\""}},
      {"of two desired users the smaller id adopts, whatever the source order",
       {Stored("", "anna@x.se", "anna", "")},
       {Desired("k9", "anna@x.se", "anna9"), Desired("k1", "anna@x.se", "anna1")},
       {"conflict (adopter 1)", "adopts 0 by e-mail \"anna@x.se\""}},
      {"relinked: a gone linked user's e-mail under a new id",
       {Stored("old", "anna@x.se", "anna")},
       {Desired("new", "anna@x.se", "anna")},
       {"relinked 0"}},
      {"relinked by UPN",
       {Stored("old", "anna@x.se", "anna")},
       {Desired("new", "a.b@x.se", "anna", "anna@x.se")},
       {"relinked 0"}},
      {"no relink while the old id is still in the source",
       {Stored("old", "anna@x.se", "anna")},
       {Desired("old", "anna@x.se", "anna"), Desired("new", "anna@x.se", "anna2")},
       {"linked 0", "new"}},
      {"no relink of an excluded user",
       {Stored("old", "anna@x.se", "anna", "p", {"non ad SYNC"})},
       {Desired("new", "anna@x.se", "anna")},
       {"new"}},
      {"no relink when two gone users share the e-mail",
       {Stored("old1", "anna@x.se", "anna"), Stored("old2", "anna@x.se", "anna2")},
       {Desired("new", "anna@x.se", "anna")},
       {"new"}},
      {"of two desired users that match one gone user the smaller id relinks",
       {Stored("old", "anna@x.se", "anna")},
       {Desired("n2", "anna@x.se", "anna"), Desired("n1", "anna@x.se", "anna")},
       {"new", "relinked 0"}},
      {"a disabled user under policy.disabled: delete does not relink",
       {Stored("old", "anna@x.se", "anna")},
       {Desired("new", "anna@x.se", "anna", "", /*enabled=*/false)},
       {"new"},
       DisabledAction::kDelete},
  };
  for (const LinkCase& c : cases) {
    StoreSnapshot stored;
    stored.users = c.stored;
    EXPECT_EQ(Describe(stored, c.desired, TestProfile(c.disabled)), c.want) << c.name;
  }
}

TEST(LinkTest, CountsLinkedIdsOnceAndMarksExclusion) {
  StoreSnapshot stored;
  stored.users = {Stored("k1", "a@x.se", "a"), Stored("k1", "a2@x.se", "a2"),
                  Stored("k2", "b@x.se", "b", "p", {"Non AD sync"}), Stored("", "c@x.se", "c", "")};
  const std::vector<DesiredUser> desired;
  Links links(stored, desired, TestProfile());
  EXPECT_EQ(links.linked_count(), 2u);
  ASSERT_NE(links.Linked("k1"), nullptr);
  EXPECT_EQ(*links.Linked("k1"), 0u);  // the first holder of a duplicate link
  EXPECT_EQ(links.Linked("k3"), nullptr);
  EXPECT_FALSE(links.Excluded(0));
  EXPECT_TRUE(links.Excluded(2));
  EXPECT_FALSE(links.IsLinked(stored.users[3]));
}

TEST(LinkTest, AdoptsOnceEvenForARepeatedSourceId) {
  StoreSnapshot stored;
  stored.users = {Stored("", "anna@x.se", "anna", "")};
  const std::vector<DesiredUser> desired = {Desired("k1", "anna@x.se", "anna"),
                                            Desired("k1", "anna@x.se", "anna")};
  Links links(stored, desired, TestProfile());
  links.ChooseAdopters(links.Matches());
  EXPECT_EQ(links.Adopter(0), 0);
  EXPECT_TRUE(links.Adopt(0, 0).adopted);
  const Links::Adoption second = links.Adopt(0, 1);
  EXPECT_FALSE(second.adopted);
  EXPECT_EQ(second.adopter, 0);
}

}  // namespace
}  // namespace telsync::plan_detail
