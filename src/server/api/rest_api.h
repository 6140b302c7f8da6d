// RestApi: telsync's admin REST API under /api/v1 (issue 7 item 2), mounted on the
// HttpServer that `telsync serve` runs.
//
// The handlers are thin adapters (issue 16): they parse the request, call the admin core
// (src/admin/) or the store, and render. routes.cc holds the route table, the OpenAPI
// document, authentication and dispatch; tenants.cc, profiles.cc, runs.cc, users.cc,
// targets.cc and explain.cc the handlers; detail/respond.h the parsing and response helpers.
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
// nothing about other tenants. An `operator` token (telsync admin token create
// --operator: the provider running telsync) reaches every tenant and alone may create and
// delete tenants (403 for a tenant's admin). Only /api/v1/openapi.json is public.
// Requests are rate limited per tenant (429 with Retry-After).
//
// Tenants come from the config file (read-only here) and from the store (created over
// the API with a first admin token, renamed for display, deleted with everything they
// own: DELETE needs ?confirm=<the tenant's name>, and waits for a running job).
//
// Errors are JSON: {"error": {"code", "field", "message"}}; code is the ErrorCode name
// ("invalid", "not_found", ...), field the request part at fault ("limit", "body.user",
// "" when none). Secrets of the config are never shown: profiles show them masked.
//
// Profiles come from the config file (read-only here) and from the store (created,
// replaced and deleted here; ProfileCatalog). Secrets are write-only: shown masked, and a
// PUT that sends a secret masked or leaves it out keeps the stored one.
//
// Sync and approve queue a job in the store (one per profile at a time: 409 while one is
// queued or running), which a worker of any `serve` process runs (schedule/worker.h);
// /jobs/{id} shows its state and progress. Preview and test-connection run on the
// request's thread on their own Store connection; reads share the server's Store under
// its mutex. Thread-safe once registered.
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
#include "schedule/catalog.h"
#include "server/auth/token_auth.h"
#include "server/http/server.h"
#include "store/store.h"

namespace telsync::api {

struct RestApiOptions {
  ProfileCatalog* catalog = nullptr;  // not owned; outlives the API (config + stored profiles)
  std::string base_dir = ".";         // relative source paths
  // A new Store connection for one run (preview, test-connection).
  std::function<Result<std::unique_ptr<Store>>()> open_store;
  std::function<int64_t()> clock;  // unix seconds
  double rate_per_second = 50;     // per tenant; <= 0: no limit
  double burst = 100;
  // The authentication shared with the SCIM endpoints; nullptr = one of its own.
  std::shared_ptr<TokenAuth> auth;
  // A job was queued (wake the local workers) / a stored profile changed (reload the
  // schedules).
  std::function<void()> on_job_queued;
  std::function<void()> on_profiles_changed;
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
  bool body = false;             // accepts an optional JSON object body
  std::vector<int> statuses;     // documented answers besides 401/429
  bool public_route = false;     // no token needed
  std::string body_schema = {};  // the body's JSON schema (JSON text); "" = the default one
};

// The JSON error body and its response.
http::Response ErrorResponse(int status, const std::string& field, const std::string& message);

class RestApi {
 public:
  RestApi(Store& store, RestApiOptions options);
  RestApi(const RestApi&) = delete;
  RestApi& operator=(const RestApi&) = delete;

  static const std::vector<RouteSpec>& Routes();
  // The OpenAPI 3.0 document of Routes().
  static std::string OpenApiJson();

  void Register(http::HttpServer& server);

 private:
  std::optional<http::Response> Authenticate(http::Request& request);
  http::Response Dispatch(const std::string& operation_id, http::Request& request);
  http::Response Profiles(http::Request& request);
  http::Response ListTenants(http::Request& request);
  http::Response CreateTenant(http::Request& request);
  http::Response GetTenant(http::Request& request);
  http::Response UpdateTenant(http::Request& request);
  http::Response DeleteTenant(http::Request& request);
  http::Response ListTokens(http::Request& request);
  http::Response CreateToken(http::Request& request);
  http::Response RevokeToken(http::Request& request);
  http::Response GetProfile(http::Request& request);
  // create: POST; else PUT, or PATCH (a JSON merge patch) when `patch`.
  http::Response PutProfile(http::Request& request, bool create, bool patch = false);
  http::Response DeleteProfile(http::Request& request);
  http::Response TestConnection(http::Request& request);
  http::Response NextRuns(http::Request& request);  // profiles.cc
  http::Response MapUser(http::Request& request);
  http::Response ListDepartments(http::Request& request);
  http::Response ListJobs(http::Request& request);
  http::Response Preview(http::Request& request);
  http::Response Explain(http::Request& request);  // explain.cc
  // Queues a job of the profile: a sync, an approval (`approve` > 0) or, with `preview`, a
  // preview (its plan is then read page by page from the run it records).
  http::Response StartSync(const std::string& tenant, const Profile& profile, int64_t approve,
                           const std::string& user, bool preview = false);
  http::Response Sync(http::Request& request);
  http::Response Approve(http::Request& request);
  http::Response Revert(http::Request& request);
  http::Response GetJob(http::Request& request);
  http::Response ListRuns(http::Request& request);
  http::Response GetRun(http::Request& request);
  http::Response RunReport(http::Request& request, bool items);
  http::Response ListUsers(http::Request& request);
  http::Response GetUser(http::Request& request);
  http::Response UnlinkUser(http::Request& request);
  http::Response SetExcluded(http::Request& request, bool excluded);
  http::Response ListTargets(http::Request& request);  // targets.cc
  http::Response ListDeadEvents(http::Request& request);
  http::Response RetryTarget(http::Request& request);
  http::Response PublishTargetNow(http::Request& request);
  http::Response ResetSipCredentials(http::Request& request);
  std::shared_ptr<const Profile> FindProfile(const std::string& tenant,
                                             const std::string& name) const;

  Store& store_;
  RestApiOptions options_;
  http::RateLimiter limiter_;
  std::shared_ptr<TokenAuth> auth_;
};

}  // namespace telsync::api
