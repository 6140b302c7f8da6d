#include "store/sqlite/sqlite_mirror.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "store/sqlite/migrations.h"
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

// A migrated connection and its SqliteMirror, to look at the statement cache.
struct RawMirror {
  RawMirror() {
    auto opened = sqlite_detail::Db::Open(":memory:");
    EXPECT_TRUE(opened.ok());
    db = std::move(*opened);
    EXPECT_TRUE(MigrateSqliteStore(db).ok());
    mirror = std::make_unique<sqlite_detail::SqliteMirror>(db);
  }
  sqlite_detail::Db db;
  std::unique_ptr<sqlite_detail::SqliteMirror> mirror;
};

TEST(SqliteMirrorTest, StatementsArePreparedOnceAndReused) {
  RawMirror raw;
  auto& mirror = *raw.mirror;
  auto write = [&](const std::string& id, const std::string& name) {
    auto writer = mirror.BeginWrite("t", "p", MirrorWriteMode::kPatch, 100);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Put(User(id, name, name)).ok());
    ASSERT_TRUE((*writer)->Commit().ok());
  };
  write("1", "ann");
  ASSERT_TRUE(mirror.Get("t", "p", ObjectKind::kUser, "1").ok());
  ASSERT_TRUE(mirror.FindByName("t", "p", ObjectKind::kUser, "ANN").ok());
  const size_t after_first = mirror.prepared();
  EXPECT_GT(after_first, 0u);
  for (int i = 2; i < 20; ++i) {
    write(std::to_string(i), "user" + std::to_string(i));
    auto got = mirror.Get("t", "p", ObjectKind::kUser, std::to_string(i));
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->name, "user" + std::to_string(i));
    auto named = mirror.FindByName("t", "p", ObjectKind::kUser, "USER" + std::to_string(i));
    ASSERT_TRUE(named.ok() && named->has_value());
    EXPECT_EQ((*named)->object.id, std::to_string(i));
  }
  EXPECT_EQ(mirror.prepared(), after_first);  // 18 more writes and reads compiled nothing
  EXPECT_EQ(*mirror.Count("t", "p", ObjectKind::kUser), 19u);
  // A failed lookup leaves its statement reset and usable.
  EXPECT_FALSE(mirror.Get("t", "p", ObjectKind::kUser, "nope")->has_value());
  EXPECT_TRUE(mirror.Get("t", "p", ObjectKind::kUser, "1")->has_value());
}

TEST(SqliteMirrorTest, NestedWritersAreSavepointsOfTheOuterTransaction) {
  auto store = Open();
  EXPECT_TRUE(store->NestsMirrorWrites());
  auto outer = store->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 100);
  ASSERT_TRUE(outer.ok());
  {
    auto a = store->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 100);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE((*a)->Put(User("a", "ann", "a@x")).ok());
    ASSERT_TRUE((*a)->Commit().ok());
  }
  {
    // Fails half-way: its first Put is undone, not the one before it.
    auto b = store->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 100);
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE((*b)->Put(User("b", "bob", "b@x")).ok());
    EXPECT_EQ((*b)->Put(User("c", "ANN", "c@x")).error().code, ErrorCode::kConflict);
  }
  {
    auto c = store->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 100);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Put(User("c", "cid", "c@x")).ok());
    ASSERT_TRUE((*c)->Commit().ok());
  }
  // A full write cannot nest: its sweep would see the outer writes.
  EXPECT_FALSE(store->BeginMirrorWrite("t", "p", MirrorWriteMode::kReplace, 100).ok());
  ASSERT_TRUE((*outer)->Commit().ok());
  EXPECT_EQ(Ids(*store, "t", "p"), (std::vector<std::string>{"a", "c"}));

  // An outer writer dropped without Commit takes its committed savepoints with it.
  {
    auto dropped = store->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 100);
    ASSERT_TRUE(dropped.ok());
    auto inner = store->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 100);
    ASSERT_TRUE(inner.ok());
    ASSERT_TRUE((*inner)->Put(User("d", "dee", "d@x")).ok());
    ASSERT_TRUE((*inner)->Commit().ok());
  }
  EXPECT_EQ(Ids(*store, "t", "p"), (std::vector<std::string>{"a", "c"}));
  // And the connection is usable again for a plain write.
  auto plain = store->BeginMirrorWrite("t", "p", MirrorWriteMode::kReplace, 100);
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE((*plain)->Put(User("a", "ann", "a@x")).ok());
  ASSERT_TRUE((*plain)->Commit().ok());
  EXPECT_EQ(Ids(*store, "t", "p"), (std::vector<std::string>{"a"}));
}

