// Validation (F8): a mapped user becomes a desired PBX user, or is rejected with a reason.
//
// Pure and thread-safe (const): run it on all cores. Checks, in order, each failure a
// reason that names the user, the field and why:
//   - required fields (ValidationConfig::required; "phone" = a landline or a mobile)
//   - e-mail shape (one '@', a dot in the domain, no spaces)
//   - landline / mobile parsed with libphonenumber (strict or lenient), stored as E.164
//   - extension numeric and of the configured length
//   - username: no control characters or spaces
#pragma once

#include <string>
#include <vector>

#include "config/profile.h"
#include "mapping/user_mapping.h"
#include "model/pbx.h"
#include "phone/phone.h"
#include "util/result.h"

namespace telsync {

// A source user as the PBX should have it.
struct DesiredUser {
  PbxUser user;  // fields normalised; source_key set; id 0
  bool enabled = true;
  std::string upn;  // match key (F7); empty when it equals the e-mail (the usual case)
  std::vector<std::string> source_groups;  // for rules and scope
};

// A source user that cannot be synced, with the reason (becomes an kError plan item).
struct RejectedUser {
  std::string key;       // source immutable id
  std::string username;  // as mapped (may be empty)
  std::string reason;    // "mobile \"+46 70\" is not a valid number for SE"
};

class Validator {
 public:
  explicit Validator(const Profile& profile);

  // The desired user, or an Invalid error whose message is the reason (without the
  // user's name: the caller knows it).
  Result<DesiredUser> Validate(MappedUser mapped) const;

 private:
  ValidationConfig config_;
  PhoneNormalizer phone_;
  // Source groups are kept only when a rule reads them (field "group"): at a million
  // users they are the largest part of a desired user that nothing else needs.
  bool keep_source_groups_ = false;
};

}  // namespace telsync
