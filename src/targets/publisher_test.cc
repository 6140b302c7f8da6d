// The publisher (targets/publisher.h) on a real SQLite store, against an in-memory target
// that can be down or refuse users: order, retries with back-off, dead events, retry of
// dead events, the first full reconcile and compaction.
#include "targets/publisher.h"

#include <gtest/gtest.h>

#include <set>

#include "model/fields.h"

namespace telsync {
namespace {

class FakeTarget final : public Target {
 public:
  FakeTarget() {
    config_.name = "fake";
    config_.type = "fake";
    config_.batch_size = 2;  // several batches in a small outbox
    config_.dead_after_seconds = 600;
  }
  const TargetConfig& config() const override { return config_; }
  Result<std::vector<Status>> Publish(const std::vector<OutboxEvent>& events, int64_t) override {
    ++calls;
    if (down) return Error::Unavailable("fake target is down");
    std::vector<Status> out;
    for (const OutboxEvent& e : events) {
      if (refuse.count(e.user_id)) {
        out.push_back(Error::Conflict("refused", "user id " + std::to_string(e.user_id)));
      } else {
        received.push_back(e);
        out.push_back(Ok());
      }
    }
    return out;
  }
  Result<ReconcileReport> Reconcile(const std::vector<PbxUser>& users, bool dry_run,
                                    int64_t) override {
    ++reconciles;
    if (down) return Error::Unavailable("fake target is down");
    reconciled_users = users.size();
    ReconcileReport r;
    r.applied = !dry_run;
    return r;
  }

  TargetConfig config_;
  bool down = false;
  std::set<int64_t> refuse;
  std::vector<OutboxEvent> received;
  int calls = 0;
  int reconciles = 0;
  size_t reconciled_users = 0;
};

PbxUser User(const std::string& key, const std::string& name) {
  PbxUser u;
  u.source_key = key;
  u.profile = "hr";
  u.fields.Set(Field::kUsername, name);
  return u;
}

PlanItem Item(Action action, const PbxUser& user, int64_t id = 0) {
  PlanItem item;
  item.action = action;
  item.key = user.source_key;
  item.username = std::string(user.fields.Get(Field::kUsername));
  item.user_id = id;
  item.target = user;
  return item;
}

class PublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenStore(":memory:");
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    store_ = std::move(*opened);
  }
  void Apply(std::vector<PlanItem> items) {
    Plan plan;
    plan.tenant = "acme";
    plan.profile = "hr";
    plan.complete = true;
    plan.items = std::move(items);
    ASSERT_TRUE(store_->Apply(plan).ok());
  }
  // Users alice, bob, carol created, then alice changed: 4 events.
  void FourEvents() {
    Apply({Item(Action::kCreate, User("k1", "alice")), Item(Action::kCreate, User("k2", "bob")),
           Item(Action::kCreate, User("k3", "carol"))});
    PbxUser alice = *store_->FindUser("acme", "alice").value();
    alice.fields.Set(Field::kExtension, "1001");
    Apply({Item(Action::kUpdate, alice, alice.id)});
  }
  // An existing cursor at 0: the target takes events without a first reconcile.
  void StartCursor() {
    TargetCursor c;
    c.tenant = "acme";
    c.target = "fake";
    c.last_success_at = 1;
    ASSERT_TRUE(store_->PutTargetCursor(c).ok());
  }
  PublishReport Publish(int64_t now, bool full = false, bool dry_run = false) {
    PublishOptions options;
    options.now = now;
    options.full = full;
    options.dry_run = dry_run;
    auto r = PublishTarget(*store_, target_, "acme", options);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
    return r.ok() ? *r : PublishReport{};
  }
  int64_t UserId(const std::string& name) { return store_->FindUser("acme", name).value()->id; }

  std::unique_ptr<Store> store_;
  FakeTarget target_;
};

TEST_F(PublisherTest, DeliversEveryEventOnceInOrderAcrossBatches) {
  StartCursor();  // before the changes: Apply writes events once a cursor exists
  FourEvents();
  const PublishReport r = Publish(1000);
  EXPECT_EQ(r.delivered, 4);
  EXPECT_EQ(r.pending, 0);
  EXPECT_TRUE(r.error.empty());
  ASSERT_EQ(target_.received.size(), 4u);
  for (size_t i = 1; i < target_.received.size(); ++i) {
    EXPECT_LT(target_.received[i - 1].seq, target_.received[i].seq);
  }
  EXPECT_EQ(target_.calls, 2);  // batches of 2
  // alice's create comes before alice's update.
  EXPECT_EQ(target_.received[0].user_id, UserId("alice"));
  EXPECT_EQ(target_.received[0].kind, "user_created");
  EXPECT_EQ(target_.received[3].user_id, UserId("alice"));
  EXPECT_EQ(target_.received[3].kind, "user_updated");
  EXPECT_EQ(r.cursor.last_seq, target_.received[3].seq);
  EXPECT_EQ(r.cursor.delivered, 4);
  // Nothing new: nothing sent again.
  EXPECT_EQ(Publish(1001).delivered, 0);
  EXPECT_EQ(target_.received.size(), 4u);
}

