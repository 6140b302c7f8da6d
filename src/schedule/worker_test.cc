#include "schedule/worker.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "schedule/schedule_loop.h"

namespace telsync {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A tenant with one file profile of three users, on a store file shared by connections.
class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("telsync-worker-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    json users = json::array();
    for (int i = 1; i <= 3; ++i) {
      users.push_back({{"id", "00000000-0000-4000-8000-00000000000" + std::to_string(i)},
                       {"accountEnabled", true},
                       {"displayName", "User " + std::to_string(i)},
                       {"givenName", "User"},
                       {"surname", "N" + std::to_string(i)},
                       {"mail", "user" + std::to_string(i) + "@contoso.example"},
                       {"userPrincipalName", "user" + std::to_string(i) + "@contoso.example"},
                       {"businessPhones", {"+46 8 5000000" + std::to_string(i)}}});
    }
    std::ofstream(dir_ / "directory.json") << json{{"value", users}}.dump();
    spec_ = (dir_ / "telsync.db").string();
    config_.store = spec_;
    Tenant t;
    t.name = "acme";
    Profile p;
    p.tenant = "acme";
    p.name = "main";
    p.source = FileSourceConfig{(dir_ / "directory.json").string(), "json"};
    p.schedules = {"0 * * * *"};  // hourly
    t.profiles.push_back(p);
    config_.tenants.push_back(t);
    catalog_ = std::make_unique<ProfileCatalog>(config_);
    auto opened = OpenStore(spec_);
    ASSERT_TRUE(opened.ok());
    store_ = std::move(*opened);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  WorkerOptions Options() {
    WorkerOptions o;
    o.name = "w";
    o.threads = 1;
    o.poll = std::chrono::milliseconds(10);
    o.clock = [this] { return now_.load(); };
    const std::string spec = spec_;
    o.open_store = [spec] { return OpenStore(spec); };
    o.catalog = catalog_.get();
    o.notify = false;
    o.engine_threads = 1;
    return o;
  }

  JobRecord WaitFinished(int64_t id) {
    for (int i = 0; i < 500; ++i) {
      auto job = store_->GetJob("acme", id);
      if (job.ok() && (job->state == JobState::kDone || job->state == JobState::kFailed))
        return *job;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "job " << id << " did not finish";
    return {};
  }

  fs::path dir_;
  std::string spec_;
  Config config_;
  std::unique_ptr<ProfileCatalog> catalog_;
  std::unique_ptr<Store> store_;
  std::atomic<int64_t> now_{1790000000};
};

TEST_F(WorkerTest, RunsAQueuedJobAndRecordsItsRun) {
  JobRecord job;
  job.tenant = "acme";
  job.profile = "main";
  job.trigger = "api";
  auto id = store_->EnqueueJob(job);
  ASSERT_TRUE(id.ok());
  WorkerPool pool(Options());
  pool.Start();
  pool.Wake();
  JobRecord done = WaitFinished(*id);
  pool.Stop();
  EXPECT_EQ(done.state, JobState::kDone);
  EXPECT_EQ(done.exit_code, 0);
  ASSERT_GT(done.run_id, 0);
  auto run = store_->GetRun("acme", done.run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kSuccess);
  EXPECT_EQ(run->trigger, "api");
  EXPECT_EQ(store_->ListUsers("acme", 10, 0)->size(), 3u);
  // The job's last progress is the run's last phase, finished.
  const auto progress = nlohmann::json::parse(done.progress);
  EXPECT_EQ(progress["phase"], "record");
  EXPECT_EQ(progress["done"], progress["total"]);
  EXPECT_EQ(progress["estimated"], false);
  EXPECT_EQ(progress["eta_seconds"], 0);
}

TEST(WorkerProgressTest, JobProgressJsonHasThePhaseNumbersRateAndEta) {
  EXPECT_EQ(ProgressJson({"read", 500, 2000, true}, {125.04, 12}),
            R"({"phase":"read","done":500,"total":2000,"estimated":true,"rate":125.0,)"
            R"("eta_seconds":12,"unit":"items"})");
  EXPECT_EQ(ProgressJson({"read", 4096, 0, false, "bytes"}, {}),
            R"({"phase":"read","done":4096,"total":0,"estimated":false,"rate":0.0,)"
            R"("eta_seconds":null,"unit":"bytes"})");
}

TEST_F(WorkerTest, AJobOfAProfileThatIsGoneFailsWithTheReason) {
  JobRecord job;
  job.tenant = "acme";
  job.profile = "removed";
  auto id = store_->EnqueueJob(job);
  ASSERT_TRUE(id.ok());
  WorkerPool pool(Options());
  pool.Start();
  JobRecord failed = WaitFinished(*id);
  pool.Stop();
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.exit_code, kExitUsage);
  EXPECT_NE(failed.message.find("no longer exists"), std::string::npos);
}

TEST_F(WorkerTest, ADeadWorkersJobIsTakenOverAndItsRunClosed) {
  JobRecord job;
  job.tenant = "acme";
  job.profile = "main";
  job.trigger = "schedule";
  auto id = store_->EnqueueJob(job);
  ASSERT_TRUE(id.ok());
  // A worker claims it, records a run, and dies (no heartbeat, no finish).
  auto claimed = store_->ClaimJob("dead:1", now_, 60, 0);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  telsync::Run left;
  left.tenant = "acme";
  left.profile = "main";
  left.kind = RunKind::kSync;
  left.status = RunStatus::kRunning;
  left.started_at = now_;
  auto left_id = store_->CreateRun(left);
  ASSERT_TRUE(left_id.ok());
  ASSERT_TRUE(store_->HeartbeatJob(*id, "dead:1", now_ + 60, *left_id, "").ok());

  WorkerPool pool(Options());
  pool.Start();
  // The lease is live: nobody takes the job.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(store_->GetJob("acme", *id)->worker, "dead:1");
  now_ += 61;  // the lease ran out
  pool.Wake();
  JobRecord done = WaitFinished(*id);
  pool.Stop();
  EXPECT_EQ(done.state, JobState::kDone);
  EXPECT_EQ(done.attempts, 2);
  EXPECT_EQ(done.worker, "w:0");
  EXPECT_NE(done.run_id, *left_id);
  auto closed = store_->GetRun("acme", *left_id);
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->status, RunStatus::kFailed);
  EXPECT_NE(closed->message.find("taken over"), std::string::npos);
  // The dead worker, back, cannot record a result over the new one.
  JobRecord late = **claimed;
  late.state = JobState::kFailed;
  EXPECT_EQ(store_->FinishJob(late).error().code, ErrorCode::kConflict);
}

