// Terminal text helpers that count characters, not bytes: directory data is UTF-8
// ("Aino Hämäläinen"), and a column padded by bytes slips by one per accented letter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace telsync {

// The number of code points in UTF-8 text (continuation bytes are not counted).
size_t DisplayWidth(std::string_view utf8);

// `text` padded with spaces to `width` characters; longer text is cut to width - 1
// characters plus "…", so a column never pushes the next one.
std::string PadRight(std::string_view text, size_t width);

// The length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no overlong forms,
// no surrogates), or 0 when the byte there starts none.
size_t Utf8Length(std::string_view text, size_t i);

// Appends `text` as a double-quoted JSON string (also a quoted logfmt value): quotes,
// backslashes and control characters escaped, and each byte that is not UTF-8 replaced
// by U+FFFD, so that the output always parses.
void AppendJsonQuoted(std::string& out, std::string_view text);

// True when `s` is well-formed UTF-8 without NUL: text, not binary data. Directory
// attributes may be binary (photos, SIDs, objectGUID); sources keep only text values.
bool IsValidUtf8(std::string_view s);
// The 1-based byte where `s` stops being such text, or 0 when all of it is.
size_t FirstNonText(std::string_view s);

// `text` safe to print on a terminal: control characters (C0, DEL and C1) and bytes that
// are not UTF-8 are written as \xNN; well-formed UTF-8 stays as it is.
// For text from outside (a file's bytes in an error message) that a person will read.
std::string EscapeForTerminal(std::string_view text);

// Lower-cases A-Z only: the case folding of names and keys that every store and
// comparison shares, whatever the locale.
std::string AsciiLower(std::string_view s);

// A unix time as RFC 3339 in UTC, to the second: "2026-12-07T21:00:00Z" (JSON reports, the
// REST API, SCIM meta, webhook events).
std::string Rfc3339Utc(int64_t unix_seconds);

}  // namespace telsync
