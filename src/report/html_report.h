// The HTML report of a plan or a recorded run (F17): one self-contained page.
//
// The page has inline CSS and no scripts, images, fonts or links to anything outside it,
// so it can be mailed, archived or opened offline. It shows the run (when given), the
// count per action, then the items grouped by action (added, updated, deleted, pending
// delete, restored, not searchable, errors, conflicts, blocked, skipped) with their field
// changes (old -> new) and reasons, then department changes. Unchanged users are counted
// only. Every value from the directory or the store is HTML-escaped after being made
// valid UTF-8 without control characters, so a user named "<script>" is shown, never run.
// Written item by item to the stream. Secrets never reach a plan, so none reach a page.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "model/plan.h"
#include "model/run.h"

namespace telsync {

// Writes the page to `out`. `run` (nullable, not owned) adds the run id, kind, status,
// trigger and times; nullptr for a plan that was never recorded.
void WriteHtml(std::ostream& out, const Plan& plan, const Run* run = nullptr);

// `text` escaped for HTML text and attribute values (& < > " ').
std::string HtmlEscape(std::string_view text);

}  // namespace telsync