TEST_F(WorkerTest, EachOccurrenceIsQueuedOnceByAnyNumberOfSchedulers) {
  // 10:59:30: the hourly schedule fires at 11:00.
  now_ = 1790000000 - 1790000000 % 3600 + 3600 - 30;
  auto loop_options = [this] {
    ScheduleLoopOptions o;
    o.clock = [this] { return now_.load(); };
    const std::string spec = spec_;
    o.open_store = [spec] { return OpenStore(spec); };
    o.catalog = catalog_.get();
    o.reload = std::chrono::hours(1);
    return o;
  };
  ScheduleLoop a(loop_options());
  ScheduleLoop b(loop_options());
  EXPECT_EQ(a.RunOnce(), 0u);
  EXPECT_EQ(b.RunOnce(), 0u);
  now_ += 31;  // 11:00:01
  EXPECT_EQ(a.RunOnce(), 1u);
  EXPECT_EQ(b.RunOnce(), 0u);  // the same occurrence: already queued by a
  auto jobs = store_->ListJobs("acme", "main", 10);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  const int64_t slot = now_ - 1;
  EXPECT_EQ((*jobs)[0].slot, slot);
  EXPECT_EQ((*jobs)[0].trigger, "schedule");

  // The job is still queued at 12:00: that occurrence waits, then follows once.
  now_ += 3600;
  EXPECT_EQ(a.RunOnce(), 0u);
  auto claimed = store_->ClaimJob("x", now_, 60, 0);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  JobRecord finished = **claimed;
  finished.state = JobState::kDone;
  ASSERT_TRUE(store_->FinishJob(finished).ok());
  EXPECT_EQ(a.RunOnce(), 1u);
  EXPECT_EQ(b.RunOnce(), 0u);
  jobs = store_->ListJobs("acme", "main", 10);
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].slot, slot + 3600);

  // A scheduler started later (a restart) reads the last slot back: nothing is missed.
  ScheduleLoop restarted(loop_options());
  EXPECT_EQ(restarted.RunOnce(), 0u);
}

