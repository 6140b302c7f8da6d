#include "server/scim/routes.h"

namespace telsync::scim {
namespace {

constexpr std::string_view kPrefix = "/scim/v2/";

// The {tenant} segment of /scim/v2/{tenant}/...; "" when absent.
std::string TenantOf(const std::string& path) {
  if (path.compare(0, kPrefix.size(), kPrefix) != 0) return "";
  const size_t end = path.find('/', kPrefix.size());
  return path.substr(kPrefix.size(),
                     end == std::string::npos ? std::string::npos : end - kPrefix.size());
}

}  // namespace

http::Response ToHttp(const ScimResponse& response) {
  http::Response r;
  r.status = response.status;
  r.body = response.body;
  r.content_type = "application/scim+json";
  if (!response.etag.empty()) r.headers.emplace_back("ETag", response.etag);
  if (!response.location.empty()) r.headers.emplace_back("Location", response.location);
  if (response.retry_after > 0) {
    r.headers.emplace_back("Retry-After", std::to_string(response.retry_after));
  }
  return r;
}

ScimEndpoint::ScimEndpoint(Store& store, ScimEndpointOptions options)
    : limiter_(options.rate_per_second, options.burst),
      auth_(options.auth ? options.auth
                         : std::make_shared<TokenAuth>(
                               store, TokenAuth::Options{options.token_cache_seconds, {}})) {}

void ScimEndpoint::AddTenant(const std::string& tenant, std::unique_ptr<ScimService> service) {
  services_[tenant] = std::move(service);
}

void ScimEndpoint::SetResolver(Resolver resolver) { resolver_ = std::move(resolver); }

std::optional<http::Response> ScimEndpoint::Authenticate(http::Request& request) {
  const std::string tenant = TenantOf(request.path);
  const AuthScope scope{{"scim"}, "", &limiter_};
  const AuthOutcome auth = auth_->Check(request.Header("Authorization"), scope, tenant);
  auto refused = Refusal(auth, [](ErrorCode code, const std::string& message) {
    return ToHttp(ScimService::Error(code, "", message));
  });
  if (refused) return refused;
  request.principal = tenant;
  return std::nullopt;
}

http::Response ScimEndpoint::Serve(http::Request& request, const std::string& resource) {
  std::shared_ptr<ScimService> service;
  if (resolver_) {
    service = resolver_(request.Param("tenant"));
  } else if (auto it = services_.find(request.Param("tenant")); it != services_.end()) {
    service = it->second;
  }
  if (!service) {
    return ToHttp(ScimService::Error(ErrorCode::kNotFound, "",
                                     "this tenant has no profile with source.type scim"));
  }
  ScimRequest scim;
  scim.method = request.method;
  scim.resource = resource;
  scim.id = request.Param("id");
  scim.filter = request.Query("filter");
  scim.attributes = request.Query("attributes");
  scim.excluded_attributes = request.Query("excludedAttributes");
  scim.start_index = request.Query("startIndex");
  scim.count = request.Query("count");
  scim.if_match = request.Header("If-Match");
  scim.body = std::move(request.body);
  std::string host = request.Header("Host");
  if (host.empty()) host = "localhost";
  scim.base_url = std::string(request.tls ? "https://" : "http://") + host + std::string(kPrefix) +
                  request.Param("tenant");
  return ToHttp(service->Handle(scim));
}

void ScimEndpoint::Register(http::HttpServer& server) {
  const std::string base = "/scim/v2/{tenant}/";
  for (const char* resource : {"Users", "Groups"}) {
    const std::string name = resource;
    auto handler = [this, name](http::Request& r) { return Serve(r, name); };
    server.Route("GET", base + name, handler);
    server.Route("POST", base + name, handler);
    for (const char* method : {"GET", "PUT", "PATCH", "DELETE"})
      server.Route(method, base + name + "/{id}", handler);
  }
  for (const char* resource : {"ServiceProviderConfig", "Schemas", "ResourceTypes"}) {
    const std::string name = resource;
    auto handler = [this, name](http::Request& r) { return Serve(r, name); };
    server.Route("GET", base + name, handler);
    if (name != "ServiceProviderConfig") server.Route("GET", base + name + "/{id}", handler);
  }
  server.Use(std::string(kPrefix), [this](http::Request& r) { return Authenticate(r); });
  server.SetErrorRenderer(std::string(kPrefix), [](int status, const std::string& detail) {
    return ToHttp(ScimService::Error(status, "", detail));
  });
}

}  // namespace telsync::scim
