#include "server/scim/routes.h"

#include "util/token.h"

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

ScimEndpoint::ScimEndpoint(Store& store, std::mutex& store_mutex, ScimEndpointOptions options)
    : store_(store),
      store_mutex_(store_mutex),
      options_(options),
      limiter_(options.rate_per_second, options.burst) {}

void ScimEndpoint::AddTenant(const std::string& tenant, std::unique_ptr<ScimService> service) {
  services_[tenant] = std::move(service);
}

void ScimEndpoint::SetResolver(Resolver resolver) { resolver_ = std::move(resolver); }

std::optional<http::Response> ScimEndpoint::Authenticate(http::Request& request) {
  auto unauthorized = [](const std::string& detail) {
    http::Response r = ToHttp(ScimService::Error(401, "", detail));
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"telsync\"");
    return r;
  };
  const std::string tenant = TenantOf(request.path);
  const std::string header = request.Header("Authorization");
  constexpr std::string_view kBearer = "bearer ";
  if (header.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), header.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    return unauthorized("a bearer token is required (Authorization: Bearer <secret token>)");
  }
  std::string token = header.substr(kBearer.size());
  while (!token.empty() && token.back() == ' ') token.pop_back();
  const std::string hash = Sha256Hex(token);
  const double now = http::MonotonicSeconds();
  std::string token_tenant;
  bool cached = false;
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(hash);
    if (it != cache_.end() && it->second.expires > now) {
      token_tenant = it->second.tenant;
      cached = true;
    }
  }
  if (!cached) {
    Result<std::optional<ApiToken>> found = Error::Internal("");
    {
      std::lock_guard<std::mutex> lock(store_mutex_);
      found = store_.FindToken("scim", hash);
    }
    if (!found.ok())
      return ToHttp(ScimService::Error(503, "", "the token store is unavailable; retry later"));
    if (found->has_value() && ConstantTimeEquals((*found)->hash, hash))
      token_tenant = (*found)->tenant;
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() > 10000) cache_.clear();  // bounded: garbage tokens cannot grow it
    cache_[hash] = CachedToken{token_tenant, now + options_.token_cache_seconds};
  }
  // The same answer for an unknown token and another tenant's token.
  if (token_tenant.empty() || token_tenant != tenant) {
    return unauthorized("the token is not valid for this tenant URL");
  }
  request.principal = tenant;
  const double wait = limiter_.Take(tenant, now);
  if (wait > 0) {
    http::Response r =
        ToHttp(ScimService::Error(429, "", "too many requests for this tenant; retry later"));
    r.headers.emplace_back("Retry-After", std::to_string(static_cast<int>(wait) + 1));
    return r;
  }
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
    return ToHttp(ScimService::Error(404, "", "this tenant has no profile with source.type scim"));
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
