#include "targets/http_outcome.h"

#include <algorithm>
#include <cmath>

namespace telsync {

std::string Excerpt(std::string_view text, size_t max) {
  std::string out;
  size_t i = 0;
  for (; i < text.size() && out.size() < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    out += c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c);
  }
  if (i < text.size()) {
    // Do not end inside a UTF-8 sequence.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80) != 0) out.pop_back();
    out += "...";
  }
  return out;
}

Status HttpOutcome(long status, std::string_view detail, const std::string& what) {  // NOLINT
  if (status >= 200 && status < 300) return Ok();
  std::string message = what + " answered HTTP " + std::to_string(status);
  const std::string excerpt = Excerpt(detail);
  if (!excerpt.empty()) message += ": " + excerpt;
  if (status == 429) return Error{ErrorCode::kThrottled, message, ""};
  if (status >= 500 || status == 408) return Error::Unavailable(message);
  if (status == 409) return Error::Conflict(message);
  return Error::Invalid(message);
}

int64_t RetryAfterSeconds(const std::optional<double>& retry_after) {
  if (!retry_after) return 0;
  return static_cast<int64_t>(std::clamp(std::ceil(*retry_after), 0.0, 3600.0));
}

}  // namespace telsync
