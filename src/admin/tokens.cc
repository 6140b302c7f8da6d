#include "admin/tokens.h"

#include "util/token.h"

namespace telsync::admin {

Result<MintedToken> MintToken(TokenStore& store, const std::string& tenant, const std::string& kind,
                              const std::string& label, int64_t now) {
  if (kind != "admin" && kind != "scim" && kind != "operator" && kind != "phonebook")
    return Error::Invalid("must be admin, scim, operator or phonebook").WithField("kind");
  Result<std::string> secret = GenerateToken();
  if (!secret.ok()) return secret.error();
  MintedToken minted;
  minted.token.tenant = tenant;
  minted.token.kind = kind;
  minted.token.label = label;
  minted.token.hash = Sha256Hex(*secret);
  minted.token.created_at = now;
  Result<int64_t> id = store.AddToken(minted.token);
  if (!id.ok()) return id.error();
  minted.token.id = *id;
  minted.secret = std::move(*secret);
  return minted;
}

Result<std::vector<ApiToken>> ListTokens(TokenStore& store, const std::string& tenant,
                                         const std::vector<std::string>& kinds) {
  std::vector<ApiToken> all;
  for (const std::string& kind : kinds) {
    Result<std::vector<ApiToken>> tokens = store.ListTokens(tenant, kind);
    if (!tokens.ok()) return tokens.error();
    all.insert(all.end(), tokens->begin(), tokens->end());
  }
  return all;
}

Status RevokeTokens(TokenStore& store, const std::string& tenant, const std::string& kind,
                    int64_t id, int64_t now) {
  return store.RevokeToken(tenant, kind, id, now);
}

Status RevokeTenantToken(TokenStore& store, const std::string& tenant, int64_t id, int64_t now) {
  Result<std::vector<ApiToken>> tokens = ListTokens(store, tenant, {"admin", "scim"});
  if (!tokens.ok()) return tokens.error();
  for (const ApiToken& t : *tokens) {
    if (t.id != id || t.revoked_at != 0) continue;
    if (Status s = store.RevokeToken(tenant, t.kind, id, now); !s.ok())
      return s.error().WithField("id");
    return Ok();
  }
  return Error::NotFound("no valid token " + std::to_string(id)).WithField("id");
}

}  // namespace telsync::admin
