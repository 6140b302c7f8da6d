#include "schedule/scheduler.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace telsync {
namespace {

int64_t Utc(int64_t y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  return DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

// A scheduler on a fake clock whose launcher records what it started.
struct Harness {
  int64_t now = Utc(2026, 1, 10, 12, 0);
  std::vector<std::pair<std::string, std::string>> launched;  // profile, trigger
  std::vector<int64_t> launched_at;
  Status launch_result = Ok();
  Scheduler scheduler{[this]() { return now; },
                      [this](const std::string& p, const std::string& t) -> Status {
                        if (!launch_result.ok()) return launch_result;
                        launched.emplace_back(p, t);
                        launched_at.push_back(now);
                        return Ok();
                      }};
};

TEST(SchedulerTest, FiresWhenDueAndNotBefore) {
  Harness h;
  ASSERT_TRUE(h.scheduler.SetProfile("acme/main", {"0 2 * * *"}, "UTC").ok());
  EXPECT_EQ(h.scheduler.NextWake(), Utc(2026, 1, 11, 2, 0));
  EXPECT_EQ(h.scheduler.Tick(), 0u);
  h.now = Utc(2026, 1, 11, 1, 59);
  EXPECT_EQ(h.scheduler.Tick(), 0u);
  h.now = Utc(2026, 1, 11, 2, 0);
  EXPECT_EQ(h.scheduler.Tick(), 1u);
  ASSERT_EQ(h.launched.size(), 1u);
  EXPECT_EQ(h.launched[0], std::make_pair(std::string("acme/main"), std::string("schedule")));
  EXPECT_TRUE(h.scheduler.State("acme/main")->running);
  EXPECT_EQ(h.scheduler.State("acme/main")->next_run, Utc(2026, 1, 12, 2, 0));
  EXPECT_EQ(h.scheduler.State("acme/main")->last_slot, Utc(2026, 1, 11, 2, 0));
  EXPECT_FALSE(h.scheduler.Finished("acme/main", true, h.now + 60));
  EXPECT_EQ(h.scheduler.State("acme/main")->last_success, h.now + 60);
  EXPECT_FALSE(h.scheduler.State("acme/main")->running);
}

TEST(SchedulerTest, SeveralExpressionsTheEarliestWins) {
  Harness h;
  ASSERT_TRUE(h.scheduler.SetProfile("p", {"0 2 * * *", "30 12 * * *"}, "UTC").ok());
  EXPECT_EQ(h.scheduler.NextWake(), Utc(2026, 1, 10, 12, 30));
}

TEST(SchedulerTest, MissedRunsAfterARestartRunOnce) {
  Harness h;
  // Down for three days: three nightly runs were missed.
  ASSERT_TRUE(h.scheduler.SetProfile("p", {"0 2 * * *"}, "UTC", Utc(2026, 1, 7, 2, 0)).ok());
  EXPECT_LE(*h.scheduler.NextWake(), h.now);
  EXPECT_EQ(h.scheduler.Tick(), 1u);
  h.scheduler.Finished("p", true, h.now);
  EXPECT_EQ(h.scheduler.Tick(), 0u);  // not once per missed night
  EXPECT_EQ(h.launched.size(), 1u);
  EXPECT_EQ(h.scheduler.State("p")->next_run, Utc(2026, 1, 11, 2, 0));
  // The slot is the latest occurrence missed: a restart that reads it back misses nothing.
  EXPECT_EQ(h.scheduler.State("p")->last_slot, Utc(2026, 1, 10, 2, 0));
  Harness restarted;
  ASSERT_TRUE(restarted.scheduler.SetProfile("p", {"0 2 * * *"}, "UTC", Utc(2026, 1, 10, 2)).ok());
  EXPECT_EQ(restarted.scheduler.Tick(), 0u);
  // Last fired recently: nothing was missed.
  Harness fresh;
  ASSERT_TRUE(fresh.scheduler.SetProfile("p", {"0 2 * * *"}, "UTC", Utc(2026, 1, 10, 2)).ok());
  EXPECT_EQ(fresh.scheduler.Tick(), 0u);
}

TEST(SchedulerTest, OverlappingTriggersAreCoalescedIntoOneFollowUp) {
  Harness h;
  ASSERT_TRUE(h.scheduler.SetProfile("p", {"*/5 * * * *"}, "UTC").ok());
  h.now = Utc(2026, 1, 10, 12, 5);
  EXPECT_EQ(h.scheduler.Tick(), 1u);
  // The run takes 17 minutes: three more triggers and a manual one arrive meanwhile.
  for (int m : {10, 15, 20}) {
    h.now = Utc(2026, 1, 10, 12, m);
    EXPECT_EQ(h.scheduler.Tick(), 0u);
  }
  EXPECT_EQ(h.scheduler.SyncNow("p"), Scheduler::SyncNowResult::kCoalesced);
  EXPECT_TRUE(h.scheduler.State("p")->follow_up);
  EXPECT_EQ(h.launched.size(), 1u);  // never two at once
  h.now = Utc(2026, 1, 10, 12, 22);
  EXPECT_TRUE(h.scheduler.Finished("p", true, h.now));  // the one follow-up starts
  ASSERT_EQ(h.launched.size(), 2u);
  EXPECT_EQ(h.launched[1].second, "api");
  EXPECT_FALSE(h.scheduler.Finished("p", true, h.now + 30));  // and nothing after it
  EXPECT_EQ(h.launched.size(), 2u);
}

TEST(SchedulerTest, SyncNowStartsAtOnceWhenIdle) {
  Harness h;
  ASSERT_TRUE(h.scheduler.SetProfile("p", {}, "UTC").ok());
  EXPECT_FALSE(h.scheduler.NextWake().has_value());  // no schedules: manual only
  EXPECT_EQ(h.scheduler.SyncNow("p", "user:admin"), Scheduler::SyncNowResult::kStarted);
  ASSERT_EQ(h.launched.size(), 1u);
  EXPECT_EQ(h.launched[0].second, "user:admin");
  EXPECT_EQ(h.scheduler.SyncNow("nope"), Scheduler::SyncNowResult::kFailed);
}

TEST(SchedulerTest, FailedLaunchLeavesTheProfileIdleWithTheError) {
  Harness h;
  ASSERT_TRUE(h.scheduler.SetProfile("p", {"* * * * *"}, "UTC").ok());
  h.launch_result = Error::Unavailable("store is locked");
  EXPECT_EQ(h.scheduler.SyncNow("p"), Scheduler::SyncNowResult::kFailed);
  auto s = h.scheduler.State("p");
  EXPECT_FALSE(s->running);
  EXPECT_EQ(s->last_error, "store is locked");
  h.launch_result = Ok();
  h.now += 60;
  EXPECT_EQ(h.scheduler.Tick(), 1u);
}

TEST(SchedulerTest, SynchronousLauncherMayReportFinishedItself) {
  int64_t now = Utc(2026, 1, 10);
  int runs = 0;
  Scheduler* self = nullptr;
  Scheduler s([&]() { return now; },
              [&](const std::string& p, const std::string&) -> Status {
                ++runs;
                self->Finished(p, true, now);  // must not deadlock
                return Ok();
              });
  self = &s;
  ASSERT_TRUE(s.SetProfile("p", {"@hourly"}, "UTC").ok());
  EXPECT_EQ(s.SyncNow("p"), Scheduler::SyncNowResult::kStarted);
  now = Utc(2026, 1, 10, 1, 0);
  EXPECT_EQ(s.Tick(), 1u);
  EXPECT_EQ(runs, 2);
  EXPECT_FALSE(s.State("p")->running);
}

TEST(SchedulerTest, BadExpressionsAndZonesAreRefusedWithTheirPlace) {
  Harness h;
  auto bad = h.scheduler.SetProfile("p", {"0 2 * * *", "0 25 * * *"}, "UTC");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_NE(bad.error().message.find("schedules[1]: hour: 25 is out of range"), std::string::npos)
      << bad.error().message;
  auto zone = h.scheduler.SetProfile("p", {"0 2 * * *"}, "Europe/Atlantis");
  ASSERT_FALSE(zone.ok());
  EXPECT_NE(zone.error().message.find("timezone:"), std::string::npos);
  EXPECT_FALSE(h.scheduler.State("p").has_value());
}

// Steps the clock a minute at a time over a DST change and counts the launches.
std::vector<int64_t> RunsOver(const char* zone, const char* expr, int64_t from, int64_t to) {
  Harness h;
  h.now = from;
  EXPECT_TRUE(h.scheduler.SetProfile("p", {expr}, zone).ok());
  for (; h.now <= to; h.now += 60) {
    if (h.scheduler.Tick() > 0) h.scheduler.Finished("p", true, h.now);
  }
  return h.launched_at;
}

TEST(SchedulerTest, DstJumpsRunOnce) {
  // Stockholm spring forward: 02:30 does not exist; it runs once, at 03:00 CEST.
  EXPECT_EQ(RunsOver("Europe/Stockholm", "30 2 * * *", Utc(2026, 3, 28, 22), Utc(2026, 3, 29, 4)),
            std::vector<int64_t>{Utc(2026, 3, 29, 1, 0)});
  // Stockholm fall back: 02:30 happens twice; it runs once.
  EXPECT_EQ(RunsOver("Europe/Stockholm", "30 2 * * *", Utc(2026, 10, 24, 22), Utc(2026, 10, 25, 4)),
            std::vector<int64_t>{Utc(2026, 10, 25, 0, 30)});
  // New York both ways.
  EXPECT_EQ(RunsOver("America/New_York", "30 2 * * *", Utc(2026, 3, 8, 4), Utc(2026, 3, 8, 10)),
            std::vector<int64_t>{Utc(2026, 3, 8, 7, 0)});
  EXPECT_EQ(RunsOver("America/New_York", "30 1 * * *", Utc(2026, 11, 1, 3), Utc(2026, 11, 1, 9)),
            std::vector<int64_t>{Utc(2026, 11, 1, 5, 30)});
}

}  // namespace
}  // namespace telsync
