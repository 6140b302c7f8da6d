#include "store/sqlite/sqlite_jobs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

#include "store/sqlite/sqlite_store.h"

namespace telsync {
namespace {

JobRecord Job(const std::string& tenant, const std::string& profile, int64_t created = 100) {
  JobRecord j;
  j.tenant = tenant;
  j.profile = profile;
  j.trigger = "schedule";
  j.created_at = created;
  return j;
}

class SqliteJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenSqliteStore(":memory:");
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    store_ = std::move(*opened);
  }
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteJobsTest, OneUnfinishedJobPerProfile) {
  auto first = store_->EnqueueJob(Job("acme", "entra"));
  ASSERT_TRUE(first.ok());
  auto second = store_->EnqueueJob(Job("acme", "entra"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kConflict);
  EXPECT_NE(second.error().message.find("job " + std::to_string(*first)), std::string::npos);
  // Another profile, another tenant: free.
  EXPECT_TRUE(store_->EnqueueJob(Job("acme", "ldap")).ok());
  EXPECT_TRUE(store_->EnqueueJob(Job("globex", "entra")).ok());
}

TEST_F(SqliteJobsTest, EachScheduledOccurrenceIsQueuedOnce) {
  JobRecord scheduled = Job("acme", "entra");
  scheduled.slot = 7200;
  auto id = store_->EnqueueJob(scheduled);
  ASSERT_TRUE(id.ok());
  auto claimed = store_->ClaimJob("w1", 7200, 30, 0);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  JobRecord done = **claimed;
  EXPECT_EQ(done.slot, 7200);
  done.state = JobState::kDone;
  ASSERT_TRUE(store_->FinishJob(done).ok());
  // A second process's scheduler reaches the same occurrence after the run finished.
  auto again = store_->EnqueueJob(scheduled);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  scheduled.slot = 10800;
  EXPECT_TRUE(store_->EnqueueJob(scheduled).ok());
}

TEST_F(SqliteJobsTest, ClaimFinishAndEnqueueAgain) {
  auto id = store_->EnqueueJob(Job("acme", "entra"));
  ASSERT_TRUE(id.ok());
  auto claimed = store_->ClaimJob("w1", 1000, 30, 0);
  ASSERT_TRUE(claimed.ok());
  ASSERT_TRUE(claimed->has_value());
  JobRecord job = **claimed;
  EXPECT_EQ(job.id, *id);
  EXPECT_EQ(job.state, JobState::kRunning);
  EXPECT_EQ(job.worker, "w1");
  EXPECT_EQ(job.lease_until, 1030);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.trigger, "schedule");
  // Nothing else is ready.
  auto none = store_->ClaimJob("w2", 1001, 30, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(store_->HeartbeatJob(job.id, "w1", 1060, 7, R"({"read":10})").ok());
  job.state = JobState::kDone;
  job.finished_at = 1050;
  job.exit_code = 0;
  ASSERT_TRUE(store_->FinishJob(job).ok());
  auto stored = store_->GetJob("acme", job.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, JobState::kDone);
  EXPECT_EQ(stored->run_id, 7);
  EXPECT_EQ(stored->progress, R"({"read":10})");
  EXPECT_EQ(stored->finished_at, 1050);
  // Finished: the profile can be queued again; a finished job cannot be finished twice.
  EXPECT_TRUE(store_->EnqueueJob(Job("acme", "entra")).ok());
  EXPECT_EQ(store_->FinishJob(job).error().code, ErrorCode::kConflict);
}

TEST_F(SqliteJobsTest, ExpiredLeaseIsTakenOverAndTheOldWorkerLosesIt) {
  ASSERT_TRUE(store_->EnqueueJob(Job("acme", "entra")).ok());
  auto first = store_->ClaimJob("w1", 1000, 30, 0);
  ASSERT_TRUE(first.ok() && first->has_value());
  // Lease live at 1030: not ready.
  auto early = store_->ClaimJob("w2", 1030, 30, 0);
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->has_value());
  auto late = store_->ClaimJob("w2", 1031, 30, 0);
  ASSERT_TRUE(late.ok() && late->has_value());
  EXPECT_EQ((*late)->id, (*first)->id);
  EXPECT_EQ((*late)->worker, "w2");
  EXPECT_EQ((*late)->attempts, 2);
  Status beat = store_->HeartbeatJob((*first)->id, "w1", 2000, 0, "");
  EXPECT_EQ(beat.error().code, ErrorCode::kConflict);
  JobRecord stale = **first;
  stale.state = JobState::kFailed;
  EXPECT_EQ(store_->FinishJob(stale).error().code, ErrorCode::kConflict);
}

