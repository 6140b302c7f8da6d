#include "targets/sip_credentials.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "model/fields.h"
#include "model/target_route.h"

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
  // Fetched once: EVP_md5() looks the algorithm up again on every digest (two per user of
  // a publish).
  static const EVP_MD* const md5 = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "MD5", nullptr);
    return fetched != nullptr ? fetched : EVP_md5();
  }();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, md5, nullptr);
  return Hex(digest, length);
}

constexpr size_t kPasswordBytes = 16;

// The password written for 16 random bytes.
std::string PasswordOf(const unsigned char* bytes) { return Hex(bytes, kPasswordBytes); }

}  // namespace

bool IsSipUserName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("-_.!~*'()&=+$,;?/").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool SipEnabled(bool searchable, UserState state) {
  return searchable && state == UserState::kActive;
}

SipAccess SipAccessOf(const TargetConfig& target, const FieldSet& fields, bool enabled) {
  const std::optional<Field> field = FieldFromName(target.rule.field);
  if (!RuleRoutes(target.rule, field ? fields.Get(*field) : "")) return SipAccess::kNotRouted;
  if (!enabled && target.disabled_sip != DisabledSip::kKeep) return SipAccess::kBlocked;
  return SipAccess::kAccount;
}

Result<std::optional<SipLogin>> SipLoginOf(TargetStateStore& store, const SecretKey& key,
                                           const std::string& tenant,
                                           const std::vector<TargetConfig>& targets,
                                           const PbxUser& user, int64_t now) {
  const std::string username(user.fields.Get(Field::kUsername));
  if (user.id <= 0 || !IsSipUserName(username)) return std::optional<SipLogin>();
  const bool enabled = SipEnabled(user.searchable, user.state);
  for (const TargetConfig& target : targets) {
    if (target.type != "kamailio") continue;
    const SipAccess access = SipAccessOf(target, user.fields, enabled);
    if (access == SipAccess::kNotRouted) continue;
    if (access == SipAccess::kBlocked) return std::optional<SipLogin>();
    Result<std::string> password = GetOrCreateSipPassword(store, key, tenant, user.id, now);
    if (!password.ok()) return password.error();
    return std::optional<SipLogin>(
        SipLogin{target.name, username, target.domain, std::move(*password)});
  }
  return std::optional<SipLogin>();
}

std::string NewSipPassword() {
  if (sodium_init() < 0) std::abort();  // no entropy source: nothing can be generated
  std::array<unsigned char, kPasswordBytes> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::string out = PasswordOf(bytes.data());
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

Status SipPasswordBook::LoadAll() {
  Result<std::vector<SipCredential>> all = store_.ListSipCredentials(tenant_);
  if (!all.ok()) return all.error();
  sealed_.reserve(all->size() + made_.size());
  for (SipCredential& c : *all) sealed_.emplace(c.user_id, std::move(c.sealed));
  loaded_all_ = true;
  return Ok();
}

Result<std::optional<std::string>> SipPasswordBook::Open(int64_t user_id,
                                                         const std::string& sealed) const {
  Result<std::string> plain = key_.Open(sealed, Where(tenant_, user_id));
  if (!plain.ok()) {
    Error error = plain.error();
    error.context = "SIP credential of user id " + std::to_string(user_id);
    return error;
  }
  return std::optional<std::string>(std::move(*plain));
}

Result<std::optional<std::string>> SipPasswordBook::Find(int64_t user_id) {
  if (auto it = sealed_.find(user_id); it != sealed_.end()) return Open(user_id, it->second);
  if (loaded_all_) return std::optional<std::string>();
  Result<std::optional<std::string>> stored = store_.GetSipCredential(tenant_, user_id);
  if (!stored.ok()) return stored.error();
  if (!*stored) return std::optional<std::string>();
  sealed_.emplace(user_id, **stored);
  return Open(user_id, **stored);
}

Result<std::string> SipPasswordBook::GetOrCreate(int64_t user_id) {
  Result<std::optional<std::string>> found = Find(user_id);
  if (!found.ok()) return found.error();
  if (*found) return std::move(**found);
  std::string password = NextPassword();
  std::string sealed = key_.Seal(password, Where(tenant_, user_id));
  sealed_.emplace(user_id, sealed);
  made_.push_back({user_id, std::move(sealed)});
  return password;
}

SipPasswordBook::~SipPasswordBook() { sodium_memzero(random_.data(), random_.size()); }

std::string SipPasswordBook::NextPassword() {
  if (random_used_ + kPasswordBytes > random_.size()) {
    // One system call for many passwords (a first publish makes one per user).
    if (sodium_init() < 0) std::abort();  // no entropy source: nothing can be generated
    random_.resize(kPasswordBytes * 256);
    randombytes_buf(random_.data(), random_.size());
    random_used_ = 0;
  }
  unsigned char* bytes = random_.data() + random_used_;
  std::string password = PasswordOf(bytes);
  sodium_memzero(bytes, kPasswordBytes);  // each byte is used once
  random_used_ += kPasswordBytes;
  return password;
}

Status SipPasswordBook::Flush(int64_t now) {
  if (made_.empty()) return Ok();
  // In key order: the store's primary key index is written front to back, not at random.
  std::sort(made_.begin(), made_.end(),
            [](const SipCredential& a, const SipCredential& b) { return a.user_id < b.user_id; });
  if (Status s = store_.PutSipCredentials(tenant_, made_, now); !s.ok()) return s;
  made_.clear();
  return Ok();
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
