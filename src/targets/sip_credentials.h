// SIP credentials (issue 17): one password per PBX user, for the phone that registers as
// that user on a SIP target.
//
//   - Generated with libsodium's randombytes (16 bytes = 128 bits, written as 32 hex
//     digits: every SIP phone accepts them).
//   - Kept only sealed (secrets/secret_box.h), for the place "<tenant>/sip/<user id>", in
//     the store's sip_credentials (TargetStateStore). Targets derive what they store from it
//     (Kamailio: ha1 digests), never the password itself.
//   - Shown once, by `telsync users sip-credentials NAME --reset` (ResetSipPassword).
//
// Errors: the store's; kInvalid when a sealed password does not open with `key`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/fields.h"
#include "model/pbx.h"
#include "secrets/secret_box.h"
#include "store/target_state.h"
#include "targets/target_config.h"
#include "util/result.h"

namespace telsync {

// The user's password, made (and stored) now when the user has none.
Result<std::string> GetOrCreateSipPassword(TargetStateStore& store, const SecretKey& key,
                                           const std::string& tenant, int64_t user_id, int64_t now);
// A new password replaces the old one; returns it (the only time it is shown).
Result<std::string> ResetSipPassword(TargetStateStore& store, const SecretKey& key,
                                     const std::string& tenant, int64_t user_id, int64_t now);
// 32 hex digits of fresh randomness.
std::string NewSipPassword();

// The SIP passwords of one publish, without a store round trip per user: the sealed ones
// are read once (LoadAll, for a full reconcile) or per user, and the new ones are kept
// until Flush writes them in one transaction. A target calls Flush before it commits
// anything derived from them (a digest of a password that was never stored would be a
// phone that can never register). Not thread-safe; borrows `store` and `key`.
class SipPasswordBook {
 public:
  SipPasswordBook(TargetStateStore& store, const SecretKey& key, std::string tenant)
      : store_(store), key_(key), tenant_(std::move(tenant)) {}
  ~SipPasswordBook();
  SipPasswordBook(const SipPasswordBook&) = delete;
  SipPasswordBook& operator=(const SipPasswordBook&) = delete;

  // Reads every sealed password of the tenant: later lookups ask the store nothing.
  Status LoadAll();
  // The user's password when it has one (made in this publish or stored).
  Result<std::optional<std::string>> Find(int64_t user_id);
  // The user's password, made now (and kept for Flush) when it has none.
  Result<std::string> GetOrCreate(int64_t user_id);
  // Stores the passwords made since the last Flush, in one transaction.
  Status Flush(int64_t now);

 private:
  Result<std::optional<std::string>> Open(int64_t user_id, const std::string& sealed) const;
  // A new password (as NewSipPassword), from random bytes drawn in batches.
  std::string NextPassword();

  TargetStateStore& store_;
  const SecretKey& key_;
  std::string tenant_;
  bool loaded_all_ = false;
  std::unordered_map<int64_t, std::string> sealed_;  // user id -> sealed (read or made)
  std::vector<SipCredential> made_;                  // not stored yet
  std::vector<unsigned char> random_;                // drawn, not used yet from random_used_
  size_t random_used_ = 0;
};

// RFC 3261 "user" characters that need no escaping, minus the ones Kamailio's tables and
// phones handle badly: letters, digits and - _ . ! ~ * ' ( ) & = + $ , ; ? /, 1 to 64 of
// them. A username that is not one gets no SIP account.
bool IsSipUserName(std::string_view name);

// What a Kamailio target gives a user (the one rule SipLoginOf and the target's publish
// share): nothing when the target's rule does not route the user, a blocked account (the
// user's aliases, no subscriber) when the user is disabled and the target says
// `disabled_sip: block`, else an account.
enum class SipAccess { kNotRouted, kBlocked, kAccount };
// `enabled`: the user is active and searchable (SipEnabled).
SipAccess SipAccessOf(const TargetConfig& target, const FieldSet& fields, bool enabled);
// A user may register only when it is searchable and active (not pending deletion).
bool SipEnabled(bool searchable, UserState state);

// The login a phone registers with on a Kamailio target.
struct SipLogin {
  std::string target;    // the target's name
  std::string username;  // the PBX username
  std::string domain;    // the target's SIP domain (also the digest realm)
  std::string password;
};

// The SIP login `user` (a stored user: its id is set) has on the first Kamailio target of
// `targets` whose rule routes it, as the target's publish writes it; the password is made
// (and stored sealed) now when the user has none yet, and the publish then uses that one.
// nullopt when no Kamailio target gives the user an account (not routed, no valid
// username, or disabled with disabled_sip: block).
Result<std::optional<SipLogin>> SipLoginOf(TargetStateStore& store, const SecretKey& key,
                                           const std::string& tenant,
                                           const std::vector<TargetConfig>& targets,
                                           const PbxUser& user, int64_t now);

// Kamailio's digests (auth_db with calculate_ha1 0): ha1 = MD5(user:realm:password),
// ha1b = MD5(user@domain:realm:password), as lowercase hex.
std::string SipHa1(const std::string& username, const std::string& realm,
                   const std::string& password);
std::string SipHa1b(const std::string& username, const std::string& domain,
                    const std::string& realm, const std::string& password);

}  // namespace telsync