TEST_F(PublisherTest, ReportsTheEventsHandledAfterEachBatch) {
  StartCursor();
  FourEvents();
  target_.refuse.insert(UserId("bob"));  // dead at once: handled all the same
  std::vector<int64_t> seen;
  PublishOptions options;
  options.now = 1000;
  options.on_batch = [&](int64_t handled) { seen.push_back(handled); };
  auto r = PublishTarget(*store_, target_, "acme", options);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->delivered, 3);
  EXPECT_EQ(r->dead, 1);
  EXPECT_EQ(seen, (std::vector<int64_t>{2, 4}));  // batches of 2, never per event

  // A target that is down takes no batch: nothing to report.
  Apply({Item(Action::kCreate, User("k4", "dave"))});
  target_.down = true;
  seen.clear();
  options.now = 2000;
  r = PublishTarget(*store_, target_, "acme", options);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->pending, 1);
  EXPECT_TRUE(seen.empty());
}

TEST_F(PublisherTest, ANewTargetStartsWithAFullReconcileThenTakesLaterEvents) {
  FourEvents();
  const PublishReport first = Publish(1000);
  EXPECT_TRUE(first.reconciled);
  EXPECT_EQ(target_.reconciles, 1);
  EXPECT_EQ(target_.reconciled_users, 3u);
  EXPECT_TRUE(target_.received.empty());  // the reconcile covered them
  EXPECT_EQ(first.pending, 0);
  Apply({Item(Action::kCreate, User("k4", "dave"))});
  const PublishReport second = Publish(1001);
  EXPECT_FALSE(second.reconciled);
  ASSERT_EQ(target_.received.size(), 1u);
  EXPECT_EQ(target_.received[0].user_id, UserId("dave"));
  // --full --dry-run plans a reconcile and moves nothing.
  Apply({Item(Action::kCreate, User("k5", "erin"))});
  const PublishReport dry = Publish(1002, true, true);
  EXPECT_TRUE(dry.reconciled);
  EXPECT_FALSE(dry.reconcile.applied);
  EXPECT_EQ(dry.pending, 1);
  EXPECT_EQ(target_.received.size(), 1u);
}

TEST_F(PublisherTest, AFirstReconcileThatFailedIsTriedAgainNotSkipped) {
  FourEvents();  // before any cursor: no events (the first reconcile covers them)
  EXPECT_EQ(*store_->LastOutboxSeq("acme"), 0);
  target_.down = true;
  PublishReport r = Publish(1000);
  EXPECT_FALSE(r.reconciled);
  EXPECT_NE(r.error.find("down"), std::string::npos);
  EXPECT_EQ(r.pending, 0);
  // The failed attempt opened the cursor: a change from now on is an event.
  Apply({Item(Action::kCreate, User("k4", "dave"))});
  EXPECT_EQ(*store_->CountOutbox("acme", 0), 1);
  // Meanwhile the outbox is compacted (another target, or none had passed it): the next
  // attempt must still bring the target everything, so it reconciles again.
  ASSERT_TRUE(store_->CompactOutbox("acme", *store_->LastOutboxSeq("acme")).ok());
  target_.down = false;
  r = Publish(1005);
  EXPECT_TRUE(r.reconciled);
  EXPECT_EQ(target_.reconciles, 2);
  EXPECT_EQ(target_.reconciled_users, 4u);
  EXPECT_EQ(r.cursor.last_success_at, 1005);
  EXPECT_FALSE(Publish(1006).reconciled);
}

TEST_F(PublisherTest, ATargetThatIsDownIsRetriedWithBackOffAndCatchesUp) {
  StartCursor();  // before the changes: Apply writes events once a cursor exists
  FourEvents();
  target_.down = true;
  PublishReport r = Publish(1000);
  EXPECT_EQ(r.delivered, 0);
  EXPECT_EQ(r.pending, 4);
  EXPECT_NE(r.error.find("down"), std::string::npos);
  EXPECT_EQ(r.cursor.attempts, 1);
  EXPECT_EQ(r.cursor.failing_since, 1000);
  EXPECT_EQ(r.cursor.next_attempt_at, 1005);
  // Within the back-off: not even tried.
  r = Publish(1004);
  EXPECT_TRUE(r.backing_off);
  EXPECT_EQ(target_.calls, 1);
  r = Publish(1005);
  EXPECT_EQ(r.cursor.attempts, 2);
  EXPECT_EQ(r.cursor.next_attempt_at, 1015);  // 10 s now
  EXPECT_EQ(r.cursor.failing_since, 1000);
  target_.down = false;
  r = Publish(1015);
  EXPECT_EQ(r.delivered, 4);
  EXPECT_EQ(r.pending, 0);
  EXPECT_EQ(r.cursor.attempts, 0);
  EXPECT_TRUE(r.cursor.last_error.empty());
  EXPECT_EQ(r.cursor.last_success_at, 1015);
  EXPECT_EQ(target_.received.size(), 4u);
}

