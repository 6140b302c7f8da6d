#include "sources/ldap/ldap_query.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace telsync::ldap {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool Contains(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

std::optional<uint64_t> ParseNumber(std::string_view text) {
  uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string EscapeFilterValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '*' || c == '(' || c == ')' || c == '\\' || c == '\0') {
      const auto b = static_cast<unsigned char>(c);
      out += '\\';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

std::string NormalizeDn(std::string_view dn) {
  std::string out;
  out.reserve(dn.size());
  bool escaped = false;
  for (size_t i = 0; i < dn.size(); ++i) {
    const char c = dn[i];
    if (escaped) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      escaped = false;
      continue;
    }
    if (c == '\\') {
      out += c;
      escaped = true;
      continue;
    }
    if (c == ' ') {
      // Spaces next to a separator are not part of a value (RFC 4514 allows them on input).
      const bool after_separator = !out.empty() && (out.back() == ',' || out.back() == '=');
      size_t j = i;
      while (j < dn.size() && dn[j] == ' ') ++j;
      const bool before_separator = j == dn.size() || dn[j] == ',' || dn[j] == '=';
      if (after_separator || before_separator || out.empty()) {
        i = j - 1;
        continue;
      }
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool IsAtOrBelow(std::string_view dn, std::string_view base) {
  const std::string d = NormalizeDn(dn);
  const std::string b = NormalizeDn(base);
  if (b.empty()) return true;
  if (d.size() < b.size()) return false;
  if (d.compare(d.size() - b.size(), b.size(), b) != 0) return false;
  if (d.size() == b.size()) return true;
  // The match must start a whole RDN: preceded by an unescaped ','.
  const size_t comma = d.size() - b.size() - 1;
  if (d[comma] != ',') return false;
  size_t backslashes = 0;
  for (size_t i = comma; i > 0 && d[i - 1] == '\\'; --i) ++backslashes;
  return backslashes % 2 == 0;
}

std::string ParentDn(std::string_view normalized_dn) {
  for (size_t i = 0; i < normalized_dn.size(); ++i) {
    if (normalized_dn[i] == '\\') {
      ++i;
      continue;
    }
    if (normalized_dn[i] == ',') return std::string(normalized_dn.substr(i + 1));
  }
  return "";
}

std::optional<RangeOption> ParseRange(std::string_view description) {
  const size_t semicolon = description.find(';');
  if (semicolon == std::string_view::npos || semicolon == 0) return std::nullopt;
  RangeOption out;
  out.attribute = std::string(description.substr(0, semicolon));
  std::string_view options = description.substr(semicolon + 1);
  // Options are ';'-separated; find the one that starts with "range=".
  while (!options.empty()) {
    const size_t next = options.find(';');
    std::string_view option = options.substr(0, next);
    options = next == std::string_view::npos ? std::string_view() : options.substr(next + 1);
    if (option.size() < 6 || !Contains(option.substr(0, 6), "range=")) continue;
    option.remove_prefix(6);
    const size_t dash = option.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto low = ParseNumber(option.substr(0, dash));
    if (!low) return std::nullopt;
    out.low = *low;
    const std::string_view high = option.substr(dash + 1);
    if (high == "*") {
      out.last = true;
    } else {
      auto h = ParseNumber(high);
      if (!h || *h < *low) return std::nullopt;
      out.high = *h;
    }
    return out;
  }
  return std::nullopt;
}

std::string ChangedClause(ServerKind kind, const std::string& since) {
  if (since.empty()) return "";
  const std::string v = EscapeFilterValue(since);
  if (kind == ServerKind::kActiveDirectory) return "(uSNChanged>=" + v + ")";
  // entryCSN orders changes to the microsecond (modifyTimestamp only to the second), so
  // "strictly after the watermark" does not send again what was changed in its second.
  return "(entryCSN>=" + v + ")(!(entryCSN=" + v + "))";
}

std::optional<std::string> IdFilter(ServerKind kind, std::string_view id) {
  if (id.size() != 36) return std::nullopt;
  std::string hex;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return std::nullopt;
      continue;
    }
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (kind != ServerKind::kActiveDirectory) return "(entryUUID=" + std::string(id) + ")";
  // Byte j of the stored GUID is hex pair kOrder[j] of its string (the order is its own
  // inverse): Data1, Data2 and Data3 are little-endian, Data4 as written.
  static constexpr int kOrder[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
  std::string filter = "(objectGUID=";
  for (int j = 0; j < 16; ++j) {
    filter += '\\';
    filter += hex.substr(static_cast<size_t>(kOrder[j]) * 2, 2);
  }
  return filter + ")";
}

std::string BuildUserFilter(const UserFilterParts& parts) {
  std::string filter = "(&";
  if (parts.kind == ServerKind::kActiveDirectory) {
    filter += "(objectCategory=person)(objectClass=user)";
    if (!parts.in_chain_group_dn.empty()) {
      filter +=
          "(memberOf:1.2.840.113556.1.4.1941:=" + EscapeFilterValue(parts.in_chain_group_dn) + ")";
    }
  } else {
    filter += "(objectClass=person)";
  }
  filter += ChangedClause(parts.kind, parts.changed_since);
  filter += parts.extra;
  filter += ")";
  return filter;
}

std::string EncodeCursor(const Cursor& cursor) {
  // '|' never occurs in an LDAP URL, an invocationId GUID, a number or a generalized time.
  if (cursor.kind == ServerKind::kActiveDirectory) {
    return "ad1|" + cursor.url + "|" + cursor.invocation_id + "|" + std::to_string(cursor.usn);
  }
  return "ol1|" + cursor.url + "|" + cursor.timestamp;
}

std::optional<Cursor> DecodeCursor(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    const size_t bar = text.find('|');
    parts.push_back(text.substr(0, bar));
    if (bar == std::string_view::npos) break;
    text.remove_prefix(bar + 1);
  }
  Cursor out;
  if (parts.size() == 4 && parts[0] == "ad1") {
    auto usn = ParseNumber(parts[3]);
    if (!usn || parts[1].empty() || parts[2].empty()) return std::nullopt;
    out.kind = ServerKind::kActiveDirectory;
    out.url = std::string(parts[1]);
    out.invocation_id = std::string(parts[2]);
    out.usn = *usn;
    return out;
  }
  if (parts.size() == 3 && parts[0] == "ol1") {
    const std::string_view ts = parts[2];
    if (parts[1].empty() || ts.size() < 15 || ts.find('Z') == std::string_view::npos) {
      return std::nullopt;
    }
    if (!std::all_of(ts.begin(), ts.begin() + 14,
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      return std::nullopt;
    }
    out.kind = ServerKind::kOther;
    out.url = std::string(parts[1]);
    out.timestamp = std::string(ts);
    return out;
  }
  return std::nullopt;
}

std::string LaterTimestamp(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  // YYYYMMDDHHMMSS first, then any fraction: lexical order of the digits is time order.
  return b > a ? b : a;
}

std::string AdDataCode(std::string_view diagnostic) {
  const size_t at = diagnostic.find("data ");
  if (at == std::string_view::npos) return "";
  std::string code;
  for (size_t i = at + 5; i < diagnostic.size(); ++i) {
    const char c = diagnostic[i];
    if (!std::isxdigit(static_cast<unsigned char>(c))) break;
    code += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return code;
}

std::string ExplainBindError(int code, std::string_view diagnostic, std::string_view url) {
  const std::string where = std::string(url);
  if (code == 8 || code == 13) {  // strongerAuthRequired, confidentialityRequired
    return where +
           " demands an encrypted connection for simple binds: use an ldaps:// URL or set "
           "start_tls: true";
  }
  if (code == 49) {  // invalidCredentials, with AD's sub-code
    const std::string data = AdDataCode(diagnostic);
    if (data == "775") return "the service account is locked out (AD data 775); unlock it in AD";
    if (data == "532") return "the service account's password has expired (AD data 532)";
    if (data == "773") {
      return "the service account must change its password before it can bind (AD data 773)";
    }
    if (data == "533") return "the service account is disabled (AD data 533)";
    if (data == "701") return "the service account has expired (AD data 701)";
    if (data == "530" || data == "531") {
      return "the service account may not log on at this time or from this host (AD data " + data +
             ")";
    }
    return "bad credentials: " + where + " rejected the bind DN or password";
  }
  if (code == 50) return "the service account lacks the rights to bind";
  if (code == 53) return where + " is unwilling to accept the bind: " + std::string(diagnostic);
  return "bind to " + where + " failed (LDAP code " + std::to_string(code) + ")" +
         (diagnostic.empty() ? "" : ": " + std::string(diagnostic));
}

std::string ExplainConnectError(int code, std::string_view diagnostic, std::string_view url,
                                bool tls) {
  const std::string where = std::string(url);
  const std::string diag(diagnostic);
  const bool tls_words = Contains(diag, "certificate") || Contains(diag, "TLS") ||
                         Contains(diag, "SSL") || Contains(diag, "handshake");
  if (tls && tls_words) return "TLS failure with " + where + ": " + diag;
  if (code == -1 || code == -11 || code == -5) {  // server down, connect error, timeout
    if (tls && !diag.empty()) return "cannot connect to " + where + " over TLS: " + diag;
    return "cannot reach the LDAP server " + where +
           " (nothing answers there: check the host name, the port and the firewall)";
  }
  return "cannot connect to " + where + " (LDAP code " + std::to_string(code) + ")" +
         (diag.empty() ? "" : ": " + diag);
}

}  // namespace telsync::ldap
