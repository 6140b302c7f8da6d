#include "util/service_metrics.h"

namespace telsync::metrics {

CounterFamily RunsTotal() {
  static const CounterFamily family =
      Metrics().AddCounter("telsync_runs_total", "Finished runs (preview and sync) by result.",
                           {"tenant", "profile", "kind", "status"});
  return family;
}

HistogramFamily RunDurationSeconds() {
  static const HistogramFamily family = Metrics().AddHistogram(
      "telsync_run_duration_seconds", "Wall time of a run from start to its recorded result.",
      {"tenant", "profile", "kind"}, {0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600});
  return family;
}

GaugeFamily Users() {
  static const GaugeFamily family = Metrics().AddGauge(
      "telsync_users",
      "PBX users managed by the tenant's profiles by state (active, pending_delete, "
      "unsearchable), as of each profile's last run.",
      {"tenant", "state"});
  return family;
}

CounterFamily SourceReadErrorsTotal() {
  static const CounterFamily family = Metrics().AddCounter(
      "telsync_source_read_errors_total",
      "Source reads that failed or came back incomplete (nothing was deleted).",
      {"tenant", "profile", "source"});
  return family;
}

CounterFamily ThrottleWaitSecondsTotal() {
  static const CounterFamily family = Metrics().AddCounter(
      "telsync_throttle_wait_seconds_total",
      "Seconds spent waiting before retrying a source (Retry-After or back-off).", {"source"});
  return family;
}

CounterFamily ThrottledRequestsTotal() {
  static const CounterFamily family = Metrics().AddCounter(
      "telsync_throttled_requests_total",
      "Source requests answered with a throttling or transient status (429, 502, 503, 504).",
      {"source"});
  return family;
}

CounterFamily ScimRequestsTotal() {
  static const CounterFamily family = Metrics().AddCounter(
      "telsync_scim_requests_total", "SCIM requests answered.", {"tenant", "method", "status"});
  return family;
}

CounterFamily HttpRequestsTotal() {
  static const CounterFamily family = Metrics().AddCounter(
      "telsync_http_requests_total", "HTTP requests answered, by route pattern and status.",
      {"route", "status"});
  return family;
}

HistogramFamily HttpRequestDurationSeconds() {
  static const HistogramFamily family = Metrics().AddHistogram(
      "telsync_http_request_duration_seconds", "Time to answer an HTTP request.", {"route"},
      {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  return family;
}

CounterFamily MailTotal() {
  static const CounterFamily family = Metrics().AddCounter(
      "telsync_mail_total", "Notification mails by kind and result (sent, failed).",
      {"kind", "status"});
  return family;
}

void RegisterServiceMetrics() {
  RunsTotal();
  RunDurationSeconds();
  Users();
  SourceReadErrorsTotal();
  ThrottleWaitSecondsTotal();
  ThrottledRequestsTotal();
  ScimRequestsTotal();
  HttpRequestsTotal();
  HttpRequestDurationSeconds();
  MailTotal();
}

}  // namespace telsync::metrics
