// The targets' metrics (ops/target_metrics.h) read from a real SQLite store's cursors and
// outbox, rendered in the Prometheus text format.
#include "server/ops/target_metrics.h"

#include <gtest/gtest.h>

#include "model/fields.h"
#include "util/metrics.h"

namespace telsync::ops {
namespace {

PlanItem Create(const std::string& key, const std::string& name) {
  PbxUser u;
  u.source_key = key;
  u.profile = "hr";
  u.fields.Set(Field::kUsername, name);
  PlanItem item;
  item.action = Action::kCreate;
  item.key = key;
  item.username = name;
  item.target = u;
  return item;
}

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(TargetMetricsTest, LagDeliveriesDeadAndLastSuccessComeFromTheStore) {
  auto opened = OpenStore(":memory:");
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  Plan plan;
  plan.tenant = "metrics-t";  // a tenant no other test of the global registry uses
  plan.profile = "hr";
  plan.complete = true;
  plan.items = {Create("k1", "alice"), Create("k2", "bob"), Create("k3", "carol")};
  // The cursor comes first: Apply writes events only for a tenant with one.
  TargetCursor c;
  c.tenant = "metrics-t";
  c.target = "sip";
  c.last_seq = 1;
  c.delivered = 5;
  c.dead = 2;
  c.last_success_at = 1790000000;
  ASSERT_TRUE(store.PutTargetCursor(c).ok());
  ASSERT_TRUE(store.Apply(plan).ok());
  TargetConfig sip;
  sip.name = "sip";
  TargetConfig hook;
  hook.name = "hook";  // never published: everything waits
  const std::vector<std::pair<std::string, std::vector<TargetConfig>>> tenants = {
      {"metrics-t", {sip, hook}}};

  ASSERT_TRUE(RefreshTargetMetrics(store, tenants).ok());
  std::string text = metrics::Metrics().Render();
  EXPECT_TRUE(Has(text, "# TYPE telsync_target_events_delivered_total counter")) << text;
  EXPECT_TRUE(Has(text, "# TYPE telsync_target_lag_events gauge")) << text;
  EXPECT_TRUE(Has(text, R"(telsync_target_lag_events{tenant="metrics-t",target="sip"} 2)")) << text;
  EXPECT_TRUE(Has(text, R"(telsync_target_lag_events{tenant="metrics-t",target="hook"} 3)"));
  EXPECT_TRUE(
      Has(text, R"(telsync_target_events_delivered_total{tenant="metrics-t",target="sip"} 5)"));
  EXPECT_TRUE(Has(text, R"(telsync_target_events_dead_total{tenant="metrics-t",target="sip"} 2)"));
  EXPECT_TRUE(Has(text,
                  "telsync_target_last_success_timestamp_seconds{tenant=\"metrics-t\","
                  "target=\"sip\"} 1790000000"))
      << text;

  // Another process delivered the rest: the next scrape follows the store.
  c.last_seq = 3;
  c.delivered = 7;
  c.last_success_at = 1790000060;
  ASSERT_TRUE(store.PutTargetCursor(c).ok());
  ASSERT_TRUE(RefreshTargetMetrics(store, tenants).ok());
  text = metrics::Metrics().Render();
  EXPECT_TRUE(Has(text, R"(telsync_target_lag_events{tenant="metrics-t",target="sip"} 0)"));
  EXPECT_TRUE(
      Has(text, R"(telsync_target_events_delivered_total{tenant="metrics-t",target="sip"} 7)"));
  EXPECT_TRUE(Has(text, R"(telsync_target_events_dead_total{tenant="metrics-t",target="sip"} 2)"));
  EXPECT_TRUE(Has(text,
                  "telsync_target_last_success_timestamp_seconds{tenant=\"metrics-t\","
                  "target=\"sip\"} 1790000060"));
}

}  // namespace
}  // namespace telsync::ops
