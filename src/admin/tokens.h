// Bearer tokens minted once for the CLI and the REST API (issue 16 item 1): the secret is
// returned to the caller, who shows it once; only its SHA-256 is stored (util/token.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/token_store.h"
#include "util/result.h"

namespace telsync::admin {

// A token just added to the store: `secret` is the only copy of the usable token.
struct MintedToken {
  ApiToken token;      // as stored, with its id; token.hash is the SHA-256 of `secret`
  std::string secret;  // shown once, never stored
};

// Generates a token of `kind` ("admin", "scim", "operator" or "phonebook": the desk phones'
// company phonebook, server/phonebook/routes.h) for `tenant` ("" for an operator token)
// and stores its hash. kInvalid (field "kind") for another kind;
// kInternal when the CSPRNG fails; the store's error when it cannot be added.
Result<MintedToken> MintToken(TokenStore& store, const std::string& tenant, const std::string& kind,
                              const std::string& label, int64_t now);

// The tenant's tokens of each of `kinds` in turn ("admin", "scim"), revoked ones too, never
// a secret. The store's error when it cannot list them.
Result<std::vector<ApiToken>> ListTokens(TokenStore& store, const std::string& tenant,
                                         const std::vector<std::string>& kinds);

// `telsync admin|scim token revoke`: revokes token `id` of `kind`, or every token of `kind`
// of the tenant when `id` is 0; the store's kNotFound when none matched.
Status RevokeTokens(TokenStore& store, const std::string& tenant, const std::string& kind,
                    int64_t id, int64_t now);

// DELETE /api/v1/tenants/{t}/tokens/{id}: revokes the tenant's admin or SCIM token `id`.
// kNotFound (field "id", "no valid token ID") when the tenant has no such token not yet
// revoked (another tenant's token is one it does not have); the store's error (field "id").
Status RevokeTenantToken(TokenStore& store, const std::string& tenant, int64_t id, int64_t now);

}  // namespace telsync::admin
