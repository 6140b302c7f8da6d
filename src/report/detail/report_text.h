// Text helpers shared by the XLSX and HTML reports (private to src/report).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/plan.h"

namespace telsync::report_detail {

// "2026-09-21 14:13:20 UTC"; "-" for 0 (not finished).
std::string FormatUtc(int64_t unix_seconds);

// `text` as valid UTF-8 without control characters: each byte of an invalid sequence
// becomes U+FFFD and control characters other than tab and newline become '?'. XML 1.0
// (inside XLSX) forbids them, and a crafted directory value must not break the file.
std::string CleanText(std::string_view text);

// The field changes as one line each: "field: old -> new" ("(empty)" for an empty side).
std::string ChangesText(const std::vector<FieldChange>& changes);

// Human words per action for headings: "Added", "Updated", "Pending delete", ...
std::string_view ActionLabel(Action action);

}  // namespace telsync::report_detail