TEST(SqliteMirrorTest, PagesOfOneKindInIdOrder) {
  auto store = Open();
  auto writer = store->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 100);
  ASSERT_TRUE(writer.ok());
  for (const char* id : {"5", "1", "3", "2", "4"}) {
    ASSERT_TRUE((*writer)->Put(User(id, std::string("u") + id, "x")).ok());
  }
  MirrorEntry group;
  group.object.kind = ObjectKind::kGroup;
  group.object.id = "0";
  group.name = "Sales";
  ASSERT_TRUE((*writer)->Put(group).ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  auto page = [&](ObjectKind kind, size_t offset, size_t limit) {
    std::vector<std::string> ids;
    EXPECT_TRUE(store
                    ->ScanMirrorPage("t", "p", kind, offset, limit,
                                     [&](MirrorEntry&& e) {
                                       EXPECT_EQ(e.object.kind, kind);
                                       ids.push_back(e.object.id);
                                       return true;
                                     })
                    .ok());
    return ids;
  };
  EXPECT_EQ(page(ObjectKind::kUser, 0, 2), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(page(ObjectKind::kUser, 3, 10), (std::vector<std::string>{"4", "5"}));
  EXPECT_TRUE(page(ObjectKind::kUser, 5, 10).empty());
  EXPECT_TRUE(page(ObjectKind::kUser, 0, 0).empty());
  EXPECT_EQ(page(ObjectKind::kGroup, 0, 10), (std::vector<std::string>{"0"}));
  EXPECT_TRUE(page(ObjectKind::kUser, 0, 10).size() == 5);
  // Another tenant sees none of it.
  std::vector<std::string> other;
  ASSERT_TRUE(store
                  ->ScanMirrorPage("u", "p", ObjectKind::kUser, 0, 10,
                                   [&](MirrorEntry&& e) {
                                     other.push_back(e.object.id);
                                     return true;
                                   })
                  .ok());
  EXPECT_TRUE(other.empty());
  // A scan whose callback reads the mirror again (the statement is lent, not shared).
  size_t inner_reads = 0;
  ASSERT_TRUE(store
                  ->ScanMirror("t", "p",
                               [&](MirrorEntry&& e) {
                                 auto again =
                                     store->GetMirrorEntry("t", "p", e.object.kind, e.object.id);
                                 EXPECT_TRUE(again.ok() && again->has_value());
                                 inner_reads += page(ObjectKind::kUser, 0, 1).size();
                                 return true;
                               })
                  .ok());
  EXPECT_EQ(inner_reads, 6u);
}

TEST(SqliteMirrorTest, RememberedCountsFollowEveryConnectionsWrites) {
  const std::string path =
      ::testing::TempDir() + "/mirror_count_" + std::to_string(::getpid()) + ".db";
  std::remove(path.c_str());
  auto a = OpenSqliteStore(path);
  auto b = OpenSqliteStore(path);
  ASSERT_TRUE(a.ok() && b.ok());
  auto put = [](Store& store, const std::string& id) {
    auto writer = store.BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 100);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Put(User(id, "n" + id, "x")).ok());
    ASSERT_TRUE((*writer)->Commit().ok());
  };
  auto count = [](Store& store) { return *store.CountMirror("t", "p", ObjectKind::kUser); };
  put(**a, "1");
  EXPECT_EQ(count(**a), 1u);
  EXPECT_EQ(count(**a), 1u);  // remembered
  put(**b, "2");              // another connection commits
  EXPECT_EQ(count(**a), 2u);
  put(**a, "3");  // this one commits
  EXPECT_EQ(count(**a), 3u);
  EXPECT_EQ(*(*a)->CountMirror("t", "p", ObjectKind::kGroup), 0u);
  {
    auto writer = (*a)->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 100);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Put(User("4", "n4", "x")).ok());
    EXPECT_EQ(count(**a), 4u);  // its own uncommitted write, not remembered
  }                             // rolled back
  EXPECT_EQ(count(**a), 3u);
  ASSERT_TRUE((*b)->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 100).ok());
  EXPECT_EQ(count(**b), 3u);
  a->reset();
  b->reset();
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
}

}  // namespace
}  // namespace telsync
