// Renderers of a plan or a recorded run (F17): terminal table, JSON, CSV.
//
// All take a Plan (a preview, or a run rebuilt with PlanFromRun) and write to a stream,
// item by item, so a million-user plan is never held twice in memory. Phone numbers are
// shown as stored (E.164). Secrets never reach a plan, so none reach a report.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "model/plan.h"
#include "model/run.h"

namespace telsync {

// The preview JSON of DESIGN §4:
// {"profile", "source", "complete", "summary": {...}, "items": [{"action", "key",
//  "username", "changes": [{"field", "old", "new"}], "reason"}]} plus "tenant", "held",
// "hold_reason", "run" (when run_id != 0) and "departments". Counts equal item counts.
// With `run` (a recorded run's plan): "purged_at", RFC 3339 when its items were purged
// after history.keep_days, else null; a purged run also has "purged" (PurgedNote).
void WriteJson(std::ostream& out, const Plan& plan, int64_t run_id = 0, const Run* run = nullptr);

// One row per field change (an item without changes is one row):
// action,key,username,field,old,new,reason. RFC 4180 quoting; formula-looking cells
// (=, +, -, @ first) are prefixed with ' so a spreadsheet never runs them. A purged `run`
// lists no item: its file has one row, purged,,,,,,<PurgedNote>.
void WriteCsv(std::ostream& out, const Plan& plan, const Run* run = nullptr);

struct TableOptions {
  bool all = false;             // also list unchanged users ("existing users")
  size_t max_per_section = 50;  // 0 = no limit
  bool color = false;
};

// The AD report in the terminal: a summary line per action, then sections: missing users
// (to create), to delete / pending delete / blocked, updated (field: old -> new),
// unsearchable, restored, skipped (why), conflicts and errors (why), departments.
void WriteTable(std::ostream& out, const Plan& plan, const TableOptions& options = {});

// Run::purged_at as RFC 3339 in UTC ("2026-12-07T21:00:00Z"); "" while the items are kept.
std::string PurgedAtText(const Run& run);
// What every view of a run whose items were purged (history.keep_days) shows instead of
// its empty lists: "The items of run 12 were purged on 2026-12-07 after history.keep_days:
// ..."; "" while they are kept.
std::string PurgedNote(const Run& run);

// A plan rebuilt from a recorded run (items without targets).
Plan PlanFromRun(const Run& run, std::vector<PlanItem> items,
                 std::vector<DepartmentChange> departments);

}  // namespace telsync
