// TokenStore: the bearer tokens of the SCIM endpoints and the REST API, kept only as hashes
// (one role of store/store.h).
//
// Ownership: results are values the caller owns. The store never sees a token, only the
// SHA-256 hex of it.
// Absence: an unknown or revoked token is std::nullopt (FindToken); a tenant without
// tokens lists none.
// Errors: kNotFound from RevokeToken as it says, kUnavailable when the database cannot be
// reached or stays locked too long, kInternal otherwise.
// Thread safety: as the Store that implements it (store.h): a store from OpenStore or
// Database may be called from several threads at once (TokenAuth looks tokens up from
// every HTTP thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace telsync {

// An API bearer token, kept only as a hash (SHA-256 hex of the token).
struct ApiToken {
  int64_t id = 0;
  std::string tenant;
  std::string kind;  // "scim" (Entra provisioning) or "admin" (REST API)
  std::string label;
  std::string hash;
  int64_t created_at = 0;
  int64_t revoked_at = 0;  // 0 = valid
};

class TokenStore {
 public:
  virtual ~TokenStore() = default;

  // Records the token (token.id is ignored); returns its new id.
  virtual Result<int64_t> AddToken(const ApiToken& token) = 0;
  // The tenant's tokens of the kind, revoked ones included, oldest first.
  virtual Result<std::vector<ApiToken>> ListTokens(const std::string& tenant,
                                                   const std::string& kind) = 0;
  // Stamps revoked_at = now. id 0 revokes every valid token of the tenant and kind.
  // kNotFound when none was valid.
  virtual Status RevokeToken(const std::string& tenant, const std::string& kind, int64_t id,
                             int64_t now) = 0;
  // The valid token of the kind with this hash. The one lookup not scoped by a tenant: the
  // token is what names the tenant. Revoked tokens are never found.
  virtual Result<std::optional<ApiToken>> FindToken(const std::string& kind,
                                                    const std::string& hash) = 0;
};

}  // namespace telsync
