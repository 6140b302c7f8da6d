#include "apply/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <random>

#include "apply/fake_sources_testing.h"
#include "bench/lib/generator.h"

namespace telsync {
namespace {

using engine_test::DeltaSource;

// The in-memory twin of a source (STYLE.md rule 12): emits the given users; can stop
// early (an incomplete read) or report unparseable records.
class FakeSource : public Source {
 public:
  std::vector<SourceObject> objects;
  bool complete = true;
  size_t stop_after = SIZE_MAX;  // objects emitted before the read "fails"
  size_t bad_records = 0;

  std::string Describe() const override { return "fake:"; }
  ConnectionReport TestConnection() override { return {true, "ok", {}, {}}; }
  ReadResult Read(const ReadRequest&, const ObjectSink& sink,
                  const ProblemSink& on_problem) override {
    ReadResult r;
    for (const auto& o : objects) {
      if (r.objects == stop_after) {
        r.error = Error::Unavailable("connection reset on page 2");
        return r;
      }
      SourceObject copy = o;
      sink(std::move(copy));
      ++r.objects;
    }
    for (size_t i = 0; i < bad_records; ++i) on_problem("fake:" + std::to_string(i + 1), "bad");
    r.bad_records = bad_records;
    r.complete = complete;
    return r;
  }
};

SourceObject GraphUser(int i, const std::string& title = "Seller") {
  SourceObject o;
  o.id = "id-" + std::to_string(i);
  o.Add("givenName", "User");
  o.Add("surname", "Number" + std::to_string(i));
  o.Add("displayName", "User " + std::to_string(i));
  o.Add("mail", "user" + std::to_string(i) + "@contoso.example");
  o.Add("mailNickname", "user" + std::to_string(i));
  o.Add("businessPhones", "+46 8 5" + std::to_string(1000000 + i));
  o.Add("jobTitle", title);
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
  return p;
}

struct Fixture {
  Profile profile = TestProfile();
  FakeSource source;
  std::unique_ptr<Store> store = std::move(OpenStore(":memory:")).value();

  RunOutcome Run(RunKind kind, int64_t approve = 0) {
    EngineOptions o;
    o.kind = kind;
    o.now = 1'800'000'000;
    o.approve_run = approve;
    o.threads = 2;
    auto r = ExecuteRun(profile, source, *store, o);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
    return std::move(r).value();
  }
  size_t Users() { return store->ListUsers("acme", 0, 0)->size(); }
};

TEST(EngineTest, PreviewAppliesNothingSyncAppliesTheSamePlan) {
  Fixture f;
  for (int i = 1; i <= 5; ++i) f.source.objects.push_back(GraphUser(i));
  RunOutcome preview = f.Run(RunKind::kPreview);
  EXPECT_EQ(preview.exit_code, kExitOk);
  EXPECT_EQ(preview.plan.Summary()[static_cast<size_t>(Action::kCreate)], 5u);
  EXPECT_EQ(f.Users(), 0u);
  RunOutcome sync = f.Run(RunKind::kSync);
  EXPECT_EQ(sync.exit_code, kExitOk);
  EXPECT_EQ(sync.plan.Summary(), preview.plan.Summary());
  EXPECT_EQ(f.Users(), 5u);
  EXPECT_EQ(sync.run.status, RunStatus::kSuccess);
  auto runs = f.store->ListRuns("acme", "main", 10);
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].kind, RunKind::kSync);
  // A resync with no change writes nothing (P3).
  RunOutcome again = f.Run(RunKind::kSync);
  EXPECT_EQ(again.applied.statements, 0u);
  EXPECT_TRUE(again.plan.IsNoop());
}

