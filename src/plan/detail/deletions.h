// Deletions (R1, F10, F12), a stage of plan/planner.cc: which linked stored users the
// source no longer returns, and what happens to them.
//
// A linked stored user of the profile that the source did not return, or returned
// disabled under policy.disabled: delete, is skipped when the read was incomplete (R1) or
// the user is in the exclusion group (F11); else marked pending delete (grace_days > 0),
// left pending until the grace period ends, blocked by protect_mobile, or deleted. The
// deletion threshold (max_deletes, max_delete_percent) counts the plan's deletions.
// Deletions are decided before the desired users are planned, so that the values a
// deleted user frees can be taken in the same plan (the store applies deletions first).
// Pure functions; a skip or block is an outcome with a reason, never an error.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "config/profile.h"
#include "model/pbx.h"
#include "model/plan.h"
#include "plan/detail/link.h"
#include "plan/planner.h"
#include "plan/validate.h"

namespace telsync::plan_detail {

// Disabled users (F10, policy.disabled). A disabled user is written (made unsearchable)
// only under `unsearchable`; under `delete` a linked one takes the deletion path; otherwise
// it is skipped with DisabledSkipReason.
inline bool IsWritten(const DesiredUser& d, const PolicyConfig& policy) {
  return d.enabled || policy.disabled == DisabledAction::kUnsearchable;
}
inline bool TakesDeletionPath(const DesiredUser& d, const PolicyConfig& policy) {
  return !d.enabled && policy.disabled == DisabledAction::kDelete;
}
std::string DisabledSkipReason(const PolicyConfig& policy);

// Whether the read may delete (R1): the source's own flag, and an empty answer from a
// source that used to have users is far more likely a broken scope or filter than a
// company that fired everyone. A read scoped to keys is empty by design: it is not judged.
struct Completeness {
  bool complete = false;
  std::string reason;  // why not complete; empty when complete
};
Completeness JudgeCompleteness(const PlanInput& input, size_t linked_count, bool scoped_to_keys);

// Per stored user, whether the source returned it.
inline constexpr uint8_t kUnseen = 0;
inline constexpr uint8_t kSeen = 1;
inline constexpr uint8_t kSeenDisabled = 2;  // returned disabled, policy.disabled: delete
// The first desired user of a source id decides; a rejected user counts as seen (R1: it is
// in the source, only invalid); a relinked stored user is not gone.
std::vector<uint8_t> FindPresence(const PlanInput& input, size_t stored_count, const Links& links,
                                  const PolicyConfig& policy);

struct Deletion {
  PlanItem item;
  size_t stored = 0;  // the stored user it is about
};
// One item per linked stored user that is not kSeen in `presence`, in store order;
// `only_keys` (when not empty) limits it to those source ids. `explain` (PlanOptions::explain;
// null in a normal run) receives the identity and policy steps of its stored user.
std::vector<Deletion> PlanDeletions(const StoreSnapshot& stored, const Links& links,
                                    const std::vector<uint8_t>& presence, const Profile& profile,
                                    const std::unordered_set<std::string>& only_keys,
                                    const Completeness& completeness, int64_t now,
                                    ExplainSet* explain = nullptr);

// The deletion threshold: why the deletions of `items` hold the plan (max_deletes,
// max_delete_percent of `linked_count`), in that order; empty when they do not.
std::vector<std::string> ThresholdReasons(const std::vector<PlanItem>& items,
                                          const PolicyConfig& policy, size_t linked_count);

}  // namespace telsync::plan_detail
