// TokenAuth: the one authentication of the REST API and the SCIM endpoints (issue 15 item 2).
//
// A request carries `Authorization: Bearer <token>`. In order:
//
//   1. The token's SHA-256 is looked up among the token kinds the surface accepts (REST:
//      "admin", then "operator"; SCIM: "scim"). Lookups are cached for `cache_seconds`
//      (default 5), valid and invalid ones alike, so a flood of garbage tokens does not
//      become a flood of store reads.
//   2. The tenant of the URL. A tenant's token is valid only on that tenant's URLs: on
//      another tenant's URL it gets exactly the answer an unknown token gets (401, "the
//      token is not valid for this tenant URL"), on REST and on SCIM alike, so a token
//      learns nothing of whether another tenant exists. An operator token reaches every
//      tenant (the REST API answers 404 for a tenant that does not exist).
//   3. The surface's per-tenant token bucket: throttled means 429 with Retry-After.
//
// Revocation. Forget() empties the cache: the REST API calls it after it revokes or
// creates a token or deletes a tenant, so on that node a revoked token, or any token of a
// deleted tenant, is refused by the next request. Another node (another `serve` on the
// store, or a CLI command such as `scim token revoke`) is seen within `cache_seconds`.
//
// One TokenAuth is shared by the REST API and the SCIM endpoints of a process. Thread-safe:
// the store it reads is (store/store.h), and its cache has its own mutex.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/http/server.h"
#include "store/token_store.h"

namespace telsync {

// What an operator token stands for where a tenant's token has its tenant: its key in
// TokenAuth's cache and rate limit, and the REST API's request principal. No tenant name
// can be "*".
inline constexpr std::string_view kOperator = "*";

// What one surface accepts.
struct AuthScope {
  std::vector<std::string> kinds;        // token kinds looked up, in this order
  std::string operator_kind;             // one of `kinds` that reaches every tenant; "" = none
  http::RateLimiter* limiter = nullptr;  // per tenant; nullptr = no limit
};

struct AuthOutcome {
  enum class Verdict {
    kAllowed,
    kNoToken,      // no bearer token: 401
    kInvalid,      // unknown, revoked, or another tenant's token: 401
    kUnavailable,  // the token store does not answer: 503
    kThrottled,    // the tenant's bucket is empty: 429 with Retry-After
  };
  Verdict verdict = Verdict::kInvalid;
  std::string tenant;  // kAllowed: the token's tenant ("" for an operator token)
  bool is_operator = false;
  int retry_after = 0;  // kThrottled: seconds
  std::string message;  // for the error body; never the token
};

// The answer to a request TokenAuth did not allow, or nullopt when it did: the status of
// each verdict (401 with WWW-Authenticate, 503, 429 with Retry-After), the body made by the
// surface's `render` (REST's JSON error, SCIM's error resource) from the code and message.
std::optional<http::Response> Refusal(
    const AuthOutcome& outcome,
    const std::function<http::Response(ErrorCode code, const std::string& message)>& render);

class TokenAuth {
 public:
  struct Options {
    double cache_seconds = 5;
    std::function<double()> clock;  // monotonic seconds; default http::MonotonicSeconds
  };
  // `tokens` (a thread-safe store, store/store.h) outlives this.
  TokenAuth(TokenStore& tokens, Options options);
  explicit TokenAuth(TokenStore& tokens) : TokenAuth(tokens, Options{}) {}

  // `authorization`: the Authorization header. `url_tenant`: the tenant the path names, ""
  // for paths without one.
  AuthOutcome Check(std::string_view authorization, const AuthScope& scope,
                    const std::string& url_tenant);
  // Drops every cached lookup (after a revocation, a new token, a tenant deletion).
  void Forget();

 private:
  struct Cached {
    std::string tenant;  // "" = not valid
    std::string kind;
    double expires = 0;
  };
  // The token of `hash` among `kinds`: its tenant and kind, or an empty tenant.
  Result<Cached> Lookup(const std::string& hash, const AuthScope& scope, double now);

  TokenStore& tokens_;
  Options options_;
  std::mutex cache_mutex_;
  // by the scope's kinds joined with the hash: REST and SCIM lookups never mix
  std::unordered_map<std::string, Cached> cache_;
};

}  // namespace telsync
