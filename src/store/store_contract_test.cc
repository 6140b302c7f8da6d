// The Store contract (store/store.h), run against every backend: SQLite and PostgreSQL.
//
// PostgreSQL comes from $TELSYNC_TEST_PG_URL (a server the caller runs) or, when that is
// unset, from a throwaway cluster that this binary starts once through
// tests/fixtures/postgres/pg-cluster.sh and stops at exit. When neither works the
// PostgreSQL cases FAIL: they never skip silently. Every test gets a fresh database
// (SQLite: a new file; PostgreSQL: CREATE DATABASE), so tests are independent.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "store/detail/columns.h"
#include "store/detail/locked_store.h"
#include "store/detail/test_backends.h"
#include "store/postgres/migrations.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

#ifndef TELSYNC_SOURCE_DIR
#define TELSYNC_SOURCE_DIR "."
#endif

namespace telsync {
namespace {

// ---- The PostgreSQL server for the whole test binary (store/detail/test_backends.h) ----

using store_test::MakeTempDir;
using store_test::PgExec;
using store_test::PgServer;
using store_test::WithDatabase;

class PgEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { PgServer::Get().Stop(); }
};
[[maybe_unused]] ::testing::Environment* const kPgEnvironment =
    ::testing::AddGlobalTestEnvironment(new PgEnvironment);

void SqliteExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message ? message : "");
  sqlite3_free(message);
  sqlite3_close(db);
}

// ---- Builders ----

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

Run MakeRun(const std::string& tenant, const std::string& profile, RunKind kind, RunStatus status,
            int64_t started) {
  Run run;
  run.tenant = tenant;
  run.profile = profile;
  run.kind = kind;
  run.status = status;
  run.trigger = "cli";
  run.started_at = started;
  run.source = "file:x.json";
  return run;
}

MirrorEntry Entry(const std::string& id, const std::string& name,
                  ObjectKind kind = ObjectKind::kUser) {
  MirrorEntry e;
  e.object.kind = kind;
  e.object.id = id;
  e.object.Add("userName", name);
  e.object.Add("otherMails", "a@x");
  e.object.Add("otherMails", "b@x");
  e.object.groups = {"Sales"};
  e.name = name;
  e.external_id = "ext-" + id;
  e.payload = "{\"id\":\"" + id + "\"}";
  return e;
}

JobRecord MakeJob(const std::string& tenant, const std::string& profile, int64_t created = 1) {
  JobRecord job;
  job.tenant = tenant;
  job.profile = profile;
  job.trigger = "schedule";
  job.created_at = created;
  return job;
}

// ---- The fixture ----

class StoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  bool IsPostgres() const { return GetParam() == "postgres"; }

  void SetUp() override {
    if (IsPostgres()) {
      const std::string& admin = PgServer::Get().Url();
      ASSERT_FALSE(admin.empty()) << "PostgreSQL is needed: " << PgServer::Get().error();
      static std::atomic<int> counter{0};
      db_name_ = "telsync_t" + std::to_string(getpid()) + "_" + std::to_string(counter++);
      std::string error;
      ASSERT_TRUE(PgExec(admin, "CREATE DATABASE " + db_name_, &error)) << error;
      spec_ = WithDatabase(admin, db_name_);
    } else {
      dir_ = MakeTempDir("telsync-contract");
      ASSERT_FALSE(dir_.empty());
      spec_ = dir_ + "/store.db";
    }
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }

  void TearDown() override {
    store_.reset();
    if (!db_name_.empty()) {
      PgExec(PgServer::Get().Url(), "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Another connection to the same store: another thread or process.
  std::unique_ptr<Store> Open() {
    auto store = OpenStore(spec_);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().ToString());
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Raw SQL on the store's database, beside the Store.
  void RawExec(const std::string& sql) {
    if (IsPostgres()) {
      std::string error;
      EXPECT_TRUE(PgExec(spec_, sql, &error)) << error;
    } else {
      SqliteExec(spec_, sql);
    }
  }

  // The first column of a raw query's rows, as text.
  std::vector<std::string> RawColumn(const std::string& sql) {
    std::vector<std::string> out;
    if (IsPostgres()) {
      PGconn* conn = PQconnectdb(spec_.c_str());
      EXPECT_EQ(PQstatus(conn), CONNECTION_OK);
      PGresult* r = PQexec(conn, sql.c_str());
      EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(conn);
      for (int i = 0; i < PQntuples(r); ++i) out.emplace_back(PQgetvalue(r, i, 0));
      PQclear(r);
      PQfinish(conn);
    } else {
      sqlite3* db = nullptr;
      EXPECT_EQ(sqlite3_open(spec_.c_str(), &db), SQLITE_OK);
      char* message = nullptr;
      auto collect = [](void* sink, int, char** values, char**) {
        static_cast<std::vector<std::string>*>(sink)->emplace_back(values[0] ? values[0] : "");
        return 0;
      };
      EXPECT_EQ(sqlite3_exec(db, sql.c_str(), collect, &out, &message), SQLITE_OK)
          << (message ? message : "");
      sqlite3_free(message);
      sqlite3_close(db);
    }
    return out;
  }

  // Every table of the schema with a `tenant` column.
  std::vector<std::string> TablesWithTenantColumn() {
    if (IsPostgres()) {
      return RawColumn(
          "SELECT table_name FROM information_schema.columns WHERE column_name = 'tenant' AND "
          "table_schema = 'public' ORDER BY table_name");
    }
    return RawColumn(
        "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = "
        "'table' AND c.name = 'tenant' ORDER BY m.name");
  }

  std::vector<PbxUser> Users(const std::string& tenant = "acme") {
    auto snap = store_->LoadSnapshot(tenant, "hr");
    EXPECT_TRUE(snap.ok()) << (snap.ok() ? "" : snap.error().ToString());
    return snap.ok() ? snap->users : std::vector<PbxUser>{};
  }

  std::vector<std::string> MirrorIds(const std::string& profile = "p") {
    std::vector<std::string> ids;
    EXPECT_TRUE(store_
                    ->ScanMirror("t", profile,
                                 [&](MirrorEntry&& e) {
                                   ids.push_back(e.object.id);
                                   return true;
                                 })
                    .ok());
    return ids;
  }

  std::string spec_;
  std::string dir_;
  std::string db_name_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// ---- Schema ----

TEST_P(StoreContractTest, OpensAtTheLatestVersionAndReopensWithItsData) {
  EXPECT_EQ(store_->SchemaVersion(), LatestSqliteSchemaVersion());
  EXPECT_EQ(LatestPostgresSchemaVersion(), LatestSqliteSchemaVersion());
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  ASSERT_TRUE(store_->SetCursor("acme", "hr", "delta-1").ok());
  store_ = Open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(Users().size(), 1u);
  EXPECT_EQ(*store_->GetCursor("acme", "hr"), "delta-1");
  auto info = InspectStoreSchema(spec_);
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  EXPECT_EQ(info->current, info->latest);
}

TEST_P(StoreContractTest, RefusesASchemaNewerThanTheBinary) {
  const int latest = store_->SchemaVersion();
  const int future = latest + 5;
  store_.reset();
  RawExec(IsPostgres() ? "UPDATE telsync_schema SET version = " + std::to_string(future)
                       : "PRAGMA user_version = " + std::to_string(future));
  auto store = OpenStore(spec_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(store.error().message, "store schema version " + std::to_string(future) +
                                       " is newer than this telsync supports (" +
                                       std::to_string(latest) + "): upgrade telsync");
  auto info = InspectStoreSchema(spec_);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->current, future);
  EXPECT_EQ(info->latest, latest);
}

TEST_P(StoreContractTest, SeveralConnectionsOpeningAtOnceMigrateOnce) {
  // A fresh, empty database (PostgreSQL) or file (SQLite) opened by four threads at once.
  std::string spec;
  if (IsPostgres()) {
    ASSERT_TRUE(PgExec(PgServer::Get().Url(), "CREATE DATABASE " + db_name_ + "_race"));
    spec = WithDatabase(PgServer::Get().Url(), db_name_ + "_race");
    auto info = InspectStoreSchema(spec);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->current, 0);
  } else {
    // An empty file already in WAL mode (version 0). Known issue, reported: on a file
    // that does not exist yet, concurrent opens fail with "database is locked" because
    // Db::Open switches to WAL before it installs its busy handler.
    spec = dir_ + "/race.db";
    SqliteExec(spec, "PRAGMA journal_mode=WAL");
  }
  std::atomic<int> opened{0};
  std::mutex errors_mutex;
  std::string errors;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto store = OpenStore(spec);
      if (store.ok() && (*store)->SchemaVersion() == LatestSqliteSchemaVersion()) ++opened;
      if (!store.ok()) {
        std::lock_guard<std::mutex> lock(errors_mutex);
        errors += store.error().ToString() + "\n";
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened.load(), 4) << errors;
  if (IsPostgres()) {
    PgExec(PgServer::Get().Url(), "DROP DATABASE " + db_name_ + "_race WITH (FORCE)");
  }
}

// ---- Apply and snapshots ----

// A small tenant among big ones (the SQLite store then reads it through an index, not a
// scan of every tenant's rows) and a big one: each snapshot is its tenant's rows, by id.
TEST_P(StoreContractTest, SnapshotsOfSmallAndBigTenantsAreTheirRowsInIdOrder) {
  std::vector<PlanItem> big;
  for (int i = 0; i < 200; ++i)
    big.push_back(
        Item(Action::kCreate, MakeUser("b" + std::to_string(i), "u" + std::to_string(i))));
  ASSERT_TRUE(store_->Apply(MakePlan(big, "big")).ok());
  ASSERT_TRUE(store_
                  ->Apply(MakePlan({Item(Action::kCreate, MakeUser("k2", "zed")),
                                    Item(Action::kCreate, MakeUser("k1", "amy"))},
                                   "small"))
                  .ok());
  ASSERT_TRUE(
      store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("b999", "late"))}, "big")).ok());
  const std::vector<PbxUser> small = Users("small");
  ASSERT_EQ(small.size(), 2u);
  EXPECT_EQ(small[0].source_key, "k2");  // id order, not username order
  EXPECT_EQ(small[1].source_key, "k1");
  EXPECT_LT(small[0].id, small[1].id);
  const std::vector<PbxUser> all = Users("big");
  ASSERT_EQ(all.size(), 201u);
  EXPECT_EQ(all.back().source_key, "b999");
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].id, all[i].id);
}

TEST_P(StoreContractTest, RoundTripsEveryUserField) {
  PbxUser u = MakeUser("k1", "alice");
  for (size_t i = 0; i < kFieldCount; ++i) {
    u.fields.Set(static_cast<Field>(i), "v" + std::to_string(i) + " \t\\ \"ö\"\n");
  }
  u.searchable = false;
  u.state = UserState::kPendingDelete;
  u.pending_since = 1700000000;
  u.groups = {"Non AD sync", "Phones"};
  u.custom = {{"cost_center", "42"}, {"site", "Lund"}};
  auto report = store_->Apply(MakePlan({Item(Action::kCreate, u)}));
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(report->users_written, 1u);
  EXPECT_GE(report->statements, 1u);
  const auto users = Users();
  ASSERT_EQ(users.size(), 1u);
  const PbxUser& got = users[0];
  EXPECT_GT(got.id, 0);
  for (size_t i = 0; i < kFieldCount; ++i) {
    EXPECT_EQ(got.fields.Get(static_cast<Field>(i)), u.fields.Get(static_cast<Field>(i)));
  }
  EXPECT_EQ(got.source_key, "k1");
  EXPECT_EQ(got.profile, "hr");
  EXPECT_FALSE(got.searchable);
  EXPECT_EQ(got.state, UserState::kPendingDelete);
  EXPECT_EQ(got.pending_since, 1700000000);
  EXPECT_EQ(got.groups, u.groups);
  EXPECT_EQ(got.custom, u.custom);
  EXPECT_EQ(got.subscription, "");
}

TEST_P(StoreContractTest, CreatesAreIdempotentAndKeyedBySourceKey) {
  Plan plan = MakePlan({Item(Action::kCreate, MakeUser("k1", "alice")),
                        Item(Action::kCreate, MakeUser("k2", "bob"))});
  ASSERT_TRUE(store_->Apply(plan).ok());
  const auto first = Users();
  ASSERT_TRUE(store_->Apply(plan).ok());
  const auto second = Users();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(first[0].id, second[0].id);
  EXPECT_EQ(first[1].id, second[1].id);
  // The same key twice in one plan: one row, the last values.
  PbxUser again = MakeUser("k3", "carol");
  PbxUser later = again;
  later.fields.Set(Field::kCity, "Lund");
  ASSERT_TRUE(
      store_->Apply(MakePlan({Item(Action::kCreate, again), Item(Action::kCreate, later)})).ok());
  const auto third = Users();
  ASSERT_EQ(third.size(), 3u);
  EXPECT_EQ(third[2].fields.Get(Field::kCity), "Lund");
  // The same key under another profile is another user.
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "al2", "it"))})).ok());
  EXPECT_EQ(Users().size(), 4u);
}

TEST_P(StoreContractTest, NoopPlanExecutesNoStatement) {
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  const auto users = Users();
  PlanItem unchanged = Item(Action::kUnchanged, users[0], users[0].id);
  PlanItem skip = Item(Action::kSkip, MakeUser("k2", "bob"));
  PlanItem conflict = Item(Action::kConflict, MakeUser("k3", "carol"));
  Plan plan = MakePlan({unchanged, skip, conflict});
  ASSERT_TRUE(plan.IsNoop());
  auto report = store_->Apply(plan);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->statements, 0u);
  EXPECT_EQ(report->users_written, 0u);
  EXPECT_EQ(Users().size(), 1u);
}

TEST_P(StoreContractTest, UpdatesWriteTheTargetButNeverTheSubscription) {
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  RawExec("UPDATE users SET subscription = 'E5'");
  PbxUser target = Users()[0];
  EXPECT_EQ(target.subscription, "E5");
  target.fields.Set(Field::kCity, "Malmö");
  target.subscription = "stolen";
  auto report = store_->Apply(MakePlan({Item(Action::kUpdate, target, target.id)}));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->users_written, 1u);
  auto users = Users();
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].fields.Get(Field::kCity), "Malmö");
  EXPECT_EQ(users[0].subscription, "E5");
  PbxUser recreate = MakeUser("k1", "alice");
  recreate.subscription = "stolen";
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kCreate, recreate)})).ok());
  EXPECT_EQ(Users()[0].subscription, "E5");
}

TEST_P(StoreContractTest, AppliesPendingRestoreUnsearchableAndDelete) {
  ASSERT_TRUE(store_
                  ->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice")),
                                    Item(Action::kCreate, MakeUser("k2", "bob"))}))
                  .ok());
  auto users = Users();
  ASSERT_EQ(users.size(), 2u);
  PbxUser pending = users[0];
  pending.state = UserState::kPendingDelete;
  pending.pending_since = 1234;
  PbxUser hidden = users[1];
  hidden.searchable = false;
  auto r = store_->Apply(MakePlan({Item(Action::kPendingDelete, pending, pending.id),
                                   Item(Action::kUnsearchable, hidden, hidden.id)}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->users_written, 2u);
  users = Users();
  EXPECT_EQ(users[0].state, UserState::kPendingDelete);
  EXPECT_EQ(users[0].pending_since, 1234);
  EXPECT_FALSE(users[1].searchable);

  PbxUser restored = users[0];
  restored.state = UserState::kActive;
  restored.pending_since = 0;
  PlanItem del = Item(Action::kDelete, users[1], users[1].id);
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kRestore, restored, restored.id), del})).ok());
  users = Users();
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].state, UserState::kActive);
  EXPECT_EQ(users[0].pending_since, 0);
  // Deleting again: nothing to delete, but the statement ran.
  auto again = store_->Apply(MakePlan({del}));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->users_written, 0u);
  EXPECT_GE(again->statements, 1u);
  // Another tenant's row is never written through a plan of this one.
  auto other = store_->Apply(MakePlan({Item(Action::kDelete, users[0], users[0].id)}, "evil"));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->users_written, 0u);
  EXPECT_EQ(Users().size(), 1u);
}

