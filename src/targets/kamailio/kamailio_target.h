// The Kamailio target (issue 17 §1): a synced user becomes a SIP subscriber that can
// register a phone, and the user's extension and DID become aliases that calls find.
//
// What it writes, in Kamailio's own schema (kamailio_db.h):
//   - subscriber: username = the PBX username, domain = the target's `domain`, ha1 and
//     ha1b from the user's SIP password (sip_credentials.h); the password column stays
//     empty (auth_db: calculate_ha1 0, password_column "ha1").
//   - dbaliases: the extension and the landline (render.phone: e164 or digits) as aliases
//     of username@domain (alias_db_lookup turns a call to 1001 into a call to the user).
// Lifecycle: a deleted user (or one the target's rule no longer routes here) loses its
// subscriber and aliases; a disabled user (unsearchable or pending delete) loses its
// subscriber, so it cannot register, while policy.disabled_sip is `block` (the default;
// `keep` leaves it); its password is kept, so enabling it again restores the same account.
// An extension change moves the alias. Objects telsync did not create are never touched
// (target.h ownership); a username or alias taken by one is a conflict for that user.
// Not thread-safe.
#pragma once

#include <memory>
#include <string>

#include "secrets/secret_box.h"
#include "store/target_state.h"
#include "targets/target.h"

namespace telsync {

// `store` and `key` are borrowed and must outlive the target.
std::unique_ptr<Target> MakeKamailioTarget(const TargetConfig& config, const std::string& tenant,
                                           TargetStateStore& store, const SecretKey& key);

}  // namespace telsync
