#include "targets/sip_credentials.h"

#include <gtest/gtest.h>

#include <array>

#include "store/store.h"

namespace telsync {
namespace {

TargetConfig Kamailio(const std::string& name, const std::string& domain,
                      std::vector<std::string> offices) {
  TargetConfig t;
  t.name = name;
  t.type = "kamailio";
  t.domain = domain;
  if (!offices.empty()) t.rule = {"city", std::move(offices)};
  return t;
}

PbxUser User(int64_t id, const std::string& username, const std::string& city) {
  PbxUser u;
  u.id = id;
  u.fields.Set(Field::kUsername, username);
  u.fields.Set(Field::kCity, city);
  return u;
}

// The one routing rule SipLoginOf and the Kamailio target's publish share.
TEST(SipAccessOf, RoutesByTheRuleAndBlocksDisabledUsersUnlessKept) {
  TargetConfig berlin = Kamailio("berlin", "sip.berlin.example", {"Berlin"});
  const PbxUser anna = User(1, "anna", "BERLIN");
  const PbxUser bob = User(2, "bob", "Paris");
  EXPECT_EQ(SipAccessOf(berlin, anna.fields, true), SipAccess::kAccount);
  EXPECT_EQ(SipAccessOf(berlin, bob.fields, true), SipAccess::kNotRouted);
  EXPECT_EQ(SipAccessOf(berlin, anna.fields, false), SipAccess::kBlocked);
  EXPECT_EQ(SipAccessOf(berlin, bob.fields, false), SipAccess::kNotRouted);
  berlin.disabled_sip = DisabledSip::kKeep;
  EXPECT_EQ(SipAccessOf(berlin, anna.fields, false), SipAccess::kAccount);
  // No rule routes every user.
  const TargetConfig rest = Kamailio("rest", "sip.example", {});
  EXPECT_EQ(SipAccessOf(rest, bob.fields, true), SipAccess::kAccount);

  EXPECT_TRUE(SipEnabled(true, UserState::kActive));
  EXPECT_FALSE(SipEnabled(false, UserState::kActive));
  EXPECT_FALSE(SipEnabled(true, UserState::kPendingDelete));
}

// The login a welcome mail carries is the one the Kamailio target writes: the first
// Kamailio target that routes the user, and the password it will use.
TEST(SipLoginOf, TheRoutedKamailioTargetGivesTheLoginAndKeepsThePassword) {
  auto store = std::move(OpenStore(":memory:")).value();
  std::array<unsigned char, SecretKey::kKeyBytes> bytes{};
  bytes.fill(3);
  const SecretKey key = SecretKey::FromBytes(bytes);
  TargetConfig hook;
  hook.name = "hook";
  hook.type = "webhook";
  const std::vector<TargetConfig> targets = {hook,
                                             Kamailio("berlin", "sip.berlin.example", {"Berlin"}),
                                             Kamailio("rest", "sip.example", {})};

  Result<std::optional<SipLogin>> berlin =
      SipLoginOf(*store, key, "acme", targets, User(5, "anna", "berlin"), 100);
  ASSERT_TRUE(berlin.ok()) << berlin.error().message;
  ASSERT_TRUE(berlin->has_value());
  EXPECT_EQ((*berlin)->target, "berlin");
  EXPECT_EQ((*berlin)->username, "anna");
  EXPECT_EQ((*berlin)->domain, "sip.berlin.example");
  EXPECT_EQ((*berlin)->password.size(), 32u);
  // Stored sealed: the target's publish (and the next lookup) uses this very password.
  Result<std::string> stored = GetOrCreateSipPassword(*store, key, "acme", 5, 200);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, (*berlin)->password);

  Result<std::optional<SipLogin>> other =
      SipLoginOf(*store, key, "acme", targets, User(6, "bob", "Paris"), 100);
  ASSERT_TRUE(other.ok() && other->has_value());
  EXPECT_EQ((*other)->target, "rest");
  EXPECT_NE((*other)->password, (*berlin)->password);
}

TEST(SipLoginOf, NoLoginWithoutAnAccount) {
  auto store = std::move(OpenStore(":memory:")).value();
  std::array<unsigned char, SecretKey::kKeyBytes> bytes{};
  const SecretKey key = SecretKey::FromBytes(bytes);
  std::vector<TargetConfig> targets = {Kamailio("berlin", "sip.berlin.example", {"Berlin"})};
  auto none = [&](const PbxUser& u) {
    Result<std::optional<SipLogin>> got = SipLoginOf(*store, key, "acme", targets, u, 100);
    return got.ok() && !got->has_value();
  };
  EXPECT_TRUE(none(User(1, "anna", "Paris")));         // not routed
  EXPECT_TRUE(none(User(2, "anna smith", "Berlin")));  // not a SIP user name
  EXPECT_TRUE(none(User(0, "anna", "Berlin")));        // not stored yet
  PbxUser disabled = User(3, "carl", "Berlin");
  disabled.searchable = false;
  EXPECT_TRUE(none(disabled));  // disabled_sip: block
  targets[0].disabled_sip = DisabledSip::kKeep;
  EXPECT_FALSE(none(disabled));
  EXPECT_TRUE(store->ListSipCredentials("acme")->size() == 1u);  // only carl's was made
}

TEST(SipLoginOf, SipUserNames) {
  EXPECT_TRUE(IsSipUserName("anna.smith"));
  EXPECT_TRUE(IsSipUserName("+4930123"));
  EXPECT_FALSE(IsSipUserName(""));
  EXPECT_FALSE(IsSipUserName("anna smith"));
  EXPECT_FALSE(IsSipUserName("anna@example"));
  EXPECT_FALSE(IsSipUserName(std::string(65, 'a')));
}

}  // namespace
}  // namespace telsync
