#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_outbox.h"
#include "store/store.h"

namespace telsync {
namespace {

// A private directory for file-backed stores, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "telsync-store-XXXXXX");
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs SQL on a file store through a second, raw connection: what an operator (or
// another telsync process) would do, e.g. set a subscription.
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message ? message : "");
  sqlite3_free(message);
  sqlite3_close(db);
}

std::unique_ptr<Store> Open(const std::string& spec, SqliteStoreOptions options = {}) {
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(spec, options);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().ToString());
  return store.ok() ? std::move(*store) : nullptr;
}

PbxUser MakeUser(const std::string& key, const std::string& username,
                 const std::string& profile = "hr") {
  PbxUser u;
  u.source_key = key;
  u.profile = profile;
  u.fields.Set(Field::kUsername, username);
  u.fields.Set(Field::kEmail, username + "@example.com");
  u.fields.Set(Field::kDisplayName, "User " + username);
  return u;
}

PlanItem Item(Action action, const PbxUser& target, int64_t user_id = 0) {
  PlanItem item;
  item.action = action;
  item.key = target.source_key;
  item.username = std::string(target.fields.Get(Field::kUsername));
  item.user_id = user_id;
  item.target = target;
  return item;
}

Plan MakePlan(std::vector<PlanItem> items, const std::string& tenant = "acme") {
  Plan plan;
  plan.tenant = tenant;
  plan.profile = "hr";
  plan.source = "file:test.json";
  plan.complete = true;
  plan.items = std::move(items);
  return plan;
}

std::vector<PbxUser> Users(Store& store, const std::string& tenant = "acme") {
  Result<StoreSnapshot> snap = store.LoadSnapshot(tenant, "hr");
  EXPECT_TRUE(snap.ok());
  return snap.ok() ? snap->users : std::vector<PbxUser>{};
}

void ExpectSameUser(const PbxUser& a, const PbxUser& b) {
  for (size_t i = 0; i < kFieldCount; ++i) {
    EXPECT_EQ(a.fields.Get(static_cast<Field>(i)), b.fields.Get(static_cast<Field>(i)))
        << FieldName(static_cast<Field>(i));
  }
  EXPECT_EQ(a.source_key, b.source_key);
  EXPECT_EQ(a.profile, b.profile);
  EXPECT_EQ(a.searchable, b.searchable);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.pending_since, b.pending_since);
  EXPECT_EQ(a.groups, b.groups);
  EXPECT_EQ(a.custom, b.custom);
}

TEST(SqliteStoreTest, OpensMemoryStoreAtLatestVersion) {
  auto store = Open(":memory:");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion(), LatestSqliteSchemaVersion());
  EXPECT_GE(store->SchemaVersion(), 1);
  EXPECT_TRUE(Users(*store).empty());
}

