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

}  // namespace telsync
