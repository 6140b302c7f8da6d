#include "secrets/secret_box.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>

namespace telsync {

namespace {

constexpr std::string_view kSealedPrefix = "tsec1.";
constexpr std::string_view kKeyLinePrefix = "tsk1:";
constexpr size_t kIdHexDigits = 16;
constexpr int kBase64Variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

void InitSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    // sodium_init fails only when the system has no entropy source: nothing can be sealed.
    if (sodium_init() < 0) std::abort();
  });
}

std::string ToBase64(const unsigned char* bytes, size_t n) {
  std::string out(sodium_base64_encoded_len(n, kBase64Variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, n, kBase64Variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

bool FromBase64(std::string_view text, std::string& out) {
  out.assign(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, kBase64Variant) != 0) {
    return false;
  }
  out.resize(len);
  return true;
}

bool IsHexId(std::string_view s) {
  if (s.size() != kIdHexDigits) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

SecretKey::~SecretKey() { sodium_memzero(key_.data(), key_.size()); }

void SecretKey::ComputeId() {
  InitSodium();
  // The id is a digest under a fixed context key, so it says nothing about the key itself.
  static constexpr unsigned char kContext[] = "telsync secret key id v1";
  unsigned char digest[kIdHexDigits / 2];
  crypto_generichash(digest, sizeof digest, key_.data(), key_.size(), kContext,
                     sizeof kContext - 1);
  char hex[kIdHexDigits + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  id_ = hex;
}

SecretKey SecretKey::FromBytes(const std::array<unsigned char, kKeyBytes>& bytes) {
  SecretKey key;
  key.key_ = bytes;
  key.ComputeId();
  return key;
}

Result<SecretKey> SecretKey::LoadFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Error::NotFound("secret key file " + path + " does not exist");
    return Error::Invalid("secret key file " + path + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error::Invalid("secret key file " + path + " is readable by group or others (mode " +
                          mode + "); run chmod 600 " + path);
  }
  std::ifstream in(path);
  if (!in) return Error::Invalid("secret key file " + path + ": cannot be read");
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line.compare(0, kKeyLinePrefix.size(), kKeyLinePrefix) != 0) break;
    std::string raw;
    const bool decoded = FromBase64(std::string_view(line).substr(kKeyLinePrefix.size()), raw);
    const bool sized = decoded && raw.size() == kKeyBytes;
    if (!sized) {
      sodium_memzero(raw.data(), raw.size());
      sodium_memzero(line.data(), line.size());
      break;
    }
    SecretKey key;
    std::memcpy(key.key_.data(), raw.data(), kKeyBytes);
    sodium_memzero(raw.data(), raw.size());
    sodium_memzero(line.data(), line.size());
    key.ComputeId();
    return key;
  }
  return Error::Invalid("secret key file " + path +
                        " is not a telsync key file (make one with `telsync secrets init`)");
}

Result<SecretKey> SecretKey::CreateFile(const std::string& path) {
  InitSodium();
  SecretKey key;
  crypto_aead_xchacha20poly1305_ietf_keygen(key.key_.data());
  key.ComputeId();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Error::Conflict("secret key file " + path + " already exists");
    return Error::Invalid("secret key file " + path + ": " + std::strerror(errno));
  }
  std::string text =
      "# telsync secret key " + key.id_ +
      ". Keep it private (mode 0600) and backed up:\n# without it the secrets in the store "
      "cannot be read.\n" +
      std::string(kKeyLinePrefix) + ToBase64(key.key_.data(), key.key_.size()) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  sodium_memzero(text.data(), text.size());
  const bool synced = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    ::unlink(path.c_str());
    return Error::Invalid("secret key file " + path + ": cannot be written");
  }
  return key;
}

std::string SecretKey::Seal(std::string_view plain, std::string_view where) const {
  InitSodium();
  std::string box(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plain.size() +
                      crypto_aead_xchacha20poly1305_ietf_ABYTES,
                  '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(box.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long cipher_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &cipher_len,
      reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
      reinterpret_cast<const unsigned char*>(where.data()), where.size(), nullptr, nonce,
      key_.data());
  return std::string(kSealedPrefix) + id_ + "." +
         ToBase64(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + cipher_len);
}

Result<std::string> SecretKey::Open(std::string_view sealed, std::string_view where) const {
  InitSodium();
  const std::string key_id = SealedKeyId(sealed);
  if (key_id.empty()) return Error::Invalid("not a sealed secret");
  if (key_id != id_) {
    return Error::Invalid("sealed with key " + key_id + ", but the secret key file holds key " +
                          id_);
  }
  std::string box;
  if (!FromBase64(sealed.substr(kSealedPrefix.size() + kIdHexDigits + 1), box) ||
      box.size() < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
                       crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return Error::Invalid("the sealed secret is damaged");
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(box.data());
  const size_t cipher_len = box.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::string plain(cipher_len - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &plain_len, nullptr,
          nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, cipher_len,
          reinterpret_cast<const unsigned char*>(where.data()), where.size(), nonce,
          key_.data()) != 0) {
    return Error::Invalid("the sealed secret does not open with key " + id_ +
                          " for this place: it was altered or copied from elsewhere");
  }
  plain.resize(plain_len);
  return plain;
}

bool IsSealedSecret(std::string_view value) { return !SealedKeyId(value).empty(); }

std::string SealedKeyId(std::string_view value) {
  if (value.compare(0, kSealedPrefix.size(), kSealedPrefix) != 0) return "";
  const std::string_view id = value.substr(kSealedPrefix.size(), kIdHexDigits);
  if (!IsHexId(id) || value.size() <= kSealedPrefix.size() + kIdHexDigits + 1 ||
      value[kSealedPrefix.size() + kIdHexDigits] != '.') {
    return "";
  }
  return std::string(id);
}

}  // namespace telsync
