// Uniqueness (F8) and extension allocation (F14), a stage of plan/planner.cc.
//
// For each unique field (keys.h) a Claims index records who holds each value. `owner` is
// the holder in the state reached by applying the items planned so far, in order: a stored
// user's index, or stored.size() + desired index for a user this plan creates. `claimant`
// is the one desired user that may have the value when several ask for it; the others are
// conflicts. The claimant is the user who holds it now (the desired user linked to, or
// adopting, the stored holder), else the one with the smallest source id: never the order
// the source returned them in (issue 14 item 5), so a delta read and a full read decide
// alike. The order extensions of a range are given out in is the same (by source id).
// Consequence, by design: a value moving from a user later in source order to an earlier
// one is a conflict in this run and applied in the next, so no state between two applied
// items ever holds a duplicate (the end state does not depend on the order). Values of users
// deleted in this plan are released before the desired users are planned (the store
// applies deletions first).
//
// Claims keeps references to the snapshot and the desired users, which must outlive it.
// Not thread-safe. A conflict is an outcome (a reason), not an error.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/profile.h"
#include "model/explanation.h"
#include "model/pbx.h"
#include "plan/detail/flat_index.h"
#include "plan/detail/keys.h"
#include "plan/detail/link.h"
#include "plan/validate.h"

namespace telsync::plan_detail {

class Claims {
 public:
  // Indexes the values the stored users hold. A store that already holds a duplicate
  // keeps its first holder as the owner.
  Claims(const StoreSnapshot& stored, const std::vector<DesiredUser>& desired);

  // Records who may claim each value the desired users ask for. `match` is
  // Links::Matches(): the values a matched stored user holds are its desired user's. A
  // disabled user that is skipped or deleted is never written: it claims nothing.
  void AddClaimants(const std::vector<int32_t>& match, const PolicyConfig& policy);

  // Why desired user i, who becomes holder `self` with the unique values `new_values`,
  // cannot be written: a value it asks for is another desired user's claim, or a value it
  // would have is held by someone else ("e-mail \"a@b.se\" is also used by bert").
  // nullopt: no conflict.
  std::optional<std::string> FindConflict(size_t i, int64_t self, const UniqueValues& new_values);

  // For `telsync explain`: each unique value desired user i (holder `self`) would have,
  // who holds it now and which desired user may claim it. Not for the hot path.
  std::vector<ExplainStep> Describe(size_t i, int64_t self, const UniqueValues& new_values);

  // Stored user s is deleted by this plan: the values it holds are free.
  void Release(size_t s);
  // Holder `self` is written with `new_values` instead of `old_values`.
  void Move(int64_t self, const UniqueValues& old_values, const UniqueValues& new_values);

  // Gives out extensions from `range` (in source id order) to the desired users that will
  // need one, before planning, so the numbers do not depend on the order a source returns
  // users in. Call after the deletions have released their values.
  void PreallocateExtensions(const RangeConfig& range, const PolicyConfig& policy, Links& links);
  // Desired user i's preallocated extension: nullopt when none was preallocated (it was
  // expected to be a conflict), "" when the range had none left.
  std::optional<std::string_view> Preallocated(size_t i) const {
    const auto it = preallocated_.find(static_cast<uint32_t>(i));
    if (it == preallocated_.end()) return std::nullopt;
    return it->second;
  }
  // The lowest number of `range` no stored or desired user holds, reserved so that later
  // desired users cannot get it; nullopt when the range is used up. The cursor only moves
  // up: a number freed during this plan is reused by the next run.
  std::optional<std::string_view> AllocateExtension(const RangeConfig& range);

 private:
  // 32 bits: the index is the planner's hottest memory (P1).
  struct Claim {
    int32_t owner = kNone;
    int32_t claimant = kNone;
  };

  std::string OwnerName(int64_t owner) const;

  const StoreSnapshot& stored_;
  const std::vector<DesiredUser>& desired_;
  KeyFolder keys_;  // folded values and allocated extensions the indexes view
  std::array<FlatIndex<Claim>, kUniqueFields.size()> claims_;
  std::unordered_map<uint32_t, std::string_view> preallocated_;  // desired -> extension
  int64_t next_extension_ = 0;
};

}  // namespace telsync::plan_detail
