#include "store/detail/outbox_events.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "model/fields.h"

namespace telsync::store_detail {
namespace {

using json = nlohmann::json;

// What the events wrote before UserStateText: the state built as a nlohmann::json object
// and dumped. Every stored digest was made from these bytes.
std::string ReferenceState(const PbxUser& user) {
  json out = json::object();
  for (size_t i = 0; i < kFieldCount; ++i) {
    const Field f = static_cast<Field>(i);
    if (!user.fields.Get(f).empty()) out[std::string(FieldName(f))] = user.fields.Get(f);
  }
  out["profile"] = user.profile;
  out["source_key"] = user.source_key;
  out["searchable"] = user.searchable;
  out["state"] = user.state == UserState::kPendingDelete ? "pending_delete" : "active";
  out["groups"] = user.groups;
  if (!user.custom.empty()) {
    json custom = json::object();
    for (const auto& [name, value] : user.custom) custom[name] = value;
    out["custom"] = std::move(custom);
  }
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

TEST(OutboxEvents, TheStateTextIsWhatNlohmannWritesForPlainAndAwkwardValues) {
  PbxUser user;
  user.source_key = "guid-1";
  user.profile = "main";
  user.fields.Set(Field::kUsername, "anna");
  user.fields.Set(Field::kDisplayName, "Anna \"Nan\" O'Brien \\ tab\there");
  user.fields.Set(Field::kCity, "Zürich 東京 עברית");
  user.fields.Set(Field::kJobTitle, std::string("nul\0and\x01"
                                                "ctl\x7f",
                                                13));
  user.fields.Set(Field::kDepartment, "bad \xC3\x28 utf8 \xFF end \xE2\x82");
  user.groups = {"Sales", "Non AD sync", "quote\"d"};
  user.custom = {{"zeta", "1"}, {"alpha", "x\ny"}, {"zeta", "last wins"}, {"\xFF", "k"}};
  EXPECT_EQ(UserStateText(user), ReferenceState(user));

  user.groups.clear();
  user.custom.clear();
  user.searchable = false;
  user.state = UserState::kPendingDelete;
  EXPECT_EQ(UserStateText(user), ReferenceState(user));

  EXPECT_EQ(UserStateText(PbxUser{}), ReferenceState(PbxUser{}));
}

TEST(OutboxEvents, TheStateTextMatchesNlohmannOnRandomBytes) {
  std::mt19937 rng(17);
  const std::string alphabet = std::string("aZ09 \"\\\t\n\x01\x7f", 12) /* with a NUL */ +
                               "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xFF\xC0\x80\xED\xA0\x80";
  auto random_text = [&] {
    std::string s;
    const size_t n = rng() % 12;
    for (size_t i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
    return s;
  };
  for (int round = 0; round < 2000; ++round) {
    PbxUser user;
    user.source_key = random_text();
    user.profile = random_text();
    for (size_t i = 0; i < kFieldCount; ++i) {
      if (rng() % 2) user.fields.Set(static_cast<Field>(i), random_text());
    }
    for (size_t i = rng() % 3; i > 0; --i) user.groups.push_back(random_text());
    for (size_t i = rng() % 3; i > 0; --i) user.custom.emplace_back(random_text(), random_text());
    user.searchable = rng() % 2;
    ASSERT_EQ(UserStateText(user), ReferenceState(user)) << "round " << round;
  }
}

TEST(OutboxEvents, AUserEventCarriesTheStateItsDigestIsOf) {
  PlanItem item;
  item.action = Action::kUpdate;
  item.user_id = 7;
  PbxUser target;
  target.fields.Set(Field::kUsername, "anna");
  target.fields.Set(Field::kEmail, "anna@example.com");
  item.target = target;
  item.changes.push_back({"email", "old@example.com", "anna@example.com"});
  const PendingEvent event = UserEvent(item, 7);
  const json payload = json::parse(event.payload);
  EXPECT_EQ(payload["action"], "update");
  EXPECT_EQ(payload["user"]["email"], "anna@example.com");
  EXPECT_EQ(payload["changes"][0]["old"], "old@example.com");
  EXPECT_EQ(payload["user"].dump(), UserStateText(target));
  EXPECT_EQ(event.object_key, "user:7");
  EXPECT_EQ(event.state_hash.size(), 16u);
  // Same state, same digest; another state, another one.
  EXPECT_EQ(UserEvent(item, 7).state_hash, event.state_hash);
  target.fields.Set(Field::kEmail, "anna2@example.com");
  item.target = target;
  EXPECT_NE(UserEvent(item, 7).state_hash, event.state_hash);
}

}  // namespace
}  // namespace telsync::store_detail
