#include "server/auth/token_auth.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "util/token.h"

namespace telsync {
namespace {

constexpr size_t kMaxCached = 10000;  // bounded: garbage tokens cannot grow it

// The token of "Bearer <token>" (the scheme in any case); "" when there is none.
std::string BearerToken(std::string_view header) {
  constexpr std::string_view kBearer = "bearer ";
  if (header.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), header.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    return "";
  }
  std::string_view token = header.substr(kBearer.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return std::string(token);
}

}  // namespace

std::optional<http::Response> Refusal(
    const AuthOutcome& outcome,
    const std::function<http::Response(ErrorCode code, const std::string& message)>& render) {
  switch (outcome.verdict) {
    case AuthOutcome::Verdict::kAllowed:
      return std::nullopt;
    case AuthOutcome::Verdict::kNoToken:
    case AuthOutcome::Verdict::kInvalid: {
      http::Response r = render(ErrorCode::kAuth, outcome.message);
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"telsync\"");
      return r;
    }
    case AuthOutcome::Verdict::kUnavailable:
      return render(ErrorCode::kUnavailable, outcome.message);
    case AuthOutcome::Verdict::kThrottled: {
      http::Response r = render(ErrorCode::kRateLimited, outcome.message);
      r.headers.emplace_back("Retry-After", std::to_string(outcome.retry_after));
      return r;
    }
  }
  return render(ErrorCode::kInternal, "unknown authentication verdict");
}

TokenAuth::TokenAuth(TokenStore& tokens, Options options)
    : tokens_(tokens), options_(std::move(options)) {
  if (!options_.clock) options_.clock = http::MonotonicSeconds;
}

void TokenAuth::Forget() {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  cache_.clear();
}

Result<TokenAuth::Cached> TokenAuth::Lookup(const std::string& hash, const AuthScope& scope,
                                            double now) {
  std::string key;
  for (const std::string& kind : scope.kinds) key += kind + ",";
  key += hash;
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) return it->second;
  }
  Cached found;
  for (const std::string& kind : scope.kinds) {
    Result<std::optional<ApiToken>> token = tokens_.FindToken(kind, hash);
    if (!token.ok()) return token.error();
    if (token->has_value() && ConstantTimeEquals((*token)->hash, hash)) {
      found.tenant = kind == scope.operator_kind ? std::string(kOperator) : (*token)->tenant;
      found.kind = kind;
      break;
    }
  }
  found.expires = now + options_.cache_seconds;
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_[key] = found;
  return found;
}

AuthOutcome TokenAuth::Check(std::string_view authorization, const AuthScope& scope,
                             const std::string& url_tenant) {
  AuthOutcome out;
  const std::string token = BearerToken(authorization);
  if (token.empty()) {
    out.verdict = AuthOutcome::Verdict::kNoToken;
    out.message = "a bearer token is required (Authorization: Bearer <token>)";
    return out;
  }
  const double now = options_.clock();
  Result<Cached> found = Lookup(Sha256Hex(token), scope, now);
  if (!found.ok()) {
    out.verdict = AuthOutcome::Verdict::kUnavailable;
    out.message = "the token store is unavailable; retry later";
    return out;
  }
  out.is_operator = !scope.operator_kind.empty() && found->kind == scope.operator_kind;
  // An unknown token and another tenant's token get one answer.
  if (found->tenant.empty() ||
      (!out.is_operator && !url_tenant.empty() && found->tenant != url_tenant)) {
    out.verdict = AuthOutcome::Verdict::kInvalid;
    out.message = url_tenant.empty() ? "the token is not valid"
                                     : "the token is not valid for this tenant URL";
    return out;
  }
  out.tenant = out.is_operator ? "" : found->tenant;
  if (scope.limiter != nullptr) {
    const std::string bucket = !url_tenant.empty() ? url_tenant : found->tenant;
    const double wait = scope.limiter->Take(bucket, now);
    if (wait > 0) {
      out.verdict = AuthOutcome::Verdict::kThrottled;
      out.retry_after = static_cast<int>(wait) + 1;
      out.message = "too many requests for this tenant; retry later";
      return out;
    }
  }
  out.verdict = AuthOutcome::Verdict::kAllowed;
  return out;
}

}  // namespace telsync