TEST_P(StoreContractTest, AnUpdateBreakingSourceKeyUniquenessConflictsAndRollsBack) {
  ASSERT_TRUE(store_
                  ->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice")),
                                    Item(Action::kCreate, MakeUser("k2", "bob"))}))
                  .ok());
  auto users = Users();
  PbxUser alice = users[0];
  alice.fields.Set(Field::kCity, "Lund");
  PbxUser bob = users[1];
  bob.source_key = "k1";
  auto r = store_->Apply(
      MakePlan({Item(Action::kUpdate, alice, alice.id), Item(Action::kUpdate, bob, bob.id)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_NE(r.error().context.find("bob"), std::string::npos) << r.error().context;
  EXPECT_EQ(Users()[0].fields.Get(Field::kCity), "");
}

TEST_P(StoreContractTest, WritesManyCreatesInPlanOrder) {
  constexpr size_t kUsers = 3000;
  std::vector<PlanItem> items;
  for (size_t i = 0; i < kUsers; ++i) {
    items.push_back(
        Item(Action::kCreate, MakeUser("k" + std::to_string(i), "user" + std::to_string(i))));
  }
  auto r = store_->Apply(MakePlan(items));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->users_written, kUsers);
  const auto users = Users();
  ASSERT_EQ(users.size(), kUsers);
  EXPECT_EQ(users.front().source_key, "k0");
  EXPECT_EQ(users.back().source_key, "k2999");
}

TEST_P(StoreContractTest, AppliesDepartmentChangesPerProfile) {
  Plan plan = MakePlan({});
  DepartmentChange sales{Action::kCreate, {0, "Sales", "", "600", {"alice", "bob"}}, {}};
  DepartmentChange hr{Action::kCreate, {0, "HR", "", "601", {"carol"}}, {}};
  plan.departments = {sales, hr};
  auto r = store_->Apply(plan);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->departments_written, 2u);
  Plan other = MakePlan({});
  other.profile = "it";
  other.departments = {{Action::kCreate, {0, "Sales", "it", "700", {"dave"}}, {}}};
  ASSERT_TRUE(store_->Apply(other).ok());

  auto snap = store_->LoadSnapshot("acme", "hr");
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->departments.size(), 2u);
  EXPECT_EQ(snap->departments[0].name, "HR");
  EXPECT_EQ(snap->departments[1].name, "Sales");
  EXPECT_EQ(snap->departments[1].ring_group, "600");
  EXPECT_EQ(snap->departments[1].members, (std::vector<std::string>{"alice", "bob"}));

  Plan change = MakePlan({});
  change.departments = {{Action::kUpdate, {0, "Sales", "hr", "600", {"alice"}}, {}},
                        {Action::kDelete, {0, "HR", "hr", "601", {}}, {}}};
  ASSERT_TRUE(store_->Apply(change).ok());
  snap = store_->LoadSnapshot("acme", "hr");
  ASSERT_EQ(snap->departments.size(), 1u);
  EXPECT_EQ(snap->departments[0].members, std::vector<std::string>{"alice"});
  auto all = store_->ListDepartments("acme");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].profile, "hr");
  EXPECT_EQ((*all)[1].profile, "it");
  EXPECT_TRUE(store_->ListDepartments("other")->empty());
}

// ---- Users ----

TEST_P(StoreContractTest, FindUserMatchesUsernameOrEmailCaseInsensitively) {
  PbxUser alice = MakeUser("k1", "Alice");
  PbxUser bob = MakeUser("k2", "bob");
  bob.fields.Set(Field::kEmail, "alice@example.com.invalid");
  PbxUser tricky = MakeUser("k3", "carol@example.com");
  PbxUser carol = MakeUser("k4", "carol");  // e-mail carol@example.com
  ASSERT_TRUE(store_
                  ->Apply(MakePlan({Item(Action::kCreate, alice), Item(Action::kCreate, bob),
                                    Item(Action::kCreate, carol), Item(Action::kCreate, tricky)}))
                  .ok());
  auto found = store_->FindUser("acme", "ALICE");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->source_key, "k1");
  found = store_->FindUser("acme", "Alice@Example.COM");
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->source_key, "k1");
  // A username match wins over another user's e-mail.
  found = store_->FindUser("acme", "CAROL@example.com");
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->source_key, "k3");
  EXPECT_FALSE(store_->FindUser("acme", "")->has_value());
  EXPECT_FALSE(store_->FindUser("acme", "nobody")->has_value());
  EXPECT_FALSE(store_->FindUser("other", "alice")->has_value());
}

TEST_P(StoreContractTest, ListUsersPagesInUsernameOrder) {
  ASSERT_TRUE(store_
                  ->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "carol")),
                                    Item(Action::kCreate, MakeUser("k2", "Alice")),
                                    Item(Action::kCreate, MakeUser("k3", "bob"))}))
                  .ok());
  auto all = store_->ListUsers("acme", 0, 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].fields.Get(Field::kUsername), "Alice");
  EXPECT_EQ((*all)[2].fields.Get(Field::kUsername), "carol");
  auto page = store_->ListUsers("acme", 1, 1);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].fields.Get(Field::kUsername), "bob");
  EXPECT_TRUE(store_->ListUsers("acme", 10, 3)->empty());
  EXPECT_TRUE(store_->ListUsers("other", 0, 0)->empty());
}

TEST_P(StoreContractTest, CountUsersCountsEveryStateOfOneTenant) {
  EXPECT_EQ(*store_->CountUsers("acme"), 0u);
  PbxUser pending = MakeUser("k3", "bob");
  pending.state = UserState::kPendingDelete;
  pending.searchable = false;
  ASSERT_TRUE(store_
                  ->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "carol")),
                                    Item(Action::kCreate, MakeUser("k2", "Alice")),
                                    Item(Action::kCreate, pending)}))
                  .ok());
  auto count = store_->CountUsers("acme");
  ASSERT_TRUE(count.ok()) << count.error().ToString();
  EXPECT_EQ(*count, 3u);
  EXPECT_EQ(*count, store_->ListUsers("acme", 0, 0)->size());
  EXPECT_EQ(*store_->CountUsers("other"), 0u);
  const PbxUser first = Users()[0];
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kDelete, first, first.id)})).ok());
  EXPECT_EQ(*store_->CountUsers("acme"), 2u);
}

TEST_P(StoreContractTest, UnlinkAndSetGroupsAreScopedByTenant) {
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  const int64_t id = Users()[0].id;
  EXPECT_EQ(store_->UnlinkUser("other", id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->SetUserGroups("other", id, {"x"}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->UnlinkUser("acme", 99999).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store_->SetUserGroups("acme", id, {"Non AD sync", "Phones"}).ok());
  ASSERT_TRUE(store_->UnlinkUser("acme", id).ok());
  const auto users = Users();
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].source_key, "");
  EXPECT_EQ(users[0].profile, "");
  EXPECT_EQ(users[0].groups, (std::vector<std::string>{"Non AD sync", "Phones"}));
  ASSERT_TRUE(store_->SetUserGroups("acme", id, {}).ok());
  EXPECT_TRUE(Users()[0].groups.empty());
}

TEST_P(StoreContractTest, CursorsArePerProfile) {
  EXPECT_EQ(*store_->GetCursor("acme", "hr"), "");
  ASSERT_TRUE(store_->SetCursor("acme", "hr", "delta-1").ok());
  ASSERT_TRUE(store_->SetCursor("acme", "hr", "delta-2").ok());
  ASSERT_TRUE(store_->SetCursor("acme", "it", "usn:5").ok());
  EXPECT_EQ(*store_->GetCursor("acme", "hr"), "delta-2");
  EXPECT_EQ(*store_->GetCursor("acme", "it"), "usn:5");
  EXPECT_EQ(*store_->GetCursor("other", "hr"), "");
}

// ---- Runs ----

TEST_P(StoreContractTest, RunsRoundTripListAndLastSuccess) {
  telsync::Run run = MakeRun("acme", "hr", RunKind::kSync, RunStatus::kRunning, 100);
  auto id = store_->CreateRun(run);
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  run.id = *id;
  run.status = RunStatus::kPartial;
  run.finished_at = 160;
  run.complete = true;
  run.message = "2 conflicts";
  run.summary[static_cast<size_t>(Action::kCreate)] = 7;
  run.summary[static_cast<size_t>(Action::kConflict)] = 2;
  run.approved_run = 3;
  ASSERT_TRUE(store_->UpdateRun(run).ok());
  auto got = store_->GetRun("acme", run.id);
  ASSERT_TRUE(got.ok());
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
  EXPECT_EQ(store_->GetRun("other", run.id).error().code, ErrorCode::kNotFound);

  const int64_t preview =
      *store_->CreateRun(MakeRun("acme", "hr", RunKind::kPreview, RunStatus::kSuccess, 200));
  const int64_t it_sync =
      *store_->CreateRun(MakeRun("acme", "it", RunKind::kSync, RunStatus::kSuccess, 300));
  const int64_t failed =
      *store_->CreateRun(MakeRun("acme", "hr", RunKind::kSync, RunStatus::kFailed, 400));
  auto all = store_->ListRuns("acme", "", 0);
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].id, failed);
  EXPECT_EQ((*all)[3].id, run.id);
  auto hr = store_->ListRuns("acme", "hr", 2);
  ASSERT_EQ(hr->size(), 2u);
  EXPECT_EQ((*hr)[0].id, failed);
  EXPECT_EQ((*hr)[1].id, preview);
  EXPECT_EQ((*store_->ListRuns("acme", "it", 10))[0].id, it_sync);
  EXPECT_TRUE(store_->ListRuns("other", "", 0)->empty());

  auto last = store_->LastSuccessfulSync("acme", "hr");
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->id, run.id);
  EXPECT_FALSE(store_->LastSuccessfulSync("acme", "finance")->has_value());

  telsync::Run missing = run;
  missing.id = 99999;
  EXPECT_EQ(store_->UpdateRun(missing).error().code, ErrorCode::kNotFound);
  telsync::Run foreign = run;
  foreign.tenant = "other";
  EXPECT_EQ(store_->UpdateRun(foreign).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreContractTest, RunItemsRoundTripInPlanOrderWithFilter) {
  const int64_t run_id =
      *store_->CreateRun(MakeRun("acme", "hr", RunKind::kPreview, RunStatus::kRunning, 1));
  PlanItem create = Item(Action::kCreate, MakeUser("k1", "alice"));
  PlanItem conflict = Item(Action::kConflict, MakeUser("k2", "bob"));
  conflict.reason = "e-mail\tbob@example.com\nis also used by k9 \\ \"x\"";
  PlanItem update = Item(Action::kUpdate, MakeUser("k3", "carol"), 42);
  update.changes = {{"display_name", "Carol A", "Carol \"B\" Ö"}};
  PlanItem create2 = Item(Action::kCreate, MakeUser("k4", "dave"));
  Plan plan = MakePlan({create, conflict, update, create2});
  DepartmentChange dept;
  dept.action = Action::kUpdate;
  dept.target = {0, "Sales", "hr", "600", {"alice", "dave"}};
  dept.changes = {{"members", "alice", "alice, dave"}};
  plan.departments = {dept};
  ASSERT_TRUE(store_->SaveRunItems(run_id, plan).ok());
  ASSERT_TRUE(store_->SaveRunItems(run_id, plan).ok());  // a retried save replaces

  auto items = store_->GetRunItems("acme", run_id, std::nullopt);
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 4u);
  EXPECT_EQ((*items)[0].key, "k1");
  EXPECT_FALSE((*items)[0].changes.empty());  // a create's changes are derived
  EXPECT_EQ((*items)[1].reason, conflict.reason);
  EXPECT_EQ((*items)[2].user_id, 42);
  EXPECT_EQ((*items)[2].changes[0].new_value, "Carol \"B\" Ö");
  EXPECT_EQ((*items)[2].target->fields.Get(Field::kUsername), "carol");
  auto creates = store_->GetRunItems("acme", run_id, Action::kCreate);
  ASSERT_EQ(creates->size(), 2u);
  EXPECT_EQ((*creates)[1].key, "k4");
  EXPECT_TRUE(store_->GetRunItems("acme", run_id, Action::kDelete)->empty());
  auto depts = store_->GetRunDepartments("acme", run_id);
  ASSERT_TRUE(depts.ok());
  ASSERT_EQ(depts->size(), 1u);
  EXPECT_EQ((*depts)[0].target.members, (std::vector<std::string>{"alice", "dave"}));
  EXPECT_EQ((*depts)[0].changes[0].new_value, "alice, dave");

  EXPECT_EQ(store_->GetRunItems("other", run_id, std::nullopt).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->GetRunDepartments("other", run_id).error().code, ErrorCode::kNotFound);
  Plan foreign = plan;
  foreign.tenant = "other";
  EXPECT_EQ(store_->SaveRunItems(run_id, foreign).error().code, ErrorCode::kNotFound);
}

// A page of a run's items read by the store (issue 19): the database pages them without a
// text filter, and with one its prefilter keeps a superset for `matches` to decide; either
// way the page is the one of the whole list filtered in memory.
TEST_P(StoreContractTest, RunItemsArePagedAndFilteredByTheStore) {
  const int64_t run_id =
      *store_->CreateRun(MakeRun("acme", "hr", RunKind::kPreview, RunStatus::kSuccess, 1));
  std::vector<PlanItem> items;
  for (int i = 0; i < 40; ++i) {
    PlanItem item =
        Item(i % 4 == 3 ? Action::kUpdate : Action::kCreate,
             MakeUser("k" + std::to_string(i), (i % 2 ? "Ann" : "bo") + std::to_string(i)));
    if (item.action == Action::kUpdate)
      item.changes = {{"display_name", "Old \"Å\" " + std::to_string(i), "New Ö"}};
    if (i == 17) {
      item.action = Action::kError;
      item.reason = "mobile \"+46\\70\" is not valid";
    }
    items.push_back(std::move(item));
  }
  ASSERT_TRUE(store_->SaveRunItems(run_id, MakePlan(items)).ok());
  auto all = store_->GetRunItems("acme", run_id, std::nullopt);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 40u);
  auto lower = [](std::string s) {
    for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return s;
  };
  struct Case {
    std::optional<Action> action;
    std::string needle;  // lower case
    size_t offset, limit;
  };
  const Case cases[] = {{std::nullopt, "", 0, 7},
                        {std::nullopt, "", 35, 10},
                        {Action::kUpdate, "", 2, 3},
                        {Action::kDelete, "", 0, 5},
                        {std::nullopt, "ann", 3, 4},
                        {Action::kCreate, "bo1", 0, 50},
                        {std::nullopt, "\"å\"", 1, 3},
                        {std::nullopt, "ö", 0, 50},
                        {std::nullopt, "display_name", 0, 50},
                        {std::nullopt, "\"+46\\70\"", 0, 5},
                        {std::nullopt, "", 100, 5}};
  for (const Case& c : cases) {
    RunItemsQuery q;
    q.action = c.action;
    q.needle = c.needle;
    q.offset = c.offset;
    q.limit = c.limit;
    // The rule: username, reason or a changed value contains the needle (ASCII case ignored).
    auto matches = [&](const PlanItem& item) {
      if (lower(item.username).find(c.needle) != std::string::npos) return true;
      if (lower(item.reason).find(c.needle) != std::string::npos) return true;
      for (const FieldChange& f : item.changes) {
        if (lower(f.old_value).find(c.needle) != std::string::npos ||
            lower(f.new_value).find(c.needle) != std::string::npos)
          return true;
      }
      return false;
    };
    if (!c.needle.empty()) q.matches = matches;
    std::vector<std::string> want;
    size_t matched = 0;
    for (const PlanItem& item : *all) {
      if (c.action && item.action != *c.action) continue;
      if (!c.needle.empty() && !matches(item)) continue;
      if (matched++ >= c.offset && want.size() < c.limit) want.push_back(item.key);
    }
    auto page = store_->GetRunItemsPage("acme", run_id, q);
    ASSERT_TRUE(page.ok()) << page.error().ToString();
    std::vector<std::string> got;
    for (const PlanItem& item : page->items) got.push_back(item.key);
    EXPECT_EQ(got, want) << "needle " << c.needle << " offset " << c.offset;
    EXPECT_EQ(page->matched, matched) << "needle " << c.needle;
    EXPECT_EQ(page->summary[static_cast<size_t>(Action::kUpdate)], 10u);
    EXPECT_EQ(page->summary[static_cast<size_t>(Action::kError)], 1u);
    EXPECT_EQ(page->summary[static_cast<size_t>(Action::kCreate)], 29u);
  }
  EXPECT_EQ(store_->GetRunItemsPage("other", run_id, {}).error().code, ErrorCode::kNotFound);
}

