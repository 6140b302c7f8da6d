// API bearer tokens: generation, hashing and comparison.
//
// Tokens are 32 random bytes from OpenSSL's CSPRNG, rendered base64url without padding
// (43 characters, safe in headers and shells). Only their SHA-256 (lower-case hex) is
// stored, so a leaked database reveals no usable token. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace telsync {

// A new random token; kInternal when the CSPRNG fails (never returns a weak token).
Result<std::string> GenerateToken();

// SHA-256 of `text`, 64 lower-case hex characters.
std::string Sha256Hex(std::string_view text);

// base64url (RFC 4648 §5) without padding.
std::string Base64UrlEncode(std::string_view bytes);

// Equality in time that depends only on the lengths, not on where the inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace telsync
