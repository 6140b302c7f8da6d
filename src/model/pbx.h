// The PBX directory's value types: users, departments (with ring groups), templates.
//
// These are telsync's own store of telephony users (SPEC "PBX directory"). They are
// plain values: the store loads and saves them, the planner compares them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/fields.h"

namespace telsync {

enum class UserState : uint8_t {
  kActive,
  kPendingDelete,  // gone from the source; deleted after grace_days unless it comes back
};

struct PbxUser {
  int64_t id = 0;  // store row id; 0 = not stored yet
  FieldSet fields;
  // The immutable id of the source object this user is linked to (F7). Empty: not linked
  // (a manual user, or one not yet adopted). Unique per profile.
  std::string source_key;
  // The profile that manages this user; empty for a user no profile has adopted.
  std::string profile;
  bool searchable = true;  // false for disabled directory users (F10)
  UserState state = UserState::kActive;
  int64_t pending_since = 0;  // unix seconds when it became kPendingDelete
  // PBX groups: those of the template, and admin-set ones such as "Non AD sync" (F11).
  std::vector<std::string> groups;
  // Custom fields beyond the fixed ones (F6), sorted by name, names unique.
  std::vector<std::pair<std::string, std::string>> custom;
  // Licence / subscription: set by the operator only; a sync never writes it (F16).
  std::string subscription;
};

// A PbxUser held on the heap and copied deeply: a plan item's target. Most items of a
// resync (unchanged, skipped) carry no state, and a million inline users would cost a
// quarter of a gigabyte and as many page faults (P1). Reading an unset target reads an
// empty user; writing through it creates one.
class TargetUser {
 public:
  TargetUser() = default;
  TargetUser(const TargetUser& other)
      : user_(other.user_ ? std::make_unique<PbxUser>(*other.user_) : nullptr) {}
  TargetUser(TargetUser&&) noexcept = default;
  TargetUser& operator=(const TargetUser& other) {
    if (this != &other) user_ = other.user_ ? std::make_unique<PbxUser>(*other.user_) : nullptr;
    return *this;
  }
  TargetUser& operator=(TargetUser&&) noexcept = default;
  TargetUser& operator=(const PbxUser& user) {
    user_ = std::make_unique<PbxUser>(user);
    return *this;
  }
  TargetUser& operator=(PbxUser&& user) {
    user_ = std::make_unique<PbxUser>(std::move(user));
    return *this;
  }

  bool has_value() const { return user_ != nullptr; }
  PbxUser& operator*() {
    if (!user_) user_ = std::make_unique<PbxUser>();
    return *user_;
  }
  const PbxUser& operator*() const { return user_ ? *user_ : Empty(); }
  PbxUser* operator->() { return &**this; }
  const PbxUser* operator->() const { return &**this; }

 private:
  static const PbxUser& Empty() {
    static const PbxUser kEmpty;
    return kEmpty;
  }
  std::unique_ptr<PbxUser> user_;
};

struct Department {
  int64_t id = 0;
  std::string name;                  // the department's name as the directory spells it
  std::string profile;               // the profile that imported it
  std::string ring_group;            // ring-group number, from the profile's range (F15)
  std::vector<std::string> members;  // usernames, sorted
};

// A template applied to created users (F13).
struct Template {
  std::string name;
  std::vector<std::string> groups;
  std::string caller_id;
  std::vector<std::pair<std::string, std::string>> settings;
};

// Everything the planner needs to know about what is stored for one profile.
struct StoreSnapshot {
  // Users of the tenant that this profile manages, plus the tenant's unlinked users
  // (candidates for adoption by e-mail / username, F7), plus users of other profiles
  // of the tenant (for uniqueness of username, e-mail, extension, numbers).
  std::vector<PbxUser> users;
  std::vector<Department> departments;  // of this profile
};

}  // namespace telsync