TEST(EngineTest, ReadFailingPartWayAppliesNoDeletion) {
  Fixture f;
  for (int i = 1; i <= 10; ++i) f.source.objects.push_back(GraphUser(i));
  ASSERT_EQ(f.Run(RunKind::kSync).exit_code, kExitOk);
  f.source.stop_after = 4;
  f.source.objects[0] = GraphUser(1, "Boss");
  RunOutcome r = f.Run(RunKind::kSync);
  EXPECT_FALSE(r.plan.complete);
  EXPECT_EQ(r.exit_code, kExitUserErrors);
  EXPECT_NE(r.run.message.find("connection reset on page 2"), std::string::npos);
  EXPECT_EQ(f.Users(), 10u);
  // What was read is still applied: updates are safe, deletions are not.
  EXPECT_EQ((*f.store->FindUser("acme", "user1"))->fields.Get(Field::kJobTitle), "Boss");
}

TEST(EngineTest, UnparseableRecordsMakeTheReadIncomplete) {
  Fixture f;
  for (int i = 1; i <= 6; ++i) f.source.objects.push_back(GraphUser(i));
  ASSERT_EQ(f.Run(RunKind::kSync).exit_code, kExitOk);
  // User 6's record is now unreadable: it may still be in the directory.
  f.source.objects.pop_back();
  f.source.bad_records = 1;
  RunOutcome r = f.Run(RunKind::kSync);
  EXPECT_FALSE(r.plan.complete);
  EXPECT_EQ(f.Users(), 6u);
  EXPECT_EQ(r.source_problems.size(), 1u);
  EXPECT_EQ(r.plan.Summary()[static_cast<size_t>(Action::kError)], 1u);
}

TEST(EngineTest, NothingReadIsAFailedRun) {
  Fixture f;
  f.source.objects.push_back(GraphUser(1));
  f.source.stop_after = 0;
  RunOutcome r = f.Run(RunKind::kSync);
  EXPECT_EQ(r.exit_code, kExitFailed);
  EXPECT_EQ(r.run.status, RunStatus::kFailed);
  EXPECT_EQ(f.Users(), 0u);
}

TEST(EngineTest, PausedModePreviewsButAppliesNothing) {
  Fixture f;
  f.profile.policy.mode = SyncMode::kPaused;
  f.source.objects.push_back(GraphUser(1));
  RunOutcome r = f.Run(RunKind::kSync);
  EXPECT_EQ(r.exit_code, kExitOk);
  EXPECT_NE(r.run.message.find("paused"), std::string::npos);
  EXPECT_EQ(r.plan.Summary()[static_cast<size_t>(Action::kCreate)], 1u);
  EXPECT_EQ(f.Users(), 0u);
}

TEST(EngineTest, HeldRunIsAppliedByApprovalOnlyForTheDeletionsItShowed) {
  Fixture f;
  f.profile.policy.max_deletes = 1;
  for (int i = 1; i <= 6; ++i) f.source.objects.push_back(GraphUser(i));
  ASSERT_EQ(f.Run(RunKind::kSync).exit_code, kExitOk);
  f.source.objects.resize(3);  // users 4, 5, 6 leave
  RunOutcome held = f.Run(RunKind::kSync);
  ASSERT_EQ(held.exit_code, kExitHeld);
  EXPECT_EQ(f.Users(), 6u);
  // Before the admin approves, user 3 leaves too: the approval does not cover it.
  f.source.objects.resize(2);
  RunOutcome refused = f.Run(RunKind::kSync, held.run.id);
  EXPECT_EQ(refused.exit_code, kExitHeld);
  EXPECT_NE(refused.plan.hold_reason.find("user3"), std::string::npos) << refused.plan.hold_reason;
  EXPECT_EQ(f.Users(), 6u);
  // Back to what was held: the approval applies it and marks the held run approved.
  f.source.objects.push_back(GraphUser(3));
  RunOutcome approved = f.Run(RunKind::kSync, held.run.id);
  EXPECT_EQ(approved.exit_code, kExitOk);
  EXPECT_EQ(f.Users(), 3u);
  EXPECT_EQ(f.store->GetRun("acme", held.run.id)->status, RunStatus::kApproved);
  // An approved run cannot be approved twice, nor a run that does not exist: refused
  // before the source is read, and no run is recorded for it (issue 15).
  const size_t runs_before = f.store->ListRuns("acme", "main", 100)->size();
  for (const int64_t id : {held.run.id, int64_t{999}}) {
    EngineOptions o;
    o.kind = RunKind::kSync;
    o.now = 1'800'000'000;
    o.approve_run = id;
    f.source.stop_after = 0;  // a read would fail: it must not happen
    auto twice = ExecuteRun(f.profile, f.source, *f.store, o);
    ASSERT_FALSE(twice.ok());
    EXPECT_EQ(twice.error().code, ErrorCode::kInvalid);
    EXPECT_NE(twice.error().message.find(id == 999 ? "no run 999" : "not held: nothing to approve"),
              std::string::npos)
        << twice.error().message;
  }
  EXPECT_EQ(f.store->ListRuns("acme", "main", 100)->size(), runs_before);
}