TEST(SqliteStoreTest, OpenStoreRejectsBadSpecs) {
  TempDir dir;
  Result<std::unique_ptr<Store>> empty = OpenStore("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalid);
  // Port 1 on the loopback: nothing listens, so the connection is refused.
  Result<std::unique_ptr<Store>> pg = OpenStore("postgres://u:pw@127.0.0.1:1/telsync");
  ASSERT_FALSE(pg.ok());
  EXPECT_EQ(pg.error().code, ErrorCode::kUnavailable);
  Result<std::unique_ptr<Store>> missing_dir = OpenStore(dir.File("no/such/dir/t.db"));
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_EQ(missing_dir.error().code, ErrorCode::kUnavailable);
  const std::string garbage = dir.File("garbage.db");
  std::ofstream(garbage) << std::string(4096, 'x');
  EXPECT_FALSE(OpenStore(garbage).ok());
  Result<std::unique_ptr<Store>> prefixed = OpenStore("sqlite:" + dir.File("p.db"));
  EXPECT_TRUE(prefixed.ok());
}

TEST(SqliteStoreTest, RoundTripsEveryUserField) {
  auto store = Open(":memory:");
  PbxUser u;
  u.source_key = "0f8fad5b-d9cb-469f-a165-70867728950e";
  u.profile = "hr";
  for (size_t i = 0; i < kFieldCount; ++i) {
    // Distinct, non-ASCII values per field catch a column mix-up.
    u.fields.Set(static_cast<Field>(i), "värde-" + std::string(FieldName(static_cast<Field>(i))) +
                                            "-日本-" + std::to_string(i));
  }
  u.searchable = false;
  u.state = UserState::kPendingDelete;
  u.pending_since = 1700000000;
  u.groups = {"Non AD sync", "Säljare", "\"quoted\""};
  u.custom = {{"cost_center", "4711"}, {"nickname", "Zoë"}, {"quote", "a\"b\\c"}};
  Result<ApplyReport> report = store->Apply(MakePlan({Item(Action::kCreate, u)}));
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(report->users_written, 1u);
  EXPECT_EQ(report->statements, 1u);
  const std::vector<PbxUser> users = Users(*store);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_GT(users[0].id, 0);
  ExpectSameUser(users[0], u);
  EXPECT_EQ(users[0].subscription, "");
}

TEST(SqliteStoreTest, ApplyingTheSameCreatePlanTwiceKeepsOneRow) {
  auto store = Open(":memory:");
  const Plan plan = MakePlan({Item(Action::kCreate, MakeUser("k1", "alice")),
                              Item(Action::kCreate, MakeUser("k2", "bob"))});
  ASSERT_TRUE(store->Apply(plan).ok());
  const std::vector<PbxUser> first = Users(*store);
  ASSERT_TRUE(store->Apply(plan).ok());
  const std::vector<PbxUser> second = Users(*store);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(first[0].id, second[0].id);
  EXPECT_EQ(first[1].id, second[1].id);
}

TEST(SqliteStoreTest, NoopPlanExecutesNoStatementAndTakesNoLock) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  auto store = Open(path);
  ASSERT_TRUE(store->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  const int64_t id = Users(*store)[0].id;

  Plan plan = MakePlan({Item(Action::kUnchanged, MakeUser("k1", "alice"), id),
                        Item(Action::kSkip, MakeUser("k2", "bob")),
                        Item(Action::kConflict, MakeUser("k3", "carol")),
                        Item(Action::kError, MakeUser("k4", "dave")),
                        Item(Action::kBlocked, MakeUser("k5", "erin"))});
  DepartmentChange unchanged;
  unchanged.target.name = "Sales";
  plan.departments.push_back(unchanged);
  ASSERT_TRUE(plan.IsNoop());

  // Another process holds the write lock: a store that opened a write transaction
  // would wait for it and fail after busy_timeout.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Result<ApplyReport> report = store->Apply(plan);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(report->statements, 0u);
  EXPECT_EQ(report->users_written, 0u);
  EXPECT_EQ(Users(*store).size(), 1u);
}

// Opening a current store reads; it takes no write lock. So a read-only command (`jobs list`,
// `runs`) opens and reads while another process holds the write lock for a long apply,
// however slow the machine is. (It used to take the write lock at open to read the schema
// version, and failed with "database is locked" after the busy wait on a loaded machine.)
TEST(SqliteStoreTest, OpeningACurrentStoreTakesNoWriteLock) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  auto first = Open(path);
  ASSERT_TRUE(first->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  // The holder never lets go while the second store opens: an open that wanted the write
  // lock would fail with "database is locked" once its busy wait ran out.
  Result<std::unique_ptr<Store>> second = OpenStore(path, StoreOpen::kMustExist);
  Result<size_t> count = second.ok() ? (*second)->CountUsers("acme") : Result<size_t>(0);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  ASSERT_TRUE(count.ok()) << count.error().ToString();
  EXPECT_EQ(*count, 1u);
}

// A created user's outbox event names the row its INSERT ... RETURNING gave (no second
// lookup per created user). A create applied again after a crash updates the row it made
// the first time and, holding the same state, writes no second event.
TEST(SqliteStoreTest, ACreatedUsersEventNamesTheRowItsInsertReturned) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  auto store = Open(path);
  ASSERT_TRUE(store->OpenTargetCursor("acme", "sip").ok());
  const Plan plan = MakePlan({Item(Action::kCreate, MakeUser("k1", "alice")),
                              Item(Action::kCreate, MakeUser("k2", "bob"))});
  ASSERT_TRUE(store->Apply(plan).ok());
  ASSERT_TRUE(store->Apply(plan).ok());  // the rerun: same rows, same ids
  std::map<std::string, int64_t> ids;
  for (const PbxUser& u : Users(*store)) ids[u.source_key] = u.id;
  ASSERT_EQ(ids.size(), 2u);
  Result<std::vector<OutboxEvent>> events = store->ListOutbox("acme", 0, 100);
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  ASSERT_EQ(events->size(), 2u);
  for (size_t i = 0; i < events->size(); ++i) {
    const int64_t want = ids[i == 0 ? "k1" : "k2"];
    EXPECT_EQ((*events)[i].user_id, want) << i;
    EXPECT_EQ((*events)[i].object_key, "user:" + std::to_string(want)) << i;
  }
}

