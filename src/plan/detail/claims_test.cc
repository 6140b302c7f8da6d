#include "plan/detail/claims.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace telsync::plan_detail {
namespace {

PbxUser User(const std::string& key, const std::string& username, const std::string& email,
             const std::string& extension = "", const std::string& mobile = "") {
  PbxUser u;
  u.source_key = key;
  u.profile = key.empty() ? "" : "p";
  u.fields.Set(Field::kUsername, username);
  u.fields.Set(Field::kEmail, email);
  u.fields.Set(Field::kExtension, extension);
  u.fields.Set(Field::kMobile, mobile);
  return u;
}

DesiredUser Desired(PbxUser u, bool enabled = true) {
  DesiredUser d;
  d.user = std::move(u);
  d.enabled = enabled;
  return d;
}

Profile TestProfile() {
  Profile p;
  p.name = "p";
  return p;
}

struct ConflictCase {
  const char* name;
  std::vector<PbxUser> stored;
  std::vector<DesiredUser> desired;
  // Per desired user: its conflict reason when it keeps the values it asks for, or "".
  std::vector<std::string> want;
};

// Each desired user, in source order, checked against the claims as the planner does
// before writing: the holder it becomes is its linked stored user, else a new one.
std::vector<std::string> Conflicts(const StoreSnapshot& stored,
                                   const std::vector<DesiredUser>& desired) {
  const Profile profile = TestProfile();
  Links links(stored, desired, profile);
  Claims claims(stored, desired);
  const std::vector<int32_t> match = links.Matches();
  links.ChooseAdopters(match);
  claims.AddClaimants(match, profile.policy);
  std::vector<std::string> out;
  for (size_t i = 0; i < desired.size(); ++i) {
    const int64_t self =
        match[i] != kNone ? match[i] : static_cast<int64_t>(stored.users.size() + i);
    const UniqueValues values = UniqueValuesOf(desired[i].user.fields);
    std::optional<std::string> conflict = claims.FindConflict(i, self, values);
    out.push_back(conflict.value_or(""));
    if (!conflict)
      claims.Move(
          self,
          UniqueValuesOf(stored.users.size() > static_cast<size_t>(self) ? stored.users[self].fields
                                                                         : FieldSet()),
          values);
  }
  return out;
}

TEST(ClaimsTest, FindsWhoMayHoldEachUniqueValue) {
  const std::vector<ConflictCase> cases = {
      {"distinct values: no conflict",
       {},
       {Desired(User("k1", "anna", "anna@x.se")), Desired(User("k2", "bert", "bert@x.se"))},
       {"", ""}},
      {"two new users ask for one e-mail: the smaller id claims it, whatever the order",
       {},
       {Desired(User("k2", "bert", "same@x.se")), Desired(User("k1", "anna", "Same@X.se"))},
       {"email \"same@x.se\" is also used by anna", ""}},
      {"the current holder keeps its value against a smaller id",
       {User("k9", "zed", "zed@x.se", "100")},
       {Desired(User("k1", "anna", "anna@x.se", "100")),
        Desired(User("k9", "zed", "zed@x.se", "100"))},
       {"extension \"100\" is also used by zed", ""}},
      {"a value held by a user outside the source is a conflict naming that user",
       {User("", "old", "old@x.se", "", "+46701234567")},
       {Desired(User("k1", "anna", "anna@x.se", "", "+46701234567"))},
       {"mobile \"+46701234567\" is also used by old"}},
      {"usernames compare case-insensitively",
       {},
       {Desired(User("k1", "Anna", "a1@x.se")), Desired(User("k2", "anna", "a2@x.se"))},
       {"", "username \"anna\" is also used by Anna"}},
      {"a disabled user made unsearchable still claims its values",
       {},
       {Desired(User("k1", "anna", "anna@x.se")),
        Desired(User("k0", "anna0", "anna@x.se"), /*enabled=*/false)},
       // policy.disabled is unsearchable by default: the disabled user is written, and k0
       // is the smaller id.
       {"email \"anna@x.se\" is also used by anna0", ""}},
  };
  for (const ConflictCase& c : cases) {
    StoreSnapshot stored;
    stored.users = c.stored;
    EXPECT_EQ(Conflicts(stored, c.desired), c.want) << c.name;
  }
}

TEST(ClaimsTest, ASkippedDisabledUserClaimsNothing) {
  StoreSnapshot stored;
  const std::vector<DesiredUser> desired = {
      Desired(User("k1", "anna", "anna@x.se")),
      Desired(User("k0", "anna0", "anna@x.se"), /*enabled=*/false)};
  Profile profile = TestProfile();
  profile.policy.disabled = DisabledAction::kSkip;
  Links links(stored, desired, profile);
  Claims claims(stored, desired);
  claims.AddClaimants(links.Matches(), profile.policy);
  EXPECT_EQ(claims.FindConflict(0, 0, UniqueValuesOf(desired[0].user.fields)), std::nullopt);
}

TEST(ClaimsTest, AReleasedValueIsFreeForAnotherUser) {
  StoreSnapshot stored;
  stored.users = {User("gone", "old", "old@x.se", "100")};
  const std::vector<DesiredUser> desired = {Desired(User("k1", "anna", "anna@x.se", "100"))};
  Claims claims(stored, desired);
  const UniqueValues values = UniqueValuesOf(desired[0].user.fields);
  EXPECT_EQ(claims.FindConflict(0, 1, values), "extension \"100\" is also used by old");
  claims.Release(0);
  EXPECT_EQ(claims.FindConflict(0, 1, values), std::nullopt);
}

struct ExtensionCase {
  const char* name;
  RangeConfig range;
  std::vector<PbxUser> stored;
  std::vector<DesiredUser> desired;
  // Per desired user: its preallocated extension, "-" for none preallocated, "" for
  // a used-up range.
  std::vector<std::string> want;
};

TEST(ClaimsTest, PreallocatesExtensionsInSourceIdOrder) {
  const std::vector<ExtensionCase> cases = {
      {"lowest free numbers, by source id not source order",
       {100, 199},
       {User("", "x", "x@x.se", "100")},
       {Desired(User("k2", "bert", "bert@x.se")), Desired(User("k1", "anna", "anna@x.se"))},
       {"102", "101"}},
      {"a mapped extension and a stored one are kept: nothing preallocated",
       {100, 199},
       {User("k1", "anna", "anna@x.se", "150")},
       {Desired(User("k1", "anna", "anna@x.se")), Desired(User("k2", "bert", "b@x.se", "120"))},
       {"-", "-"}},
      {"the range runs out",
       {100, 100},
       {},
       {Desired(User("k1", "anna", "anna@x.se")), Desired(User("k2", "bert", "bert@x.se"))},
       {"100", ""}},
      {"a user that will be a conflict gets no number",
       {100, 199},
       {},
       {Desired(User("k1", "anna", "same@x.se")), Desired(User("k2", "bert", "same@x.se"))},
       {"100", "-"}},
      {"no range: nothing", {}, {}, {Desired(User("k1", "anna", "anna@x.se"))}, {"-"}},
  };
  for (const ExtensionCase& c : cases) {
    StoreSnapshot stored;
    stored.users = c.stored;
    const Profile profile = TestProfile();
    Links links(stored, c.desired, profile);
    Claims claims(stored, c.desired);
    const std::vector<int32_t> match = links.Matches();
    links.ChooseAdopters(match);
    claims.AddClaimants(match, profile.policy);
    claims.PreallocateExtensions(c.range, profile.policy, links);
    std::vector<std::string> got;
    for (size_t i = 0; i < c.desired.size(); ++i) {
      const auto pre = claims.Preallocated(i);
      got.push_back(pre ? std::string(*pre) : "-");
    }
    EXPECT_EQ(got, c.want) << c.name;
  }
}

TEST(ClaimsTest, AllocationSkipsTakenNumbersAndNeverGoesBack) {
  StoreSnapshot stored;
  stored.users = {User("", "x", "x@x.se", "101")};
  const std::vector<DesiredUser> desired;
  Claims claims(stored, desired);
  const RangeConfig range{100, 103};
  EXPECT_EQ(claims.AllocateExtension(range), "100");
  EXPECT_EQ(claims.AllocateExtension(range), "102");
  claims.Release(0);  // 101 is free now, but the cursor only moves up
  EXPECT_EQ(claims.AllocateExtension(range), "103");
  EXPECT_EQ(claims.AllocateExtension(range), std::nullopt);
}

}  // namespace
}  // namespace telsync::plan_detail