// Issue 15: `--user NAME` for a user neither the source nor the store has is an error that
// names it, not a success that did nothing.
TEST(EngineTest, OnlyUserThatNobodyHasIsAUsageError) {
  Fixture f;
  for (int i = 1; i <= 3; ++i) f.source.objects.push_back(GraphUser(i));
  EngineOptions o;
  o.kind = RunKind::kSync;
  o.now = 1'800'000'000;
  o.only_user = "nobody";
  auto r = ExecuteRun(f.profile, f.source, *f.store, o);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->exit_code, kExitUsage);
  EXPECT_EQ(r->run.status, RunStatus::kFailed);
  EXPECT_EQ(r->run.message, "no user nobody in the source (matched by username, e-mail or id)");
  o.only_user = "user2";
  auto one = ExecuteRun(f.profile, f.source, *f.store, o);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->exit_code, kExitOk);
  EXPECT_EQ(f.Users(), 1u);
}

// The convergence property with the real store: for random generated directories and a
// random earlier state, sync then sync again plans nothing, and the counts equal items.
TEST(EngineTest, PropertySyncConvergesOnTheRealStore) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    Fixture f;
    f.profile.departments.enabled = true;
    f.profile.departments.ring_groups = {7000, 7099};
    f.profile.extensions = {2000, 2999};
    f.profile.validation.phone_mode = PhoneMode::kLenient;
    std::mt19937_64 rng(seed);
    bench::GenOptions g;
    g.users = 40 + rng() % 80;
    g.seed = seed;
    g.duplicate_email_rate = 0.05;
    g.disabled_rate = 0.1;
    for (int version = 1; version <= 3; ++version) {
      g.version = version;
      bench::DirectoryGenerator gen(g);
      f.source.objects.clear();
      for (size_t i = 0; i < gen.End(); ++i) {
        if (gen.Present(i)) f.source.objects.push_back(engine_test::GeneratedObject(gen.User(i)));
      }
      RunOutcome first = f.Run(RunKind::kSync);
      size_t total = 0;
      for (size_t n : first.plan.Summary()) total += n;
      EXPECT_EQ(total, first.plan.items.size());
      RunOutcome second = f.Run(RunKind::kSync);
      std::string pending;
      for (const auto& item : second.plan.items) {
        if (item.action == Action::kUnchanged || item.action == Action::kError ||
            item.action == Action::kConflict || item.action == Action::kSkip) {
          continue;
        }
        pending += std::string(ActionName(item.action)) + " " + item.username + " " + item.reason;
        for (const auto& c : item.changes) {
          pending += " [" + c.field + ": " + c.old_value + " -> " + c.new_value + "]";
        }
        pending += "\n";
      }
      for (const auto& d : second.plan.departments) {
        if (d.action != Action::kUnchanged) {
          pending += "department " + d.target.name;
          for (const auto& c : d.changes)
            pending += " [" + c.field + ": " + c.old_value + " -> " + c.new_value + "]";
          pending += "\n";
        }
      }
      EXPECT_TRUE(second.plan.IsNoop()) << "seed " << seed << " version " << version << "\n"
                                        << pending;
      EXPECT_EQ(second.applied.statements, 0u);
    }
  }
}