TEST(SqliteStoreTest, UpdateWritesTargetButNeverSubscription) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  auto store = Open(path);
  ASSERT_TRUE(store->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  RawExec(path, "UPDATE users SET subscription = 'E5'");
  PbxUser target = Users(*store)[0];
  EXPECT_EQ(target.subscription, "E5");
  target.fields.Set(Field::kMobile, "+46701234567");
  target.fields.Set(Field::kDisplayName, "");
  target.groups = {"Sales"};
  target.custom = {{"site", "Lund"}};
  target.subscription = "none";  // a sync must not write this (F16)
  Result<ApplyReport> report = store->Apply(MakePlan({Item(Action::kUpdate, target, target.id)}));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->users_written, 1u);
  const std::vector<PbxUser> users = Users(*store);
  ASSERT_EQ(users.size(), 1u);
  ExpectSameUser(users[0], target);
  EXPECT_EQ(users[0].subscription, "E5");

  // A create applied again over the same row (R2) leaves the subscription alone too.
  PbxUser again = MakeUser("k1", "alice");
  again.subscription = "none";
  ASSERT_TRUE(store->Apply(MakePlan({Item(Action::kCreate, again)})).ok());
  EXPECT_EQ(Users(*store)[0].subscription, "E5");
}

TEST(SqliteStoreTest, CorruptJsonColumnIsAnErrorNamingTheUser) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  auto store = Open(path);
  ASSERT_TRUE(store->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  const int64_t id = Users(*store)[0].id;
  for (const char* sql : {"UPDATE users SET groups = 'not json'", "UPDATE users SET groups = '[1]'",
                          "UPDATE users SET groups = '[]', custom = '[\"a\"]'"}) {
    RawExec(path, sql);
    Result<StoreSnapshot> snap = store->LoadSnapshot("acme", "hr");
    ASSERT_FALSE(snap.ok()) << sql;
    EXPECT_EQ(snap.error().code, ErrorCode::kInternal);
    EXPECT_EQ(snap.error().context, "user id " + std::to_string(id));
  }
}

TEST(SqliteStoreTest, AppliesPendingRestoreUnsearchableAndDelete) {
  auto store = Open(":memory:");
  ASSERT_TRUE(store
                  ->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice")),
                                    Item(Action::kCreate, MakeUser("k2", "bob"))}))
                  .ok());
  std::vector<PbxUser> users = Users(*store);
  ASSERT_EQ(users.size(), 2u);

  PbxUser pending = users[0];
  pending.state = UserState::kPendingDelete;
  pending.pending_since = 1234;
  PbxUser hidden = users[1];
  hidden.searchable = false;
  Result<ApplyReport> r = store->Apply(MakePlan({Item(Action::kPendingDelete, pending, pending.id),
                                                 Item(Action::kUnsearchable, hidden, hidden.id)}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->users_written, 2u);
  users = Users(*store);
  EXPECT_EQ(users[0].state, UserState::kPendingDelete);
  EXPECT_EQ(users[0].pending_since, 1234);
  EXPECT_FALSE(users[1].searchable);

  PbxUser restored = users[0];
  restored.state = UserState::kActive;
  restored.pending_since = 0;
  PlanItem del = Item(Action::kDelete, users[1], users[1].id);
  ASSERT_TRUE(store->Apply(MakePlan({Item(Action::kRestore, restored, restored.id), del})).ok());
  users = Users(*store);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].state, UserState::kActive);
  EXPECT_EQ(users[0].pending_since, 0);
  EXPECT_EQ(users[0].fields.Get(Field::kUsername), "alice");

  // Deleting again (a rerun) changes nothing and does not fail.
  Result<ApplyReport> again = store->Apply(MakePlan({del}));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->users_written, 0u);
  EXPECT_EQ(again->statements, 1u);
}

