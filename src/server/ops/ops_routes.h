// Operations endpoints of `telsync serve` (issue 7 item 5; README "Operations"):
//
//   GET /metrics  the Prometheus text format 0.0.4 of util/metrics.h's global registry
//                 (every family of util/service_metrics.h listed, even before its first event)
//   GET /readyz   200 {"status":"ready","checks":{"store":"ok","server":"ok"}} when every
//                 check passes; 503 {"status":"not ready","checks":{...}} naming the failing
//                 check with its reason. /healthz (liveness) is the server's own, unchanged.
//
// RegisterOpsRoutes also installs the server's request observer (the HttpServer has one):
// telsync_http_requests_total{route,status} and telsync_http_request_duration_seconds{route}
// for every routed request, labelled by route pattern ("unmatched" for a 404 path) so label
// sets stay bounded; telsync_scim_requests_total{tenant,method,status} for /scim/v2/ requests
// (a tenant not in scim_tenants is labelled "unknown"); and a debug-level log line.
//
// The routes are unauthenticated, like /healthz: they name no tenant data beyond tenant and
// profile names in labels. Bind the service to a private address when that matters.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http/server.h"
#include "util/result.h"

namespace telsync::ops {

struct OpsOptions {
  // Answers a trivial store query (the store is thread-safe). Error: not ready, with
  // the reason. Unset: the store check is left out.
  std::function<Status()> store_check;
  // More named checks, reported beside "store".
  std::vector<std::pair<std::string, std::function<Status()>>> checks;
  // True once shutdown began: /readyz answers 503 ("server": "shutting down").
  std::function<bool()> shutting_down;
  // Tenants with SCIM endpoints: the only tenant label values of the SCIM counter.
  std::vector<std::string> scim_tenants;
  // When set, decides instead of scim_tenants (tenants whose endpoint comes and goes
  // with their profiles while the service runs). Called on every SCIM request.
  std::function<bool(std::string_view tenant)> is_scim_tenant;
  // Called before each /metrics render: values read at scrape time (the targets',
  // ops/target_metrics.h). Unset: nothing.
  std::function<void()> before_scrape;
};

// The /readyz answer for the checks' results: pure, for tests.
http::Response ReadinessResponse(const std::vector<std::pair<std::string, Status>>& results);

// The request observer described above.
http::Observer MakeRequestObserver(std::vector<std::string> scim_tenants,
                                   std::function<bool(std::string_view)> is_scim_tenant = {});

// Mounts GET /metrics and GET /readyz and sets the server's observer. Call before Bind().
void RegisterOpsRoutes(http::HttpServer& server, OpsOptions options);

// A store check for a SQLite store spec ("sqlite:PATH" or PATH): `query` (a trivial
// query under the caller's lock) must succeed and the database file must still exist at
// its path. A deleted file is a real failure for a running service: SQLite keeps writing
// to the unlinked inode, and everything written is lost at the next restart. Other specs
// (postgres://...) only run `query`.
std::function<Status()> MakeStoreCheck(std::string store_spec, std::function<Status()> query);

}  // namespace telsync::ops
