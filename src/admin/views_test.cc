#include "admin/views.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/json_out.h"

namespace telsync::admin {
namespace {

PbxUser Alice() {
  PbxUser u;
  u.id = 7;
  u.fields.Set(Field::kUsername, "alice");
  u.fields.Set(Field::kExtension, "201");
  u.source_key = "obj-1";
  u.profile = "acme/entra";
  u.searchable = false;
  u.state = UserState::kPendingDelete;
  u.pending_since = 1700;
  u.groups = {"Sales", "Non AD sync"};
  u.custom = {{"cost_centre", "42"}, {"room", "B2"}};
  u.subscription = "pro";
  return u;
}

TEST(AdminViewsTest, UserJsonHasTheIdEveryFieldThenTheRestInThatOrder) {
  const nlohmann::ordered_json j = UserJson(Alice());
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  std::vector<std::string> want = {"id"};
  for (size_t i = 0; i < kFieldCount; ++i) want.emplace_back(FieldName(static_cast<Field>(i)));
  for (const char* k : {"searchable", "state", "pending_since", "profile", "source_key", "groups",
                        "custom", "subscription"})
    want.emplace_back(k);
  EXPECT_EQ(keys, want);

  EXPECT_EQ(j["id"], 7);
  EXPECT_EQ(j[std::string(FieldName(Field::kUsername))], "alice");
  EXPECT_EQ(j[std::string(FieldName(Field::kExtension))], "201");
  EXPECT_EQ(j[std::string(FieldName(Field::kMobile))], "");  // unset fields are ""
  EXPECT_EQ(j["searchable"], false);
  EXPECT_EQ(j["state"], "pending_delete");
  // The tail as the CLI and REST render it (DumpJson, compact): byte for byte.
  nlohmann::ordered_json tail;
  for (const char* k : {"searchable", "state", "pending_since", "profile", "source_key", "groups",
                        "custom", "subscription"})
    tail[k] = j[k];
  EXPECT_EQ(DumpJson(tail),
            R"({"searchable":false,"state":"pending_delete","pending_since":1700,)"
            R"("profile":"acme/entra","source_key":"obj-1","groups":["Sales","Non AD sync"],)"
            R"("custom":{"cost_centre":"42","room":"B2"},"subscription":"pro"})");
}

TEST(AdminViewsTest, AnActiveUserWithoutCustomFieldsHasAnEmptyObject) {
  PbxUser u;
  const nlohmann::ordered_json j = UserJson(u);
  EXPECT_EQ(j["state"], "active");
  EXPECT_TRUE(j["custom"].is_object());
  EXPECT_TRUE(j["custom"].empty());
  EXPECT_TRUE(j["groups"].is_array());
}

TEST(AdminViewsTest, TenantDeletionJsonCountsEveryKind) {
  TenantDeletion d{1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(DumpJson(TenantDeletionJson("initech", d)),
            R"({"deleted":"initech","removed":{"users":1,"departments":2,"runs":3,)"
            R"("mirror_entries":4,"tokens":5,"profiles":6,"jobs":7,"notifications":8}})");
}

}  // namespace
}  // namespace telsync::admin