// Issue 18 (`runs revert`): a run keeps the rows of the users it deleted, a create may give
// a restored user its old row id back, a revert run names the run it reverted, and Apply
// records a revert's pause with the plan's last write.
TEST_P(StoreContractTest, KeepsWhatARevertNeedsAndRestoresAUserWithItsId) {
  ASSERT_TRUE(store_->OpenTargetCursor("acme", "sip").ok());  // Apply writes events
  PbxUser bob = MakeUser("k2", "bob");
  bob.fields.Set(Field::kExtension, "201");
  bob.fields.Set(Field::kMobile, "+46701234567");
  bob.searchable = false;
  bob.groups = {"Support", "Non AD sync"};
  bob.custom = {{"alpha", "1"}, {"beta", "two"}};
  ASSERT_TRUE(store_
                  ->Apply(MakePlan(
                      {Item(Action::kCreate, MakeUser("k1", "alice")), Item(Action::kCreate, bob)}))
                  .ok());
  std::vector<PbxUser> before = Users();
  ASSERT_EQ(before.size(), 2u);
  const PbxUser stored_bob = before[1];

  const int64_t run_id =
      *store_->CreateRun(MakeRun("acme", "hr", RunKind::kSync, RunStatus::kSuccess, 1));
  Plan deletion = MakePlan({Item(Action::kDelete, stored_bob, stored_bob.id)});
  ASSERT_TRUE(store_->Apply(deletion).ok());
  ASSERT_TRUE(store_->SaveRunItems(run_id, deletion).ok());
  ASSERT_EQ(Users().size(), 1u);
  auto items = store_->GetRunItems("acme", run_id, Action::kDelete);
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 1u);
  const PbxUser& kept = *(*items)[0].target;
  EXPECT_EQ(kept.id, stored_bob.id);
  EXPECT_EQ(kept.fields, stored_bob.fields);
  EXPECT_EQ(kept.source_key, "k2");
  EXPECT_EQ(kept.profile, "hr");
  EXPECT_FALSE(kept.searchable);
  EXPECT_EQ(kept.groups, stored_bob.groups);
  EXPECT_EQ(kept.custom, stored_bob.custom);

  // The restore: a create with the old id; a later create still gets a new one.
  telsync::Run revert = MakeRun("acme", "hr", RunKind::kRevert, RunStatus::kRunning, 2);
  revert.reverted_run = run_id;
  const int64_t revert_id = *store_->CreateRun(revert);
  EXPECT_EQ(store_->GetRun("acme", revert_id)->reverted_run, run_id);
  EXPECT_EQ(store_->GetRun("acme", revert_id)->kind, RunKind::kRevert);
  EXPECT_FALSE(store_->GetProfilePause("acme", "hr")->has_value());
  Plan restore = MakePlan({Item(Action::kCreate, kept, kept.id)});
  restore.pause_run = revert_id;
  ASSERT_TRUE(store_->Apply(restore).ok());
  EXPECT_EQ(*store_->GetProfilePause("acme", "hr"), revert_id);
  EXPECT_FALSE(store_->GetProfilePause("acme", "other")->has_value());
  // The restore wrote its outbox event, as any create.
  auto events = store_->ListOutbox("acme", 0, 100);
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  EXPECT_EQ(events->back().kind, "user_created");
  EXPECT_EQ(events->back().user_id, stored_bob.id);
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("k3", "carol"))})).ok());
  std::vector<PbxUser> after = Users();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[1].id, stored_bob.id);
  EXPECT_EQ(after[1].fields, stored_bob.fields);
  EXPECT_EQ(after[1].custom, stored_bob.custom);
  EXPECT_GT(after[2].id, stored_bob.id);

  // A pause alone (nothing else to apply) is still recorded; resume lifts it.
  ASSERT_TRUE(store_->ClearProfilePause("acme", "hr").ok());
  EXPECT_FALSE(store_->GetProfilePause("acme", "hr")->has_value());
  ASSERT_TRUE(store_->ClearProfilePause("acme", "hr").ok());  // none: still Ok
  Plan pause_only = MakePlan({});
  pause_only.pause_run = revert_id;
  ASSERT_TRUE(store_->Apply(pause_only).ok());
  EXPECT_EQ(*store_->GetProfilePause("acme", "hr"), revert_id);
}

TEST_P(StoreContractTest, PurgeRunHistoryDeletesTheItemsOfOldRunsInBatchesAndKeepsTheRuns) {
  // Runs with `n` items (and one department change) each, started at `started`.
  auto run_with_items = [&](const std::string& tenant, int64_t started, int n) {
    telsync::Run run = MakeRun(tenant, "hr", RunKind::kSync, RunStatus::kSuccess, started);
    run.summary[static_cast<size_t>(Action::kCreate)] = static_cast<size_t>(n);
    const int64_t id = *store_->CreateRun(run);
    run.id = id;
    EXPECT_TRUE(store_->UpdateRun(run).ok());
    std::vector<PlanItem> items;
    for (int i = 0; i < n; ++i) {
      items.push_back(
          Item(Action::kDelete, MakeUser("k" + std::to_string(i), "u" + std::to_string(i)), i + 1));
    }
    Plan plan = MakePlan(std::move(items), tenant);
    DepartmentChange department;
    department.action = Action::kCreate;
    department.target.name = "Sales";
    plan.departments.push_back(department);
    EXPECT_TRUE(store_->SaveRunItems(id, plan).ok());
    return id;
  };
  const int64_t old1 = run_with_items("acme", 100, 5);
  const int64_t old2 = run_with_items("acme", 150, 3);
  const int64_t kept = run_with_items("acme", 1000, 2);
  const int64_t other = run_with_items("other", 100, 4);

  // Batches of 2 rows: the loop must go on until a batch comes back short.
  auto purged = store_->PurgeRunHistory("acme", 500, 2000, 2);
  ASSERT_TRUE(purged.ok()) << purged.error().ToString();
  EXPECT_EQ(purged->runs, 2u);
  EXPECT_EQ(purged->items, 5u + 1u + 3u + 1u);
  for (const int64_t id : {old1, old2}) {
    auto run = store_->GetRun("acme", id);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run->purged_at, 2000);
    EXPECT_EQ(run->summary[static_cast<size_t>(Action::kCreate)], id == old1 ? 5u : 3u);
    EXPECT_TRUE(store_->GetRunItems("acme", id, std::nullopt)->empty());
    EXPECT_TRUE(store_->GetRunDepartments("acme", id)->empty());
  }
  EXPECT_EQ(store_->ListRuns("acme", "", 0)->size(), 3u);  // the history still lists them
  EXPECT_EQ(store_->GetRun("acme", kept)->purged_at, 0);
  EXPECT_EQ(store_->GetRunItems("acme", kept, std::nullopt)->size(), 2u);
  EXPECT_EQ(store_->GetRunDepartments("acme", kept)->size(), 1u);
  EXPECT_EQ(store_->GetRun("other", other)->purged_at, 0);  // another tenant's
  EXPECT_EQ(store_->GetRunItems("other", other, std::nullopt)->size(), 4u);

  // Again: nothing left to do, and the purge time stays the first one.
  purged = store_->PurgeRunHistory("acme", 500, 3000, 2);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(purged->runs, 0u);
  EXPECT_EQ(purged->items, 0u);
  EXPECT_EQ(store_->GetRun("acme", old1)->purged_at, 2000);

  // A purge that stopped after marking a run (a crash) is finished by the next call.
  RawExec("UPDATE runs SET purged_at = 2500, purge_pending = 1 WHERE id = " + std::to_string(kept));
  purged = store_->PurgeRunHistory("acme", 500, 3000, 1000);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(purged->runs, 1u);
  EXPECT_EQ(purged->items, 3u);
  EXPECT_TRUE(store_->GetRunItems("acme", kept, std::nullopt)->empty());
  EXPECT_EQ(RawColumn("SELECT count(*) FROM runs WHERE purge_pending <> 0"),
            std::vector<std::string>{"0"});

  // The runs still to purge are found through an index on their start time.
  if (IsPostgres()) {
    EXPECT_EQ(RawColumn("SELECT indexdef FROM pg_indexes WHERE indexname = 'runs_kept'").size(),
              1u);
  } else {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(spec_.c_str(), &db), SQLITE_OK);
    std::string details;
    auto collect = [](void* sink, int, char** values, char**) {
      *static_cast<std::string*>(sink) += std::string(values[3] ? values[3] : "") + "\n";
      return 0;
    };
    EXPECT_EQ(sqlite3_exec(db,
                           "EXPLAIN QUERY PLAN UPDATE runs SET purged_at = 1 WHERE tenant = "
                           "'acme' AND purged_at = 0 AND started_at < 500",
                           collect, &details, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    EXPECT_NE(details.find("runs_kept"), std::string::npos) << details;
  }
}

// ---- Bulk writes (PostgreSQL: creates COPY straight into users, run items beside Apply) ----

TEST_P(StoreContractTest, ACreateWhoseKeyIsAlreadyStoredUpdatesThatRow) {
  // Another writer (another connection) stored k1 before this plan's creates came.
  auto other = Open();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other
                  ->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice")),
                                    Item(Action::kCreate, MakeUser("k2", "bob"))}))
                  .ok());
  const auto before = Users();
  ASSERT_EQ(before.size(), 2u);
  PbxUser bob = before[1];
  bob.fields.Set(Field::kCity, "Lund");
  PbxUser alice = MakeUser("k1", "alice");
  alice.fields.Set(Field::kCity, "Malmö");
  auto r = store_->Apply(
      MakePlan({Item(Action::kUpdate, bob, bob.id), Item(Action::kCreate, MakeUser("k0", "carol")),
                Item(Action::kCreate, alice), Item(Action::kCreate, MakeUser("k3", "dave"))}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->users_written, 4u);
  const auto after = Users();
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(after[0].id, before[0].id);  // k1 kept its row
  EXPECT_EQ(after[0].fields.Get(Field::kCity), "Malmö");
  EXPECT_EQ(after[1].fields.Get(Field::kCity), "Lund");  // the update survived the fallback
  EXPECT_EQ(after[2].source_key, "k0");
  EXPECT_EQ(after[3].source_key, "k3");
  // A later plan of new keys only is written as well.
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("k4", "erin"))})).ok());
  EXPECT_EQ(Users().size(), 5u);
}

TEST_P(StoreContractTest, RunItemsSavedBesideApplyEqualTheSynchronousSave) {
  PbxUser odd = MakeUser("k1", "ålice");
  odd.fields.Set(Field::kDisplayName, "tab\there \"q\" back\\slash\nline \x01\x1f\x7f ö € 𝄞");
  odd.fields.Set(Field::kCity, "bad \xC3 utf8 \xED\xA0\x80 \xF4\x90\x80\x80");
  odd.searchable = false;
  odd.groups = {"Non AD sync", "g\"2"};
  odd.custom = {{"cost\tcenter", "4\\2"}, {"site", "Lund"}};
  PlanItem update = Item(Action::kUpdate, MakeUser("k2", "bob"), 7);
  update.changes = {{"city", "A\xFF", "B\tö"}, {"custom.x", "", "1"}};
  PlanItem empty_create = Item(Action::kCreate, PbxUser());
  PlanItem skip = Item(Action::kSkip, MakeUser("k3", "carol"));
  skip.reason = "reason\twith\ttabs\\";
  Plan plan = MakePlan({Item(Action::kCreate, odd), update, empty_create, skip,
                        Item(Action::kCreate, MakeUser("k4", "d"))});
  // Enough items that PostgreSQL writes them on its second connection.
  for (int i = 0; i < 1200; ++i) {
    plan.items.push_back(Item(Action::kCreate, MakeUser("p" + std::to_string(i), "u")));
  }
  const int64_t sync_run =
      *store_->CreateRun(MakeRun("acme", "hr", RunKind::kSync, RunStatus::kRunning, 1));
  const int64_t beside_run =
      *store_->CreateRun(MakeRun("acme", "hr", RunKind::kSync, RunStatus::kRunning, 2));
  ASSERT_TRUE(store_->SaveRunItems(sync_run, plan).ok());
  {
    RunItemsSave save = store_->StartSaveRunItems(beside_run, plan);
    Plan creates = MakePlan({Item(Action::kCreate, MakeUser("k9", "zed"))});
    ASSERT_TRUE(store_->Apply(creates).ok());
    Status saved = save.Wait();
    ASSERT_TRUE(saved.ok()) << saved.error().ToString();
    EXPECT_TRUE(save.Wait().ok());  // the outcome again
  }
  auto a = store_->GetRunItems("acme", sync_run, std::nullopt);
  auto b = store_->GetRunItems("acme", beside_run, std::nullopt);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(a->size(), plan.items.size());
  ASSERT_EQ(b->size(), plan.items.size());
  for (size_t i = 0; i < a->size(); ++i) {
    const PlanItem& x = (*a)[i];
    const PlanItem& y = (*b)[i];
    EXPECT_EQ(x.action, y.action) << i;
    EXPECT_EQ(x.key, y.key) << i;
    EXPECT_EQ(x.username, y.username) << i;
    EXPECT_EQ(x.reason, y.reason) << i;
    EXPECT_EQ(x.user_id, y.user_id) << i;
    ASSERT_EQ(x.changes.size(), y.changes.size()) << i;
    for (size_t j = 0; j < x.changes.size(); ++j) {
      EXPECT_EQ(x.changes[j].field, y.changes[j].field);
      EXPECT_EQ(x.changes[j].old_value, y.changes[j].old_value);
      EXPECT_EQ(x.changes[j].new_value, y.changes[j].new_value);
    }
  }
  // The create's changes are derived from its target, escapes intact.
  const std::vector<FieldChange> expected = EffectiveChanges(plan.items[0]);
  ASSERT_EQ((*b)[0].changes.size(), expected.size());
  for (const FieldChange& c : (*b)[0].changes) {
    if (c.field == "display_name") {
      EXPECT_EQ(c.new_value, odd.fields.Get(Field::kDisplayName));
    }
  }
  EXPECT_EQ((*b)[3].reason, skip.reason);
}