struct DeltaFixture {
  Profile profile = TestProfile();
  DeltaSource source;
  std::unique_ptr<Store> store = std::move(OpenStore(":memory:")).value();
  int64_t now = 1'800'000'000;

  DeltaFixture() {
    profile.source = GraphSourceConfig{};
    for (int i = 1; i <= 5; ++i) source.Set(GraphUser(i));
  }
  RunOutcome Run(RunKind kind) {
    EngineOptions o;
    o.kind = kind;
    o.now = now;
    o.threads = 2;
    auto r = ExecuteRun(profile, source, *store, o);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
    return std::move(r).value();
  }
  size_t Count(Action a, const RunOutcome& r) { return r.plan.Summary()[static_cast<size_t>(a)]; }
  size_t Mirror() { return *store->CountMirror("acme", "main", ObjectKind::kUser); }
};

TEST(EngineTest, DeltaReadPlansOnlyWhatChangedSoUnsentUsersStay) {
  DeltaFixture f;
  RunOutcome first = f.Run(RunKind::kSync);
  EXPECT_EQ(f.Count(Action::kCreate, first), 5u);
  EXPECT_EQ(f.Mirror(), 5u);
  EXPECT_EQ(first.run.message, "full read");

  f.source.Set(GraphUser(2, "Boss"));
  f.source.Remove("id-3");
  f.source.Set(GraphUser(6));
  RunOutcome delta = f.Run(RunKind::kSync);
  EXPECT_EQ(f.source.cursors_seen.back(), "gen:6");
  EXPECT_EQ(delta.run.message,
            "delta read: 2 changed, 1 removed; planned alone: 3 users, the rest left as they are");
  EXPECT_EQ(f.Count(Action::kUpdate, delta), 1u);
  EXPECT_EQ(f.Count(Action::kDelete, delta), 1u);
  EXPECT_EQ(f.Count(Action::kCreate, delta), 1u);
  EXPECT_EQ(f.Count(Action::kUnchanged, delta), 0u);  // the others are not planned at all
  EXPECT_EQ(delta.plan.items.size(), 3u);
  EXPECT_EQ(f.Mirror(), 5u);
  EXPECT_EQ(f.store->ListUsers("acme", 0, 0)->size(), 5u);

  // Nothing changed since: an empty delta plans nothing away.
  RunOutcome quiet = f.Run(RunKind::kSync);
  EXPECT_EQ(f.source.cursors_seen.back(), "gen:9");
  EXPECT_TRUE(quiet.plan.IsNoop());
  EXPECT_TRUE(quiet.plan.items.empty());
  EXPECT_TRUE(quiet.plan.complete);
  EXPECT_EQ(quiet.applied.statements, 0u);

  // A changed mapping: the stored users were planned under other settings, so the next
  // delta plans everyone once, on the mirror, and then deltas are planned alone again.
  f.profile.mapping["job_title"] = "upper({jobTitle})";
  f.source.Set(GraphUser(1, "Lead"));
  RunOutcome remapped = f.Run(RunKind::kSync);
  EXPECT_EQ(remapped.run.message, "delta read: 1 changed, 0 removed");
  EXPECT_EQ(f.Count(Action::kUpdate, remapped), 5u);
  EXPECT_EQ((*f.store->FindUser("acme", "user5"))->fields.Get(Field::kJobTitle), "SELLER");
  f.source.Set(GraphUser(4, "Lead"));
  RunOutcome again = f.Run(RunKind::kSync);
  EXPECT_EQ(again.plan.items.size(), 1u) << again.run.message;
  EXPECT_EQ((*f.store->FindUser("acme", "user4"))->fields.Get(Field::kJobTitle), "LEAD");
}

