#include "server/ops/target_metrics.h"

#include <mutex>

#include "util/metrics.h"

namespace telsync::ops {
namespace {

struct Families {
  metrics::GaugeFamily lag;
  metrics::CounterFamily delivered;
  metrics::CounterFamily dead;
  metrics::GaugeFamily last_success;
};

const Families& TargetFamilies() {
  static const Families families = [] {
    metrics::Registry& r = metrics::Metrics();
    return Families{
        r.AddGauge("telsync_target_lag_events",
                   "Outbox events waiting for the target (after its cursor)", {"tenant", "target"}),
        r.AddCounter("telsync_target_events_delivered_total",
                     "Outbox events the target acknowledged", {"tenant", "target"}),
        r.AddCounter("telsync_target_events_dead_total",
                     "Outbox events given up on (dead events, `telsync targets retry`)",
                     {"tenant", "target"}),
        r.AddGauge("telsync_target_last_success_timestamp_seconds",
                   "Unix time of the target's last successful publish (0: never)",
                   {"tenant", "target"})};
  }();
  return families;
}

// A counter raised to the store's cumulative count.
void Follow(const metrics::Counter& counter, int64_t total) {
  const double delta = static_cast<double>(total) - counter.Value();
  if (delta > 0) counter.Inc(delta);
}

}  // namespace

void RegisterTargetMetrics() { (void)TargetFamilies(); }

Status RefreshTargetMetrics(
    Store& store, const std::vector<std::pair<std::string, std::vector<TargetConfig>>>& tenants) {
  // One refresh at a time: a counter's increment is computed from its value.
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  const Families& f = TargetFamilies();
  for (const auto& [tenant, targets] : tenants) {
    for (const TargetConfig& t : targets) {
      Result<std::optional<TargetCursor>> cursor = store.GetTargetCursor(tenant, t.name);
      if (!cursor.ok()) return cursor.error();
      const TargetCursor c = cursor->value_or(TargetCursor{});
      Result<int64_t> lag = store.CountOutbox(tenant, c.last_seq);
      if (!lag.ok()) return lag.error();
      f.lag.With({tenant, t.name}).Set(static_cast<double>(*lag));
      Follow(f.delivered.With({tenant, t.name}), c.delivered);
      Follow(f.dead.With({tenant, t.name}), c.dead);
      f.last_success.With({tenant, t.name}).Set(static_cast<double>(c.last_success_at));
    }
  }
  return Ok();
}

}  // namespace telsync::ops
