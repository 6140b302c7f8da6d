// SimulatedStore: a plan applied to an in-memory snapshot, the store's in-memory twin.
//
// The property tests use it to check that planning converges (plan, apply, plan again:
// nothing to do). It applies a plan the way every Store must: a create inserts the target
// with a fresh id (or with item.user_id when set: a restored user keeps its id, issue
// 18); update / restore / unsearchable / pending_delete write the target over the user of
// that id; delete removes it; skip, conflict, error, blocked and unchanged change nothing.
// Departments likewise (matched by name). It ignores plan.held: holding is the executor's
// decision. Not thread-safe; a plain value.
#pragma once

#include <cstdint>

#include "model/pbx.h"
#include "model/plan.h"

namespace telsync {

struct SimulatedStore {
  StoreSnapshot snapshot;
  int64_t next_id = 1;  // ids given to created users and departments

  void Apply(const Plan& plan);
};

}  // namespace telsync