TEST(EngineTest, AnIncrementalRunPlansAgainTheUsersWaitingForAValue) {
  DeltaFixture f;
  SourceObject twin = GraphUser(7);
  twin.attributes.clear();
  twin.Add("givenName", "Twin");
  twin.Add("surname", "Seven");
  twin.Add("displayName", "Twin Seven");
  twin.Add("mail", "user1@contoso.example");  // user 1's address
  twin.Add("mailNickname", "twin7");
  twin.Add("businessPhones", "+46 8 52000007");
  f.source.Set(twin);
  RunOutcome first = f.Run(RunKind::kSync);
  EXPECT_EQ(f.Count(Action::kConflict, first), 1u);
  EXPECT_EQ(f.Count(Action::kCreate, first), 5u);

  // Nothing changed about the twin: a quiet delta still reports its conflict, as a full
  // run would, and nothing else.
  RunOutcome quiet = f.Run(RunKind::kSync);
  ASSERT_EQ(quiet.plan.items.size(), 1u) << quiet.run.message;
  EXPECT_EQ(quiet.plan.items[0].action, Action::kConflict);
  EXPECT_EQ(quiet.exit_code, kExitUserErrors);

  // User 1 changes address: the twin, unchanged itself, now gets its own.
  SourceObject moved = GraphUser(1);
  moved.attributes.erase(std::remove_if(moved.attributes.begin(), moved.attributes.end(),
                                        [](const auto& a) { return a.first == "mail"; }),
                         moved.attributes.end());
  moved.Add("mail", "first@contoso.example");
  f.source.Set(moved);
  RunOutcome freed = f.Run(RunKind::kSync);
  EXPECT_EQ(f.Count(Action::kCreate, freed), 1u) << freed.run.message;
  EXPECT_EQ(f.Count(Action::kUpdate, freed), 1u);
  EXPECT_EQ(freed.exit_code, kExitOk);
  EXPECT_TRUE(f.store->FindUser("acme", "twin7")->has_value());
  RunOutcome settled = f.Run(RunKind::kSync);
  EXPECT_TRUE(settled.plan.items.empty()) << settled.run.message;
}

TEST(EngineTest, PreviewOfADeltaMovesNeitherCursorNorMirror) {
  DeltaFixture f;
  f.Run(RunKind::kSync);
  f.source.Set(GraphUser(1, "Boss"));
  RunOutcome preview = f.Run(RunKind::kPreview);
  EXPECT_EQ(f.Count(Action::kUpdate, preview), 1u);
  RunOutcome sync = f.Run(RunKind::kSync);
  // The sync asks from the same cursor as the preview did and sees the same change.
  ASSERT_EQ(f.source.cursors_seen.size(), 3u);
  EXPECT_EQ(f.source.cursors_seen[1], f.source.cursors_seen[2]);
  EXPECT_EQ(f.Count(Action::kUpdate, sync), 1u);
  EXPECT_EQ((*f.store->GetMirrorEntry("acme", "main", ObjectKind::kUser, "id-1"))
                ->object.First("jobTitle"),
            "Boss");
}

TEST(EngineTest, IncompleteDeltaDeletesNothingAndIsReadAgain) {
  DeltaFixture f;
  f.Run(RunKind::kSync);
  f.source.Remove("id-1");
  f.source.Set(GraphUser(2, "Boss"));
  f.source.stop_after = 1;
  RunOutcome broken = f.Run(RunKind::kSync);
  EXPECT_FALSE(broken.plan.complete);
  EXPECT_EQ(f.Count(Action::kDelete, broken), 0u);
  EXPECT_EQ(f.Mirror(), 5u);
  EXPECT_EQ(f.store->ListUsers("acme", 0, 0)->size(), 5u);
  f.source.stop_after = SIZE_MAX;
  RunOutcome healed = f.Run(RunKind::kSync);
  EXPECT_EQ(f.source.cursors_seen[1], f.source.cursors_seen[2]);
  EXPECT_EQ(f.Count(Action::kDelete, healed), 1u);
  EXPECT_EQ(f.Count(Action::kUpdate, healed), 1u);
  EXPECT_EQ(f.Mirror(), 4u);
}

