// The approval of a held run (F12): what an approval may apply.
//
// An admin approves a held run after reading its plan. The approval plans again from a
// fresh read, without the deletion threshold (PlanOptions::approved), and applies that
// plan only if it deletes nothing the held run did not show: if the directory changed so
// that the new plan deletes (or marks pending delete) a user the held run did not list, the
// admin has not seen that deletion, so the new plan is held again. Creates and updates are
// not compared: they are not what the hold protects against. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/plan.h"

namespace telsync {

// What the held run showed, as the store recorded it (the engine reads it).
struct HeldRun {
  int64_t id = 0;
  // The held run's kDelete and kPendingDelete items: (action, source key).
  std::vector<std::pair<Action, std::string>> deletions;
};

// `plan` (the approval's plan), held again when one of its deletions is not one of
// `held.deletions` with the same action and key: the first such item in plan order names
// the reason ("the directory changed since run 7 was held: delete of anna was not part of
// it; review the new run"). Otherwise `plan` as it was.
Plan ReholdForApproval(Plan plan, const HeldRun& held);

}  // namespace telsync
