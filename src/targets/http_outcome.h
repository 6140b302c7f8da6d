// The outcome of one HTTP request to a target (webhook, SCIM client), in the publisher's
// terms (target.h): 2xx is delivered; 429 is kThrottled and 5xx or 408 kUnavailable, both
// retried, honouring Retry-After; any other status means the target refuses the request as
// it is (kInvalid, or kConflict for 409), naming the status and an excerpt of the body, so
// the event becomes dead. Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace telsync {

// `status`: the HTTP status; `body`: the answer (an excerpt of at most 200 characters of its
// text, or of `detail` when the caller extracted one, goes into the message); `what`:
// the request in an admin's words ("POST https://ops.example").
Status HttpOutcome(long status, std::string_view detail, const std::string& what);  // NOLINT

// At most `max` bytes of `text` on one line (control characters become spaces), cut at a
// UTF-8 boundary, with "..." when cut.
std::string Excerpt(std::string_view text, size_t max = 200);

// Retry-After as whole seconds in [0, 3600] (an HTTP-date relative to `now`); 0 when absent.
int64_t RetryAfterSeconds(const std::optional<double>& retry_after);

}  // namespace telsync
