// The next times a schedule fires, for the profile editor of the admin page (issue 19): a
// cron expression (util/cron.h) read in the profile's time zone.
//
// Pure over util's parsers and the zone files; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace telsync::admin {

struct Occurrence {
  int64_t at = 0;     // Unix seconds
  std::string local;  // the wall-clock time in the zone: "2026-12-08 02:00 CET+01:00"
};

// The first `count` (1..20) times `cron` fires strictly after `after` in `timezone` (empty:
// UTC). Fewer when it stops firing within cron's horizon. kInvalid with field "cron" for an
// expression that does not parse, "timezone" for an unknown zone, "count" out of range.
Result<std::vector<Occurrence>> NextOccurrences(const std::string& cron,
                                                const std::string& timezone, int64_t after,
                                                size_t count);

}  // namespace telsync::admin
