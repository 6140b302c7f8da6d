// Bearer tokens minted once for the CLI and the REST API (issue 16 item 1): the secret is
// returned to the caller, who shows it once; only its SHA-256 is stored (util/token.h).
#pragma once

#include <cstdint>
#include <string>

#include "store/token_store.h"
#include "util/result.h"

namespace telsync::admin {

// A token just added to the store: `secret` is the only copy of the usable token.
struct MintedToken {
  ApiToken token;      // as stored, with its id; token.hash is the SHA-256 of `secret`
  std::string secret;  // shown once, never stored
};

// Generates a token of `kind` ("admin", "scim" or "operator") for `tenant` ("" for an
// operator token) and stores its hash. kInvalid (context "kind") for another kind;
// kInternal when the CSPRNG fails; the store's error when it cannot be added.
Result<MintedToken> MintToken(TokenStore& store, const std::string& tenant, const std::string& kind,
                              const std::string& label, int64_t now);

}  // namespace telsync::admin