TEST_F(SqliteJobsTest, FairBetweenTenantsAndCapped) {
  // acme queued three profiles first; globex one later.
  ASSERT_TRUE(store_->EnqueueJob(Job("acme", "a")).ok());
  ASSERT_TRUE(store_->EnqueueJob(Job("acme", "b")).ok());
  ASSERT_TRUE(store_->EnqueueJob(Job("acme", "c")).ok());
  ASSERT_TRUE(store_->EnqueueJob(Job("globex", "a")).ok());
  auto c1 = store_->ClaimJob("w", 1000, 60, 2);
  ASSERT_TRUE(c1.ok() && c1->has_value());
  EXPECT_EQ((*c1)->tenant, "acme");
  // acme has one running: globex (none running) goes next although its job is newer.
  auto c2 = store_->ClaimJob("w", 1000, 60, 2);
  ASSERT_TRUE(c2.ok() && c2->has_value());
  EXPECT_EQ((*c2)->tenant, "globex");
  auto c3 = store_->ClaimJob("w", 1000, 60, 2);
  ASSERT_TRUE(c3.ok() && c3->has_value());
  EXPECT_EQ((*c3)->tenant, "acme");
  // acme is at its cap of 2: its third job waits.
  auto c4 = store_->ClaimJob("w", 1000, 60, 2);
  ASSERT_TRUE(c4.ok());
  EXPECT_FALSE(c4->has_value());
  JobRecord done = **c1;
  done.state = JobState::kDone;
  ASSERT_TRUE(store_->FinishJob(done).ok());
  auto c5 = store_->ClaimJob("w", 1000, 60, 2);
  ASSERT_TRUE(c5.ok() && c5->has_value());
  EXPECT_EQ((*c5)->profile, "c");
}

TEST_F(SqliteJobsTest, TwoProcessesNeverClaimTheSameJob) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("telsync-jobs-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  {
    auto store = OpenSqliteStore(path.string());
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 60; ++i) {
      ASSERT_TRUE(
          (*store)->EnqueueJob(Job("t" + std::to_string(i % 7), "p" + std::to_string(i))).ok());
    }
  }
  std::vector<std::vector<int64_t>> claimed(2);
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      auto store = OpenSqliteStore(path.string());
      if (!store.ok()) return;
      for (;;) {
        auto job = (*store)->ClaimJob("w" + std::to_string(w), 1000, 600, 0);
        if (!job.ok() || !job->has_value()) return;
        claimed[static_cast<size_t>(w)].push_back((*job)->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> all;
  for (const auto& ids : claimed)
    for (int64_t id : ids) EXPECT_TRUE(all.insert(id).second) << "job " << id << " claimed twice";
  EXPECT_EQ(all.size(), 60u);
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

TEST_F(SqliteJobsTest, StoredProfilesAreVersioned) {
  StoredProfile p{"acme", "entra", "source: {type: file}", 0, 0, 0};
  auto v1 = store_->PutStoredProfile(p, 0, 100);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(*v1, 1);
  EXPECT_EQ(store_->PutStoredProfile(p, 0, 101).error().code, ErrorCode::kConflict);
  p.document = "source: {type: ldap}";
  auto v2 = store_->PutStoredProfile(p, 1, 102);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(*v2, 2);
  EXPECT_EQ(store_->PutStoredProfile(p, 1, 103).error().code, ErrorCode::kConflict);
  auto got = store_->GetStoredProfile("acme", "entra");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->document, "source: {type: ldap}");
  EXPECT_EQ((*got)->created_at, 100);
  EXPECT_EQ((*got)->updated_at, 102);
  auto other = store_->GetStoredProfile("globex", "entra");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
  EXPECT_EQ(store_->ListStoredProfiles("acme")->size(), 1u);
  EXPECT_EQ(store_->ListStoredProfiles("globex")->size(), 0u);
  EXPECT_EQ(store_->DeleteStoredProfile("globex", "entra").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->DeleteStoredProfile("acme", "entra").ok());
  StoredProfile missing{"acme", "nope", "x", 0, 0, 0};
  EXPECT_EQ(store_->PutStoredProfile(missing, 3, 104).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace telsync
