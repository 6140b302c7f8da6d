// Validation (F8): a mapped user becomes a desired PBX user, or is rejected with a reason.
//
// Pure and thread-safe (const): run it on all cores. Checks, in order, each failure a
// reason that names the user, the field and why:
//   - every value is text (UTF-8 without NUL): "department is not valid UTF-8 at byte 3"
//   - required fields (ValidationConfig::required; "phone" = a landline or a mobile)
//   - e-mail shape (one '@', a dot in the domain, no spaces)
//   - landline / mobile parsed with libphonenumber (strict or lenient), stored as E.164
//   - extension numeric and of the configured length
//   - username: present, no control characters or spaces
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/profile.h"
#include "mapping/user_mapping.h"
#include "model/explanation.h"
#include "model/pbx.h"
#include "phone/phone.h"
#include "util/result.h"

namespace telsync {

// A source user as the PBX should have it.
// The UPN and the source groups are rarely needed (a UPN that differs from the e-mail; a
// rule on groups), so they sit behind one pointer: 48 bytes less per user, at a million
// users held while planning.
struct DesiredUser {
  PbxUser user;  // fields normalised; source_key set; id 0
  bool enabled = true;

  // Match key (F7); empty when it equals the e-mail (the usual case).
  std::string_view upn() const { return extra_ ? std::string_view(extra_->upn) : ""; }
  // Display names of the source groups, for rules; empty unless a rule reads them.
  const std::vector<std::string>& source_groups() const {
    static const std::vector<std::string> kNone;
    return extra_ ? extra_->source_groups : kNone;
  }
  void set_upn(std::string upn) {
    if (!upn.empty() || extra_) Extra().upn = std::move(upn);
  }
  void set_source_groups(std::vector<std::string> groups) {
    if (!groups.empty() || extra_) Extra().source_groups = std::move(groups);
  }

 private:
  struct Extras {
    std::string upn;
    std::vector<std::string> source_groups;
  };
  Extras& Extra() {
    if (!extra_) {
      extra_ = std::make_shared<Extras>();
    } else if (extra_.use_count() > 1) {
      extra_ = std::make_shared<Extras>(*extra_);  // copy on write: copies stay independent
    }
    return *extra_;
  }
  // Shared between copies of a desired user until one of them is changed.
  std::shared_ptr<Extras> extra_;
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
  // `trace` (null in a normal run: `telsync explain` sets it for one user) receives each
  // check in the order made, with pass or fail and the reason; the phone checks give the
  // libphonenumber result. The checks after a failure are not made.
  Result<DesiredUser> Validate(MappedUser mapped, std::vector<ExplainStep>* trace = nullptr) const;

 private:
  ValidationConfig config_;
  PhoneNormalizer phone_;
  // Source groups are kept only when a rule reads them (field "group"): at a million
  // users they are the largest part of a desired user that nothing else needs.
  bool keep_source_groups_ = false;
};

}  // namespace telsync
