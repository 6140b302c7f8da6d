// Departments and their ring groups (F15), a stage of plan/planner.cc.
//
// A department's members are the users that will exist after the plan's user items,
// grouped by their department field; a stored department nobody is in any more is deleted
// (when deletes are on, the mode is not new_only and the read was complete), a new one is
// created with the lowest free number of departments.ring_group_range. An incomplete read
// never shrinks a ring group (R1). Pure; a used-up range is an outcome (a department
// without a ring group), not an error.
#pragma once

#include <cstdint>
#include <vector>

#include "config/profile.h"
#include "model/pbx.h"
#include "model/plan.h"

namespace telsync::plan_detail {

// The department changes of a plan whose user items are `items`; `item_stored[k]` is the
// stored user item k is about (an index into stored.users) or -1. Stored departments
// first, in store order, then new ones by name.
// `scoped`: the items are those of some users only (an incremental run, PlanOptions::
// only_keys). A department's members are then its stored members, less the stored users
// the items are about (as they were), plus what the items make of them: the same members a
// plan of every user gives, as long as the stored members are what the last plan made.
std::vector<DepartmentChange> PlanDepartments(const std::vector<PlanItem>& items,
                                              const std::vector<int64_t>& item_stored,
                                              const StoreSnapshot& stored, const Profile& profile,
                                              bool complete, bool scoped = false);

}  // namespace telsync::plan_detail
