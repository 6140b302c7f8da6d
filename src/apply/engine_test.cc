#include "apply/engine.h"

#include <gtest/gtest.h>

#include <random>

#include "bench/lib/generator.h"

namespace telsync {
namespace {

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
        r.error = "connection reset on page 2";
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
  p.source.type = "file";
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
  // An approved run cannot be approved twice.
  RunOutcome twice = f.Run(RunKind::kSync, held.run.id);
  EXPECT_EQ(twice.exit_code, kExitUsage);
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
        if (!gen.Present(i)) continue;
        const auto u = gen.User(i);
        SourceObject o;
        o.id = u.id;
        o.Add("givenName", u.given_name);
        if (!u.surname.empty()) o.Add("surname", u.surname);
        o.Add("displayName", u.display_name);
        o.Add("mail", u.mail);
        o.Add("mailNickname", u.mail_nickname);
        if (!u.business_phone.empty()) o.Add("businessPhones", u.business_phone);
        if (!u.mobile_phone.empty()) o.Add("mobilePhone", u.mobile_phone);
        o.Add("department", u.department);
        o.Add("jobTitle", u.job_title);
        o.enabled = u.enabled;
        f.source.objects.push_back(std::move(o));
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
        if (d.action != Action::kUnchanged) pending += "department " + d.target.name + "\n";
      }
      EXPECT_TRUE(second.plan.IsNoop()) << "seed " << seed << " version " << version << "\n"
                                        << pending;
      EXPECT_EQ(second.applied.statements, 0u);
    }
  }
}

}  // namespace
}  // namespace telsync
