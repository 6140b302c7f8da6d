#include "server/ops/ops_routes.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "util/log.h"
#include "util/metrics.h"
#include "util/service_metrics.h"

namespace telsync::ops {
namespace {

constexpr std::string_view kScimPrefix = "/scim/v2/";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

http::Response ReadinessResponse(const std::vector<std::pair<std::string, Status>>& results) {
  nlohmann::json checks = nlohmann::json::object();
  bool ready = true;
  for (const auto& [name, status] : results) {
    if (status.ok()) {
      checks[name] = "ok";
    } else {
      ready = false;
      checks[name] = status.error().message;
    }
  }
  nlohmann::json body = {{"status", ready ? "ready" : "not ready"}, {"checks", checks}};
  http::Response r = http::Response::Json(
      ready ? 200 : 503, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

http::Observer MakeRequestObserver(std::vector<std::string> scim_tenants,
                                   std::function<bool(std::string_view)> is_scim_tenant) {
  std::sort(scim_tenants.begin(), scim_tenants.end());
  auto tenants = std::make_shared<const std::vector<std::string>>(std::move(scim_tenants));
  const metrics::CounterFamily http_total = metrics::HttpRequestsTotal();
  const metrics::HistogramFamily http_seconds = metrics::HttpRequestDurationSeconds();
  const metrics::CounterFamily scim_total = metrics::ScimRequestsTotal();
  return [tenants, is_scim_tenant, http_total, http_seconds, scim_total](
             const http::Request& req, const http::Response& res, double seconds) {
    const std::string_view route =
        req.pattern.empty() ? "unmatched" : std::string_view(req.pattern);
    char status[16];
    std::snprintf(status, sizeof status, "%d", res.status);
    http_total.With({route, status}).Inc();
    http_seconds.With({route}).Observe(seconds);
    if (StartsWith(req.path, kScimPrefix)) {
      // The tenant is the segment after /scim/v2/; one not configured is any string a
      // caller sends, so it is never a label value.
      std::string_view rest = std::string_view(req.path).substr(kScimPrefix.size());
      const std::string_view tenant = rest.substr(0, rest.find('/'));
      const bool known = is_scim_tenant
                             ? is_scim_tenant(tenant)
                             : std::binary_search(tenants->begin(), tenants->end(), tenant);
      // Methods are the five the server routes; anything else is one label.
      const std::string_view method = req.method == "GET" || req.method == "POST" ||
                                              req.method == "PUT" || req.method == "PATCH" ||
                                              req.method == "DELETE"
                                          ? std::string_view(req.method)
                                          : std::string_view("other");
      scim_total.With({known ? tenant : std::string_view("unknown"), method, status}).Inc();
    }
    if (GlobalLogger().Enabled(LogLevel::kDebug)) {
      Log(LogLevel::kDebug, "http request",
          {{"method", req.method},
           {"route", std::string(route)},
           {"status", status},
           {"ms", std::to_string(static_cast<int64_t>(seconds * 1000))},
           {"remote", req.remote_addr}});
    }
  };
}

void RegisterOpsRoutes(http::HttpServer& server, OpsOptions options) {
  metrics::RegisterServiceMetrics();
  server.SetObserver(MakeRequestObserver(options.scim_tenants, options.is_scim_tenant));
  server.Route("GET", "/metrics", [before = options.before_scrape](http::Request&) {
    if (before) before();
    http::Response r;
    r.status = 200;
    r.body = metrics::Metrics().Render();
    r.content_type = std::string(metrics::kContentType);
    return r;
  });
  auto shared = std::make_shared<const OpsOptions>(std::move(options));
  server.Route("GET", "/readyz", [shared](http::Request&) {
    std::vector<std::pair<std::string, Status>> results;
    if (shared->store_check) results.emplace_back("store", shared->store_check());
    for (const auto& [name, check] : shared->checks) results.emplace_back(name, check());
    const bool stopping = shared->shutting_down && shared->shutting_down();
    results.emplace_back("server",
                         stopping ? Status(Error::Unavailable("shutting down")) : Status(Ok()));
    http::Response r = ReadinessResponse(results);
    if (r.status != 200) {
      LogFields fields;
      for (const auto& [name, status] : results) {
        if (!status.ok()) fields.emplace_back(name, status.error().message);
      }
      Log(LogLevel::kWarn, "not ready", fields);
    }
    return r;
  });
}

std::function<Status()> MakeStoreCheck(std::string store_spec, std::function<Status()> query) {
  std::string path;
  std::string_view spec = store_spec;
  if (!StartsWith(spec, "postgres://") && !StartsWith(spec, "postgresql://")) {
    if (StartsWith(spec, "sqlite:")) spec.remove_prefix(7);
    if (spec != ":memory:") path = std::string(spec);
  }
  return [path, query = std::move(query)]() -> Status {
    if (query) {
      Status s = query();
      if (!s.ok()) return Error::Unavailable("the store does not answer: " + s.error().message);
    }
    if (!path.empty()) {
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        return Error::Unavailable("the store file " + path +
                                  " is gone (writes would be lost at restart)");
      }
    }
    return Ok();
  };
}

}  // namespace telsync::ops