TEST_P(StoreContractTest, RunItemsSavedBesideAFailingApplyAreStillSaved) {
  ASSERT_TRUE(store_
                  ->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice")),
                                    Item(Action::kCreate, MakeUser("k2", "bob"))}))
                  .ok());
  auto users = Users();
  PbxUser bob = users[1];
  bob.source_key = "k1";  // breaks (tenant, profile, source_key) uniqueness
  Plan plan = MakePlan({Item(Action::kUpdate, bob, bob.id)});
  for (int i = 0; i < 1200; ++i) {  // PostgreSQL: written on its second connection
    plan.items.push_back(Item(Action::kSkip, MakeUser("s" + std::to_string(i), "u")));
  }
  const int64_t run_id =
      *store_->CreateRun(MakeRun("acme", "hr", RunKind::kSync, RunStatus::kRunning, 1));
  RunItemsSave save = store_->StartSaveRunItems(run_id, plan);
  auto applied = store_->Apply(plan);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(save.Wait().ok());
  auto items = store_->GetRunItems("acme", run_id, std::nullopt);
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(items->size(), plan.items.size());
  // The store stays usable on both connections.
  ASSERT_TRUE(store_->SaveRunItems(run_id, plan).ok());
  RunItemsSave again = store_->StartSaveRunItems(run_id, plan);
  EXPECT_TRUE(again.Wait().ok());
  EXPECT_EQ(store_->GetRunItems("acme", run_id, std::nullopt)->size(), plan.items.size());
}

TEST_P(StoreContractTest, AFailedRunItemsSaveBesideApplyIsReported) {
  const int64_t run_id =
      *store_->CreateRun(MakeRun("acme", "hr", RunKind::kSync, RunStatus::kRunning, 1));
  Plan foreign = MakePlan({}, "other");
  for (int i = 0; i < 1200; ++i) {
    foreign.items.push_back(Item(Action::kCreate, MakeUser("k" + std::to_string(i), "u")));
  }
  RunItemsSave save = store_->StartSaveRunItems(run_id, foreign);  // another tenant's run
  ASSERT_TRUE(store_->Apply(foreign).ok());
  Status saved = save.Wait();
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->GetRunItems("acme", run_id, std::nullopt)->empty());
  // Dropped without Wait(): the save still ends before the plan goes.
  {
    Plan plan = MakePlan({});
    for (int i = 0; i < 1200; ++i) plan.items.push_back(Item(Action::kSkip, MakeUser("s", "u")));
    RunItemsSave dropped = store_->StartSaveRunItems(run_id, plan);
  }
  EXPECT_EQ(store_->GetRunItems("acme", run_id, std::nullopt)->size(), 1200u);
}

// ---- Mirrors ----

TEST_P(StoreContractTest, MirrorPutGetAndVersionsMoveOnlyOnChanges) {
  auto w = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 100);
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ(*(*w)->Put(Entry("1", "Ann")), 1);
  EXPECT_EQ(*(*w)->Put(Entry("1", "Ann")), 1);  // equal: no write, same version
  EXPECT_EQ((*w)->changed(), 1u);
  ASSERT_TRUE((*w)->Commit().ok());

  auto got = store_->GetMirrorEntry("t", "p", ObjectKind::kUser, "1");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  const MirrorEntry& e = **got;
  EXPECT_EQ(e.version, 1);
  EXPECT_EQ(e.created_at, 100);
  EXPECT_EQ(e.updated_at, 100);
  EXPECT_EQ(e.external_id, "ext-1");
  EXPECT_EQ(e.payload, "{\"id\":\"1\"}");
  ASSERT_EQ(e.object.attributes.size(), 2u);
  EXPECT_EQ(e.object.attributes[1].second, (std::vector<std::string>{"a@x", "b@x"}));
  EXPECT_EQ(e.object.groups, std::vector<std::string>{"Sales"});
  EXPECT_TRUE(e.object.enabled);

  auto w2 = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 200);
  MirrorEntry changed = Entry("1", "Ann");
  changed.object.enabled = false;
  EXPECT_EQ(*(*w2)->Put(changed), 2);
  auto stale = (*w2)->Put(Entry("1", "Ann"), 1);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  auto missing = (*w2)->Put(Entry("9", "Zed"), 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(*(*w2)->Put(Entry("1", "Ann"), 2), 3);
  ASSERT_TRUE((*w2)->Commit().ok());
  got = store_->GetMirrorEntry("t", "p", ObjectKind::kUser, "1");
  EXPECT_EQ((*got)->version, 3);
  EXPECT_EQ((*got)->created_at, 100);
  EXPECT_EQ((*got)->updated_at, 200);
  EXPECT_FALSE(store_->GetMirrorEntry("t", "q", ObjectKind::kUser, "1")->has_value());
  EXPECT_FALSE(store_->GetMirrorEntry("t", "p", ObjectKind::kGroup, "1")->has_value());
}

// Issue 14 item 1: what a SCIM write marks pending is durable with the write, rolled back
// with it, listed oldest first, and cleared row by row, so a mark made after the list
// stays.
TEST_P(StoreContractTest, MirrorPendingIsKeptWithTheWriteAndClearedByRow) {
  {
    auto w = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 1);
    ASSERT_TRUE((*w)->Put(Entry("1", "Ann")).ok());
    ASSERT_TRUE((*w)->MarkPending({"1", "2"}).ok());
    ASSERT_TRUE((*w)->Commit().ok());
  }
  {
    auto w = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 2);
    ASSERT_TRUE((*w)->MarkPending({"rolled-back"}).ok());
  }  // no Commit: rolled back with the write
  auto listed = store_->ListMirrorPending("t", "p", 10);
  ASSERT_TRUE(listed.ok()) << listed.error().ToString();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "1");
  EXPECT_EQ((*listed)[1].id, "2");
  EXPECT_LT((*listed)[0].seq, (*listed)[1].seq);
  EXPECT_TRUE(store_->ListMirrorPending("t", "other", 10)->empty());
  EXPECT_EQ(store_->ListMirrorPending("t", "p", 1)->size(), 1u);
  {
    auto w = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 3);
    ASSERT_TRUE((*w)->MarkPending({"1"}).ok());  // touched again after the list
    ASSERT_TRUE((*w)->Commit().ok());
  }
  ASSERT_TRUE(store_->ClearMirrorPending("t", "p", {(*listed)[0].seq, (*listed)[1].seq}).ok());
  auto left = store_->ListMirrorPending("t", "p", 10);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].id, "1");
  EXPECT_GT((*left)[0].seq, (*listed)[1].seq);
}

// Issue 14 item 4: one run of a profile at a time across connections (processes), the
// refusal naming the holder, and the lock gone with its holder.
TEST_P(StoreContractTest, RunLocksExcludeOtherConnectionsPerProfile) {
  std::unique_ptr<Store> other = Open();
  ASSERT_NE(other, nullptr);
  auto held = store_->LockProfileRuns("t", "p", false, 1764842520);
  ASSERT_TRUE(held.ok()) << held.error().ToString();
  auto refused = other->LockProfileRuns("t", "p", false, 1764842600);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_NE(refused.error().message.find("pid " + std::to_string(getpid()) + " on "),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("since 2025-12-04 10:02:00 UTC"), std::string::npos)
      << refused.error().message;
  // Another profile, or the same name in another tenant, is another lock.
  EXPECT_TRUE(other->LockProfileRuns("t", "q", false, 1).ok());
  EXPECT_TRUE(other->LockProfileRuns("u", "p", false, 1).ok());
  held->reset();  // released
  auto taken = other->LockProfileRuns("t", "p", false, 1);
  EXPECT_TRUE(taken.ok()) << taken.error().ToString();
  // The holder's connection closing (the process ending) releases it too.
  std::unique_ptr<Store> third = Open();
  EXPECT_FALSE(third->LockProfileRuns("t", "p", false, 1).ok());
  taken->reset();
  other.reset();
  EXPECT_TRUE(third->LockProfileRuns("t", "p", false, 1).ok());
}

TEST_P(StoreContractTest, MirrorNamesAreUniqueCaseInsensitivelyPerKind) {
  auto w = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 1);
  ASSERT_TRUE((*w)->Put(Entry("1", "Ann")).ok());
  auto clash = (*w)->Put(Entry("2", "ANN"));
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code, ErrorCode::kConflict);
  EXPECT_TRUE((*w)->Put(Entry("g1", "Ann", ObjectKind::kGroup)).ok());  // another kind
  EXPECT_TRUE((*w)->Put(Entry("3", "")).ok());
  EXPECT_TRUE((*w)->Put(Entry("4", "")).ok());  // "" is no name: no clash
  ASSERT_TRUE((*w)->Commit().ok());
  auto found = store_->FindMirrorEntryByName("t", "p", ObjectKind::kUser, "aNN");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->object.id, "1");
  EXPECT_FALSE(store_->FindMirrorEntryByName("t", "p", ObjectKind::kUser, "")->has_value());
  EXPECT_FALSE(store_->FindMirrorEntryByName("t", "other", ObjectKind::kUser, "ann")->has_value());
  EXPECT_EQ(*store_->CountMirror("t", "p", ObjectKind::kUser), 3u);
  EXPECT_EQ(*store_->CountMirror("t", "p", ObjectKind::kGroup), 1u);
}

TEST_P(StoreContractTest, MirrorWriterWithoutCommitChangesNothing) {
  {
    auto w = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 1);
    ASSERT_TRUE((*w)->Put(Entry("1", "Ann")).ok());
  }
  EXPECT_EQ(*store_->CountMirror("t", "p", ObjectKind::kUser), 0u);
  // The connection is usable afterwards.
  auto w = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 1);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Put(Entry("1", "Ann")).ok());
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ(*store_->CountMirror("t", "p", ObjectKind::kUser), 1u);
}

TEST_P(StoreContractTest, MirrorReplaceSweepsWhatTheFullReadDidNotReturn) {
  auto w = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 1);
  for (const char* id : {"a", "b", "c", "d"}) ASSERT_TRUE((*w)->Put(Entry(id, id)).ok());
  ASSERT_TRUE((*w)->Put(Entry("g", "g", ObjectKind::kGroup)).ok());
  ASSERT_TRUE((*w)->Commit().ok());
  auto other = store_->BeginMirrorWrite("t", "q", MirrorWriteMode::kPatch, 1);
  ASSERT_TRUE((*other)->Put(Entry("z", "z")).ok());
  ASSERT_TRUE((*other)->Commit().ok());

  auto r = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kReplace, 2);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*r)->Put(Entry("b", "b")).ok());
  ASSERT_TRUE((*r)->Put(Entry("d", "d")).ok());
  ASSERT_TRUE((*r)->Put(Entry("e", "e")).ok());
  EXPECT_EQ((*r)->changed(), 1u);  // only e is new
  EXPECT_EQ((*r)->removed(), 0u);  // the sweep counts at Commit
  ASSERT_TRUE((*r)->Commit().ok());
  EXPECT_EQ((*r)->removed(), 3u);  // a, c and the group
  EXPECT_EQ(MirrorIds(), (std::vector<std::string>{"b", "d", "e"}));
  EXPECT_EQ(MirrorIds("q"), std::vector<std::string>{"z"});
  // A second full read right after: the previous sweep left nothing behind.
  auto again = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kReplace, 3);
  ASSERT_TRUE((*again)->Put(Entry("e", "e")).ok());
  ASSERT_TRUE((*again)->Commit().ok());
  EXPECT_EQ(MirrorIds(), std::vector<std::string>{"e"});
}

TEST_P(StoreContractTest, MirrorPagesAreOneKindInIdOrder) {
  auto w = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 1);
  for (const char* id : {"e", "b", "a", "d", "c"}) ASSERT_TRUE((*w)->Put(Entry(id, id)).ok());
  ASSERT_TRUE((*w)->Put(Entry("g", "g", ObjectKind::kGroup)).ok());
  ASSERT_TRUE((*w)->Commit().ok());
  auto page = [&](size_t offset, size_t limit) {
    std::vector<std::string> ids;
    EXPECT_TRUE(store_
                    ->ScanMirrorPage("t", "p", ObjectKind::kUser, offset, limit,
                                     [&](MirrorEntry&& e) {
                                       ids.push_back(e.object.id);
                                       return true;
                                     })
                    .ok());
    return ids;
  };
  EXPECT_EQ(page(0, 2), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(page(2, 2), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(page(4, 2), std::vector<std::string>{"e"});
  EXPECT_TRUE(page(5, 2).empty());
  EXPECT_TRUE(page(0, 0).empty());
}

TEST_P(StoreContractTest, MirrorReplaceReturnsTheVersionsItStores) {
  auto w = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 1);
  ASSERT_TRUE((*w)->Put(Entry("a", "")).ok());
  ASSERT_TRUE((*w)->Put(Entry("b", "")).ok());
  ASSERT_TRUE((*w)->Commit().ok());

  auto r = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kReplace, 5);
  ASSERT_TRUE(r.ok());
  MirrorEntry a = Entry("a", "");
  a.object.enabled = false;
  EXPECT_EQ(*(*r)->Put(a), 2);
  a.payload = "changed again";
  EXPECT_EQ(*(*r)->Put(a), 3);  // the same id twice in one full read
  EXPECT_EQ(*(*r)->Put(a), 3);  // and once more unchanged
  EXPECT_EQ(*(*r)->Put(Entry("b", "")), 1);
  EXPECT_EQ(*(*r)->Put(Entry("c", "")), 1);
  EXPECT_EQ(*(*r)->Put(Entry("d", "Dee")), 1);  // a named entry among nameless ones
  EXPECT_EQ((*r)->changed(), 4u);
  ASSERT_TRUE((*r)->Commit().ok());
  EXPECT_EQ((*r)->removed(), 0u);
  EXPECT_EQ(store_->GetMirrorEntry("t", "p", ObjectKind::kUser, "a")->value().version, 3);
  EXPECT_EQ(store_->GetMirrorEntry("t", "p", ObjectKind::kUser, "a")->value().payload,
            "changed again");
  EXPECT_EQ(store_->GetMirrorEntry("t", "p", ObjectKind::kUser, "a")->value().created_at, 1);
  EXPECT_EQ(store_->GetMirrorEntry("t", "p", ObjectKind::kUser, "a")->value().updated_at, 5);
  EXPECT_EQ(store_->GetMirrorEntry("t", "p", ObjectKind::kUser, "b")->value().version, 1);
  EXPECT_EQ(store_->GetMirrorEntry("t", "p", ObjectKind::kUser, "c")->value().version, 1);
  EXPECT_EQ(store_->FindMirrorEntryByName("t", "p", ObjectKind::kUser, "dee")->value().object.id,
            "d");
  // A full read that is dropped (incomplete) changes nothing.
  {
    auto dropped = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kReplace, 9);
    ASSERT_TRUE((*dropped)->Put(Entry("z", "")).ok());
  }
  EXPECT_EQ(MirrorIds(), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST_P(StoreContractTest, MirrorScanIsInIdOrderStopsAndRemoveReportsMissing) {
  auto w = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 1);
  for (const char* id : {"b", "a", "C", "c"}) {
    // Names differ case-insensitively too: "C" and "c" are two ids, not two names.
    ASSERT_TRUE((*w)->Put(Entry(id, std::string("n-") + id + std::to_string(id[0]))).ok());
  }
  ASSERT_TRUE((*w)->Put(Entry("0", "grp", ObjectKind::kGroup)).ok());
  EXPECT_EQ((*w)->Remove(ObjectKind::kUser, "nope").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE((*w)->Remove(ObjectKind::kUser, "c").ok());
  EXPECT_EQ((*w)->removed(), 1u);
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ(MirrorIds(), (std::vector<std::string>{"C", "a", "b", "0"}));  // users, then groups
  int seen = 0;
  ASSERT_TRUE(store_
                  ->ScanMirror("t", "p",
                               [&](MirrorEntry&&) {
                                 ++seen;
                                 return seen < 2;
                               })
                  .ok());
  EXPECT_EQ(seen, 2);
}

// ---- Tokens and notifications ----

TEST_P(StoreContractTest, TokensAreFoundByHashUntilRevoked) {
  ApiToken token{0, "acme", "scim", "entra", "hash-1", 10, 0};
  auto id = store_->AddToken(token);
  ASSERT_TRUE(id.ok());
  token.hash = "hash-2";
  const int64_t id2 = *store_->AddToken(token);
  token.kind = "admin";
  token.hash = "hash-3";
  ASSERT_TRUE(store_->AddToken(token).ok());
  token.hash = "hash-1";
  EXPECT_FALSE(store_->AddToken(token).ok());  // hashes are unique
  EXPECT_EQ(store_->AddToken(ApiToken{0, "", "scim", "", "h", 0, 0}).error().code,
            ErrorCode::kInvalid);

  auto found = store_->FindToken("scim", "hash-1");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->tenant, "acme");
  EXPECT_EQ((*found)->label, "entra");
  EXPECT_EQ((*found)->created_at, 10);
  EXPECT_FALSE(store_->FindToken("admin", "hash-1")->has_value());
  EXPECT_EQ(store_->ListTokens("acme", "scim")->size(), 2u);

  ASSERT_TRUE(store_->RevokeToken("acme", "scim", *id, 50).ok());
  EXPECT_FALSE(store_->FindToken("scim", "hash-1")->has_value());
  EXPECT_EQ(store_->RevokeToken("acme", "scim", *id, 60).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->RevokeToken("other", "scim", id2, 60).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store_->RevokeToken("acme", "scim", 0, 70).ok());  // every valid scim token
  EXPECT_FALSE(store_->FindToken("scim", "hash-2")->has_value());
  EXPECT_TRUE(store_->FindToken("admin", "hash-3")->has_value());
  EXPECT_EQ(store_->RevokeToken("acme", "scim", 0, 80).error().code, ErrorCode::kNotFound);
  auto listed = store_->ListTokens("acme", "scim");
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].revoked_at, 50);
  EXPECT_EQ((*listed)[1].revoked_at, 70);
}

