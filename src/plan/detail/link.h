// Identity (F7, issue 14 item 6): which stored user each desired user is, a stage of
// plan/planner.cc.
//
// A desired user is *linked* when a stored user of this profile carries its source id (one
// hash join on the immutable id); *relinked* when it has no stored user of its own but its
// e-mail or UPN is the e-mail of a linked stored user this complete read did not return (the
// same person under a new id: AD's objectGUID to Entra's id, a restored tenant); *adopted*
// when it matches an unlinked stored user (no profile, or this profile without a source id)
// by e-mail, UPN or username, case-insensitively; else new. Of two desired users that want
// one stored user, the smaller source id takes it (IdBefore), never the source's order.
// Stored users in the exclusion group (F11) are marked here too: they are never relinked.
//
// Links keeps references to the snapshot, the desired users and the profile, which must
// outlive it. Not thread-safe. Never fails: what matches nothing is simply new.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "config/profile.h"
#include "model/pbx.h"
#include "plan/detail/flat_index.h"
#include "plan/detail/keys.h"
#include "plan/validate.h"

namespace telsync::plan_detail {

class Links {
 public:
  // Indexes the stored users: linked by source id, adoptable by e-mail and username.
  Links(const StoreSnapshot& stored, const std::vector<DesiredUser>& desired,
        const Profile& profile);

  // A stored user of this profile with a source id.
  bool IsLinked(const PbxUser& u) const {
    return !u.source_key.empty() && u.profile == profile_.name;
  }
  // The stored user linked to source id `key` (the first, when the store holds the link
  // twice), or nullptr.
  const size_t* Linked(std::string_view key) const { return linked_.Find(key); }
  // How many source ids are linked to stored users: the base of max_delete_percent.
  size_t linked_count() const { return linked_count_; }
  // Stored user s is in the exclusion group (policy.exclusion_group, F11).
  bool Excluded(size_t s) const { return excluded_[s] != 0; }

  // Finds the relinks among `rejected` and the desired users. Call once, and only for a
  // complete read: a partial read cannot say who is gone. A read of the whole directory
  // says it of every stored user it did not return. A read scoped to keys (`scope`, an
  // incremental run: the input holds only those objects) says it of the scope's users it
  // did not return; of the users outside the scope, `gone` names those the source no
  // longer has (the caller asked its mirror).
  void FindRelinks(const std::vector<RejectedUser>& rejected,
                   const std::unordered_set<std::string>* scope = nullptr,
                   const std::unordered_set<std::string>* gone = nullptr);
  // The gone stored user desired user i takes over, or nullopt.
  std::optional<size_t> Relink(size_t i) const {
    if (relink_.empty()) return std::nullopt;
    const auto it = relink_.find(static_cast<uint32_t>(i));
    if (it == relink_.end()) return std::nullopt;
    return it->second;
  }
  // Every relink: desired index -> stored index.
  const std::unordered_map<uint32_t, size_t>& relinks() const { return relink_; }

  // The unlinked stored user `d` would adopt and what matched ("e-mail \"a@b.se\""), or
  // nullopt. By e-mail, then UPN (against stored e-mails), then username.
  std::optional<std::pair<size_t, std::string>> FindCandidate(const DesiredUser& d);

  // Per desired user, the stored user it is (linked), takes over (relinked) or would adopt
  // (a candidate, even one another desired user wins); kNone for none.
  std::vector<int32_t> Matches();
  // Decides, for each unlinked stored user several desired users match, who adopts it:
  // the smallest source id. `match` is Matches().
  void ChooseAdopters(const std::vector<int32_t>& match);
  // The desired user that adopts unlinked stored user s (ChooseAdopters), or kNone.
  int64_t Adopter(size_t s) const { return adopter_[s]; }

  struct Adoption {
    bool adopted = false;  // false: a conflict, `adopter` takes (or took) the stored user
    int64_t adopter = kNone;
  };
  // Desired user i adopts candidate s, unless another desired user is its adopter or has
  // already adopted it (a repeated source id).
  Adoption Adopt(size_t s, size_t i);

 private:
  bool IsAdoptable(const PbxUser& u) const {
    return u.profile.empty() || (u.profile == profile_.name && u.source_key.empty());
  }

  const StoreSnapshot& stored_;
  const std::vector<DesiredUser>& desired_;
  const Profile& profile_;
  KeyFolder keys_;
  FlatIndex<size_t> linked_;
  size_t linked_count_ = 0;
  std::vector<uint8_t> excluded_;
  std::unordered_map<std::string_view, size_t> unlinked_email_;
  std::unordered_map<std::string_view, size_t> unlinked_username_;
  std::unordered_map<uint32_t, size_t> relink_;  // desired index -> stored user
  std::vector<int64_t> adopter_;                 // per stored user: its adopter, or kNone
  std::vector<int64_t> adopted_by_;              // per stored user: who adopted it so far
};

}  // namespace telsync::plan_detail
