// The pure part of the LDAP source (SPEC F2): filters, escaping, DNs, range options,
// cursors and the plain-words reading of LDAP errors. No I/O, so every rule is unit-tested
// in ldap_query_test.cc; ldap_source.cc does the talking.
//
// Nothing here throws; parsers of server or cursor text return nullopt on bad input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/text.h"

namespace telsync::ldap {

// A value escaped for an LDAP filter (RFC 4515 section 3): '*', '(', ')', '\' and NUL become
// \2a, \28, \29, \5c, \00, so a configured value such as "*)(uid=*" matches itself only.
std::string EscapeFilterValue(std::string_view value);

// A DN in a form fit for comparing: lower-case, spaces around ',' and '=' removed. Escaped
// characters are kept as written, which is enough for DNs the server itself returns.
std::string NormalizeDn(std::string_view dn);

// True when `dn` is `base` or lies below it (both normalised first).
bool IsAtOrBelow(std::string_view dn, std::string_view base);

// The parent of a normalised DN ("ou=a,dc=x" -> "dc=x"); "" for a single RDN. Honours '\,'.
std::string ParentDn(std::string_view normalized_dn);

// An attribute description with a range option, as AD returns large multi-valued attributes:
// "member;range=0-1499" -> {"member", 0, 1499, false}; "member;range=1500-*" -> last = true.
struct RangeOption {
  std::string attribute;
  uint64_t low = 0;
  uint64_t high = 0;  // meaningless when last
  bool last = false;
};
// nullopt when the description has no (well-formed) range option.
std::optional<RangeOption> ParseRange(std::string_view description);

// What kind of server the rootDSE describes: Active Directory (and Samba AD) announce the
// capability 1.2.840.113556.1.4.800 (LDAP_CAP_ACTIVE_DIRECTORY_OID).
enum class ServerKind { kActiveDirectory, kOther };

// The user filter of a read, built from parts so that every configured value is escaped:
// - the base: AD (&(objectCategory=person)(objectClass=user)) so computers are left out;
//   elsewhere (objectClass=person), which inetOrgPerson and organizationalPerson derive from;
// - group scope on AD: (memberOf:1.2.840.113556.1.4.1941:=<group dn>), AD's in-chain rule
//   that follows nested groups on the server;
// - `extra`: the admin's filter (source.filter), already in parentheses, used as written;
// - a delta watermark: ChangedClause below.
struct UserFilterParts {
  ServerKind kind = ServerKind::kOther;
  std::string in_chain_group_dn;  // AD group scope; empty otherwise
  std::string extra;
  std::string changed_since;  // the value for the watermark clause; empty = full read
};
std::string BuildUserFilter(const UserFilterParts& parts);
// The clause of a delta: AD (uSNChanged>=N); elsewhere changes strictly after the entryCSN
// watermark, (entryCSN>=C)(!(entryCSN=C)). "" when `since` is empty.
std::string ChangedClause(ServerKind kind, const std::string& since);

// The filter that finds one user by its source id (`explain --fresh`, Source::ReadOne): AD
// (objectGUID=\xx...) with the GUID's 16 bytes in AD's byte order (the first three groups
// little-endian, as GuidFromBytes reads them), elsewhere (entryUUID=<id>). nullopt when
// `id` is not a GUID / UUID (8-4-4-4-12 hex digits): no entry can have it.
std::optional<std::string> IdFilter(ServerKind kind, std::string_view id);

// The cursor of an incremental read. AD: the server it was read from, that server's
// invocationId and the highestCommittedUSN read before the read began (a delta asks for
// uSNChanged > usn on the same server; a new invocationId means a restored database, so a
// full read). OpenLDAP: the newest entryCSN seen ("20261124123000.123456Z#000000#000#000000",
// maintained with `lastmod on`).
struct Cursor {
  ServerKind kind = ServerKind::kOther;
  std::string url;
  std::string invocation_id;  // AD only
  uint64_t usn = 0;           // AD only
  std::string timestamp;      // OpenLDAP only: an entryCSN
};
std::string EncodeCursor(const Cursor& cursor);
std::optional<Cursor> DecodeCursor(std::string_view text);

// The greater of two LDAP generalized times ("20261124123000Z", optionally with fractions);
// compares the digits, so both must be in UTC ('Z'), which is how servers write them.
std::string LaterTimestamp(const std::string& a, const std::string& b);

// An LDAP failure in an admin's words. `code` is the libldap result code, `diagnostic` the
// server's or libldap's diagnostic message (LDAP_OPT_DIAGNOSTIC_MESSAGE), `url` the server.
// Reads AD's "data NNN" sub-codes of invalidCredentials (49): 52e bad password, 525 no such
// user, 530/531 logon hours or workstation, 532 password expired, 533 disabled, 701 account
// expired, 773 must change password, 775 locked out.
std::string ExplainBindError(int code, std::string_view diagnostic, std::string_view url);
std::string ExplainConnectError(int code, std::string_view diagnostic, std::string_view url,
                                bool tls);

// The AD sub-code of a bind error ("...AcceptSecurityContext error, data 775, v893" -> "775");
// "" when there is none.
std::string AdDataCode(std::string_view diagnostic);

// True when `text` is valid UTF-8 (binary values such as objectSid or photos are left out).

using telsync::IsValidUtf8;  // from util/text.h

}  // namespace telsync::ldap
