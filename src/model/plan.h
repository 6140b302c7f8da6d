// Plan: every change a sync would make, as a value (STYLE.md rule 8).
//
// A preview is a plan that is not applied. Reports, the deletion threshold and the
// executor all read the same Plan. Items are ordered: the order of the source read for
// desired users, then deletions, in store order.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/pbx.h"
#include "model/target_route.h"

namespace telsync {

enum class Action : uint8_t {
  kCreate,         // a new PBX user
  kUpdate,         // fields change in place (also: adoption of an unlinked user)
  kDelete,         // removed from the PBX
  kPendingDelete,  // gone from the source: marked, deleted after grace_days
  kRestore,        // was pending delete and came back
  kUnsearchable,   // disabled in the directory: kept, hidden from search (F10)
  kRelink,         // the same person under a new source id (AD -> Entra, a restored tenant):
                   // the PBX user keeps everything and follows the new id (issue 14 item 6)
  kUnchanged,      // in both, nothing to do ("existing users" of the AD report)
  kSkip,           // left alone on purpose: excluded, paused, switched off (reason says why)
  kConflict,       // duplicate e-mail / username / extension / number (reason says with whom)
  kError,          // invalid source data (reason names the field)
  kBlocked,        // a delete prevented by policy, e.g. protect_mobile (F12)
  kCount,
};

inline constexpr size_t kActionCount = static_cast<size_t>(Action::kCount);

// True for the actions that change the PBX directory when applied: create, update,
// delete, pending_delete, restore, unsearchable.
bool IsWrite(Action a);

// "create", "update", "delete", "pending_delete", "restore", "unsearchable", "unchanged",
// "skip", "conflict", "error", "blocked".
std::string_view ActionName(Action a);
std::optional<Action> ActionFromName(std::string_view name);
// The summary key of the preview JSON: like ActionName but plural where DESIGN §4 says
// so ("skipped", "conflicts", "errors").
std::string_view SummaryKey(Action a);

struct FieldChange {
  std::string field;  // FieldName(), "searchable", "groups", "custom.<name>", "source_key"
  std::string old_value;
  std::string new_value;
};

struct PlanItem {
  Action action = Action::kUnchanged;
  // Source immutable id for source users; "user:<id>" for stored users with no source.
  std::string key;
  std::string username;
  std::vector<FieldChange> changes;
  std::string reason;   // why: for skip, conflict, error, blocked, delete, held...
  int64_t user_id = 0;  // the stored user's row id; 0 for a create
  // The full state after this item, for create / update / restore / unsearchable /
  // pending_delete; the executor writes it as is.
  TargetUser target;
};

// The field changes to show for an item. A create's item carries its full state in
// `target` and no changes (a first sync of a million users would otherwise hold every
// value twice); this derives them: every non-empty field as "" -> value, plus
// searchable, groups and custom fields. Other items: item.changes as they are.
std::vector<FieldChange> EffectiveChanges(const PlanItem& item);

struct DepartmentChange {
  Action action = Action::kUnchanged;  // kCreate, kUpdate, kDelete, kUnchanged
  Department target;                   // the state after the change (the old one for kDelete)
  std::vector<FieldChange> changes;    // "ring_group", "members"
};

struct Plan {
  std::string tenant;
  std::string profile;
  std::string source;     // "file:examples/directory.json", "graph:contoso", ...
  bool complete = false;  // the source read every object; false forbids deletions (R1)
  // A held plan is not applied until approved (F12): the reason says which threshold.
  bool held = false;
  std::string hold_reason;
  std::vector<PlanItem> items;
  std::vector<DepartmentChange> departments;
  // The tenant's targets (issue 17): what each would receive is TargetSteps of each item.
  // Empty for a tenant without targets and for a plan rebuilt from a recorded run.
  std::vector<TargetRoute> targets;
  // Not 0: the store records the profile as paused by this run (RunStore::GetProfilePause)
  // in the transaction of the plan's last write (`runs revert ID --apply --pause`, issue 18:
  // the next sync would otherwise apply the directory again).
  int64_t pause_run = 0;

  // Counts per action, computed from items: always equal to the items (DESIGN §4).
  std::array<size_t, kActionCount> Summary() const;
  // True when applying would change nothing (no create/update/delete/... item, no
  // department change and no pause to record). A converged directory plans an empty plan (P3).
  bool IsNoop() const;
};

}  // namespace telsync