TEST(SqliteStoreTest, UpdateThatBreaksSourceKeyUniquenessFailsAndRollsBack) {
  auto store = Open(":memory:");
  ASSERT_TRUE(store
                  ->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice")),
                                    Item(Action::kCreate, MakeUser("k2", "bob"))}))
                  .ok());
  std::vector<PbxUser> users = Users(*store);
  PbxUser renamed = users[0];
  renamed.fields.Set(Field::kCity, "Malmö");
  PbxUser clash = users[1];
  clash.source_key = "k1";
  Result<ApplyReport> r = store->Apply(MakePlan(
      {Item(Action::kUpdate, renamed, renamed.id), Item(Action::kUpdate, clash, clash.id)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_NE(r.error().context.find("bob"), std::string::npos);
  // The whole batch rolled back: alice's city is not written either.
  EXPECT_EQ(Users(*store)[0].fields.Get(Field::kCity), "");
}

TEST(SqliteStoreTest, WritesAllCreatesAcrossBatchBoundaries) {
  auto store = Open(":memory:");
  std::vector<PlanItem> items;
  constexpr size_t kUsers = 25000;
  items.reserve(kUsers);
  for (size_t i = 0; i < kUsers; ++i) {
    items.push_back(
        Item(Action::kCreate, MakeUser("k" + std::to_string(i), "u" + std::to_string(i))));
  }
  Result<ApplyReport> r = store->Apply(MakePlan(std::move(items)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->users_written, kUsers);
  EXPECT_EQ(r->statements, kUsers);
  const std::vector<PbxUser> users = Users(*store);
  ASSERT_EQ(users.size(), kUsers);
  EXPECT_EQ(users.front().source_key, "k0");
  EXPECT_EQ(users.back().source_key, "k24999");
}

TEST(SqliteStoreTest, SmallBatchesCommitEveryItem) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  auto store = Open(path, SqliteStoreOptions{.batch_size = 2});
  std::vector<PlanItem> items;
  for (int i = 0; i < 5; ++i) {
    items.push_back(
        Item(Action::kCreate, MakeUser("k" + std::to_string(i), "u" + std::to_string(i))));
  }
  ASSERT_TRUE(store->Apply(MakePlan(items)).ok());
  EXPECT_EQ(Users(*store).size(), 5u);
  // Nothing is left open: another connection can write at once.
  RawExec(path, "BEGIN IMMEDIATE; COMMIT;");
}

TEST(SqliteStoreTest, AppliesDepartmentChangesPerProfile) {
  auto store = Open(":memory:");
  Plan plan = MakePlan({});
  DepartmentChange sales;
  sales.action = Action::kCreate;
  sales.target = {0, "Sales", "hr", "600", {"alice", "bob"}};
  DepartmentChange support;
  support.action = Action::kCreate;
  support.target = {0, "Support", "", "601", {}};  // profile defaults to the plan's
  plan.departments = {sales, support};
  Result<ApplyReport> r = store->Apply(plan);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->departments_written, 2u);

  Plan other = MakePlan({});
  other.profile = "it";
  DepartmentChange it_sales = sales;
  it_sales.target.profile = "it";
  it_sales.target.ring_group = "700";
  other.departments = {it_sales};
  ASSERT_TRUE(store->Apply(other).ok());

  Result<StoreSnapshot> snap = store->LoadSnapshot("acme", "hr");
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->departments.size(), 2u);
  EXPECT_EQ(snap->departments[0].name, "Sales");
  EXPECT_EQ(snap->departments[0].ring_group, "600");
  EXPECT_EQ(snap->departments[0].members, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(snap->departments[1].profile, "hr");

  DepartmentChange update = sales;
  update.action = Action::kUpdate;
  update.target.members = {"alice"};
  DepartmentChange remove = support;
  remove.action = Action::kDelete;
  plan.departments = {update, remove};
  ASSERT_TRUE(store->Apply(plan).ok());
  snap = store->LoadSnapshot("acme", "hr");
  ASSERT_EQ(snap->departments.size(), 1u);
  EXPECT_EQ(snap->departments[0].members, std::vector<std::string>{"alice"});

  Result<std::vector<Department>> all = store->ListDepartments("acme");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].profile, "it");
  EXPECT_EQ((*all)[1].ring_group, "700");
}

TEST(SqliteStoreTest, FileStoreReopensWithItsData) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  {
    auto store = Open(path);
    ASSERT_TRUE(store->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
    ASSERT_TRUE(store->SetCursor("acme", "hr", "delta-1").ok());
  }
  auto store = Open(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion(), LatestSqliteSchemaVersion());
  EXPECT_EQ(Users(*store).size(), 1u);
  EXPECT_EQ(*store->GetCursor("acme", "hr"), "delta-1");
}

TEST(SqliteStoreTest, MigratesAnUnversionedDatabase) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  RawExec(path, "CREATE TABLE unrelated (x INTEGER)");  // version 0, not empty
  auto store = Open(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion(), LatestSqliteSchemaVersion());
  EXPECT_TRUE(store->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  EXPECT_EQ(Users(*store).size(), 1u);
}

// Issue 14 item 6: migration 6 gives stored GUID ids their canonical form (lower-case,
// no braces); other ids are kept, and a row whose canonical id is taken keeps its own.
TEST(SqliteStoreTest, MigrationSixCanonicalisesGuidSourceKeys) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  {
    auto store = Open(path);
    ASSERT_TRUE(
        store
            ->Apply(MakePlan({
                Item(Action::kCreate, MakeUser("{6E7B768E-07E2-4810-8459-485F84F8F204}", "braced")),
                Item(Action::kCreate, MakeUser("AB6C16C0-75A8-4B3C-848A-1E777A208125", "upper")),
                Item(Action::kCreate, MakeUser("Not-A-Guid", "other")),
                Item(Action::kCreate, MakeUser("DD363D41-8518-47A1-9AAB-97B6C3BAFFC5", "twin")),
                Item(Action::kCreate, MakeUser("dd363d41-8518-47a1-9aab-97b6c3baffc5", "lower")),
            }))
            .ok());
  }
  // As version 5 left it: the tables and columns of migrations 7 to 14 are not there yet.
  RawExec(path,
          "DROP INDEX users_pending; DROP TABLE plan_waiting; DROP INDEX runs_kept; DROP INDEX "
          "runs_purging; ALTER TABLE runs DROP COLUMN "
          "purged_at; ALTER TABLE runs DROP COLUMN purge_pending; "
          "DROP TABLE profile_pauses; ALTER TABLE runs DROP COLUMN reverted_run; "
          "ALTER TABLE run_items DROP COLUMN removed_user; "
          "DROP TRIGGER users_delete_sip_credentials; "
          "DROP TABLE secret_key; DROP TABLE mirror_pending; DROP TABLE outbox; "
          "DROP TABLE outbox_state; DROP TABLE outbox_last; DROP TABLE target_cursors; "
          "DROP TABLE target_dead; DROP TABLE target_objects; DROP TABLE sip_credentials; "
          "PRAGMA user_version = 5");
  auto store = Open(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion(), LatestSqliteSchemaVersion());
  std::map<std::string, std::string> key_of;
  for (const PbxUser& u : Users(*store))
    key_of[std::string(u.fields.Get(Field::kUsername))] = u.source_key;
  EXPECT_EQ(key_of["braced"], "6e7b768e-07e2-4810-8459-485f84f8f204");
  EXPECT_EQ(key_of["upper"], "ab6c16c0-75a8-4b3c-848a-1e777a208125");
  EXPECT_EQ(key_of["other"], "Not-A-Guid");
  EXPECT_EQ(key_of["lower"], "dd363d41-8518-47a1-9aab-97b6c3baffc5");
  EXPECT_EQ(key_of["twin"], "DD363D41-8518-47A1-9AAB-97B6C3BAFFC5");
}

