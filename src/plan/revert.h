// The revert planner (issue 18 §2, SPEC F27): the inverse of one applied run, as a Plan.
//
// A pure function like MakePlan (STYLE.md rule 7): the run's recorded items and the runs
// applied after it in, the store's current snapshot in, a Plan out. No I/O, no clock. The
// plan is previewed, reported and applied like any other (a `revert` run):
//   - a user the run created is deleted (protect_mobile blocks it as in a sync);
//   - a field the run updated gets its old value back;
//   - a user the run deleted is created again with its old fields, extension and row id
//     (item.user_id; 0 when another user holds that id now: a new one);
//   - department and ring-group changes are undone.
// A value that is no longer what the run wrote is not overwritten: that field is a
// kConflict item, its reason "changed since run ID by run K" (K: the newest later run
// that wrote it; "outside telsync" when none did). Unique values (F8) a revert would
// give back but another user holds now are conflicts too. The deletion threshold holds
// the plan as in a sync (Plan::held), unless `approved`.
// Known limit: a revert of a restore makes the user pending delete again from the
// reverted run's start (the run items do not keep when it was first marked).
#pragma once

#include <cstdint>
#include <vector>

#include "config/profile.h"
#include "model/pbx.h"
#include "model/plan.h"
#include "model/run.h"

namespace telsync {

// One recorded run: what the store's GetRun, GetRunItems and GetRunDepartments return.
struct RecordedRun {
  Run run;
  std::vector<PlanItem> items;
  std::vector<DepartmentChange> departments;
};

struct RevertInput {
  RecordedRun reverted;
  // The runs of the profile applied after it (sync or revert, success or partial), oldest
  // first: who changed a value since.
  std::vector<RecordedRun> later;
};

// The inverse plan of input.reverted against `current` (LoadSnapshot of the run's
// profile). plan.tenant / profile / source name the profile and "revert of run ID".
Plan MakeRevertPlan(const RevertInput& input, const StoreSnapshot& current, const Profile& profile,
                    bool approved = false);

// The value of change field `field` ("email", "searchable", "state", "source_key",
// "groups", "custom.<name>") that `user` holds, as FieldChange values spell it.
std::string ChangeFieldValue(const PbxUser& user, const std::string& field);

}  // namespace telsync
