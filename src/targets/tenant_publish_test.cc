// PublishTenantTargets (targets/tenant_publish.h) on a real SQLite file store with a
// Kamailio target whose database is missing (a target that is down): the periodic pass
// honours the back-off, and a target whose lock another publisher holds is skipped.
#include "targets/tenant_publish.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

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

}  // namespace
}  // namespace telsync