// Migration 13 keeps target_objects and sip_credentials in their primary key (WITHOUT
// ROWID) and drops the outbox's unused object-key index: what a version 12 store held is
// kept, and a deleted user's SIP password still goes with it (the trigger is made again).
TEST(SqliteStoreTest, MigrationThirteenKeepsTargetObjectsAndSipPasswords) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  int64_t alice = 0;
  int64_t bob = 0;
  {
    auto store = Open(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store
                    ->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice")),
                                      Item(Action::kCreate, MakeUser("k2", "bob"))}))
                    .ok());
    for (const PbxUser& u : Users(*store)) {
      (u.fields.Get(Field::kUsername) == "alice" ? alice : bob) = u.id;
    }
  }
  ASSERT_NE(alice, 0);
  ASSERT_NE(bob, 0);
  // As version 12 left them: rowid tables, the trigger of step 10, the outbox index (and
  // nothing of step 14).
  RawExec(path,
          "DROP INDEX users_pending; DROP TABLE plan_waiting; "
          "DROP TRIGGER users_delete_sip_credentials; DROP TABLE target_objects; "
          "DROP TABLE sip_credentials; "
          "CREATE TABLE target_objects (tenant TEXT NOT NULL, target TEXT NOT NULL, type TEXT "
          "NOT NULL, key TEXT NOT NULL, user_id INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (tenant, "
          "target, type, key)); "
          "CREATE TABLE sip_credentials (tenant TEXT NOT NULL, user_id INTEGER NOT NULL, sealed "
          "TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (tenant, user_id)); "
          "CREATE TRIGGER users_delete_sip_credentials AFTER DELETE ON users BEGIN DELETE FROM "
          "sip_credentials WHERE tenant = old.tenant AND user_id = old.id; END; "
          "CREATE INDEX outbox_object ON outbox (tenant, object_key, seq); "
          "INSERT INTO target_objects VALUES ('acme', 'sip', 'subscriber', 'alice@sip.example', " +
              std::to_string(alice) + "), ('acme', 'sip', 'alias', '100@sip.example', " +
              std::to_string(alice) +
              "); "
              "INSERT INTO sip_credentials VALUES ('acme', " +
              std::to_string(alice) + ", 'sealed-a', 5), ('acme', " + std::to_string(bob) +
              ", 'sealed-b', 6); "
              "PRAGMA user_version = 12");
  auto store = Open(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion(), LatestSqliteSchemaVersion());
  Result<std::vector<TargetObject>> objects = store->ListTargetObjects("acme", "sip");
  ASSERT_TRUE(objects.ok());
  ASSERT_EQ(objects->size(), 2u);
  EXPECT_EQ((*objects)[0].type, "alias");
  EXPECT_EQ((*objects)[0].key, "100@sip.example");
  EXPECT_EQ((*objects)[1].key, "alice@sip.example");
  EXPECT_EQ((*objects)[1].user_id, alice);
  Result<std::optional<std::string>> sealed = store->GetSipCredential("acme", bob);
  ASSERT_TRUE(sealed.ok() && sealed->has_value());
  EXPECT_EQ(**sealed, "sealed-b");

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto count = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sql;
    int64_t n = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
  };
  EXPECT_EQ(count("SELECT count(*) FROM sqlite_master WHERE name IN ('target_objects', "
                  "'sip_credentials') AND sql LIKE '%WITHOUT ROWID%'"),
            2);
  EXPECT_EQ(count("SELECT count(*) FROM sqlite_master WHERE name = 'outbox_object'"), 0);
  sqlite3_close(db);

  // The trigger works on the new table: bob's password goes with bob.
  PbxUser gone = MakeUser("k2", "bob");
  gone.id = bob;
  ASSERT_TRUE(store->Apply(MakePlan({Item(Action::kDelete, gone, bob)})).ok());
  sealed = store->GetSipCredential("acme", bob);
  ASSERT_TRUE(sealed.ok());
  EXPECT_FALSE(sealed->has_value());
  sealed = store->GetSipCredential("acme", alice);
  ASSERT_TRUE(sealed.ok() && sealed->has_value());
}

