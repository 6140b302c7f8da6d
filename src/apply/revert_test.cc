// ExecuteRevert (apply/revert.h) on both store backends, SQLite and PostgreSQL (the store
// parts of issue 18 §2: the deleted users' rows kept with the run, a restored user's id,
// the revert run's link, the pause in Apply's transaction, the outbox): over random syncs
// of generated directories, sync A, sync B, revert B gives the PBX directory of A field by
// field; a value a later run changed is a conflict naming that run.
#include "apply/revert.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <random>

#include "store/detail/test_backends.h"

namespace telsync {
namespace {

using store_test::MakeTempDir;
using store_test::PgExec;
using store_test::PgServer;
using store_test::WithDatabase;

constexpr int64_t kNow = 1'800'000'000;

class ListSource : public Source {
 public:
  std::vector<SourceObject> objects;
  std::string Describe() const override { return "list:"; }
  ConnectionReport TestConnection() override { return {true, "ok", {}, {}}; }
  ReadResult Read(const ReadRequest&, const ObjectSink& sink, const ProblemSink&) override {
    ReadResult r;
    for (const auto& o : objects) {
      SourceObject copy = o;
      sink(std::move(copy));
      ++r.objects;
    }
    r.complete = true;
    return r;
  }
};

struct Person {
  int i = 0;
  std::string city;
  std::string title;
  std::string department;
  bool mobile = false;
  bool enabled = true;
};

SourceObject Object(const Person& p) {
  SourceObject o;
  o.id = "id-" + std::to_string(p.i);
  o.Add("givenName", "User");
  o.Add("surname", "Number" + std::to_string(p.i));
  o.Add("displayName", "User " + std::to_string(p.i));
  o.Add("mail", "user" + std::to_string(p.i) + "@contoso.example");
  o.Add("mailNickname", "user" + std::to_string(p.i));
  o.Add("businessPhones", "+46 8 5" + std::to_string(1000000 + p.i));
  if (p.mobile) o.Add("mobilePhone", "+46 70 1" + std::to_string(100000 + p.i));
  if (!p.city.empty()) o.Add("city", p.city);
  if (!p.title.empty()) o.Add("jobTitle", p.title);
  if (!p.department.empty()) o.Add("department", p.department);
  o.enabled = p.enabled;
  return o;
}

Profile TestProfile() {
  Profile p;
  p.tenant = "acme";
  p.name = "main";
  p.source = FileSourceConfig{};
  p.policy.grace_days = 0;
  p.policy.protect_mobile = false;
  p.policy.max_deletes = -1;
  p.policy.max_delete_percent = -1;
  p.departments.enabled = true;
  p.departments.ring_groups = {7000, 7099};
  return p;
}

// Users and departments as one comparable text, by id and by name.
std::string Dump(const StoreSnapshot& s) {
  std::vector<const PbxUser*> users;
  for (const PbxUser& u : s.users) users.push_back(&u);
  std::sort(users.begin(), users.end(), [](auto* a, auto* b) { return a->id < b->id; });
  std::string out;
  for (const PbxUser* u : users) {
    out += std::to_string(u->id) + " " + u->profile + " " + u->source_key;
    for (size_t f = 0; f < kFieldCount; ++f) out += "|" + std::string(u->fields.Get(Field(f)));
    out += u->searchable ? "|s" : "|-";
    out += u->state == UserState::kActive ? "|a" : "|p" + std::to_string(u->pending_since);
    for (const auto& g : u->groups) out += "|g:" + g;
    for (const auto& [k, v] : u->custom) out += "|c:" + k + "=" + v;
    out += "\n";
  }
  std::vector<const Department*> departments;
  for (const Department& d : s.departments) departments.push_back(&d);
  std::sort(departments.begin(), departments.end(),
            [](auto* a, auto* b) { return a->name < b->name; });
  for (const Department* d : departments) {
    out += "dept " + d->name + " " + d->ring_group;
    for (const auto& m : d->members) out += " " + m;
    out += "\n";
  }
  return out;
}

class RevertStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      const std::string& admin = PgServer::Get().Url();
      ASSERT_FALSE(admin.empty()) << "PostgreSQL is needed: " << PgServer::Get().error();
      static std::atomic<int> counter{0};
      db_name_ = "telsync_r" + std::to_string(getpid()) + "_" + std::to_string(counter++);
      std::string error;
      ASSERT_TRUE(PgExec(admin, "CREATE DATABASE " + db_name_, &error)) << error;
      spec_ = WithDatabase(admin, db_name_);
    } else {
      dir_ = MakeTempDir("telsync-revert");
      ASSERT_FALSE(dir_.empty());
      spec_ = dir_ + "/store.db";
    }
    auto store = OpenStore(spec_);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
    // A target's cursor: Apply writes outbox events (a revert's too) only for such a tenant.
    ASSERT_TRUE(store_->OpenTargetCursor("acme", "sip").ok());
  }
  void TearDown() override {
    store_.reset();
    if (!db_name_.empty()) {
      PgExec(PgServer::Get().Url(), "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  RunOutcome Sync(const std::vector<Person>& people, int64_t now = kNow, int keep_days = 0,
                  RunKind kind = RunKind::kSync) {
    source_.objects.clear();
    for (const Person& p : people) source_.objects.push_back(Object(p));
    EngineOptions o;
    o.kind = kind;
    o.now = now;
    o.history_keep_days = keep_days;
    o.threads = 2;
    auto r = ExecuteRun(profile_, source_, *store_, o);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
    return r.ok() ? std::move(*r) : RunOutcome{};
  }
  RevertOutcome Revert(int64_t run, bool apply, bool pause = false) {
    RevertOptions o;
    o.run_id = run;
    o.apply = apply;
    o.pause = pause;
    o.now = kNow + 60;
    auto r = ExecuteRevert(profile_, *store_, o);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
    return r.ok() ? std::move(*r) : RevertOutcome{};
  }
  std::string Directory() {
    auto s = store_->LoadSnapshot("acme", "main");
    EXPECT_TRUE(s.ok());
    return s.ok() ? Dump(*s) : "";
  }

  Profile profile_ = TestProfile();
  ListSource source_;
  std::string spec_;
  std::string dir_;
  std::string db_name_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, RevertStoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST_P(RevertStoreTest, SyncASyncBRevertBIsTheDirectoryOfA) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
    profile_.name = "main" + std::to_string(seed);  // one profile per seed, one store
    profile_.policy.grace_days = pick(2) == 0 ? 0 : 7;
    std::vector<Person> a;
    int next = seed * 1000;
    for (int k = pick(15) + 5; k > 0; --k) {
      a.push_back({next++, "City" + std::to_string(pick(3)), "Title" + std::to_string(pick(3)),
                   pick(3) == 0 ? "" : "Dept" + std::to_string(pick(3)), pick(3) == 0, true});
    }
    ASSERT_EQ(Sync(a).exit_code, kExitOk);
    auto snapshot = store_->LoadSnapshot("acme", profile_.name);
    ASSERT_TRUE(snapshot.ok());
    const std::string after_a = Dump(*snapshot);
    std::vector<Person> b;
    for (Person p : a) {
      if (pick(6) == 0) continue;  // gone
      if (pick(3) == 0) p.city = "Moved" + std::to_string(pick(4));
      if (pick(4) == 0) p.department = "Dept" + std::to_string(pick(5));
      if (pick(8) == 0) p.enabled = false;
      b.push_back(p);
    }
    for (int k = pick(4); k > 0; --k) b.push_back({next++, "New", "", "Dept9", false, true});
    const RunOutcome sync_b = Sync(b);
    ASSERT_EQ(sync_b.exit_code, kExitOk);
    snapshot = store_->LoadSnapshot("acme", profile_.name);
    const std::string after_b = Dump(*snapshot);

    // The preview changes nothing and records nothing.
    const size_t runs_before = store_->ListRuns("acme", profile_.name, 0)->size();
    RevertOutcome preview = Revert(sync_b.run.id, false);
    EXPECT_EQ(preview.run.id, 0);
    EXPECT_EQ(preview.exit_code, kExitOk) << "seed " << seed;
    EXPECT_EQ(store_->ListRuns("acme", profile_.name, 0)->size(), runs_before);
    EXPECT_EQ(Dump(*store_->LoadSnapshot("acme", profile_.name)), after_b);
    EXPECT_NE(preview.next_sync_note.find("would apply the directory again"), std::string::npos);

    const int64_t outbox_before = *store_->LastOutboxSeq("acme");
    RevertOutcome applied = Revert(sync_b.run.id, true, /*pause=*/true);
    EXPECT_EQ(applied.exit_code, kExitOk) << "seed " << seed;
    EXPECT_EQ(Dump(*store_->LoadSnapshot("acme", profile_.name)), after_a) << "seed " << seed;
    auto run = store_->GetRun("acme", applied.run.id);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run->kind, RunKind::kRevert);
    EXPECT_EQ(run->reverted_run, sync_b.run.id);
    EXPECT_EQ(run->status, RunStatus::kSuccess);
    EXPECT_EQ(run->message, "revert of run " + std::to_string(sync_b.run.id));
    EXPECT_EQ(*store_->GetProfilePause("acme", profile_.name), applied.run.id);
    EXPECT_TRUE(applied.paused);
    EXPECT_TRUE(applied.next_sync_note.empty());
    if (!applied.plan.IsNoop()) {
      EXPECT_GT(*store_->LastOutboxSeq("acme"), outbox_before);
    }

    // Paused: the next sync applies nothing; once resumed, it applies B again.
    const RunOutcome paused = Sync(b);
    EXPECT_NE(paused.run.message.find("paused by revert run"), std::string::npos);
    EXPECT_EQ(Dump(*store_->LoadSnapshot("acme", profile_.name)), after_a);
    ASSERT_TRUE(store_->ClearProfilePause("acme", profile_.name).ok());
    EXPECT_FALSE(store_->GetProfilePause("acme", profile_.name)->has_value());
    Sync(b);
    // The same users and values as after B; users B created are created again (new ids).
    auto again = store_->LoadSnapshot("acme", profile_.name);
    EXPECT_EQ(again->users.size(), snapshot->users.size()) << "seed " << seed;
  }
}

