// ScimEndpoint: mounts the SCIM services of every tenant on an HttpServer under
// /scim/v2/{tenant}/ (the "Tenant URL" an admin enters in Entra).
//
// Per request: the authentication shared with the REST API (server/auth/token_auth.h): a
// bearer token that is a valid `scim` token of that very tenant (otherwise 401, whatever
// the path: a token of one tenant learns nothing of another), then the tenant's token
// bucket (429 with Retry-After), then the tenant's ScimService. Errors the HTTP layer
// produces (404, 413, ...) are rendered as SCIM error bodies. Responses are
// application/scim+json.
// Thread-safe once registered.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "server/auth/token_auth.h"
#include "server/http/server.h"
#include "server/scim/service.h"
#include "store/store.h"

namespace telsync::scim {

struct ScimEndpointOptions {
  double rate_per_second = 50;  // per tenant; Entra's gallery apps must sustain 25
  double burst = 100;
  double token_cache_seconds = 5;  // when `auth` is null
  // The authentication shared with the REST API; nullptr = one of its own.
  std::shared_ptr<TokenAuth> auth;
};

class ScimEndpoint {
 public:
  ScimEndpoint(Store& store, ScimEndpointOptions options);

  // Before Register(). The service answers /scim/v2/<tenant>/...
  void AddTenant(const std::string& tenant, std::unique_ptr<ScimService> service);
  // Before Register(): the service of a tenant, asked on every request instead of the
  // tenants added (nullptr: the tenant has no SCIM profile, 404). Tenants whose SCIM
  // profile is created, replaced or deleted while the server runs. A request keeps the
  // service it got alive until it is answered.
  using Resolver = std::function<std::shared_ptr<ScimService>(const std::string& tenant)>;
  void SetResolver(Resolver resolver);
  void Register(http::HttpServer& server);

 private:
  std::optional<http::Response> Authenticate(http::Request& request);
  http::Response Serve(http::Request& request, const std::string& resource);

  http::RateLimiter limiter_;
  std::map<std::string, std::shared_ptr<ScimService>> services_;
  Resolver resolver_;
  std::shared_ptr<TokenAuth> auth_;
};

// An http::Response carrying a ScimResponse.
http::Response ToHttp(const ScimResponse& response);

}  // namespace telsync::scim