TEST(SqliteStoreTest, RefusesASchemaNewerThanTheBinary) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  { ASSERT_NE(Open(path), nullptr); }
  const int future = LatestSqliteSchemaVersion() + 5;
  RawExec(path, "PRAGMA user_version = " + std::to_string(future));
  Result<std::unique_ptr<Store>> store = OpenStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(store.error().message, "store schema version " + std::to_string(future) +
                                       " is newer than this telsync supports (" +
                                       std::to_string(LatestSqliteSchemaVersion()) +
                                       "): upgrade telsync");
}

Run MakeRun(const std::string& tenant, const std::string& profile, RunKind kind, RunStatus status,
            int64_t started) {
  telsync::Run run;
  run.tenant = tenant;
  run.profile = profile;
  run.kind = kind;
  run.status = status;
  run.trigger = "cli";
  run.started_at = started;
  run.source = "file:x.json";
  return run;
}

TEST(SqliteStoreTest, RunsRoundTripAndList) {
  auto store = Open(":memory:");
  telsync::Run run = MakeRun("acme", "hr", RunKind::kSync, RunStatus::kRunning, 100);
  Result<int64_t> id = store->CreateRun(run);
  ASSERT_TRUE(id.ok());
  run.id = *id;
  run.status = RunStatus::kPartial;
  run.finished_at = 160;
  run.complete = true;
  run.message = "2 conflicts";
  run.summary[static_cast<size_t>(Action::kCreate)] = 7;
  run.summary[static_cast<size_t>(Action::kConflict)] = 2;
  run.approved_run = 3;
  ASSERT_TRUE(store->UpdateRun(run).ok());
  Result<telsync::Run> got = store->GetRun("acme", run.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->tenant, "acme");
  EXPECT_EQ(got->profile, "hr");
  EXPECT_EQ(got->kind, RunKind::kSync);
  EXPECT_EQ(got->trigger, "cli");
  EXPECT_EQ(got->status, RunStatus::kPartial);
  EXPECT_EQ(got->started_at, 100);
  EXPECT_EQ(got->finished_at, 160);
  EXPECT_TRUE(got->complete);
  EXPECT_EQ(got->source, "file:x.json");
  EXPECT_EQ(got->message, "2 conflicts");
  EXPECT_EQ(got->summary, run.summary);
  EXPECT_EQ(got->approved_run, 3);

  const int64_t preview =
      *store->CreateRun(MakeRun("acme", "hr", RunKind::kPreview, RunStatus::kSuccess, 200));
  const int64_t it_sync =
      *store->CreateRun(MakeRun("acme", "it", RunKind::kSync, RunStatus::kSuccess, 300));
  const int64_t failed =
      *store->CreateRun(MakeRun("acme", "hr", RunKind::kSync, RunStatus::kFailed, 400));

  Result<std::vector<telsync::Run>> all = store->ListRuns("acme", "", 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].id, failed);  // newest first
  EXPECT_EQ((*all)[3].id, run.id);
  Result<std::vector<telsync::Run>> hr = store->ListRuns("acme", "hr", 2);
  ASSERT_EQ(hr->size(), 2u);
  EXPECT_EQ((*hr)[0].id, failed);
  EXPECT_EQ((*hr)[1].id, preview);
  EXPECT_EQ((*store->ListRuns("acme", "it", 10))[0].id, it_sync);

  // Neither the failed sync nor the preview counts; the partial sync does.
  Result<std::optional<telsync::Run>> last = store->LastSuccessfulSync("acme", "hr");
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->id, run.id);
  EXPECT_FALSE(store->LastSuccessfulSync("acme", "finance")->has_value());

  telsync::Run missing = run;
  missing.id = 9999;
  Result<void> s = store->UpdateRun(missing);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  Result<telsync::Run> none = store->GetRun("acme", 9999);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
}