TEST_F(PublisherTest, EventsBecomeDeadOnlyAfterTheConfiguredBound) {
  StartCursor();  // before the changes: Apply writes events once a cursor exists
  FourEvents();
  target_.down = true;
  EXPECT_EQ(Publish(1000).dead, 0);
  EXPECT_EQ(Publish(1599).dead, 0);        // 599 s of failing: under the bound of 600
  EXPECT_TRUE(Publish(1600).backing_off);  // the second failure set the next try to 1609
  const PublishReport r = Publish(1609);
  EXPECT_EQ(r.dead, 2);  // the waiting batch
  EXPECT_EQ(r.pending, 2);
  auto dead = store_->ListDeadEvents("acme", "fake");
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 2u);
  EXPECT_NE((*dead)[0].error.find("undeliverable for 609 s"), std::string::npos);
  // The target is back: the rest arrives, and `retry` re-sends the dead ones.
  target_.down = false;
  EXPECT_EQ(Publish(1610).delivered, 2);
  auto retried = RetryDeadEvents(*store_, target_, "acme", 1611);
  ASSERT_TRUE(retried.ok());
  // bob's create is re-sent; alice's create is not: her later update already went out.
  EXPECT_EQ(retried->delivered, 1);
  EXPECT_EQ(retried->superseded, 1);
  EXPECT_EQ(target_.received.back().user_id, UserId("bob"));
  EXPECT_TRUE(store_->ListDeadEvents("acme", "fake")->empty());
}

TEST_F(PublisherTest, ARefusedEventIsDeadAtOnceAndTheOthersGoOn) {
  StartCursor();  // before the changes: Apply writes events once a cursor exists
  FourEvents();
  target_.refuse.insert(UserId("bob"));
  const PublishReport r = Publish(1000);
  EXPECT_EQ(r.delivered, 3);
  EXPECT_EQ(r.dead, 1);
  EXPECT_EQ(r.pending, 0);
  EXPECT_NE(r.cursor.last_error.find("refused"), std::string::npos);
  auto dead = store_->ListDeadEvents("acme", "fake");
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].event.user_id, UserId("bob"));
  // Still refused: stays dead. Fixed: delivered by retry.
  auto again = RetryDeadEvents(*store_, target_, "acme", 1001);
  EXPECT_EQ(again->still_dead, 1);
  target_.refuse.clear();
  auto fixed = RetryDeadEvents(*store_, target_, "acme", 1002);
  EXPECT_EQ(fixed->delivered, 1);
  EXPECT_EQ(target_.received.back().user_id, UserId("bob"));
}

TEST_F(PublisherTest, RetryDropsADeadEventThatALaterChangeSuperseded) {
  StartCursor();  // before the changes: Apply writes events once a cursor exists
  FourEvents();
  target_.refuse.insert(UserId("bob"));
  Publish(1000);
  target_.refuse.clear();
  PbxUser bob = *store_->FindUser("acme", "bob").value();
  bob.fields.Set(Field::kExtension, "1002");
  Apply({Item(Action::kUpdate, bob, bob.id)});
  EXPECT_EQ(Publish(1001).delivered, 1);  // bob's newer state
  auto retried = RetryDeadEvents(*store_, target_, "acme", 1002);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->superseded, 1);
  EXPECT_EQ(retried->delivered, 0);
  EXPECT_EQ(target_.received.back().kind, "user_updated");  // never the old create again
  EXPECT_TRUE(store_->ListDeadEvents("acme", "fake")->empty());
}

TEST_F(PublisherTest, CompactionRemovesWhatEveryTargetHasPassed) {
  StartCursor();  // before the changes: Apply writes events once a cursor exists
  FourEvents();
  target_.down = true;
  Publish(1000);
  std::vector<TargetConfig> targets{target_.config()};
  EXPECT_EQ(*CompactDeliveredEvents(*store_, "acme", targets), 0);  // nothing delivered yet
  target_.down = false;
  Publish(2000);
  EXPECT_EQ(*CompactDeliveredEvents(*store_, "acme", targets), 4);
  EXPECT_EQ(*store_->CountOutbox("acme", 0), 0);
  // A tenant without targets keeps no events.
  Apply({Item(Action::kCreate, User("k9", "zed"))});
  EXPECT_EQ(*CompactDeliveredEvents(*store_, "acme", {}), 1);
}

TEST(BackoffTest, DoublesFromFiveSecondsUpToAnHour) {
  EXPECT_EQ(BackoffSeconds(1), 5);
  EXPECT_EQ(BackoffSeconds(2), 10);
  EXPECT_EQ(BackoffSeconds(3), 20);
  EXPECT_EQ(BackoffSeconds(10), 2560);
  EXPECT_EQ(BackoffSeconds(11), 3600);
  EXPECT_EQ(BackoffSeconds(100), 3600);
}

}  // namespace
}  // namespace telsync
