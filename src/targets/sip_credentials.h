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
#include <string>

#include "secrets/secret_box.h"
#include "store/target_state.h"
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

// Kamailio's digests (auth_db with calculate_ha1 0): ha1 = MD5(user:realm:password),
// ha1b = MD5(user@domain:realm:password), as lowercase hex.
std::string SipHa1(const std::string& username, const std::string& realm,
                   const std::string& password);
std::string SipHa1b(const std::string& username, const std::string& domain,
                    const std::string& realm, const std::string& password);

}  // namespace telsync
