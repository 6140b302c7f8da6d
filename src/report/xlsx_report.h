// The XLSX report of a plan or a recorded run (F17, F20), written with libxlsxwriter.
//
// One workbook, sheets in this order:
//   Summary      the run (when given) and the count per action
//   Added        one row per created user: username, key, then one column per fixed field
//                and "other" (searchable, groups, custom fields)
//   Updated      one row per field change of an update: username, key, field, old, new
//   Deleted      deletions: username, key, reason
//   Pending      pending deletes, restores, unsearchable: action, username, key, changes,
//                reason
//   Errors       errors, conflicts, skipped, blocked deletions: action, username, key, reason
//   Departments  only when the plan has department changes
// Every sheet has a frozen bold header row, an autofilter over its rows and column widths
// fitted to the longest value (capped, so one long reason does not make a column a screen
// wide). Unchanged users are counted in the summary only.
//
// Written in libxlsxwriter's constant-memory mode: rows stream to temporary files, so a
// million-user plan costs no more memory than the plan itself. Values are written as
// strings, never formulas, so a directory value such as "=HYPERLINK(...)" stays text.
// Text is made valid for XML (invalid UTF-8 replaced, control characters shown as '?') and
// cut at Excel's 32767-character cell limit. Secrets never reach a plan, so none reach a
// workbook. Thread safety: none needed; each call owns its workbook.
#pragma once

#include <string>

#include "model/plan.h"
#include "model/run.h"
#include "util/result.h"

namespace telsync {

// Writes the workbook to `path`, replacing a file that exists. `run` (nullable, not
// owned) adds the run id, kind, status, trigger and times to the Summary sheet; pass
// nullptr for a plan that was never recorded. Errors: kUnavailable when the file cannot be
// created or written (the message names the path and libxlsxwriter's reason); nothing is
// left at `path` then beyond what the library managed to create.
Status WriteXlsx(const std::string& path, const Plan& plan, const Run* run = nullptr);

// The same workbook as bytes, for a mail attachment, an HTTP download or a pipe: written
// to a private temporary file (mkstemp, removed before returning) and read back.
// Errors: kUnavailable when the temporary file cannot be made, written or read.
Result<std::string> XlsxBytes(const Plan& plan, const Run* run = nullptr);

}  // namespace telsync
