#include "apply/run_metrics.h"

#include <gtest/gtest.h>

#include "util/service_metrics.h"

namespace telsync {
namespace {

PbxUser User(int64_t id, const std::string& profile, bool searchable = true,
             UserState state = UserState::kActive) {
  PbxUser u;
  u.id = id;
  u.profile = profile;
  u.searchable = searchable;
  u.state = state;
  return u;
}

PlanItem Item(Action action, int64_t user_id, std::optional<PbxUser> target = std::nullopt) {
  PlanItem item;
  item.action = action;
  item.user_id = user_id;
  if (target) item.target = *target;
  return item;
}

TEST(RunMetricsTest, CountsUsersByStateBeforeAndAfterThePlan) {
  StoreSnapshot snapshot;
  snapshot.users = {User(1, "entra"), User(2, "entra", false),
                    User(3, "entra", true, UserState::kPendingDelete),
                    User(4, "other"),  // another profile's: not counted
                    User(5, "")};      // unlinked: adopted below
  Plan plan;
  plan.items = {
      Item(Action::kCreate, 0, User(0, "entra")),  // +active
      Item(Action::kDelete, 3),                    // -pending
      Item(Action::kPendingDelete, 1, User(1, "entra", true, UserState::kPendingDelete)),
      Item(Action::kUpdate, 5, User(5, "entra")),  // adoption: +active
      Item(Action::kUnchanged, 2),
      Item(Action::kError, 0),
  };
  const UserStateChange c = CountUserStates(snapshot, plan, "entra");
  EXPECT_EQ(c.before, (UserStateCounts{1, 1, 1}));  // active, pending_delete, unsearchable
  // active: +1 create, -1 (1 goes pending), +1 adoption; pending: -1 delete, +1.
  EXPECT_EQ(c.delta, (UserStateCounts{1, 0, 0}));
  UserStateCounts after = c.before;
  for (size_t i = 0; i < kUserGaugeStates; ++i) after[i] += c.delta[i];
  EXPECT_EQ(after, (UserStateCounts{2, 1, 1}));
}

TEST(RunMetricsTest, StateNames) {
  EXPECT_STREQ(UserGaugeStateName(UserGaugeState::kPendingDelete), "pending_delete");
  EXPECT_EQ(UserGaugeStateOf(User(1, "p", false, UserState::kPendingDelete)),
            UserGaugeState::kPendingDelete);
  EXPECT_EQ(UserGaugeStateOf(User(1, "p", false)), UserGaugeState::kUnsearchable);
}

TEST(RunMetricsTest, FinishedRunsSetCountersAndTheUsersGauge) {
  Profile profile;
  profile.tenant = "rm-test";
  profile.name = "main";
  profile.source = FileSourceConfig{};
  StoreSnapshot snapshot;
  snapshot.users = {User(1, "main"), User(2, "main")};
  Plan plan;
  plan.items = {Item(Action::kCreate, 0, User(0, "main"))};

  RunMetrics preview(profile);
  ReadResult read;
  read.complete = false;
  preview.ReadDone(read);
  preview.Snapshot(snapshot, plan);
  telsync::Run run;
  run.tenant = "rm-test";
  run.profile = "main";
  run.kind = RunKind::kPreview;
  run.status = RunStatus::kSuccess;
  preview.Finished(run);
  auto active = metrics::Users().With({"rm-test", "active"});
  EXPECT_EQ(active.Value(), 2);  // a preview applies nothing

  RunMetrics sync(profile);
  read.complete = true;
  sync.ReadDone(read);
  sync.Snapshot(snapshot, plan);
  run.kind = RunKind::kSync;
  sync.Finished(run);
  EXPECT_EQ(active.Value(), 3);

  RunMetrics held(profile);
  held.Snapshot(snapshot, plan);
  run.status = RunStatus::kHeld;
  held.Finished(run);
  EXPECT_EQ(active.Value(), 2);  // held: the plan was not written

  EXPECT_EQ(metrics::RunsTotal().With({"rm-test", "main", "sync", "success"}).Value(), 1);
  EXPECT_EQ(metrics::RunsTotal().With({"rm-test", "main", "preview", "success"}).Value(), 1);
  EXPECT_EQ(metrics::RunsTotal().With({"rm-test", "main", "sync", "held"}).Value(), 1);
  EXPECT_EQ(metrics::SourceReadErrorsTotal().With({"rm-test", "main", "file"}).Value(), 1);
  EXPECT_EQ(metrics::RunDurationSeconds().With({"rm-test", "main", "sync"}).Count(), 2u);
  const std::string text = metrics::Metrics().Render();
  EXPECT_NE(text.find("telsync_users{tenant=\"rm-test\",state=\"pending_delete\"} 0\n"),
            std::string::npos);
}

}  // namespace
}  // namespace telsync