TEST_P(StoreContractTest, NotificationsListFilterAndUpdateWithinTheTenant) {
  NotificationRecord n;
  n.tenant = "acme";
  n.profile = "hr";
  n.run_id = 7;
  n.kind = "report";
  n.recipients = "a@x,b@x";
  n.subject = "Sync";
  n.status = "failed";
  n.attempts = 1;
  n.error = "connection refused";
  n.created_at = 100;
  n.message = "MIME...";
  auto id = store_->AddNotification(n);
  ASSERT_TRUE(id.ok());
  NotificationRecord sent = n;
  sent.run_id = 8;
  sent.status = "sent";
  sent.error = "";
  ASSERT_TRUE(store_->AddNotification(sent).ok());
  EXPECT_EQ(store_->ListNotifications("acme", 0, false)->size(), 2u);
  EXPECT_EQ(store_->ListNotifications("acme", 8, false)->size(), 1u);
  auto failed = store_->ListNotifications("acme", 0, true);
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].message, "MIME...");
  EXPECT_EQ((*failed)[0].recipients, "a@x,b@x");
  EXPECT_TRUE(store_->ListNotifications("other", 0, false)->empty());

  n.id = *id;
  n.status = "sent";
  n.attempts = 2;
  n.error = "";
  n.sent_at = 200;
  n.message = "";
  ASSERT_TRUE(store_->UpdateNotification(n).ok());
  EXPECT_TRUE(store_->ListNotifications("acme", 0, true)->empty());
  auto all = store_->ListNotifications("acme", 7, false);
  EXPECT_EQ((*all)[0].attempts, 2);
  EXPECT_EQ((*all)[0].sent_at, 200);
  NotificationRecord foreign = n;
  foreign.tenant = "other";
  EXPECT_EQ(store_->UpdateNotification(foreign).error().code, ErrorCode::kNotFound);
}

// ---- Stored profiles ----

TEST_P(StoreContractTest, TheFirstSecretKeyRecordedWinsAndAnEmptyIdOnlyReads) {
  EXPECT_EQ(*store_->RecordSecretKey("", 10), "");
  EXPECT_EQ(*store_->RecordSecretKey("", 10), "");  // reading recorded nothing
  EXPECT_EQ(*store_->RecordSecretKey("aaaa", 11), "aaaa");
  auto other = Open();  // another process with another key
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(*other->RecordSecretKey("bbbb", 12), "aaaa");
  EXPECT_EQ(*other->RecordSecretKey("", 13), "aaaa");
}

TEST_P(StoreContractTest, RewriteSecretsReplacesDocumentsAndTheKeyInOneTransaction) {
  ASSERT_TRUE(store_->PutStoredProfile({"acme", "hr", "old-hr-SECRET1", 0, 0, 0}, 0, 100).ok());
  ASSERT_TRUE(store_->PutStoredProfile({"acme", "it", "keep-it", 0, 0, 0}, 0, 100).ok());
  ASSERT_TRUE(store_->PutStoredProfile({"beta", "hr", "old-beta-SECRET2", 0, 0, 0}, 0, 100).ok());
  ASSERT_EQ(*store_->RecordSecretKey("k1", 100), "k1");

  // The recorded key must be the expected one.
  auto wrong = store_->RewriteSecrets(
      "k0", "k2",
      [](const StoredProfile&) {
        return Result<std::optional<std::string>>(std::optional<std::string>("x"));
      },
      200);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kConflict);

  // A failing rewrite changes nothing, the key included.
  auto failing = store_->RewriteSecrets(
      "k1", "k2",
      [](const StoredProfile& p) -> Result<std::optional<std::string>> {
        if (p.tenant == "beta") return Error::Invalid("does not open");
        return std::optional<std::string>("changed");
      },
      200);
  ASSERT_FALSE(failing.ok());
  EXPECT_EQ((*store_->GetStoredProfile("acme", "hr"))->document, "old-hr-SECRET1");
  EXPECT_EQ(*store_->RecordSecretKey("", 200), "k1");

  auto rewritten = store_->RewriteSecrets(
      "k1", "k2",
      [](const StoredProfile& p) -> Result<std::optional<std::string>> {
        if (p.name == "it") return std::optional<std::string>();
        return std::optional<std::string>("sealed-" + p.tenant);
      },
      300);
  ASSERT_TRUE(rewritten.ok()) << rewritten.error().ToString();
  EXPECT_EQ(*rewritten, 2);
  auto hr = *store_->GetStoredProfile("acme", "hr");
  EXPECT_EQ(hr->document, "sealed-acme");
  EXPECT_EQ(hr->version, 1);  // the profile means the same: its version is kept
  EXPECT_EQ((*store_->GetStoredProfile("acme", "it"))->document, "keep-it");
  EXPECT_EQ((*store_->GetStoredProfile("beta", "hr"))->document, "sealed-beta");
  EXPECT_EQ(*store_->RecordSecretKey("", 300), "k2");

  // No old copy is left in the store's files (SQLite: the database, its WAL and SHM).
  if (!IsPostgres()) {
    for (const std::string& file : {spec_, spec_ + "-wal", spec_ + "-shm"}) {
      std::FILE* f = std::fopen(file.c_str(), "rb");
      if (f == nullptr) continue;
      std::string bytes;
      char buf[65536];
      for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.append(buf, n);
      std::fclose(f);
      EXPECT_EQ(bytes.find("SECRET1"), std::string::npos) << file;
      EXPECT_EQ(bytes.find("SECRET2"), std::string::npos) << file;
    }
  }
}

TEST_P(StoreContractTest, StoredProfilesCreateUpdateWithVersionsAndDelete) {
  StoredProfile p{"acme", "hr", "source: {type: file}", 0, 0, 0};
  auto v = store_->PutStoredProfile(p, 0, 100);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ(*v, 1);
  EXPECT_EQ(store_->PutStoredProfile(p, 0, 101).error().code, ErrorCode::kConflict);
  p.document = "source: {type: ldap}";
  EXPECT_EQ(*store_->PutStoredProfile(p, 1, 200), 2);
  EXPECT_EQ(store_->PutStoredProfile(p, 1, 201).error().code, ErrorCode::kConflict);
  StoredProfile missing{"acme", "nope", "x", 0, 0, 0};
  EXPECT_EQ(store_->PutStoredProfile(missing, 1, 1).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store_->PutStoredProfile({"acme", "it", "x", 0, 0, 0}, 0, 300).ok());
  ASSERT_TRUE(store_->PutStoredProfile({"beta", "hr", "y", 0, 0, 0}, 0, 300).ok());

  auto got = store_->GetStoredProfile("acme", "hr");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->document, "source: {type: ldap}");
  EXPECT_EQ((*got)->version, 2);
  EXPECT_EQ((*got)->created_at, 100);
  EXPECT_EQ((*got)->updated_at, 200);
  EXPECT_FALSE(store_->GetStoredProfile("beta", "it")->has_value());
  auto acme = store_->ListStoredProfiles("acme");
  ASSERT_EQ(acme->size(), 2u);
  EXPECT_EQ((*acme)[0].name, "hr");
  EXPECT_EQ((*acme)[1].name, "it");
  auto all = store_->ListStoredProfiles("");
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].tenant, "beta");

  EXPECT_EQ(store_->DeleteStoredProfile("beta", "it").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->DeleteStoredProfile("other", "hr").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store_->DeleteStoredProfile("acme", "hr").ok());
  EXPECT_FALSE(store_->GetStoredProfile("acme", "hr")->has_value());
  EXPECT_EQ(store_->ListStoredProfiles("")->size(), 2u);
  // The name is free again: a new profile starts at version 1.
  EXPECT_EQ(*store_->PutStoredProfile({"acme", "hr", "z", 0, 0, 0}, 0, 400), 1);
}

// ---- Jobs ----

TEST_P(StoreContractTest, EnqueueAllowsOneUnfinishedJobPerProfile) {
  JobRecord job = MakeJob("acme", "hr", 10);
  job.kind = "approve";
  job.approve_run = 5;
  auto id = store_->EnqueueJob(job);
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  auto again = store_->EnqueueJob(MakeJob("acme", "hr", 11));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_NE(again.error().message.find(std::to_string(*id)), std::string::npos)
      << again.error().message;
  ASSERT_TRUE(store_->EnqueueJob(MakeJob("acme", "it", 12)).ok());
  ASSERT_TRUE(store_->EnqueueJob(MakeJob("beta", "hr", 13)).ok());

  auto got = store_->GetJob("acme", *id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, JobState::kQueued);
  EXPECT_EQ(got->kind, "approve");
  EXPECT_EQ(got->approve_run, 5);
  EXPECT_EQ(got->trigger, "schedule");
  EXPECT_EQ(got->created_at, 10);
  EXPECT_EQ(got->attempts, 0);
  EXPECT_EQ(got->worker, "");
  EXPECT_EQ(store_->GetJob("beta", *id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->GetJob("acme", 99999).error().code, ErrorCode::kNotFound);

  auto acme = store_->ListJobs("acme", "", 0);
  ASSERT_EQ(acme->size(), 2u);
  EXPECT_EQ((*acme)[0].profile, "it");  // newest first
  EXPECT_EQ(store_->ListJobs("acme", "hr", 0)->size(), 1u);
  EXPECT_EQ(store_->ListJobs("", "", 0)->size(), 3u);
  EXPECT_EQ(store_->ListJobs("", "", 1)->size(), 1u);
  EXPECT_TRUE(store_->ListJobs("other", "", 0)->empty());

  // A scheduled occurrence runs once, finished or not.
  JobRecord scheduled = MakeJob("gamma", "hr", 20);
  scheduled.slot = 1790000000;
  const int64_t slot_id = *store_->EnqueueJob(scheduled);
  EXPECT_EQ(store_->GetJob("gamma", slot_id)->slot, 1790000000);

  // Once finished, the profile may queue again.
  auto claimed = store_->ClaimJob("w1", 100, 30, 0);
  ASSERT_TRUE(claimed.ok());
  ASSERT_TRUE(claimed->has_value());
  EXPECT_EQ((*claimed)->id, *id);
  JobRecord done = **claimed;
  done.state = JobState::kDone;
  done.finished_at = 120;
  ASSERT_TRUE(store_->FinishJob(done).ok());
  EXPECT_TRUE(store_->EnqueueJob(MakeJob("acme", "hr", 14)).ok());

  auto slot_job = store_->ClaimJob("w1", 200, 30, 0);
  ASSERT_TRUE(slot_job.ok());
  while (slot_job->has_value() && (*slot_job)->id != slot_id) {
    slot_job = store_->ClaimJob("w1", 200, 30, 0);
  }
  ASSERT_TRUE(slot_job->has_value());
  JobRecord slot_done = **slot_job;
  slot_done.state = JobState::kDone;
  ASSERT_TRUE(store_->FinishJob(slot_done).ok());
  auto same_slot = store_->EnqueueJob(scheduled);
  ASSERT_FALSE(same_slot.ok());
  EXPECT_EQ(same_slot.error().code, ErrorCode::kConflict);
  EXPECT_NE(same_slot.error().message.find(std::to_string(slot_id)), std::string::npos);
  scheduled.slot += 60;
  EXPECT_TRUE(store_->EnqueueJob(scheduled).ok());  // the next occurrence
}

TEST_P(StoreContractTest, ClaimsAreFairBetweenTenantsAndRespectTheCap) {
  // acme queues three jobs before beta's one.
  const int64_t a1 = *store_->EnqueueJob(MakeJob("acme", "p1"));
  const int64_t a2 = *store_->EnqueueJob(MakeJob("acme", "p2"));
  const int64_t a3 = *store_->EnqueueJob(MakeJob("acme", "p3"));
  const int64_t b1 = *store_->EnqueueJob(MakeJob("beta", "p1"));
  auto claim = [&](size_t cap) -> int64_t {
    auto job = store_->ClaimJob("w", 1000, 60, cap);
    EXPECT_TRUE(job.ok()) << (job.ok() ? "" : job.error().ToString());
    return job.ok() && job->has_value() ? (*job)->id : 0;
  };
  EXPECT_EQ(claim(1), a1);  // both tenants run nothing: the oldest job
  EXPECT_EQ(claim(1), b1);  // acme runs one: beta first, whatever the age
  EXPECT_EQ(claim(1), 0);   // both at the cap of 1
  EXPECT_EQ(claim(2), a2);  // a cap of 2 lets acme run a second
  EXPECT_EQ(claim(2), 0);
  EXPECT_EQ(claim(0), a3);  // 0 = no cap
  EXPECT_EQ(claim(0), 0);   // nothing left
  auto job = store_->GetJob("acme", a2);
  EXPECT_EQ(job->state, JobState::kRunning);
  EXPECT_EQ(job->worker, "w");
  EXPECT_EQ(job->lease_until, 1060);
  EXPECT_EQ(job->started_at, 1000);
  EXPECT_EQ(job->attempts, 1);
}

TEST_P(StoreContractTest, AnExpiredLeaseIsTakenOverAndTheOldWorkerLosesTheJob) {
  const int64_t id = *store_->EnqueueJob(MakeJob("acme", "hr"));
  auto first = store_->ClaimJob("w1", 100, 30, 0);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->state, JobState::kRunning);
  EXPECT_EQ((*first)->attempts, 1);
  EXPECT_FALSE(store_->ClaimJob("w2", 130, 30, 0)->has_value());  // lease_until = 130: live
  ASSERT_TRUE(store_->HeartbeatJob(id, "w1", 140, 0, "").ok());   // extended
  EXPECT_FALSE(store_->ClaimJob("w2", 135, 30, 0)->has_value());

  auto taken = store_->ClaimJob("w2", 141, 30, 0);  // w1 died: its lease expired at 140
  ASSERT_TRUE(taken.ok());
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ((*taken)->id, id);
  EXPECT_EQ((*taken)->worker, "w2");
  EXPECT_EQ((*taken)->attempts, 2);
  EXPECT_EQ((*taken)->started_at, 141);

  EXPECT_EQ(store_->HeartbeatJob(id, "w1", 200, 0, "").error().code, ErrorCode::kConflict);
  JobRecord late = **first;
  late.state = JobState::kDone;
  EXPECT_EQ(store_->FinishJob(late).error().code, ErrorCode::kConflict);

  ASSERT_TRUE(store_->HeartbeatJob(id, "w2", 180, 77, "{\"read\":10}").ok());
  ASSERT_TRUE(store_->HeartbeatJob(id, "w2", 190, 0, "").ok());  // keeps run id and progress
  auto job = store_->GetJob("acme", id);
  EXPECT_EQ(job->lease_until, 190);
  EXPECT_EQ(job->run_id, 77);
  EXPECT_EQ(job->progress, "{\"read\":10}");

  JobRecord bad = *job;
  bad.state = JobState::kRunning;
  EXPECT_EQ(store_->FinishJob(bad).error().code, ErrorCode::kInvalid);
  JobRecord done = *job;
  done.state = JobState::kFailed;
  done.exit_code = 1;
  done.message = "source unreachable";
  done.finished_at = 195;
  done.run_id = 0;
  ASSERT_TRUE(store_->FinishJob(done).ok());
  job = store_->GetJob("acme", id);
  EXPECT_EQ(job->state, JobState::kFailed);
  EXPECT_EQ(job->exit_code, 1);
  EXPECT_EQ(job->message, "source unreachable");
  EXPECT_EQ(job->finished_at, 195);
  EXPECT_EQ(job->run_id, 77);
  EXPECT_EQ(store_->HeartbeatJob(id, "w2", 300, 0, "").error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->FinishJob(done).error().code, ErrorCode::kConflict);
  EXPECT_FALSE(store_->ClaimJob("w3", 10000, 30, 0)->has_value());  // finished jobs stay done
}

