#include "report/detail/report_text.h"

#include <ctime>

namespace telsync::report_detail {

std::string FormatUtc(int64_t unix_seconds) {
  if (unix_seconds == 0) return "-";
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string CleanText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
        out += '?';
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // The length and the smallest code point of a well-formed sequence (RFC 3629): this
    // rejects overlong forms, surrogates and values past U+10FFFF.
    size_t len = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4, cp = c & 0x07, min = 0x10000;
    }
    bool ok = len != 0 && i + len <= text.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0) != 0x80) {
        ok = false;
      } else {
        cp = (cp << 6) | (cc & 0x3f);
      }
    }
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    // C1 controls (U+0080..U+009F) are as invisible and as unwanted as C0 ones.
    if (ok && cp >= 0x80 && cp <= 0x9f) {
      out += '?';
      i += len;
      continue;
    }
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

std::string ChangesText(const std::vector<FieldChange>& changes) {
  std::string out;
  for (const auto& c : changes) {
    if (!out.empty()) out += '\n';
    out += c.field + ": " + (c.old_value.empty() ? "(empty)" : c.old_value) + " -> " +
           (c.new_value.empty() ? "(empty)" : c.new_value);
  }
  return out;
}

std::string_view ActionLabel(Action action) {
  switch (action) {
    case Action::kCreate:
      return "Added";
    case Action::kUpdate:
      return "Updated";
    case Action::kDelete:
      return "Deleted";
    case Action::kPendingDelete:
      return "Pending delete";
    case Action::kRestore:
      return "Restored";
    case Action::kUnsearchable:
      return "Not searchable";
    case Action::kRelink:
      return "Relinked";
    case Action::kUnchanged:
      return "Unchanged";
    case Action::kSkip:
      return "Skipped";
    case Action::kConflict:
      return "Conflicts";
    case Action::kError:
      return "Errors";
    case Action::kBlocked:
      return "Deletes blocked";
    case Action::kCount:
      break;
  }
  return "?";
}

}  // namespace telsync::report_detail