TEST_P(RevertStoreTest, AValueALaterRunChangedIsAConflictNamingIt) {
  std::vector<Person> a = {{1, "Lund", "Seller", "Sales", false, true},
                           {2, "Lund", "Seller", "Sales", false, true}};
  Sync(a);
  std::vector<Person> b = a;
  b[0].title = "Boss";
  b[1].title = "Boss";
  const int64_t run_b = Sync(b).run.id;
  std::vector<Person> c = b;
  c[0].title = "Chief";
  const int64_t run_c = Sync(c).run.id;

  RevertOutcome out = Revert(run_b, true);
  EXPECT_EQ(out.exit_code, kExitUserErrors);
  EXPECT_EQ(out.run.status, RunStatus::kPartial);
  auto conflicts = store_->GetRunItems("acme", out.run.id, Action::kConflict);
  ASSERT_TRUE(conflicts.ok());
  ASSERT_EQ(conflicts->size(), 1u);
  EXPECT_EQ((*conflicts)[0].username, "user1");
  EXPECT_EQ((*conflicts)[0].reason, "job_title changed since run " + std::to_string(run_b) +
                                        " by run " + std::to_string(run_c));
  EXPECT_EQ((*store_->FindUser("acme", "user1"))->fields.Get(Field::kJobTitle), "Chief");
  EXPECT_EQ((*store_->FindUser("acme", "user2"))->fields.Get(Field::kJobTitle), "Seller");
  // Not paused: the note says the next sync would apply the directory again.
  EXPECT_NE(out.next_sync_note.find("its next sync would apply the directory again"),
            std::string::npos);
}

