#include "util/text.h"

namespace telsync {
namespace {

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

size_t DisplayWidth(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8) n += !IsContinuation(c);
  return n;
}

std::string PadRight(std::string_view text, size_t width) {
  const size_t w = DisplayWidth(text);
  if (w < width) return std::string(text) + std::string(width - w, ' ');
  if (width == 0) return std::string();
  // Cut after width - 1 characters, at a character boundary.
  size_t chars = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsContinuation(text[i])) {
      if (chars == width - 1) break;
      ++chars;
    }
    ++i;
  }
  return std::string(text.substr(0, i)) + "…";
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    if (c < 0x80) {
      extra = 0;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      extra = 1;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      extra = 3;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // cut off mid-character
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    if (c == 0) return false;  // NUL is binary data, not text
    i += extra + 1;
  }
  return true;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace telsync
