// PublishTenantTargets (targets/tenant_publish.h) on a real SQLite file store with a
// Kamailio target whose database is missing (a target that is down): the periodic pass
// honours the back-off, and a target whose lock another publisher holds is skipped; with a
// webhook target to a local HTTP server, the progress counts the events as they go.
#include "targets/tenant_publish.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <utility>

#include "model/fields.h"

namespace telsync {
namespace {

class TenantPublishTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("tenant_publish_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto opened = OpenStore((dir_ / "telsync.db").string());
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    store_ = std::move(*opened);
    TargetConfig sip;
    sip.name = "sip";
    sip.type = "kamailio";
    sip.db = "sqlite://" + (dir_ / "missing" / "kamailio.db").string();
    sip.domain = "sip.test";
    targets_.push_back(sip);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  TenantPublishReport Publish(int64_t now, bool only_due) {
    TenantPublishOptions options;
    options.now = now;
    options.only_due = only_due;
    return PublishTenantTargets(*store_, "acme", targets_, key_, options);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::vector<TargetConfig> targets_;
  SecretKey key_ = SecretKey::FromBytes({});
};

TEST_F(TenantPublishTest, PeriodicPassWaitsForTheBackoffOfATargetThatIsDown) {
  const int64_t t0 = 1'000'000;
  TenantPublishReport first = Publish(t0, true);  // never published: due
  ASSERT_EQ(first.targets.size(), 1u);
  ASSERT_TRUE(first.targets[0].report.has_value()) << first.targets[0].error;
  EXPECT_NE(first.targets[0].report->error, "");  // the database is missing
  EXPECT_EQ(first.targets[0].report->cursor.next_attempt_at, t0 + BackoffSeconds(1));

  TenantPublishReport waiting = Publish(t0 + BackoffSeconds(1) - 1, true);
  EXPECT_TRUE(waiting.targets[0].not_due);
  EXPECT_FALSE(waiting.targets[0].report.has_value());
  EXPECT_EQ(store_->GetTargetCursor("acme", "sip").value()->attempts, 1);

  TenantPublishReport again = Publish(t0 + BackoffSeconds(1), true);
  ASSERT_TRUE(again.targets[0].report.has_value());
  EXPECT_EQ(store_->GetTargetCursor("acme", "sip").value()->attempts, 2);

  // Without only_due (a CLI sync) the target is tried however its back-off stands.
  TenantPublishReport cli = Publish(t0 + BackoffSeconds(1) + 1, false);
  EXPECT_FALSE(cli.targets[0].not_due);
  EXPECT_TRUE(cli.targets[0].report.has_value());
}

TEST_F(TenantPublishTest, ATargetAnotherPublisherHoldsIsSkipped) {
  // Another process's connection holds the target's lock.
  auto other = OpenStore((dir_ / "telsync.db").string(), StoreOpen::kMustExist);
  ASSERT_TRUE(other.ok());
  auto held = (*other)->LockProfileRuns("acme", TargetLockName("sip"), false, 5);
  ASSERT_TRUE(held.ok()) << held.error().ToString();

  TenantPublishReport busy = Publish(10, false);
  ASSERT_EQ(busy.targets.size(), 1u);
  EXPECT_TRUE(busy.targets[0].busy);
  EXPECT_NE(busy.targets[0].busy_note.find("pid "), std::string::npos) << busy.targets[0].busy_note;
  EXPECT_FALSE(busy.targets[0].report.has_value());
  EXPECT_FALSE(store_->GetTargetCursor("acme", "sip").value().has_value());  // untouched

  held->reset();  // released: the next pass publishes it
  TenantPublishReport free = Publish(11, true);
  EXPECT_FALSE(free.targets[0].busy);
  EXPECT_TRUE(free.targets[0].report.has_value());
  // A profile's run lock is another lock: a sync of profile "sip" does not block it.
  auto profile_lock = (*other)->LockProfileRuns("acme", "sip", false, 12);
  ASSERT_TRUE(profile_lock.ok());
  EXPECT_FALSE(Publish(BackoffSeconds(1) + 20, true).targets[0].busy);
}

TEST_F(TenantPublishTest, ProgressCountsTheEventsOfEachBatchOfTheWaitingTotal) {
  // A webhook receiver that acknowledges every POST.
  httplib::Server server;
  std::atomic<int> posts{0};
  server.Post("/hook", [&](const httplib::Request&, httplib::Response& res) {
    ++posts;
    res.status = 204;
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  struct Stop {
    httplib::Server& server;
    std::thread& thread;
    ~Stop() {
      server.stop();
      thread.join();
    }
  } stop{server, serving};

  TargetConfig hook;
  hook.name = "hook";
  hook.type = "webhook";
  hook.url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  hook.secret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  hook.batch_size = 2;
  targets_.push_back(hook);  // after "sip", which is down and never published: adds nothing
  // The webhook target published before (its cursor is open), so 5 creates wait for it.
  TargetCursor cursor;
  cursor.tenant = "acme";
  cursor.target = "hook";
  cursor.last_success_at = 1;
  ASSERT_TRUE(store_->PutTargetCursor(cursor).ok());
  Plan plan;
  plan.tenant = "acme";
  plan.profile = "hr";
  plan.complete = true;
  for (int i = 0; i < 5; ++i) {
    PbxUser u;
    u.source_key = "k" + std::to_string(i);
    u.profile = "hr";
    u.fields.Set(Field::kUsername, "user" + std::to_string(i));
    PlanItem item;
    item.action = Action::kCreate;
    item.key = u.source_key;
    item.username = std::string(u.fields.Get(Field::kUsername));
    item.target = u;
    plan.items.push_back(std::move(item));
  }
  ASSERT_TRUE(store_->Apply(plan).ok());

  std::vector<std::pair<int64_t, int64_t>> seen;
  TenantPublishOptions options;
  options.now = 1000;
  options.on_events = [&](int64_t done, int64_t total) { seen.emplace_back(done, total); };
  TenantPublishReport report = PublishTenantTargets(*store_, "acme", targets_, key_, options);
  ASSERT_EQ(report.targets.size(), 2u);
  ASSERT_TRUE(report.targets[1].report.has_value()) << report.targets[1].error;
  EXPECT_EQ(report.targets[1].report->error, "");
  EXPECT_EQ(report.targets[1].report->delivered, 5);
  EXPECT_EQ(posts.load(), 5);
  // First the total, then one report a batch of 2, then the end.
  const std::vector<std::pair<int64_t, int64_t>> want = {{0, 5}, {2, 5}, {4, 5}, {5, 5}, {5, 5}};
  EXPECT_EQ(seen, want);

  // Nothing waits now: the total is 0, and so is the count.
  seen.clear();
  options.now = 1001;
  PublishTenantTargets(*store_, "acme", targets_, key_, options);
  EXPECT_EQ(seen.front(), (std::pair<int64_t, int64_t>{0, 0}));
  EXPECT_EQ(seen.back(), (std::pair<int64_t, int64_t>{0, 0}));
}

}  // namespace
}  // namespace telsync