TEST_P(RevertStoreTest, ADeletedUserComesBackWithItsRowIdAndTheRevertCanBeReverted) {
  std::vector<Person> a = {{1, "Lund", "Seller", "", true, true},
                           {2, "Lund", "Seller", "", false, true}};
  Sync(a);
  const int64_t id = (*store_->FindUser("acme", "user2"))->id;
  const std::string after_a = Directory();
  const int64_t run_b = Sync({a[0]}).run.id;
  ASSERT_FALSE(store_->FindUser("acme", "user2")->has_value());
  auto items = store_->GetRunItems("acme", run_b, Action::kDelete);
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].target->fields.Get(Field::kEmail), "user2@contoso.example");

  RevertOutcome out = Revert(run_b, true);
  EXPECT_EQ(out.exit_code, kExitOk);
  EXPECT_EQ((*store_->FindUser("acme", "user2"))->id, id);
  EXPECT_EQ(Directory(), after_a);
  // A revert run is an applied run too: reverting it deletes user2 again.
  RevertOutcome undo = Revert(out.run.id, true);
  EXPECT_EQ(undo.exit_code, kExitOk);
  EXPECT_FALSE(store_->FindUser("acme", "user2")->has_value());
}

TEST_P(RevertStoreTest, RefusesRunsThatAppliedNothingOrAreTooOld) {
  Sync({{1, "Lund", "Seller", "", false, true}});
  EngineOptions o;
  o.kind = RunKind::kPreview;
  o.now = kNow;
  auto preview = ExecuteRun(profile_, source_, *store_, o);
  ASSERT_TRUE(preview.ok());
  RevertOptions r;
  r.run_id = preview->run.id;
  r.now = kNow;
  auto refused = ExecuteRevert(profile_, *store_, r);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalid);
  EXPECT_NE(refused.error().message.find("applied nothing"), std::string::npos);
  r.run_id = 1;
  r.now = kNow + 91 * 86400;
  auto old = ExecuteRevert(profile_, *store_, r);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().message.find("older than history.keep_days (90 days)"), std::string::npos);
  r.run_id = 999;
  EXPECT_EQ(ExecuteRevert(profile_, *store_, r).error().code, ErrorCode::kNotFound);
}