TEST_P(StoreContractTest, TwoClaimersNeverGetTheSameJob) {
  constexpr int kJobs = 60;
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_TRUE(
        store_->EnqueueJob(MakeJob("t" + std::to_string(i % 7), "p" + std::to_string(i))).ok());
  }
  std::mutex mutex;
  std::vector<int64_t> claimed;
  std::atomic<int> errors{0};
  auto worker = [&](const std::string& name) {
    auto store = OpenStore(spec_);
    if (!store.ok()) {
      ++errors;
      return;
    }
    for (int idle = 0; idle < 3;) {
      auto job = (*store)->ClaimJob(name, 1000, 600, 0);
      if (!job.ok()) {
        if (job.error().code != ErrorCode::kUnavailable) ++errors;  // busy: try again
        continue;
      }
      if (!job->has_value()) {
        ++idle;
        continue;
      }
      std::lock_guard<std::mutex> lock(mutex);
      claimed.push_back((*job)->id);
    }
  };
  std::thread a(worker, "wa");
  std::thread b(worker, "wb");
  a.join();
  b.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(std::set<int64_t>(claimed.begin(), claimed.end()).size(), static_cast<size_t>(kJobs));
}

// ---- One store shared by several threads (store.h "Thread safety") ----

// Several threads call one store at once: directory, mirror, tokens and jobs, each
// thread on its own tenant, claims across tenants. Every call succeeds, every thread reads
// back exactly its own writes, and no job is claimed twice.
TEST_P(StoreContractTest, OneStoreServesSeveralThreadsAtOnce) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 12;
  std::atomic<int> failures{0};
  std::mutex claimed_mutex;
  std::vector<int64_t> claimed;
  auto check = [&](bool ok) {
    if (!ok) ++failures;
  };
  auto work = [&](int t) {
    const std::string tenant = "t" + std::to_string(t);
    for (int round = 0; round < kRounds; ++round) {
      const std::string n = std::to_string(round);
      const size_t expected = static_cast<size_t>(round + 1);
      check(store_
                ->Apply(
                    MakePlan({Item(Action::kCreate, MakeUser("k" + n, tenant + "u" + n))}, tenant))
                .ok());
      auto found = store_->FindUser(tenant, tenant + "u" + n);
      check(found.ok() && found->has_value());
      auto snapshot = store_->LoadSnapshot(tenant, "hr");
      check(snapshot.ok() && snapshot->users.size() == expected);
      {
        auto writer = store_->BeginMirrorWrite(tenant, "p", MirrorWriteMode::kPatch, 100 + round);
        check(writer.ok());
        if (writer.ok()) {
          check((*writer)->Put(Entry("id" + n, "name" + n)).ok());
          // The writer's own thread reads through its open transaction.
          auto own = store_->GetMirrorEntry(tenant, "p", ObjectKind::kUser, "id" + n);
          check(own.ok() && own->has_value());
          check((*writer)->Commit().ok());
        }
      }
      auto count = store_->CountMirror(tenant, "p", ObjectKind::kUser);
      check(count.ok() && *count == expected);
      const std::string hash = "hash-" + tenant + "-" + n;
      check(store_->AddToken(ApiToken{0, tenant, "scim", "label", hash, 1, 0}).ok());
      auto token = store_->FindToken("scim", hash);
      check(token.ok() && token->has_value() && (*token)->tenant == tenant);
      check(store_->EnqueueJob(MakeJob(tenant, "p" + n)).ok());
      auto job = store_->ClaimJob("w" + std::to_string(t), 1000, 600, 0);
      check(job.ok());
      if (job.ok() && job->has_value()) {
        JobRecord done = **job;
        done.state = JobState::kDone;
        done.finished_at = 1001;
        check(store_->FinishJob(done).ok());
        std::lock_guard<std::mutex> lock(claimed_mutex);
        claimed.push_back(done.id);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(work, t);
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  for (;;) {  // the jobs the threads left queued
    auto job = store_->ClaimJob("drain", 1000, 600, 0);
    ASSERT_TRUE(job.ok()) << job.error().ToString();
    if (!job->has_value()) break;
    claimed.push_back((*job)->id);
  }
  const size_t total = static_cast<size_t>(kThreads * kRounds);
  EXPECT_EQ(claimed.size(), total);
  EXPECT_EQ(std::set<int64_t>(claimed.begin(), claimed.end()).size(), total);
  for (int t = 0; t < kThreads; ++t) {
    const std::string tenant = "t" + std::to_string(t);
    EXPECT_EQ(*store_->CountUsers(tenant), static_cast<size_t>(kRounds)) << tenant;
    EXPECT_EQ(*store_->CountMirror(tenant, "p", ObjectKind::kUser), static_cast<size_t>(kRounds))
        << tenant;
    EXPECT_EQ(store_->ListTokens(tenant, "scim")->size(), static_cast<size_t>(kRounds)) << tenant;
    EXPECT_EQ(store_->ListJobs(tenant, "", 0)->size(), static_cast<size_t>(kRounds)) << tenant;
  }
}

// An open MirrorWriter holds the store for its thread: another thread's read waits until
// the writer is gone, so it never sees (or joins) the uncommitted transaction.
TEST_P(StoreContractTest, AnOpenMirrorWriterHoldsTheStoreForItsThread) {
  auto writer = store_->BeginMirrorWrite("t", "p", MirrorWriteMode::kPatch, 100);
  ASSERT_TRUE(writer.ok()) << writer.error().ToString();
  ASSERT_TRUE((*writer)->Put(Entry("a", "alice")).ok());
  std::atomic<bool> calling{false};
  bool read_ok = false;
  std::optional<MirrorEntry> seen;
  std::thread reader([&] {
    calling = true;
    auto entry = store_->GetMirrorEntry("t", "p", ObjectKind::kUser, "a");
    read_ok = entry.ok();
    if (entry.ok()) seen = *entry;
  });
  while (!calling) std::this_thread::yield();
  EXPECT_TRUE((*writer)->Put(Entry("b", "bob")).ok());
  writer->reset();  // never committed: rolled back
  reader.join();
  EXPECT_TRUE(read_ok);
  EXPECT_FALSE(seen.has_value());
  EXPECT_TRUE(MirrorIds().empty());
}

// A run lock excludes the other threads of the same store (a PostgreSQL session lock alone
// would be granted again on the shared connection), names its holder, and a waiting
// thread gets it once it is released.
TEST_P(StoreContractTest, RunLocksExcludeOtherThreadsOfOneStore) {
  auto held = store_->LockProfileRuns("t", "p", false, 1764842520);
  ASSERT_TRUE(held.ok()) << held.error().ToString();
  std::optional<Result<std::unique_ptr<RunLock>>> refused;
  std::thread([&] { refused.emplace(store_->LockProfileRuns("t", "p", false, 1)); }).join();
  ASSERT_TRUE(refused.has_value());
  ASSERT_FALSE(refused->ok());
  EXPECT_EQ(refused->error().code, ErrorCode::kConflict);
  EXPECT_NE(refused->error().message.find("since 2025-12-04 10:02:00 UTC"), std::string::npos)
      << refused->error().message;
  auto again = store_->LockProfileRuns("t", "p", false, 1);  // not re-entrant either
  EXPECT_FALSE(again.ok());
  EXPECT_TRUE(store_->LockProfileRuns("t", "q", false, 1).ok());

  std::atomic<bool> released{false};
  bool waited_ok = false;
  bool after_release = false;
  std::thread waiter([&] {
    auto got = store_->LockProfileRuns("t", "p", true, 2);
    waited_ok = got.ok();
    after_release = released.load();
  });
  released = true;
  held->reset();
  waiter.join();
  EXPECT_TRUE(waited_ok);
  EXPECT_TRUE(after_release);
  EXPECT_TRUE(store_->LockProfileRuns("t", "p", false, 3).ok());  // the waiter let it go
}

// ---- PostgreSQL only: connection errors ----

TEST(PostgresStoreTest, AnUnreachableServerIsUnavailableAndNeverShowsThePassword) {
  auto store = OpenStore("postgres://telsync:s3cr3t-pw@127.0.0.1:1/telsync");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(store.error().message.find("127.0.0.1:1"), std::string::npos) << store.error().message;
  EXPECT_EQ(store.error().ToString().find("s3cr3t-pw"), std::string::npos)
      << store.error().ToString();
  EXPECT_EQ(RedactStoreSpec("postgres://telsync:s3cr3t-pw@db:5432/x?password=other&a=b"),
            "postgres://telsync:***@db:5432/x?password=***&a=b");
  EXPECT_EQ(RedactStoreSpec("/var/lib/telsync.db"), "/var/lib/telsync.db");
  auto bad = OpenStore("postgres://u:s3cr3t-pw@host:notaport/x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().ToString().find("s3cr3t-pw"), std::string::npos);
}

TEST(PostgresStoreTest, ARejectedLoginIsUnavailableAndNeverShowsThePassword) {
  const std::string& admin = PgServer::Get().Url();
  ASSERT_FALSE(admin.empty()) << "PostgreSQL is needed: " << PgServer::Get().error();
  // The server rejects an unknown role (trust auth asks for no password, so the role
  // is what it can refuse); the password in the URL must not come back.
  std::string url = WithDatabase(admin, "postgres");
  const size_t start = url.find("://") + 3;
  const size_t at = url.find('@', start);
  url.replace(start, at == std::string::npos ? 0 : at + 1 - start, "no_such_role:s3cr3t-pw@");
  auto store = OpenStore(url);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(store.error().message.find("no_such_role"), std::string::npos) << store.error().message;
  EXPECT_EQ(store.error().ToString().find("s3cr3t-pw"), std::string::npos);
}

// A fresh database on the test server for the PostgreSQL-only tests; dropped at the end.
class PgDatabase {
 public:
  PgDatabase() {
    static std::atomic<int> counter{0};
    name_ = "telsync_pg" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    ok_ =
        !PgServer::Get().Url().empty() && PgExec(PgServer::Get().Url(), "CREATE DATABASE " + name_);
  }
  ~PgDatabase() {
    if (ok_) PgExec(PgServer::Get().Url(), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }
  bool ok() const { return ok_; }
  std::string Url() const { return WithDatabase(PgServer::Get().Url(), name_); }

 private:
  std::string name_;
  bool ok_ = false;
};

TEST(PostgresStoreTest, ApplyCommitsInBatchesAndKeepsEveryAction) {
  PgDatabase db;
  ASSERT_TRUE(db.ok()) << "PostgreSQL is needed: " << PgServer::Get().error();
  auto opened = OpenPostgresStore(db.Url(), PostgresStoreOptions{7});
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  Store& store = **opened;
  std::vector<PlanItem> items;
  for (int i = 0; i < 25; ++i) {
    items.push_back(
        Item(Action::kCreate, MakeUser("k" + std::to_string(i), "u" + std::to_string(i))));
  }
  auto r = store.Apply(MakePlan(items));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->users_written, 25u);
  auto snap = store.LoadSnapshot("acme", "hr");
  ASSERT_EQ(snap->users.size(), 25u);
  // Deletes, updates and creates across four batches of 7.
  std::vector<PlanItem> mixed;
  for (int i = 0; i < 10; ++i) {
    PbxUser u = snap->users[static_cast<size_t>(i)];
    u.fields.Set(Field::kCity, "Lund");
    mixed.push_back(Item(Action::kUpdate, u, u.id));
  }
  for (int i = 10; i < 15; ++i) {
    mixed.push_back(Item(Action::kDelete, snap->users[static_cast<size_t>(i)],
                         snap->users[static_cast<size_t>(i)].id));
  }
  for (int i = 25; i < 33; ++i) {
    mixed.push_back(
        Item(Action::kCreate, MakeUser("k" + std::to_string(i), "u" + std::to_string(i))));
  }
  r = store.Apply(MakePlan(mixed));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->users_written, 23u);
  snap = store.LoadSnapshot("acme", "hr");
  ASSERT_EQ(snap->users.size(), 28u);
  size_t in_lund = 0;
  for (const PbxUser& u : snap->users) in_lund += u.fields.Get(Field::kCity) == "Lund" ? 1 : 0;
  EXPECT_EQ(in_lund, 10u);
}

// Apply's progress (issue 20), through the locked wrapper OpenStore puts around a backend
// that commits batches of 7 rows: a call after each batch, never per row, ending at every
// user write of the plan; none for a plan that writes nothing.
void ExpectApplyProgressPerBatch(Store& store) {
  std::vector<size_t> seen;
  const ApplyProgress record = [&](size_t done) { seen.push_back(done); };
  std::vector<PlanItem> creates;
  for (int i = 0; i < 25; ++i) {
    creates.push_back(
        Item(Action::kCreate, MakeUser("k" + std::to_string(i), "u" + std::to_string(i))));
  }
  auto r = store.Apply(MakePlan(creates), record);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(seen, (std::vector<size_t>{7, 14, 21, 25}));

  auto snap = store.LoadSnapshot("acme", "hr");
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->users.size(), 25u);
  std::vector<PlanItem> mixed;  // 10 updates, 5 deletes, 8 creates: 23 writes; 2 are none
  for (size_t i = 0; i < 10; ++i) {
    PbxUser u = snap->users[i];
    u.fields.Set(Field::kCity, "Lund");
    mixed.push_back(Item(Action::kUpdate, u, u.id));
  }
  for (size_t i = 10; i < 15; ++i) {
    mixed.push_back(Item(Action::kDelete, snap->users[i], snap->users[i].id));
  }
  mixed.push_back(Item(Action::kUnchanged, snap->users[15], snap->users[15].id));
  mixed.push_back(Item(Action::kSkip, snap->users[16], snap->users[16].id));
  for (int i = 25; i < 33; ++i) {
    mixed.push_back(
        Item(Action::kCreate, MakeUser("k" + std::to_string(i), "u" + std::to_string(i))));
  }
  seen.clear();
  r = store.Apply(MakePlan(mixed), record);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(seen, (std::vector<size_t>{7, 14, 21, 23}));
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  seen.clear();
  std::vector<PlanItem> none = {Item(Action::kUnchanged, snap->users[15], snap->users[15].id)};
  r = store.Apply(MakePlan(none), record);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(seen.empty());
}

TEST(SqliteStoreTest, ApplyReportsProgressOncePerBatch) {
  const std::string dir = MakeTempDir("telsync-progress");
  ASSERT_FALSE(dir.empty());
  SqliteStoreOptions options;
  options.batch_size = 7;
  auto opened = OpenSqliteStore(dir + "/store.db", options);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  std::unique_ptr<Store> store = store_detail::MakeThreadSafe(std::move(*opened));
  ExpectApplyProgressPerBatch(*store);
  store.reset();
  std::filesystem::remove_all(dir);
}

TEST(PostgresStoreTest, ApplyReportsProgressOncePerBatch) {
  PgDatabase db;
  ASSERT_TRUE(db.ok()) << "PostgreSQL is needed: " << PgServer::Get().error();
  auto opened = OpenPostgresStore(db.Url(), PostgresStoreOptions{7});
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  std::unique_ptr<Store> store = store_detail::MakeThreadSafe(std::move(*opened));
  ExpectApplyProgressPerBatch(*store);
}

TEST(PostgresStoreTest, SnapshotsAndScansPageThroughLargeTables) {
  PgDatabase db;
  ASSERT_TRUE(db.ok()) << "PostgreSQL is needed: " << PgServer::Get().error();
  auto opened = OpenStore(db.Url());
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  Store& store = **opened;
  // More users than one snapshot page (20,000), more entries than one scan page (5,000).
  constexpr size_t kUsers = 20050;
  std::vector<PlanItem> items;
  items.reserve(kUsers);
  for (size_t i = 0; i < kUsers; ++i) {
    items.push_back(
        Item(Action::kCreate, MakeUser("k" + std::to_string(i), "u" + std::to_string(i))));
  }
  ASSERT_TRUE(store.Apply(MakePlan(std::move(items))).ok());
  auto snap = store.LoadSnapshot("acme", "hr");
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->users.size(), kUsers);
  std::set<int64_t> ids;
  for (const PbxUser& u : snap->users) ids.insert(u.id);
  EXPECT_EQ(ids.size(), kUsers);
  EXPECT_EQ(snap->users.back().source_key, "k20049");

  constexpr int kEntries = 5003;
  auto w = store.BeginMirrorWrite("t", "p", MirrorWriteMode::kReplace, 1);
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < kEntries; ++i) {
    ASSERT_TRUE((*w)->Put(Entry("id" + std::to_string(100000 + i), "")).ok());
  }
  ASSERT_TRUE((*w)->Commit().ok());
  int scanned = 0;
  std::string last;
  bool ordered = true;
  ASSERT_TRUE(store
                  .ScanMirror("t", "p",
                              [&](MirrorEntry&& e) {
                                ordered = ordered && e.object.id > last;
                                last = e.object.id;
                                ++scanned;
                                return true;
                              })
                  .ok());
  EXPECT_EQ(scanned, kEntries);
  EXPECT_TRUE(ordered);
}