TEST(SqliteStoreTest, RunItemsRoundTripInPlanOrderWithFilter) {
  auto store = Open(":memory:");
  const int64_t run_id =
      *store->CreateRun(MakeRun("acme", "hr", RunKind::kPreview, RunStatus::kRunning, 1));
  PlanItem create = Item(Action::kCreate, MakeUser("k1", "alice"));
  create.changes = {{"mobile", "", "+46701234567"}, {"custom.site", "", "Lund"}};
  PlanItem conflict = Item(Action::kConflict, MakeUser("k2", "bob"));
  conflict.reason = "e-mail bob@example.com is also used by k9";
  PlanItem update = Item(Action::kUpdate, MakeUser("k3", "carol"), 42);
  update.changes = {{"display_name", "Carol A", "Carol \"B\" Ö"}};
  PlanItem create2 = Item(Action::kCreate, MakeUser("k4", "dave"));
  Plan plan = MakePlan({create, conflict, update, create2});
  DepartmentChange dept;
  dept.action = Action::kUpdate;
  dept.target = {0, "Sales", "hr", "600", {"alice", "dave"}};
  dept.changes = {{"members", "alice", "alice, dave"}};
  plan.departments = {dept};
  ASSERT_TRUE(store->SaveRunItems(run_id, plan).ok());
  ASSERT_TRUE(store->SaveRunItems(run_id, plan).ok());  // a retried save replaces

  Result<std::vector<PlanItem>> items = store->GetRunItems("acme", run_id, std::nullopt);
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 4u);
  EXPECT_EQ((*items)[0].action, Action::kCreate);
  EXPECT_EQ((*items)[0].key, "k1");
  EXPECT_EQ((*items)[0].username, "alice");
  ASSERT_EQ((*items)[0].changes.size(), 2u);
  EXPECT_EQ((*items)[0].changes[1].field, "custom.site");
  EXPECT_EQ((*items)[0].changes[1].new_value, "Lund");
  EXPECT_EQ((*items)[1].reason, conflict.reason);
  EXPECT_EQ((*items)[2].user_id, 42);
  EXPECT_EQ((*items)[2].changes[0].old_value, "Carol A");
  EXPECT_EQ((*items)[2].changes[0].new_value, "Carol \"B\" Ö");

  Result<std::vector<PlanItem>> creates = store->GetRunItems("acme", run_id, Action::kCreate);
  ASSERT_EQ(creates->size(), 2u);
  EXPECT_EQ((*creates)[0].key, "k1");
  EXPECT_EQ((*creates)[1].key, "k4");
  EXPECT_TRUE(store->GetRunItems("acme", run_id, Action::kDelete)->empty());

  Result<std::vector<DepartmentChange>> depts = store->GetRunDepartments("acme", run_id);
  ASSERT_TRUE(depts.ok());
  ASSERT_EQ(depts->size(), 1u);
  EXPECT_EQ((*depts)[0].action, Action::kUpdate);
  EXPECT_EQ((*depts)[0].target.members, (std::vector<std::string>{"alice", "dave"}));
  EXPECT_EQ((*depts)[0].changes[0].new_value, "alice, dave");

  Result<std::vector<PlanItem>> unknown = store->GetRunItems("acme", 777, std::nullopt);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST(SqliteStoreTest, TenantsNeverSeeEachOthersData) {
  auto store = Open(":memory:");
  ASSERT_TRUE(store->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))}, "a")).ok());
  ASSERT_TRUE(store->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "bob"))}, "b")).ok());
  const std::vector<PbxUser> a = Users(*store, "a");
  const std::vector<PbxUser> b = Users(*store, "b");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);  // same source key, other tenant: its own row
  EXPECT_EQ(b[0].fields.Get(Field::kUsername), "bob");

  EXPECT_FALSE(store->FindUser("b", "alice")->has_value());
  EXPECT_EQ(store->ListUsers("b", 0, 0)->size(), 1u);
  Status unlink = store->UnlinkUser("b", a[0].id);
  ASSERT_FALSE(unlink.ok());
  EXPECT_EQ(unlink.error().code, ErrorCode::kNotFound);

  // A plan of tenant b naming tenant a's row id writes nothing.
  PbxUser hijack = a[0];
  hijack.fields.Set(Field::kUsername, "mallory");
  PlanItem del = Item(Action::kDelete, a[0], a[0].id);
  Result<ApplyReport> r =
      store->Apply(MakePlan({Item(Action::kUpdate, hijack, a[0].id), del}, "b"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->users_written, 0u);
  EXPECT_EQ(Users(*store, "a")[0].fields.Get(Field::kUsername), "alice");

  const int64_t run_a =
      *store->CreateRun(MakeRun("a", "hr", RunKind::kSync, RunStatus::kSuccess, 1));
  ASSERT_TRUE(store->SaveRunItems(run_a, MakePlan({Item(Action::kCreate, a[0])}, "a")).ok());
  EXPECT_EQ(store->GetRun("b", run_a).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store->GetRunItems("b", run_a, std::nullopt).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store->GetRunDepartments("b", run_a).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store->ListRuns("b", "", 0)->empty());
  EXPECT_FALSE(store->LastSuccessfulSync("b", "hr")->has_value());
  telsync::Run foreign = *store->GetRun("a", run_a);
  foreign.tenant = "b";
  EXPECT_EQ(store->UpdateRun(foreign).error().code, ErrorCode::kNotFound);
  Status save = store->SaveRunItems(run_a, MakePlan({}, "b"));
  ASSERT_FALSE(save.ok());
  EXPECT_EQ(save.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store->GetRunItems("a", run_a, std::nullopt)->size(), 1u);

  ASSERT_TRUE(store->SetCursor("a", "hr", "ca").ok());
  EXPECT_EQ(*store->GetCursor("b", "hr"), "");
}