// The loop reads time from the injected clock alone: the first pass loads the schedules
// whatever the machine's uptime or date, and the reload timer runs on that clock. Run far
// in the past and far in the future, so nothing depends on today or on how long the
// machine has been up.
class ScheduleClockTest : public WorkerTest {
 protected:
  void RunAt(int64_t base) {
    now_ = base + 3600 - 30;  // 00:59:30: the hourly schedule fires at 01:00
    ScheduleLoopOptions o;
    o.clock = [this] { return now_.load(); };
    const std::string spec = spec_;
    o.open_store = [spec] { return OpenStore(spec); };
    o.catalog = catalog_.get();
    // Longer than any machine's uptime: a timer on the machine's clock never fires here.
    o.reload = std::chrono::hours(24 * 1000);
    ScheduleLoop loop(std::move(o));

    // The very first pass loads the schedules.
    EXPECT_EQ(loop.RunOnce(), 0u);
    ASSERT_TRUE(loop.State("acme", "main").has_value());
    now_ += 31;  // 01:00:01
    EXPECT_EQ(loop.RunOnce(), 1u);
    auto jobs = store_->ListJobs("acme", "main", 10);
    ASSERT_TRUE(jobs.ok());
    ASSERT_EQ(jobs->size(), 1u);
    EXPECT_EQ((*jobs)[0].slot, base + 3600);

    // A profile stored by another process is seen once `reload` has passed on the
    // injected clock, not before.
    const std::string document =
        "name: extra\nsource: {type: ldap, url: \"ldap://127.0.0.1:1\", user_search_dn: \"dc=x\"}\n"
        "schedules: [\"*/5 * * * *\"]\n";
    StoredProfile extra{"acme", "extra", document, 0, 0, 0};
    ASSERT_TRUE(store_->PutStoredProfile(extra, 0, now_).ok());
    now_ += 999 * 86400;  // 999 days after the last load
    loop.RunOnce();
    EXPECT_FALSE(loop.State("acme", "extra").has_value());
    now_ += 86400;  // 1000 days
    loop.RunOnce();
    std::string problems;
    for (const auto& p : catalog_->Problems()) problems += p + "\n";
    EXPECT_TRUE(loop.State("acme", "extra").has_value()) << problems;

    // A clock set back reloads at once: the stored profile removed meanwhile is dropped.
    ASSERT_TRUE(store_->DeleteStoredProfile("acme", "extra").ok());
    now_ -= 2 * 3600;
    loop.RunOnce();
    EXPECT_FALSE(loop.State("acme", "extra").has_value());
    EXPECT_TRUE(loop.State("acme", "main").has_value());
  }
};

TEST_F(ScheduleClockTest, FarInThePast) { RunAt(31536000); }      // 1971-01-01 00:00 UTC
TEST_F(ScheduleClockTest, FarInTheFuture) { RunAt(7258118400); }  // 2200-01-01 00:00 UTC

}  // namespace
}  // namespace telsync
