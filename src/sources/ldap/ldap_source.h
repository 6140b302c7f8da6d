// LdapSource: users from Active Directory or any LDAP v3 directory (SPEC F2, F5, F15).
//
// Connection: source.url lists servers tried in turn (ldap://, ldaps://, StartTLS with
// source.start_tls); certificate checks are on unless source.tls_verify is false (R6), with
// source.ca_file as the trusted CA. A simple bind with source.bind_dn / bind_password, or an
// anonymous one when bind_dn is empty. A server that does not answer moves on to the next
// URL; rejected credentials stop at once (they are the same for every server).
//
// Scope: source.user_search_dn is an OU (a subtree search below it) or a group's DN (its
// members, nested groups followed: AD's in-chain rule 1.2.840.113556.1.4.1941 on AD, a
// bounded walk of `member` / `uniqueMember` elsewhere), narrowed by source.filter.
// Searches use Simple Paged Results (RFC 2696) of source.page_size (default 1000, AD's
// MaxPageSize) and fetch only the requested attributes plus the id and
// userAccountControl. Large `member` values are read with range retrieval
// (`member;range=N-*`). Every configured value put into a filter is escaped (RFC 4515).
//
// Each user is one SourceObject: id = objectGUID as the canonical GUID string (AD byte
// order) or entryUUID; enabled = false when userAccountControl has bit 0x2; groups = the
// names (cn) of every group holding the user, directly or through nested groups.
// Departments (F15): with source.department_search_dn, the OUs and groups one level below
// it are the departments and the source sets the user's attribute `department` to the name
// (ou / cn) of the one holding the user (an OU above the user's entry, or a group holding
// it, nested groups followed), replacing any `department` attribute of the directory; the
// first by name when several hold the user; absent when none does.
//
// Incremental reads (ReadRequest.cursor; the engine passes "" when it wants a full read,
// which is also how deletions are found):
// - AD: the cursor names the server, its invocationId and the highestCommittedUSN read
//   before the previous read. A delta goes back to the same server, reads the new
//   highestCommittedUSN first, and sends users with uSNChanged above the watermark, users
//   deleted since (tombstones, via the show-deleted control) and, since a membership change
//   bumps the group's uSNChanged and not the user's, the members of changed groups. A new
//   invocationId, an unreachable cursor server or a change to the scope group or a
//   department group makes it a full read (delta = false).
// - OpenLDAP: the cursor is the newest entryCSN seen (`lastmod on`; like modifyTimestamp
//   but to the microsecond, so a delta asks for changes strictly after it); the same rules.
//   Deletions show on the next full read.
// - A changed user that left the scope is sent as deleted.
// Any failure (lost connection, timeout, size limit, an error page) ends the read with
// complete = false and the reason; nothing is then deleted (R1). Not thread-safe; never
// throws.
#pragma once

#include <string>

#include "sources/ldap/ldap_config.h"
#include "sources/source.h"

namespace telsync {

class LdapSource : public Source {
 public:
  explicit LdapSource(LdapSourceConfig config);

  // "ldap:" followed by the configured URLs, comma-separated.
  std::string Describe() const override;
  // Connects (URLs in turn), binds, checks the user and department search DNs and the
  // filter, and reads a sample of five users. Plain-words failures: unreachable server,
  // TLS failure and its reason, bad credentials, AD's locked / expired / must-change
  // password (data 775 / 532 / 773), TLS demanded for simple binds, DN not found, filter
  // syntax error.
  ConnectionReport TestConnection() override;
  // uSNChanged (AD) and entryCSN (OpenLDAP) watermarks: the engine keeps a mirror.
  bool SupportsDelta() const override { return true; }
  ReadResult Read(const ReadRequest& request, const ObjectSink& sink,
                  const ProblemSink& on_problem) override;
  // `explain --fresh`: the entry with objectGUID (AD, as an escaped binary filter) or
  // entryUUID `id`, searched in the whole naming context, then scoped as a full read
  // scopes it (below user_search_dn, the read's user filter asked of the server on the
  // entry, the group check of non-AD servers, on groups and departments read now). Out of
  // scope or gone: sent with deleted = true, and the trace says which part left it out.
  ReadResult ReadOne(const ReadRequest& request, const std::string& id, const ObjectSink& sink,
                     const ProblemSink& on_problem) override;

 private:
  LdapSourceConfig config_;
};

}  // namespace telsync