TEST(PostgresStoreTest, ALostConnectionIsUnavailableOnceThenReconnects) {
  PgDatabase db;
  ASSERT_TRUE(db.ok()) << "PostgreSQL is needed: " << PgServer::Get().error();
  auto opened = OpenStore(db.Url());
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  Store& store = **opened;
  ASSERT_TRUE(store.SetCursor("acme", "hr", "c1").ok());
  // What a server restart or an idle-connection reaper does to a long-lived `serve`.
  ASSERT_TRUE(PgExec(db.Url(),
                     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                     "current_database() AND pid <> pg_backend_pid()"));
  Result<std::string> cursor = store.GetCursor("acme", "hr");
  if (!cursor.ok()) {
    EXPECT_EQ(cursor.error().code, ErrorCode::kUnavailable) << cursor.error().ToString();
    cursor = store.GetCursor("acme", "hr");  // the next call reconnects
  }
  ASSERT_TRUE(cursor.ok()) << cursor.error().ToString();
  EXPECT_EQ(*cursor, "c1");
  EXPECT_TRUE(store.Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
}

// ---- Tenants ----

TEST_P(StoreContractTest, TenantsAreCreatedOnceListedByNameAndUpdated) {
  ASSERT_TRUE(store_->CreateTenant({"zeta", "Zeta AG", 100, 0}).ok());
  ASSERT_TRUE(store_->CreateTenant({"acme", "Acme Ltd", 200, 0}).ok());
  EXPECT_EQ(store_->CreateTenant({"acme", "Other", 300, 0}).error().code, ErrorCode::kConflict);
  auto all = store_->ListTenants();
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "acme");
  EXPECT_EQ((*all)[0].display_name, "Acme Ltd");  // the conflict changed nothing
  EXPECT_EQ((*all)[0].created_at, 200);
  EXPECT_EQ((*all)[0].updated_at, 200);
  EXPECT_EQ((*all)[1].name, "zeta");

  ASSERT_TRUE(store_->UpdateTenant({"acme", "Acme Group", 0, 400}).ok());
  auto got = store_->GetTenant("acme");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->display_name, "Acme Group");
  EXPECT_EQ((*got)->created_at, 200);
  EXPECT_EQ((*got)->updated_at, 400);
  EXPECT_FALSE(store_->GetTenant("nope")->has_value());
  EXPECT_EQ(store_->UpdateTenant({"nope", "x", 0, 1}).error().code, ErrorCode::kNotFound);
}

// Incremental runs (issue 20 §1): the users waiting out a grace period, and those the last
// plan could not write, by profile.
TEST_P(StoreContractTest, PendingDeletesAndWaitingUsersAreListedPerProfile) {
  PbxUser pending = MakeUser("k2", "bob");
  pending.state = UserState::kPendingDelete;
  pending.pending_since = 100;
  ASSERT_TRUE(store_
                  ->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice")),
                                    Item(Action::kCreate, pending)}))
                  .ok());
  auto keys = store_->ListPendingDeleteKeys("acme", "hr");
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  EXPECT_EQ(*keys, std::vector<std::string>{"k2"});
  EXPECT_TRUE(store_->ListPendingDeleteKeys("acme", "other")->empty());

  auto sorted = [&](const std::string& profile) {
    auto got = store_->ListWaitingKeys("acme", profile);
    EXPECT_TRUE(got.ok());
    std::vector<std::string> v = got.ok() ? *got : std::vector<std::string>{};
    std::sort(v.begin(), v.end());
    return v;
  };
  ASSERT_TRUE(store_->SetWaitingKeys("acme", "hr", {"a", "b", "c"}, nullptr).ok());
  ASSERT_TRUE(store_->SetWaitingKeys("acme", "other", {"z"}, nullptr).ok());
  // An incremental plan of b, c and d: b waits still, c no longer, d now does.
  const std::unordered_set<std::string> scope = {"b", "c", "d"};
  ASSERT_TRUE(store_->SetWaitingKeys("acme", "hr", {"b", "d"}, &scope).ok());
  EXPECT_EQ(sorted("hr"), (std::vector<std::string>{"a", "b", "d"}));
  // A plan of everyone replaces the set.
  ASSERT_TRUE(store_->SetWaitingKeys("acme", "hr", {"e"}, nullptr).ok());
  EXPECT_EQ(sorted("hr"), std::vector<std::string>{"e"});
  EXPECT_EQ(sorted("other"), std::vector<std::string>{"z"});
}

TEST_P(StoreContractTest, DeleteTenantRemovesAllItOwnsAndNothingOfAnother) {
  // Every table with a tenant column is emptied by DeleteTenant: a table added by a later
  // migration must be added to kTenantTables too.
  std::set<std::string> listed;
  for (const auto& t : store_detail::kTenantTables) listed.insert(t.table);
  const std::vector<std::string> tables = TablesWithTenantColumn();
  ASSERT_GE(tables.size(), 9u);
  for (const std::string& table : tables) EXPECT_TRUE(listed.count(table)) << table;

  for (const std::string tenant : {"acme", "beta"}) {
    ASSERT_TRUE(store_->CreateTenant({tenant, tenant, 1, 0}).ok());
    ASSERT_TRUE(store_->OpenTargetCursor(tenant, "sip").ok());  // Apply writes events
    ASSERT_TRUE(store_
                    ->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice")),
                                      Item(Action::kCreate, MakeUser("k2", "bob"))},
                                     tenant))
                    .ok());
    auto run = store_->CreateRun(MakeRun(tenant, "hr", RunKind::kSync, RunStatus::kSuccess, 10));
    ASSERT_TRUE(run.ok());
    Plan plan = MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))}, tenant);
    plan.departments.push_back({Action::kCreate, {0, "Sales", "hr", "rg-sales", {}}, {}});
    plan.pause_run = *run;  // a revert's pause (issue 18)
    ASSERT_TRUE(store_->Apply(plan).ok());
    ASSERT_TRUE(store_->SaveRunItems(*run, plan).ok());
    auto w = store_->BeginMirrorWrite(tenant, "hr", MirrorWriteMode::kPatch, 1);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Put(Entry("m1", "alice")).ok());
    ASSERT_TRUE((*w)->MarkPending({"m1"}).ok());
    ASSERT_TRUE((*w)->Commit().ok());
    ASSERT_TRUE(store_->SetCursor(tenant, "hr", "c1").ok());
    ASSERT_TRUE(store_->SetWaitingKeys(tenant, "hr", {"k9"}, nullptr).ok());
    ApiToken token;
    token.tenant = tenant;
    token.kind = "admin";
    token.hash = "hash-" + tenant;
    ASSERT_TRUE(store_->AddToken(token).ok());
    NotificationRecord mail;
    mail.tenant = tenant;
    mail.kind = "report";
    mail.status = "sent";
    ASSERT_TRUE(store_->AddNotification(mail).ok());
    ASSERT_TRUE(
        store_->PutStoredProfile({tenant, "hr", "source: {type: file}", 0, 0, 0}, 0, 1).ok());
    ASSERT_TRUE(store_->EnqueueJob(MakeJob(tenant, "hr")).ok());  // queued: removed with it
    // The targets' tables (issue 17); the outbox holds Apply's events already.
    auto first = store_->ListOutbox(tenant, 0, 1);
    ASSERT_TRUE(first.ok() && first->size() == 1u);
    ASSERT_TRUE(store_->CompactOutbox(tenant, (*first)[0].seq).ok());  // outbox_last
    TargetCursor cursor;
    cursor.tenant = tenant;
    cursor.target = "sip";
    ASSERT_TRUE(store_->PutTargetCursor(cursor).ok());
    DeadEvent dead;
    dead.target = "sip";
    dead.event = (*first)[0];
    ASSERT_TRUE(store_->AddDeadEvent(dead).ok());
    ASSERT_TRUE(store_->PutTargetObject({tenant, "sip", "subscriber", "alice@d", 1}).ok());
    ASSERT_TRUE(store_->PutSipCredential(tenant, 1, "tsec1.x.y", 1).ok());
  }
  const std::string beta_items =
      "SELECT count(*) FROM run_items WHERE run_id IN (SELECT id FROM runs WHERE tenant = 'beta')";
  const std::vector<std::string> beta_before = RawColumn(beta_items);

  auto deleted = store_->DeleteTenant("acme", 1000);
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  EXPECT_EQ(deleted->users, 2);
  EXPECT_EQ(deleted->departments, 1);
  EXPECT_EQ(deleted->runs, 1);
  EXPECT_EQ(deleted->mirror_entries, 1);
  EXPECT_EQ(deleted->tokens, 1);
  EXPECT_EQ(deleted->profiles, 1);
  EXPECT_EQ(deleted->jobs, 1);
  EXPECT_EQ(deleted->notifications, 1);
  for (const std::string& table : tables) {
    EXPECT_EQ(RawColumn("SELECT count(*) FROM " + table + " WHERE tenant = 'acme'"),
              std::vector<std::string>{"0"})
        << table;
    EXPECT_NE(RawColumn("SELECT count(*) FROM " + table + " WHERE tenant = 'beta'"),
              std::vector<std::string>{"0"})
        << table;
  }
  EXPECT_EQ(RawColumn("SELECT count(*) FROM run_items WHERE run_id NOT IN (SELECT id FROM runs)"),
            std::vector<std::string>{"0"});
  EXPECT_EQ(RawColumn(beta_items), beta_before);
  EXPECT_EQ(beta_before, std::vector<std::string>{"1"});
  EXPECT_FALSE(store_->GetTenant("acme")->has_value());
  EXPECT_TRUE(store_->GetTenant("beta")->has_value());
  EXPECT_EQ(Users("beta").size(), 2u);
  // Gone is gone: a second delete finds nothing; a config tenant (no record) is not deleted.
  EXPECT_EQ(store_->DeleteTenant("acme", 1000).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->DeleteTenant("configured", 1000).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreContractTest, DeleteTenantWaitsForARunningJobButNotForADeadWorker) {
  ASSERT_TRUE(store_->CreateTenant({"acme", "", 1, 0}).ok());
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  ASSERT_TRUE(store_->EnqueueJob(MakeJob("acme", "hr")).ok());
  auto claimed = store_->ClaimJob("w1", 100, 60, 0);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  auto refused = store_->DeleteTenant("acme", 150);  // the lease runs to 160
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_NE(refused.error().message.find("running job"), std::string::npos);
  EXPECT_EQ(Users().size(), 1u);  // nothing removed
  EXPECT_TRUE(store_->GetTenant("acme")->has_value());
  // The worker died: its lease ran out, nothing runs any more.
  auto deleted = store_->DeleteTenant("acme", 161);
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  EXPECT_EQ(deleted->jobs, 1);
  EXPECT_TRUE(Users().empty());
}

// ---- The outbox role (store/outbox.h, issue 17) ----

std::vector<OutboxEvent> AllEvents(Store& store, const std::string& tenant = "acme") {
  auto events = store.ListOutbox(tenant, 0, 1000);
  EXPECT_TRUE(events.ok()) << (events.ok() ? "" : events.error().ToString());
  return events.ok() ? *events : std::vector<OutboxEvent>{};
}

TEST_P(StoreContractTest, ApplyWritesOneOutboxEventPerChangeAndNoneForARepeat) {
  ASSERT_TRUE(store_->OpenTargetCursor("acme", "sip").ok());  // Apply writes events
  const Plan create = MakePlan({Item(Action::kCreate, MakeUser("k1", "alice")),
                                Item(Action::kCreate, MakeUser("k2", "bob"))});
  ASSERT_TRUE(store_->Apply(create).ok());
  std::vector<OutboxEvent> events = AllEvents(*store_);
  ASSERT_EQ(events.size(), 2u);
  const std::vector<PbxUser> users = Users();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(events[0].kind, "user_created");
  EXPECT_EQ(events[0].tenant, "acme");
  EXPECT_LT(events[0].seq, events[1].seq);
  EXPECT_EQ(events[0].user_id, users[0].id);
  EXPECT_EQ(events[0].object_key, "user:" + std::to_string(users[0].id));
  EXPECT_NE(events[0].payload.find("\"username\":\"alice\""), std::string::npos);
  EXPECT_EQ(events[0].state_hash.size(), 16u);

  // The same plan again (a rerun after a crash) changes nothing: no second event (P3).
  ASSERT_TRUE(store_->Apply(create).ok());
  EXPECT_EQ(AllEvents(*store_).size(), 2u);

  PbxUser alice = users[0];
  alice.fields.Set(Field::kExtension, "1001");
  PlanItem update = Item(Action::kUpdate, alice, alice.id);
  update.changes = {{"extension", "", "1001"}};
  ASSERT_TRUE(store_->Apply(MakePlan({update})).ok());
  ASSERT_TRUE(store_->Apply(MakePlan({update})).ok());
  events = AllEvents(*store_);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].kind, "user_updated");
  EXPECT_NE(events[2].payload.find("\"extension\":\"1001\""), std::string::npos);
  EXPECT_NE(events[2].payload.find("\"changes\""), std::string::npos);

  PbxUser hidden = alice;
  hidden.searchable = false;
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kUnsearchable, hidden, alice.id)})).ok());
  EXPECT_EQ(AllEvents(*store_).back().kind, "user_unsearchable");

  const PlanItem remove = Item(Action::kDelete, users[1], users[1].id);
  ASSERT_TRUE(store_->Apply(MakePlan({remove})).ok());
  ASSERT_TRUE(store_->Apply(MakePlan({remove})).ok());  // gone already: no second event
  events = AllEvents(*store_);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[4].kind, "user_deleted");
  EXPECT_EQ(events[4].user_id, users[1].id);
  EXPECT_TRUE(events[4].state_hash.empty());
  EXPECT_NE(events[4].payload.find("\"bob\""), std::string::npos);

  // Scoped by tenant, paged by seq.
  EXPECT_TRUE(AllEvents(*store_, "beta").empty());
  auto after = store_->ListOutbox("acme", events[1].seq, 2);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0].seq, events[2].seq);
  EXPECT_EQ(*store_->LastOutboxSeq("acme"), events[4].seq);
  EXPECT_EQ(*store_->CountOutbox("acme", events[1].seq), 3);
  EXPECT_EQ(*store_->LastOutboxSeq("beta"), 0);
}

