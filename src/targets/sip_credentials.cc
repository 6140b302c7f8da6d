#include "targets/sip_credentials.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <cstdlib>
#include <optional>

namespace telsync {
namespace {

std::string Where(const std::string& tenant, int64_t user_id) {
  return tenant + "/sip/" + std::to_string(user_id);
}

std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::string Md5Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr);
  return Hex(digest, length);
}

}  // namespace

std::string NewSipPassword() {
  if (sodium_init() < 0) std::abort();  // no entropy source: nothing can be generated
  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::string out = Hex(bytes.data(), bytes.size());
  sodium_memzero(bytes.data(), bytes.size());
  return out;
}

Result<std::string> GetOrCreateSipPassword(TargetStateStore& store, const SecretKey& key,
                                           const std::string& tenant, int64_t user_id,
                                           int64_t now) {
  Result<std::optional<std::string>> sealed = store.GetSipCredential(tenant, user_id);
  if (!sealed.ok()) return sealed.error();
  if (*sealed) {
    Result<std::string> plain = key.Open(**sealed, Where(tenant, user_id));
    if (!plain.ok()) {
      Error error = plain.error();
      error.context = "SIP credential of user id " + std::to_string(user_id);
      return error;
    }
    return plain;
  }
  return ResetSipPassword(store, key, tenant, user_id, now);
}

Result<std::string> ResetSipPassword(TargetStateStore& store, const SecretKey& key,
                                     const std::string& tenant, int64_t user_id, int64_t now) {
  std::string password = NewSipPassword();
  if (Status s =
          store.PutSipCredential(tenant, user_id, key.Seal(password, Where(tenant, user_id)), now);
      !s.ok()) {
    return s.error();
  }
  return password;
}

std::string SipHa1(const std::string& username, const std::string& realm,
                   const std::string& password) {
  return Md5Hex(username + ":" + realm + ":" + password);
}

std::string SipHa1b(const std::string& username, const std::string& domain,
                    const std::string& realm, const std::string& password) {
  return Md5Hex(username + "@" + domain + ":" + realm + ":" + password);
}

}  // namespace telsync
