// RestApi: telsync's admin REST API under /api/v1 (issue 7 item 2), mounted on the
// HttpServer that `telsync serve` runs.
//
// Every route is listed once in a table (Routes()); Register() mounts that table and
// /api/v1/openapi.json is generated from it, so the OpenAPI document names exactly the
// routes that exist. The routes do what the CLI commands do, with the same store calls
// and, where the CLI prints JSON, the same JSON: preview returns the preview JSON of
// DESIGN §4 (WriteJson); runs/{id}/items and report?format=json are `runs show -f json`;
// users are `users list|show -f json`.
//
// Authentication: an `admin` bearer token (telsync admin token create TENANT), whose
// SHA-256 is looked up in the store. A token belongs to one tenant: a request for any
// other tenant gets the same 404 as a tenant that does not exist, so a token learns
// nothing about other tenants. Only /api/v1/openapi.json is public. Requests are rate
// limited per tenant (429 with Retry-After).
//
// Errors are JSON: {"error": {"code", "field", "message"}}; code is the ErrorCode name
// ("invalid", "not_found", ...), field the request part at fault ("limit", "body.user",
// "" when none). Secrets of the config are never shown: profiles show them masked.
//
// Sync and approve start a job on a background thread (one per profile at a time: 409
// while one runs), polled at /jobs/{id}. Preview runs on the request's thread. Each run
// opens its own Store connection (the engine needs one per run); reads share the
// server's Store under its mutex. Thread-safe once registered; Stop() joins the jobs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apply/engine.h"
#include "config/profile.h"
#include "server/http/server.h"
#include "store/store.h"

namespace telsync::api {

struct RestApiOptions {
  const Config* config = nullptr;  // not owned; outlives the API
  std::string base_dir = ".";      // relative source paths
  // A new Store connection for one run (preview, sync job).
  std::function<Result<std::unique_ptr<Store>>()> open_store;
  std::function<int64_t()> clock;  // unix seconds
  double rate_per_second = 50;     // per tenant; <= 0: no limit
  double burst = 100;
  bool notify = true;  // mail reports after sync jobs, like `telsync sync`
};

// One documented route: what Register() mounts and the OpenAPI document lists.
struct QueryParam {
  std::string name;
  std::string type;  // "integer" | "string"
  std::string description;
  std::vector<std::string> values;  // enum; empty = any
};
struct RouteSpec {
  std::string method;
  std::string path;  // "/api/v1/tenants/{tenant}/runs/{id}"
  std::string operation_id;
  std::string summary;
  std::vector<QueryParam> query;
  bool body = false;          // accepts an optional JSON object body
  std::vector<int> statuses;  // documented answers besides 401/429
  bool public_route = false;  // no token needed
};

// A job: one sync (or approve) of a profile on a background thread.
struct Job {
  int64_t id = 0;
  std::string tenant;
  std::string profile;
  bool done = false;
  int64_t run_id = 0;
  int exit_code = 0;
  std::string message;  // a failure before the run was recorded
  Progress progress;
};

// The jobs of a server. Thread-safe.
class JobTable {
 public:
  // A new running job; kConflict when a job of that profile is still running.
  Result<int64_t> Start(const std::string& tenant, const std::string& profile);
  void Update(int64_t id, const std::function<void(Job&)>& change);
  // The job, when it exists and belongs to `tenant`.
  std::optional<Job> Get(const std::string& tenant, int64_t id);

 private:
  std::mutex mutex_;
  int64_t next_ = 1;
  std::map<int64_t, Job> jobs_;
};

// The JSON error body and its response.
http::Response ErrorResponse(int status, const std::string& field, const std::string& message);

class RestApi {
 public:
  RestApi(Store& store, std::mutex& store_mutex, RestApiOptions options);
  ~RestApi();  // Stop()
  RestApi(const RestApi&) = delete;
  RestApi& operator=(const RestApi&) = delete;

  static const std::vector<RouteSpec>& Routes();
  // The OpenAPI 3.0 document of Routes().
  static std::string OpenApiJson();

  void Register(http::HttpServer& server);
  // Waits for running jobs to finish.
  void Stop();

 private:
  std::optional<http::Response> Authenticate(http::Request& request);
  http::Response Dispatch(const std::string& operation_id, http::Request& request);
  http::Response Profiles(http::Request& request);
  http::Response Preview(http::Request& request);
  http::Response StartSync(const std::string& tenant, const Profile& profile, int64_t approve,
                           const std::string& user);
  http::Response Sync(http::Request& request);
  http::Response Approve(http::Request& request);
  http::Response GetJob(http::Request& request);
  http::Response ListRuns(http::Request& request);
  http::Response GetRun(http::Request& request);
  http::Response RunReport(http::Request& request, bool items);
  http::Response ListUsers(http::Request& request);
  http::Response GetUser(http::Request& request);
  http::Response UnlinkUser(http::Request& request);
  const Profile* FindProfile(const std::string& tenant, const std::string& name) const;

  Store& store_;
  std::mutex& store_mutex_;
  RestApiOptions options_;
  http::RateLimiter limiter_;
  JobTable jobs_;
  std::mutex threads_mutex_;
  std::vector<std::pair<int64_t, std::thread>> threads_;  // by job id
};

}  // namespace telsync::api
