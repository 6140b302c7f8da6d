#include "targets/webhook/webhook_signature.h"

#include <sodium.h>

#include <cstdlib>
#include <vector>

namespace telsync {
namespace {

void InitSodium() {
  // sodium_init fails only when the system has no entropy source; HMAC needs none, but every
  // other libsodium call of the process does.
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
}

}  // namespace

std::string Base64(std::string_view bytes) {
  InitSodium();
  const size_t size = sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(size, '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(size - 1);  // the terminating NUL
  return out;
}

Result<std::string> ParseWebhookSecret(std::string_view secret) {
  InitSodium();
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.substr(0, kPrefix.size()) == kPrefix) secret.remove_prefix(kPrefix.size());
  std::vector<unsigned char> key(secret.size() + 1);
  size_t length = 0;
  const char* end = nullptr;
  if (secret.empty() ||
      sodium_base642bin(key.data(), key.size(), secret.data(), secret.size(), nullptr, &length,
                        &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != secret.data() + secret.size()) {
    return Error::Invalid(
        "the secret must be whsec_ followed by the base64 of the key (Standard Webhooks)");
  }
  if (length < 16) {
    return Error::Invalid("the secret's key has " + std::to_string(length) +
                          " bytes; at least 16 are needed (24 to 64 recommended)");
  }
  return std::string(reinterpret_cast<const char*>(key.data()), length);
}

std::string SignWebhook(std::string_view key, std::string_view id, int64_t timestamp,
                        std::string_view body) {
  InitSodium();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  auto feed = [&state](std::string_view part) {
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(part.data()),
                                  part.size());
  };
  const std::string ts = std::to_string(timestamp);
  feed(id);
  feed(".");
  feed(ts);
  feed(".");
  feed(body);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  return "v1," + Base64(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
}

}  // namespace telsync
