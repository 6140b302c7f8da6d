// The planner (F7-F16, P1): a pure function from (desired users, stored snapshot, profile,
// now) to a Plan. No I/O, no clock (STYLE.md rule 7).
//
// Algorithm: one hash join on the immutable id; unlinked desired users are then matched
// once against unlinked stored users by e-mail, UPN or username (case-insensitive) and
// adopted (an kUpdate that sets source_key), never duplicated. Linked stored users of the
// profile that the source did not return become pending deletes (or deletes after
// grace_days), unless the read was incomplete (R1), the user is in the exclusion group
// (F11), or protect_mobile blocks it (F12). The deletion threshold holds the whole plan.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "config/profile.h"
#include "model/explanation.h"
#include "model/pbx.h"
#include "model/plan.h"
#include "plan/validate.h"

namespace telsync {

struct PlanInput {
  std::vector<DesiredUser> desired;  // in source order
  std::vector<RejectedUser> rejected;
  bool complete = false;  // the source read was complete
  std::string source;     // for Plan::source
};

struct PlanOptions {
  // Plan for one user only (`telsync sync --user NAME`): the desired user whose
  // username, e-mail or source key equals NAME (case-insensitive), or the stored user of
  // that name. Every other user is left out of the plan. No threshold applies.
  std::optional<std::string> only_user;
  // Plan for these source keys only (the objects a SCIM request touched): items whose key
  // is not listed are left out, and only listed users can be deleted. Empty: everyone.
  // Unlike only_user, the deletion thresholds still hold.
  std::unordered_set<std::string> only_keys;
  // With only_keys (an incremental run, whose input holds only those objects): the linked
  // stored users outside only_keys that the source no longer has (its mirror lacks them).
  // A new desired user may take one of them over by e-mail (a relink), as a full read
  // would let it; the caller names only those a desired user's e-mail or UPN matches.
  std::unordered_set<std::string> gone_keys;
  // Approval of a held run: the deletion threshold does not hold this plan.
  bool approved = false;
  // `telsync explain`: the planner records, while it plans, every decision about the users
  // of this set (by their traced key: a source id, or the stored user's) and the item it
  // plans for each. Not owned; null in a normal run, which then pays one pointer test per
  // user.
  ExplainSet* explain = nullptr;
};

Plan MakePlan(const PlanInput& input, const StoreSnapshot& stored, const Profile& profile,
              int64_t now, const PlanOptions& options = {});

}  // namespace telsync
