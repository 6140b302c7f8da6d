// Standard Webhooks signing (https://www.standardwebhooks.com, spec "Signature scheme"):
// the receiver checks `webhook-signature` = "v1," + base64(HMAC-SHA256(key,
// id + "." + timestamp + "." + body)), where `id` is the `webhook-id` header and `timestamp`
// the `webhook-timestamp` header (unix seconds). The shared secret is written
// "whsec_" + base64(key bytes). Pure functions over libsodium; never log the key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace telsync {

// The key bytes of a secret "whsec_<base64>" (the prefix may be left out, as the spec's
// libraries accept). kInvalid, never echoing the secret, when it is not base64 or holds
// fewer than 16 bytes (the spec asks for 24 to 64).
Result<std::string> ParseWebhookSecret(std::string_view secret);

// "v1,<base64 HMAC-SHA256>" of `id`.`timestamp`.`body` under `key` (the key bytes).
std::string SignWebhook(std::string_view key, std::string_view id, int64_t timestamp,
                        std::string_view body);

// Standard base64 (with padding) of `bytes`.
std::string Base64(std::string_view bytes);

}  // namespace telsync