TEST_P(StoreContractTest, DepartmentChangesWriteEventsOnceToo) {
  ASSERT_TRUE(store_->OpenTargetCursor("acme", "sip").ok());  // Apply writes events
  Plan plan = MakePlan({});
  plan.departments.push_back({Action::kCreate, {0, "Sales", "hr", "7001", {"alice"}}, {}});
  ASSERT_TRUE(store_->Apply(plan).ok());
  ASSERT_TRUE(store_->Apply(plan).ok());
  std::vector<OutboxEvent> events = AllEvents(*store_);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "department_changed");
  EXPECT_EQ(events[0].object_key, "department:hr/Sales");
  EXPECT_EQ(events[0].user_id, 0);
  Plan remove = MakePlan({});
  remove.departments.push_back({Action::kDelete, {0, "Sales", "hr", "7001", {"alice"}}, {}});
  ASSERT_TRUE(store_->Apply(remove).ok());
  ASSERT_TRUE(store_->Apply(remove).ok());
  events = AllEvents(*store_);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].kind, "department_deleted");
}

TEST_P(StoreContractTest, OutboxCompactionKeepsTheNewestSeqAndCurrentnessFollowsTheState) {
  ASSERT_TRUE(store_->OpenTargetCursor("acme", "sip").ok());  // Apply writes events
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  PbxUser alice = Users()[0];
  const OutboxEvent created = AllEvents(*store_)[0];
  EXPECT_TRUE(*store_->IsCurrentEvent(created));
  alice.fields.Set(Field::kExtension, "1001");
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kUpdate, alice, alice.id)})).ok());
  EXPECT_FALSE(*store_->IsCurrentEvent(created));  // superseded by the update
  const OutboxEvent updated = AllEvents(*store_)[1];
  EXPECT_TRUE(*store_->IsCurrentEvent(updated));

  auto removed = store_->CompactOutbox("acme", updated.seq);
  ASSERT_TRUE(removed.ok()) << removed.error().ToString();
  EXPECT_EQ(*removed, 2);
  EXPECT_TRUE(AllEvents(*store_).empty());
  EXPECT_EQ(*store_->LastOutboxSeq("acme"), updated.seq);  // remembered after compaction
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kDelete, alice, alice.id)})).ok());
  const OutboxEvent deleted = AllEvents(*store_)[0];
  EXPECT_GT(deleted.seq, updated.seq);
  EXPECT_TRUE(*store_->IsCurrentEvent(deleted));
  EXPECT_FALSE(*store_->IsCurrentEvent(updated));
}

// A tenant without a target cursor gets no events (a tenant without targets pays nothing;
// a target's first publish reconciles). Opening a cursor turns them on, for that tenant
// only; opening it again keeps it as it is.
TEST_P(StoreContractTest, ApplyWritesEventsOnlyOnceATargetHasACursor) {
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))})).ok());
  Plan department = MakePlan({});
  department.departments.push_back({Action::kCreate, {0, "Sales", "hr", "7001", {}}, {}});
  ASSERT_TRUE(store_->Apply(department).ok());
  EXPECT_TRUE(AllEvents(*store_).empty());
  EXPECT_EQ(*store_->LastOutboxSeq("acme"), 0);

  ASSERT_TRUE(store_->OpenTargetCursor("acme", "sip").ok());
  auto opened = store_->GetTargetCursor("acme", "sip");
  ASSERT_TRUE(opened.ok() && opened->has_value());
  EXPECT_EQ((*opened)->last_seq, 0);
  EXPECT_EQ((*opened)->last_success_at, 0);  // never reconciled: the publisher will
  TargetCursor moved = **opened;
  moved.last_seq = 42;
  ASSERT_TRUE(store_->PutTargetCursor(moved).ok());
  ASSERT_TRUE(store_->OpenTargetCursor("acme", "sip").ok());  // again: kept as it is
  EXPECT_EQ((*store_->GetTargetCursor("acme", "sip"))->last_seq, 42);

  // Alice was written without a digest: the first change after the cursor is an event,
  // even one back to a state an older digest might have held.
  PbxUser alice = Users()[0];
  alice.fields.Set(Field::kExtension, "1001");
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kUpdate, alice, alice.id)})).ok());
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("k2", "bob"), 0)})).ok());
  std::vector<OutboxEvent> events = AllEvents(*store_);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, "user_updated");
  EXPECT_EQ(events[1].kind, "user_created");
  // Another tenant without a cursor still writes none.
  ASSERT_TRUE(
      store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice"))}, "beta")).ok());
  EXPECT_TRUE(AllEvents(*store_, "beta").empty());
}

// A deleted user's SIP password goes with the user: a later user that gets the same row id
// (SQLite gives the last id again) must not inherit a password its old holder knows.
TEST_P(StoreContractTest, ADeletedUsersSipCredentialGoesWithIt) {
  ASSERT_TRUE(store_
                  ->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "alice")),
                                    Item(Action::kCreate, MakeUser("k2", "bob"))}))
                  .ok());
  const std::vector<PbxUser> users = Users();
  ASSERT_EQ(users.size(), 2u);
  ASSERT_TRUE(store_->PutSipCredential("acme", users[0].id, "tsec1.a.a", 1).ok());
  ASSERT_TRUE(store_->PutSipCredential("acme", users[1].id, "tsec1.b.b", 1).ok());
  PlanItem gone = Item(Action::kDelete, users[1], users[1].id);
  ASSERT_TRUE(store_->Apply(MakePlan({gone})).ok());
  EXPECT_FALSE(store_->GetSipCredential("acme", users[1].id)->has_value());
  EXPECT_EQ(store_->GetSipCredential("acme", users[0].id)->value_or(""), "tsec1.a.a");
  // A new user, whatever id it gets, has no password yet.
  ASSERT_TRUE(store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("k3", "carl"))})).ok());
  for (const PbxUser& u : Users()) {
    if (u.source_key == "k3") {
      EXPECT_FALSE(store_->GetSipCredential("acme", u.id)->has_value());
    }
  }
}

// The batch forms a publish uses: all of a batch in one go, scoped by tenant (and target).
TEST_P(StoreContractTest, SipCredentialsAndTargetObjectsGoInBatches) {
  ASSERT_TRUE(store_->PutSipCredentials("acme", {{3, "tsec1.c"}, {1, "tsec1.a"}}, 10).ok());
  ASSERT_TRUE(store_->PutSipCredentials("beta", {{1, "tsec1.other"}}, 10).ok());
  ASSERT_TRUE(store_->PutSipCredentials("acme", {}, 10).ok());                 // nothing to do
  ASSERT_TRUE(store_->PutSipCredentials("acme", {{1, "tsec1.a2"}}, 11).ok());  // replaces
  auto listed = store_->ListSipCredentials("acme");
  ASSERT_TRUE(listed.ok()) << listed.error().ToString();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].user_id, 1);
  EXPECT_EQ((*listed)[0].sealed, "tsec1.a2");
  EXPECT_EQ((*listed)[1].user_id, 3);
  EXPECT_EQ((*listed)[1].sealed, "tsec1.c");
  EXPECT_EQ(store_->GetSipCredential("acme", 3)->value_or(""), "tsec1.c");
  EXPECT_TRUE(store_->ListSipCredentials("gamma")->empty());

  ASSERT_TRUE(store_
                  ->SaveTargetObjects("acme", "sip",
                                      {{"acme", "sip", "subscriber", "alice@d", 1},
                                       {"acme", "sip", "alias", "1001@d", 1},
                                       {"acme", "sip", "subscriber", "bob@d", 2}},
                                      {})
                  .ok());
  ASSERT_TRUE(
      store_->SaveTargetObjects("acme", "other", {{"acme", "other", "alias", "1001@d", 9}}, {})
          .ok());
  ASSERT_TRUE(store_
                  ->SaveTargetObjects("acme", "sip", {{"acme", "sip", "alias", "1001@d", 2}},
                                      {{"subscriber", "alice@d"}, {"subscriber", "nobody@d"}})
                  .ok());
  auto objects = store_->ListTargetObjects("acme", "sip");
  ASSERT_TRUE(objects.ok()) << objects.error().ToString();
  ASSERT_EQ(objects->size(), 2u);
  EXPECT_EQ((*objects)[0].type, "alias");
  EXPECT_EQ((*objects)[0].user_id, 2);  // moved to bob
  EXPECT_EQ((*objects)[1].key, "bob@d");
  EXPECT_EQ(store_->ListTargetObjects("acme", "other")->size(), 1u);  // another target: kept
}

// A target's full reconcile reads only the fields it names, every user of the tenant, by id.
TEST_P(StoreContractTest, ListUsersFieldsReadsOnlyTheNamedFields) {
  PbxUser alice = MakeUser("k1", "alice");
  alice.fields.Set(Field::kExtension, "1001");
  alice.fields.Set(Field::kLandline, "+41441234567");
  alice.fields.Set(Field::kCity, "Zurich");
  PbxUser bob = MakeUser("k2", "bob");
  bob.searchable = false;
  bob.state = UserState::kPendingDelete;
  bob.pending_since = 1700000000;
  bob.fields.Set(Field::kCity, "Bern");
  ASSERT_TRUE(
      store_->Apply(MakePlan({Item(Action::kCreate, alice), Item(Action::kCreate, bob)})).ok());
  ASSERT_TRUE(
      store_->Apply(MakePlan({Item(Action::kCreate, MakeUser("k1", "other"))}, "beta")).ok());
  const std::vector<PbxUser> full = Users();
  ASSERT_EQ(full.size(), 2u);

  auto lean = store_->ListUsersFields("acme", {Field::kUsername, Field::kExtension, Field::kCity});
  ASSERT_TRUE(lean.ok()) << lean.error().ToString();
  ASSERT_EQ(lean->size(), 2u);
  const PbxUser& a = (*lean)[0];
  const PbxUser& b = (*lean)[1];
  EXPECT_LT(a.id, b.id);
  EXPECT_EQ(a.id, full[0].id);
  EXPECT_EQ(a.fields.Get(Field::kUsername), "alice");
  EXPECT_EQ(a.fields.Get(Field::kExtension), "1001");
  EXPECT_EQ(a.fields.Get(Field::kCity), "Zurich");
  EXPECT_EQ(a.fields.Get(Field::kLandline), "");  // not asked for
  EXPECT_EQ(a.fields.Get(Field::kEmail), "");
  EXPECT_TRUE(a.searchable);
  EXPECT_EQ(a.state, UserState::kActive);
  EXPECT_EQ(b.fields.Get(Field::kUsername), "bob");
  EXPECT_EQ(b.fields.Get(Field::kCity), "Bern");
  EXPECT_FALSE(b.searchable);
  EXPECT_EQ(b.state, UserState::kPendingDelete);

  auto none = store_->ListUsersFields("acme", {});
  ASSERT_TRUE(none.ok()) << none.error().ToString();
  ASSERT_EQ(none->size(), 2u);
  EXPECT_EQ((*none)[1].fields.Get(Field::kUsername), "");
  EXPECT_EQ(store_->ListUsersFields("beta", {Field::kUsername})->size(), 1u);
  EXPECT_TRUE(store_->ListUsersFields("gamma", {Field::kUsername})->empty());
}

TEST_P(StoreContractTest, TargetCursorsDeadEventsObjectsAndSipCredentialsRoundTrip) {
  EXPECT_FALSE(store_->GetTargetCursor("acme", "sip")->has_value());
  TargetCursor cursor;
  cursor.tenant = "acme";
  cursor.target = "sip";
  cursor.last_seq = 7;
  cursor.delivered = 5;
  cursor.attempts = 2;
  cursor.failing_since = 100;
  cursor.next_attempt_at = 110;
  cursor.last_error = "Kamailio db: /x does not exist";
  ASSERT_TRUE(store_->PutTargetCursor(cursor).ok());
  cursor.last_seq = 9;
  ASSERT_TRUE(store_->PutTargetCursor(cursor).ok());
  auto got = store_->GetTargetCursor("acme", "sip");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->last_seq, 9);
  EXPECT_EQ((*got)->attempts, 2);
  EXPECT_EQ((*got)->last_error, cursor.last_error);
  EXPECT_FALSE(store_->GetTargetCursor("beta", "sip")->has_value());
  EXPECT_EQ(store_->ListTargetCursors("acme")->size(), 1u);

  DeadEvent dead;
  dead.target = "sip";
  dead.event.tenant = "acme";
  dead.event.seq = 3;
  dead.event.kind = "user_created";
  dead.event.object_key = "user:1";
  dead.event.user_id = 1;
  dead.event.payload = "{}";
  dead.error = "conflict";
  dead.dead_at = 50;
  ASSERT_TRUE(store_->AddDeadEvent(dead).ok());
  dead.error = "conflict again";
  ASSERT_TRUE(store_->AddDeadEvent(dead).ok());  // replaces
  auto listed = store_->ListDeadEvents("acme", "sip");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].error, "conflict again");
  EXPECT_EQ((*listed)[0].event.payload, "{}");
  EXPECT_TRUE(store_->ListDeadEvents("acme", "other")->empty());
  ASSERT_TRUE(store_->RemoveDeadEvent("acme", "sip", 3).ok());
  EXPECT_TRUE(store_->ListDeadEvents("acme", "sip")->empty());

  ASSERT_TRUE(store_->PutTargetObject({"acme", "sip", "subscriber", "alice@sip.test", 1}).ok());
  ASSERT_TRUE(store_->PutTargetObject({"acme", "sip", "alias", "1001@sip.test", 1}).ok());
  ASSERT_TRUE(store_->PutTargetObject({"acme", "sip", "alias", "1001@sip.test", 2}).ok());
  auto objects = store_->ListTargetObjects("acme", "sip");
  ASSERT_TRUE(objects.ok());
  ASSERT_EQ(objects->size(), 2u);
  EXPECT_EQ((*objects)[0].type, "alias");
  EXPECT_EQ((*objects)[0].user_id, 2);
  ASSERT_TRUE(store_->RemoveTargetObject("acme", "sip", "alias", "1001@sip.test").ok());
  EXPECT_EQ(store_->ListTargetObjects("acme", "sip")->size(), 1u);
  EXPECT_TRUE(store_->ListTargetObjects("beta", "sip")->empty());

  EXPECT_FALSE(store_->GetSipCredential("acme", 1)->has_value());
  ASSERT_TRUE(store_->PutSipCredential("acme", 1, "tsec1.x.y", 10).ok());
  ASSERT_TRUE(store_->PutSipCredential("acme", 1, "tsec1.x.z", 11).ok());
  EXPECT_EQ(store_->GetSipCredential("acme", 1)->value_or(""), "tsec1.x.z");
  EXPECT_FALSE(store_->GetSipCredential("beta", 1)->has_value());
}

}  // namespace
}  // namespace telsync
