// The targets' metrics at /metrics (issue 17 "Visible"), per tenant and target:
//
//   telsync_target_lag_events{tenant,target}                         gauge: events waiting
//   telsync_target_events_delivered_total{tenant,target}             counter: delivered
//   telsync_target_events_dead_total{tenant,target}                  counter: given up on
//   telsync_target_last_success_timestamp_seconds{tenant,target}     gauge: unix seconds of
//                                                    the last successful publish; 0 = never
//
// The values are read from the store at each scrape (the cursors, OutboxStore), not counted
// in this process: any `serve --worker` process of the store may publish a target, so only
// the store knows the totals, and every process's /metrics shows the same values. The
// counters follow the cursor's cumulative counts (which never decrease). Label values are
// the config's tenants and targets: bounded.
// Thread-safe (one refresh at a time).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "store/store.h"
#include "targets/target_config.h"
#include "util/result.h"

namespace telsync::ops {

// Registers the four families (HELP / TYPE listed before their first value).
void RegisterTargetMetrics();

// Sets the series of every (tenant, targets) pair from `store`. The store's error, if it
// fails (the series keep their last values).
Status RefreshTargetMetrics(
    Store& store, const std::vector<std::pair<std::string, std::vector<TargetConfig>>>& tenants);

}  // namespace telsync::ops