TEST_P(RevertStoreTest, AnAppliedSyncPurgesRunsOlderThanKeepDaysWhichThenCannotBeReverted) {
  constexpr int64_t kDay = 86400;
  const RunOutcome first = Sync({{1, "Lund", "Seller", "", false, true}}, kNow, 30);
  ASSERT_EQ(first.exit_code, kExitOk);
  // 20 days later: the first run is younger than 30 days and keeps its items.
  const RunOutcome second = Sync({{1, "Malmo", "Seller", "", false, true}}, kNow + 20 * kDay, 30);
  ASSERT_EQ(second.exit_code, kExitOk);
  EXPECT_EQ(store_->GetRun("acme", first.run.id)->purged_at, 0);
  // A preview 45 days later purges nothing: only an applied sync does.
  ASSERT_EQ(Sync({{1, "Lund", "Seller", "", false, true}}, kNow + 45 * kDay, 30, RunKind::kPreview)
                .exit_code,
            kExitOk);
  EXPECT_EQ(store_->GetRun("acme", first.run.id)->purged_at, 0);
  EXPECT_EQ(store_->GetRunItems("acme", first.run.id, std::nullopt)->size(), 1u);
  // A sync 45 days after the first: the first run (older than 30 days) is purged, the
  // second (25 days old) is not.
  const int64_t later = kNow + 45 * kDay;
  const RunOutcome third = Sync({{1, "Malmo", "Buyer", "", false, true}}, later, 30);
  ASSERT_EQ(third.exit_code, kExitOk);
  auto purged = store_->GetRun("acme", first.run.id);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(purged->purged_at, later);
  EXPECT_EQ(purged->summary[static_cast<size_t>(Action::kCreate)], 1u);  // counts stay
  EXPECT_TRUE(store_->GetRunItems("acme", first.run.id, std::nullopt)->empty());
  EXPECT_EQ(store_->GetRun("acme", second.run.id)->purged_at, 0);

  RevertOptions r;
  r.run_id = first.run.id;
  r.now = later + 60;
  r.keep_days = 0;  // even with no age limit: the run's revert data is gone
  auto refused = ExecuteRevert(profile_, *store_, r);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalid);
  EXPECT_NE(refused.error().message.find("was purged on 2027-03-01 (older than history.keep_days)"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("can no longer be reverted"), std::string::npos);

  // The newer run still reverts: the city it changed goes back to Lund.
  r.run_id = second.run.id;
  r.apply = true;
  r.keep_days = 30;
  auto reverted = ExecuteRevert(profile_, *store_, r);
  ASSERT_TRUE(reverted.ok()) << reverted.error().ToString();
  auto user = store_->FindUser("acme", "user1");
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_EQ((*user)->fields.Get(Field::kCity), "Lund");
}

}  // namespace
}  // namespace telsync