TEST(EngineTest, FullReadOnScheduleAndWhenTheCursorExpires) {
  DeltaFixture f;
  f.profile.source.As<GraphSourceConfig>()->full_read_every_hours = 24;
  f.Run(RunKind::kSync);
  f.now += 3600;
  f.Run(RunKind::kSync);
  EXPECT_FALSE(f.source.cursors_seen.back().empty());
  f.now += 24 * 3600;
  RunOutcome full = f.Run(RunKind::kSync);
  EXPECT_TRUE(f.source.cursors_seen.back().empty());
  EXPECT_EQ(full.run.message, "full read");

  // An expired delta link: the source reads everything, and the mirror is replaced by it.
  f.now += 3600;
  f.source.expired = true;
  f.source.directory.erase("id-4");  // gone without a change record: only a full read sees it
  RunOutcome fallback = f.Run(RunKind::kSync);
  EXPECT_FALSE(f.source.cursors_seen.back().empty());
  EXPECT_EQ(fallback.run.message, "full read (the delta cursor could not be used)");
  EXPECT_EQ(f.Count(Action::kDelete, fallback), 1u);
  EXPECT_EQ(f.Mirror(), 4u);
}

TEST(EngineTest, SyncMirrorPlansOnlyTheTouchedObjects) {
  Profile profile = TestProfile();
  profile.source = GraphSourceConfig{};  // Graph-named attributes, as GraphUser writes them
  auto store = std::move(OpenStore(":memory:")).value();
  auto put = [&](const SourceObject& o) {
    auto w = store->BeginMirrorWrite("acme", "main", MirrorWriteMode::kPatch, 1);
    ASSERT_TRUE(w.ok());
    MirrorEntry e;
    e.object = o;
    ASSERT_TRUE((*w)->Put(e).ok());
    ASSERT_TRUE((*w)->Commit().ok());
  };
  EngineOptions o;
  o.kind = RunKind::kSync;
  o.trigger = "scim";
  o.now = 1'800'000'000;
  o.threads = 1;
  for (int i = 1; i <= 3; ++i) put(GraphUser(i));
  auto all = SyncMirror(profile, *store, {}, o);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->plan.Summary()[static_cast<size_t>(Action::kCreate)], 3u);
  EXPECT_EQ(all->run.trigger, "scim");

  put(GraphUser(4));
  put(GraphUser(1, "Boss"));  // in the mirror, but not in this batch
  // A run of the few objects a request touched is no estimate of the directory's size.
  std::vector<Progress> reads;
  o.on_progress = [&](const Progress& p) {
    if (p.phase == "read") reads.push_back(p);
  };
  auto one = SyncMirror(profile, *store, {"id-4"}, o);
  o.on_progress = nullptr;
  ASSERT_TRUE(one.ok());
  ASSERT_FALSE(reads.empty());
  for (const Progress& p : reads) EXPECT_FALSE(p.estimated);
  EXPECT_EQ(reads.back().done, 1u);
  EXPECT_EQ(reads.back().total, 1u);
  ASSERT_EQ(one->plan.items.size(), 1u);
  EXPECT_EQ(one->plan.items[0].action, Action::kCreate);
  EXPECT_EQ(store->ListUsers("acme", 0, 0)->size(), 4u);

  auto w = store->BeginMirrorWrite("acme", "main", MirrorWriteMode::kPatch, 2);
  ASSERT_TRUE((*w)->Remove(ObjectKind::kUser, "id-2").ok());
  ASSERT_TRUE((*w)->Commit().ok());
  auto gone = SyncMirror(profile, *store, {"id-2"}, o);
  ASSERT_TRUE(gone.ok());
  ASSERT_EQ(gone->plan.items.size(), 1u);
  EXPECT_EQ(gone->plan.items[0].action, Action::kDelete);
  EXPECT_EQ(store->ListUsers("acme", 0, 0)->size(), 3u);
  EXPECT_EQ((*store->FindUser("acme", "user1"))->fields.Get(Field::kJobTitle), "Seller");
}

