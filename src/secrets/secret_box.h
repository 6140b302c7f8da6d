// Secrets at rest (SPEC R4): what telsync keeps in its store that would let someone into
// another system (a Graph client secret, an LDAP bind password) is sealed with an AEAD.
//
//   - The cipher is libsodium's XChaCha20-Poly1305 (IETF): a random 24-byte nonce per
//     seal, so one key seals any number of values without nonce reuse.
//   - The associated data names where the value belongs ("tenant/profile/source.client_secret"):
//     a sealed value copied to another tenant, profile or field does not open.
//   - A sealed value is one printable string, stored where the plain value was:
//         tsec1.<key id>.<base64url(nonce || ciphertext)>
//     The key id (16 hex digits, a BLAKE2b digest of the key) says which key sealed it, so
//     `secrets status` counts secrets per key and a wrong key is named, not guessed.
//   - The key is 32 random bytes in a key file of mode 0600 (SecretKey::CreateFile). A key
//     file readable by others is refused.
//
// Thread-safe: a SecretKey is immutable after loading.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "util/result.h"

namespace telsync {

class SecretKey {
 public:
  static constexpr size_t kKeyBytes = 32;

  // Reads a key file. kNotFound when it does not exist; kInvalid when it is not a telsync
  // key file or is readable by group or others.
  static Result<SecretKey> LoadFile(const std::string& path);
  // Writes a new random key to `path` with mode 0600 (kConflict when the file exists).
  static Result<SecretKey> CreateFile(const std::string& path);
  // A key from its raw bytes (tests).
  static SecretKey FromBytes(const std::array<unsigned char, kKeyBytes>& bytes);

  // 16 hex digits naming this key; safe to log.
  const std::string& id() const { return id_; }

  // Seals `plain` for the place `where` (the associated data).
  std::string Seal(std::string_view plain, std::string_view where) const;
  // Opens a sealed value. kInvalid when it is not one, or was sealed by another key, or for
  // another place, or was altered; the message names the key id, never the value.
  Result<std::string> Open(std::string_view sealed, std::string_view where) const;

  ~SecretKey();
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;

 private:
  SecretKey() = default;
  void ComputeId();

  std::array<unsigned char, kKeyBytes> key_{};
  std::string id_;
};

// True for a value SecretKey::Seal made (by its shape; it may still not open).
bool IsSealedSecret(std::string_view value);
// The key id of a sealed value; "" when it is not one.
std::string SealedKeyId(std::string_view value);

}  // namespace telsync
