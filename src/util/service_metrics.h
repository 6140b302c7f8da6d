// The metrics telsync exports at /metrics (issue 7 item 5; README "Operations"): each is a
// family of util/metrics.h in the global Metrics() registry, registered on first use.
// Label values are bounded by construction: tenants and profiles of the config, route
// patterns (never raw paths), status codes, source types.
//
//   telsync_runs_total{tenant,profile,kind,status}           counter: runs by result
//   telsync_run_duration_seconds{tenant,profile,kind}         histogram: run wall time
//   telsync_users{tenant,state}                               gauge: PBX users by state
//                                          (active, pending_delete, unsearchable; set by runs)
//   telsync_source_read_errors_total{tenant,profile,source}   counter: incomplete/failed reads
//   telsync_throttle_wait_seconds_total{source}               counter: seconds slept on
//                                                             Retry-After / back-off
//   telsync_throttled_requests_total{source}                  counter: answers 429 / 503 / ...
//   telsync_scim_requests_total{tenant,method,status}         counter
//   telsync_http_requests_total{route,status}                 counter
//   telsync_http_request_duration_seconds{route}              histogram
//   telsync_mail_total{kind,status}                           counter: mails sent / failed
//
// Thread-safe (see util/metrics.h).
#pragma once

#include "util/metrics.h"

namespace telsync::metrics {

CounterFamily RunsTotal();
HistogramFamily RunDurationSeconds();
GaugeFamily Users();
CounterFamily SourceReadErrorsTotal();
CounterFamily ThrottleWaitSecondsTotal();
CounterFamily ThrottledRequestsTotal();
CounterFamily ScimRequestsTotal();
CounterFamily HttpRequestsTotal();
HistogramFamily HttpRequestDurationSeconds();
CounterFamily MailTotal();

// Registers every family above, so that a scrape lists them (HELP / TYPE) before their
// first event.
void RegisterServiceMetrics();

}  // namespace telsync::metrics
