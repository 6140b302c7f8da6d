// Terminal text helpers that count characters, not bytes: directory data is UTF-8
// ("Aino Hämäläinen"), and a column padded by bytes slips by one per accented letter.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace telsync {

// The number of code points in UTF-8 text (continuation bytes are not counted).
size_t DisplayWidth(std::string_view utf8);

// `text` padded with spaces to `width` characters; longer text is cut to width - 1
// characters plus "…", so a column never pushes the next one.
std::string PadRight(std::string_view text, size_t width);

// True when `s` is well-formed UTF-8 without NUL: text, not binary data. Directory
// attributes may be binary (photos, SIDs, objectGUID); sources keep only text values.
bool IsValidUtf8(std::string_view s);

// Lower-cases A-Z only: the case folding of names and keys that every store and
// comparison shares, whatever the locale.
std::string AsciiLower(std::string_view s);

}  // namespace telsync