// Issue 14 items 3 and 4, on a file store shared by two connections (two processes).
// Issue 20 §3: every phase reports, in order, with its numbers; the read's total is the
// previous run's count, marked estimated, until the read ends and knows it.
TEST(EngineTest, ProgressReportsEveryPhaseWithItsNumbers) {
  Fixture f;
  constexpr size_t kUsers = 5000;  // three batches of the read pipeline
  for (size_t i = 0; i < kUsers; ++i) f.source.objects.push_back(GraphUser(static_cast<int>(i)));
  auto run = [&](RunKind kind) {
    std::vector<Progress> seen;
    EngineOptions o;
    o.kind = kind;
    o.now = 1'800'000'000;
    o.threads = 2;
    o.on_progress = [&](const Progress& p) { seen.push_back(p); };
    auto outcome = ExecuteRun(f.profile, f.source, *f.store, o);
    EXPECT_TRUE(outcome.ok());
    return seen;
  };
  auto phases = [](const std::vector<Progress>& seen) {
    std::vector<std::string> out;
    for (const auto& p : seen) {
      if (out.empty() || out.back() != p.phase) out.push_back(p.phase);
    }
    return out;
  };
  auto last_of = [](const std::vector<Progress>& seen, const std::string& phase) {
    Progress last;
    for (const auto& p : seen) {
      if (p.phase == phase) last = p;
    }
    return last;
  };

  const std::vector<Progress> first = run(RunKind::kSync);
  EXPECT_EQ(phases(first), (std::vector<std::string>{"read", "map", "plan", "apply", "record"}));
  EXPECT_EQ(first.front().phase, "read");
  EXPECT_EQ(first.front().total, 0u);  // no previous run: unknown
  EXPECT_FALSE(first.front().estimated);
  const Progress read = last_of(first, "read");
  EXPECT_EQ(read.done, kUsers);
  EXPECT_EQ(read.total, kUsers);
  EXPECT_FALSE(read.estimated);
  const Progress map = last_of(first, "map");
  EXPECT_EQ(map.done, kUsers);
  EXPECT_EQ(map.total, kUsers);
  EXPECT_EQ(last_of(first, "plan").done, kUsers);
  const Progress apply = last_of(first, "apply");
  EXPECT_EQ(apply.done, kUsers);  // every user created
  EXPECT_EQ(apply.total, kUsers);
  EXPECT_EQ(last_of(first, "record").done, kUsers);
  // Reported per batch, never per object.
  EXPECT_LT(first.size(), 20u);

  // The next run's read is measured against the last run's count, an estimate.
  f.source.objects.resize(kUsers - 1000);
  const std::vector<Progress> second = run(RunKind::kPreview);
  EXPECT_EQ(phases(second), (std::vector<std::string>{"read", "map", "plan", "record"}));
  EXPECT_EQ(second.front().total, kUsers);
  EXPECT_TRUE(second.front().estimated);
  EXPECT_EQ(last_of(second, "read").total, kUsers - 1000);
  EXPECT_FALSE(last_of(second, "read").estimated);
}

// A source that measures its own read (a file's bytes) replaces the object count.
TEST(EngineTest, ProgressOfASourceThatReportsItsOwnReadIsPassedOn) {
  class BytesSource : public FakeSource {
   public:
    ReadResult Read(const ReadRequest& request, const ObjectSink& sink,
                    const ProblemSink& on_problem) override {
      if (request.on_progress) request.on_progress({"read", 0, 300, false, "bytes"});
      ReadResult r = FakeSource::Read(request, sink, on_problem);
      if (request.on_progress) request.on_progress({"read", 300, 300, false, "bytes"});
      return r;
    }
  };
  Fixture f;
  BytesSource source;
  for (int i = 0; i < 3000; ++i) source.objects.push_back(GraphUser(i));
  std::vector<Progress> reads;
  EngineOptions o;
  o.kind = RunKind::kPreview;
  o.now = 1'800'000'000;
  o.on_progress = [&](const Progress& p) {
    if (p.phase == "read") reads.push_back(p);
  };
  ASSERT_TRUE(ExecuteRun(f.profile, source, *f.store, o).ok());
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0].unit, "bytes");
  EXPECT_EQ(reads[1].done, 300u);
  EXPECT_EQ(reads[1].total, 300u);
}

class EngineLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/engine_lock_" + std::to_string(getpid()) + ".db";
    Clean();
    store_ = std::move(OpenStore(path_)).value();
    other_ = std::move(OpenStore(path_)).value();
    for (int i = 1; i <= 3; ++i) source_.objects.push_back(GraphUser(i));
  }
  void TearDown() override {
    store_.reset();
    other_.reset();
    Clean();
  }
  void Clean() {
    for (const char* suffix : {"", "-wal", "-shm", "-locks/acme~main.lock"})
      std::remove((path_ + suffix).c_str());
    std::remove((path_ + "-locks").c_str());
  }
  Result<RunOutcome> Sync(Store& store, int lock_wait = 0) {
    EngineOptions o;
    o.kind = RunKind::kSync;
    o.now = 1'800'000'000;
    o.threads = 1;
    o.lock_wait_seconds = lock_wait;
    return ExecuteRun(profile_, source_, store, o);
  }
  std::string path_;
  Profile profile_ = TestProfile();
  FakeSource source_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Store> other_;
};

TEST_F(EngineLockTest, ASecondRunOfTheProfileIsRefusedNamingTheFirst) {
  // Another process runs acme/main: it holds the lock and its run is recorded as running.
  auto held = other_->LockProfileRuns("acme", "main", false, 1'800'000'000);
  ASSERT_TRUE(held.ok());
  telsync::Run running;
  running.tenant = "acme";
  running.profile = "main";
  running.kind = RunKind::kSync;
  running.status = RunStatus::kRunning;
  const int64_t id = *other_->CreateRun(running);
  auto refused = Sync(*store_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);  // busy: retrying helps
  EXPECT_NE(
      refused.error().message.find("a run of acme/main is in progress (run " + std::to_string(id) +
                                   ", pid " + std::to_string(getpid()) + " on "),
      std::string::npos)
      << refused.error().message;
  EXPECT_EQ(store_->GetRun("acme", id)->status, RunStatus::kRunning);  // not touched
  EXPECT_TRUE(store_->LoadSnapshot("acme", "main")->users.empty());    // nothing applied
}

TEST_F(EngineLockTest, ARunLeftRunningByAProcessThatEndedIsClosedAsFailed) {
  // A process created its run and died: the run says running, nobody holds the lock.
  telsync::Run left;
  left.tenant = "acme";
  left.profile = "main";
  left.kind = RunKind::kSync;
  left.status = RunStatus::kRunning;
  left.started_at = 1'799'999'000;
  const int64_t id = *other_->CreateRun(left);
  auto next = Sync(*store_);
  ASSERT_TRUE(next.ok()) << next.error().ToString();
  EXPECT_EQ(next->run.status, RunStatus::kSuccess);
  Result<telsync::Run> closed = store_->GetRun("acme", id);
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->status, RunStatus::kFailed);
  EXPECT_NE(closed->message.find("the process ended before the run finished"), std::string::npos);
  EXPECT_EQ(closed->finished_at, 1'800'000'000);
}

// Issue 14 item 3: on SQLite a run's items are in the history before the first change is
// applied, so a run that dies mid-apply still lists what it set out to change.
TEST_F(EngineLockTest, RunItemsAreRecordedBeforeTheApplyStarts) {
  EngineOptions o;
  o.kind = RunKind::kSync;
  o.now = 1'800'000'000;
  o.threads = 1;
  size_t seen_before_apply = 0;
  int64_t run_id = 0;
  o.on_run_created = [&](int64_t id) { run_id = id; };
  o.on_progress = [&](const Progress& p) {
    if (p.phase != "apply" || p.done != 0) return;
    auto items = other_->GetRunItems("acme", run_id, std::nullopt);  // another connection
    if (items.ok()) seen_before_apply = items->size();
  };
  auto outcome = ExecuteRun(profile_, source_, *store_, o);
  ASSERT_TRUE(outcome.ok()) << outcome.error().ToString();
  EXPECT_EQ(seen_before_apply, 3u);
  EXPECT_EQ(outcome->applied.users_written, 3u);
}

}  // namespace
}  // namespace telsync