TEST(SqliteStoreTest, FindsUsersByUsernameOrEmailIgnoringCase) {
  auto store = Open(":memory:");
  PbxUser alice = MakeUser("k1", "Alice");
  alice.fields.Set(Field::kEmail, "Alice.Smith@Example.com");
  PbxUser bob = MakeUser("k2", "bob");
  ASSERT_TRUE(
      store->Apply(MakePlan({Item(Action::kCreate, alice), Item(Action::kCreate, bob)})).ok());

  struct Case {
    std::string name;
    std::string want;  // "" = not found
  } cases[] = {
      {"alice", "Alice"},
      {"ALICE", "Alice"},
      {"alice.smith@example.com", "Alice"},
      {"BOB", "bob"},
      {"bob@EXAMPLE.com", "bob"},
      {"carol", ""},
      {"", ""},
      {"%", ""},
  };
  for (const Case& c : cases) {
    Result<std::optional<PbxUser>> found = store->FindUser("acme", c.name);
    ASSERT_TRUE(found.ok()) << c.name;
    if (c.want.empty()) {
      EXPECT_FALSE(found->has_value()) << c.name;
    } else {
      ASSERT_TRUE(found->has_value()) << c.name;
      EXPECT_EQ((*found)->fields.Get(Field::kUsername), c.want) << c.name;
    }
  }
}

TEST(SqliteStoreTest, ListsUsersByUsernameWithPaging) {
  auto store = Open(":memory:");
  ASSERT_TRUE(store
                  ->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "carol")),
                                    Item(Action::kCreate, MakeUser("k2", "Alice")),
                                    Item(Action::kCreate, MakeUser("k3", "bob"))}))
                  .ok());
  Result<std::vector<PbxUser>> page = store->ListUsers("acme", 2, 0);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].fields.Get(Field::kUsername), "Alice");
  EXPECT_EQ((*page)[1].fields.Get(Field::kUsername), "bob");
  page = store->ListUsers("acme", 2, 2);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].fields.Get(Field::kUsername), "carol");
}

TEST(SqliteStoreTest, UnlinkClearsSourceKeyAndProfile) {
  auto store = Open(":memory:");
  ASSERT_TRUE(store->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  const int64_t id = Users(*store)[0].id;
  ASSERT_TRUE(store->UnlinkUser("acme", id).ok());
  const PbxUser u = Users(*store)[0];
  EXPECT_EQ(u.source_key, "");
  EXPECT_EQ(u.profile, "");
  EXPECT_EQ(u.fields.Get(Field::kUsername), "alice");
  // Re-creating the linked user now makes a new row: the unlinked one is left alone.
  ASSERT_TRUE(store->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  EXPECT_EQ(Users(*store).size(), 2u);
  EXPECT_EQ(store->UnlinkUser("acme", 12345).error().code, ErrorCode::kNotFound);
}

TEST(SqliteStoreTest, SetUserGroupsReplacesGroupsWithinTheTenantOnly) {
  auto store = Open(":memory:");
  ASSERT_TRUE(store->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  const int64_t id = Users(*store)[0].id;
  ASSERT_TRUE(store->SetUserGroups("acme", id, {"Non AD sync", "Sales"}).ok());
  EXPECT_EQ(Users(*store)[0].groups, (std::vector<std::string>{"Non AD sync", "Sales"}));
  // Another tenant cannot reach the row.
  EXPECT_EQ(store->SetUserGroups("other", id, {}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Users(*store)[0].groups.size(), 2u);
  ASSERT_TRUE(store->SetUserGroups("acme", id, {}).ok());
  EXPECT_TRUE(Users(*store)[0].groups.empty());
}

TEST(SqliteStoreTest, CursorsUpsertPerProfile) {
  auto store = Open(":memory:");
  EXPECT_EQ(*store->GetCursor("acme", "hr"), "");
  ASSERT_TRUE(store->SetCursor("acme", "hr", "one").ok());
  ASSERT_TRUE(store->SetCursor("acme", "hr", "two").ok());
  ASSERT_TRUE(store->SetCursor("acme", "it", "x").ok());
  EXPECT_EQ(*store->GetCursor("acme", "hr"), "two");
  EXPECT_EQ(*store->GetCursor("acme", "it"), "x");
}

}  // namespace
}  // namespace telsync
