#include "admin/tokens.h"

#include "util/token.h"

namespace telsync::admin {

Result<MintedToken> MintToken(TokenStore& store, const std::string& tenant, const std::string& kind,
                              const std::string& label, int64_t now) {
  if (kind != "admin" && kind != "scim" && kind != "operator")
    return Error::Invalid("must be admin, scim or operator", "kind");
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

}  // namespace telsync::admin
