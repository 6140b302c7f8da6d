#include "admin/targets.h"

#include <gtest/gtest.h>

#include "admin/admin_test_store.h"
#include "targets/tenant_publish.h"

namespace telsync::admin {
namespace {

class TargetsTest : public AdminStoreTest {
 protected:
  void SetUp() override {
    AdminStoreTest::SetUp();
    TargetConfig sip;
    sip.name = "sip";
    sip.type = "kamailio";
    sip.db = "sqlite://" + dir_ + "/missing/kamailio.db";  // down: the database is not there
    sip.domain = "sip.test";
    targets_.push_back(sip);
  }
  std::vector<TargetConfig> targets_;
  SecretKey key_ = SecretKey::FromBytes({});
};

TEST_F(TargetsTest, DeadEventsComeInPagesOldestFirst) {
  for (int64_t seq = 1; seq <= 5; ++seq) {
    DeadEvent d;
    d.target = "sip";
    d.event.seq = seq;
    d.event.tenant = "acme";
    d.event.kind = "user_created";
    d.event.object_key = "user:" + std::to_string(seq);
    d.error = "refused";
    d.dead_at = 100 + seq;
    ASSERT_TRUE(store_->AddDeadEvent(d).ok());
  }
  auto page = ListDeadEvents(*store_, "acme", targets_, "sip", 2, 3);
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  EXPECT_EQ(page->total, 5u);
  ASSERT_EQ(page->events.size(), 2u);
  EXPECT_EQ(page->events[0].event.seq, 4);
  EXPECT_EQ(page->events[1].event.seq, 5);
  EXPECT_EQ(DeadEventJson(page->events[0])["object"], "user:4");
  auto past = ListDeadEvents(*store_, "acme", targets_, "sip", 2, 9);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->events.empty());
  auto statuses = TargetStatuses(*store_, "acme", targets_);
  ASSERT_TRUE(statuses.ok());
  EXPECT_EQ(TargetStatusJson((*statuses)[0])["dead"], 5);
  auto other = ListDeadEvents(*store_, "acme", targets_, "nope", 2, 0);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(other.error().field, "target");
}

TEST_F(TargetsTest, ATargetThatIsDownIsAReportNotAnErrorAndShowsItsBackoff) {
  PublishNowOptions options;
  options.now = 1000;
  options.dry_run = true;
  auto invalid = PublishNow(*store_, "acme", targets_, "sip", key_, options);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().field, "dry_run");
  options.dry_run = false;
  auto report = PublishNow(*store_, "acme", targets_, "sip", key_, options);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_NE(report->error, "");
  auto statuses = TargetStatuses(*store_, "acme", targets_);
  ASSERT_TRUE(statuses.ok());
  const auto j = TargetStatusJson((*statuses)[0]);
  EXPECT_EQ(j["published"], false);  // it failed its first reconcile: the next one reconciles
  EXPECT_EQ(j["attempts"], 1);
  EXPECT_EQ(j["backoff_until"], 1000 + BackoffSeconds(1));
  EXPECT_EQ(j["last_error"], report->error);
  EXPECT_EQ(PublishReportJson(*report, false)["backoff_until"], 1000 + BackoffSeconds(1));
}

TEST_F(TargetsTest, AnotherPublisherHoldingTheTargetIsAConflict) {
  auto other = OpenStore(dir_ + "/store.db", StoreOpen::kMustExist);
  ASSERT_TRUE(other.ok());
  auto held = (*other)->LockProfileRuns("acme", TargetLockName("sip"), false, 1);
  ASSERT_TRUE(held.ok());
  PublishNowOptions options;
  options.now = 2;
  auto report = PublishNow(*store_, "acme", targets_, "sip", key_, options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, ErrorCode::kConflict);
  EXPECT_NE(report.error().message.find("being published now"), std::string::npos);
  auto retry = RetryTarget(*store_, "acme", targets_, "sip", key_, 2);
  ASSERT_FALSE(retry.ok());
  EXPECT_EQ(retry.error().code, ErrorCode::kConflict);
}

}  // namespace
}  // namespace telsync::admin
