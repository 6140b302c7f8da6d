#include "store/sqlite/sqlite_mirror.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace telsync {
namespace {

MirrorEntry User(const std::string& id, const std::string& name, const std::string& mail) {
  MirrorEntry e;
  e.object.kind = ObjectKind::kUser;
  e.object.id = id;
  e.object.Add("userName", name);
  e.object.Add("mail", mail);
  e.object.Add("otherMails", "a@x");
  e.object.Add("otherMails", "b@x");
  e.object.groups = {"Sales", "Phones"};
  e.name = name;
  return e;
}

std::unique_ptr<Store> Open() {
  auto store = OpenSqliteStore(":memory:");
  EXPECT_TRUE(store.ok());
  return std::move(*store);
}

std::vector<std::string> Ids(Store& store, const std::string& tenant, const std::string& profile) {
  std::vector<std::string> ids;
  EXPECT_TRUE(store
                  .ScanMirror(tenant, profile,
                              [&](MirrorEntry&& e) {
                                ids.push_back(e.object.id);
                                return true;
                              })
                  .ok());
  return ids;
}

TEST(SqliteMirrorTest, EncodingKeepsAttributeOrderValuesAndGroups) {
  const MirrorEntry e = User("1", "ann", "ann@x");
  auto decoded = sqlite_detail::DecodeMirrorData(sqlite_detail::EncodeMirrorData(e.object));
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->attributes.size(), 3u);
  EXPECT_EQ(decoded->attributes[0].first, "userName");
  EXPECT_EQ(decoded->attributes[2].second, (std::vector<std::string>{"a@x", "b@x"}));
  EXPECT_EQ(decoded->groups, e.object.groups);
  EXPECT_FALSE(sqlite_detail::DecodeMirrorData("{\"a\": [[1, []]]}").ok());
  EXPECT_FALSE(sqlite_detail::DecodeMirrorData("not json").ok());
}

TEST(SqliteMirrorTest, PutGetAndVersionsOnlyMoveOnRealChanges) {
  auto store = Open();
  auto w = store->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 100);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*(*w)->Put(User("1", "Ann", "ann@x")), 1);
  ASSERT_TRUE((*w)->Commit().ok());

  // Nothing visible to another tenant or profile.
  EXPECT_EQ(*store->CountMirror("t", "p", ObjectKind::kUser), 1u);
  EXPECT_EQ(*store->CountMirror("t2", "p", ObjectKind::kUser), 0u);
  EXPECT_EQ(*store->CountMirror("t", "p", ObjectKind::kGroup), 0u);
  EXPECT_FALSE(store->GetMirrorEntry("t2", "p", ObjectKind::kUser, "1")->has_value());

  w = store->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 200);
  EXPECT_EQ(*(*w)->Put(User("1", "Ann", "ann@x")), 1);  // unchanged: no write
  EXPECT_EQ((*w)->changed(), 0u);
  EXPECT_EQ(*(*w)->Put(User("1", "Ann", "ann@y")), 2);
  ASSERT_TRUE((*w)->Commit().ok());

  auto got = store->GetMirrorEntry("t", "p", ObjectKind::kUser, "1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->version, 2);
  EXPECT_EQ((*got)->created_at, 100);
  EXPECT_EQ((*got)->updated_at, 200);
  EXPECT_EQ((*got)->object.First("mail"), "ann@y");
  auto by_name = store->FindMirrorEntryByName("t", "p", ObjectKind::kUser, "ANN");
  ASSERT_TRUE(by_name.ok() && by_name->has_value());
  EXPECT_EQ((*by_name)->object.id, "1");
}

TEST(SqliteMirrorTest, IfMatchVersionsAndNameUniqueness) {
  auto store = Open();
  auto w = store->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 1);
  ASSERT_TRUE((*w)->Put(User("1", "ann", "ann@x")).ok());
  auto taken = (*w)->Put(User("2", "ANN", "other@x"));
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);
  auto stale = (*w)->Put(User("1", "ann", "new@x"), /*expected_version=*/7);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  auto missing = (*w)->Put(User("9", "zed", "z@x"), 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(*(*w)->Put(User("1", "ann", "new@x"), 1), 2);
  EXPECT_EQ((*w)->Remove(ObjectKind::kUser, "nope").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE((*w)->Commit().ok());
}

TEST(SqliteMirrorTest, WriterWithoutCommitChangesNothing) {
  auto store = Open();
  {
    auto w = store->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 1);
    ASSERT_TRUE((*w)->Put(User("1", "ann", "ann@x")).ok());
  }
  EXPECT_EQ(*store->CountMirror("t", "p", ObjectKind::kUser), 0u);
}

TEST(SqliteMirrorTest, ReplaceRemovesWhatTheFullReadDidNotReturn) {
  auto store = Open();
  auto w = store->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 1);
  for (const char* id : {"1", "2", "3"}) {
    ASSERT_TRUE((*w)->Put(User(id, std::string("u") + id, "m@x")).ok());
  }
  ASSERT_TRUE((*w)->Commit().ok());
  // Another profile's mirror is not touched by this profile's replace.
  w = store->BeginMirrorWrite("t", "other", MirrorWriteMode::kPatch, 1);
  ASSERT_TRUE((*w)->Put(User("1", "u1", "m@x")).ok());
  ASSERT_TRUE((*w)->Commit().ok());

  w = store->BeginMirrorWrite("t", "p", MirrorWriteMode::kReplace, 2);
  ASSERT_TRUE((*w)->Put(User("1", "u1", "m@x")).ok());
  ASSERT_TRUE((*w)->Put(User("4", "u4", "m@x")).ok());
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ((*w)->removed(), 2u);
  EXPECT_EQ(Ids(*store, "t", "p"), (std::vector<std::string>{"1", "4"}));
  EXPECT_EQ(Ids(*store, "t", "other"), (std::vector<std::string>{"1"}));
}

TEST(SqliteMirrorTest, TokensAreFoundByHashUntilRevoked) {
  auto store = Open();
  ApiToken token{0, "acme", "scim", "entra", "abc", 10, 0};
  auto id = store->AddToken(token);
  ASSERT_TRUE(id.ok());
  token.tenant = "globex";
  token.hash = "def";
  ASSERT_TRUE(store->AddToken(token).ok());
  EXPECT_FALSE(store->AddToken(token).ok());  // the same hash twice

  auto found = store->FindToken("scim", "abc");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->tenant, "acme");
  EXPECT_FALSE(store->FindToken("admin", "abc")->has_value());
  EXPECT_EQ(store->ListTokens("acme", "scim")->size(), 1u);

  EXPECT_EQ(store->RevokeToken("globex", "scim", *id, 20).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store->RevokeToken("acme", "scim", *id, 20).ok());
  EXPECT_FALSE(store->FindToken("scim", "abc")->has_value());
  EXPECT_TRUE(store->FindToken("scim", "def")->has_value());
  EXPECT_EQ(store->RevokeToken("acme", "scim", 0, 30).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store->ListTokens("acme", "scim")->at(0).revoked_at, 20);
}

}  // namespace
}  // namespace telsync
