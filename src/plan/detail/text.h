// Small text helpers of the plan module: ASCII case folding and date rendering.
//
// Case-insensitive matching of e-mails and usernames folds ASCII only: directory
// identifiers are ASCII in practice, and a full Unicode fold per user would cost more
// than the whole join (P1). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/text.h"

namespace telsync::plan_detail {

bool HasUpper(std::string_view s);
using telsync::AsciiLower;
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string_view TrimView(std::string_view s);
// "2026-11-24" for a unix time (UTC).
std::string IsoDate(int64_t unix_seconds);

}  // namespace telsync::plan_detail
