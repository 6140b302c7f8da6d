// The three file formats of the file source (SPEC F4), each a streaming reader over an
// std::istream: users are handed to the sink one at a time as soon as each is complete, so
// memory stays flat for a 500 MB export (SPEC P2).
//
// Contract shared by all readers:
// - `name` is how problems name the file: where = "<name>:<line>".
// - A bad record (no id, wrong field count, undecodable value) is reported to on_problem,
//   counted in bad_records and skipped; the read goes on (R3).
// - complete = false only when the file itself cannot be read to its end: it is cut off
//   (JSON ends inside the user list, CSV ends inside a quoted field), is not in the format,
//   or lacks what every record needs (a CSV without an id column). `error` says why.
// - Never throw.
//
// JSON: Graph's /users answer {"value": [user, ...]} or a bare array of users. Scalars become
//   attributes (booleans "true"/"false", numbers as written, null absent), arrays of scalars
//   multi-valued attributes, nested objects "parent.child" attributes; "memberOf" as
//   $expand=memberOf returns it (objects with displayName) or as strings gives the groups;
//   "accountEnabled": false disables. A file with "@odata.nextLink" is one page of a longer
//   answer: incomplete (R1: never delete from a partial read).
// CSV: RFC 4180, header row of attribute names, delimiter ',' ';' or tab detected from the
//   header, UTF-8 BOM stripped, id column "id" / "objectGUID" / "entryUUID", groups column
//   "memberOf" / "groups" split on '|' (and on ';' unless ';' is the delimiter).
// LDIF: RFC 2849 content records; folded lines, base64 values, comments; users only
//   (objectClass user / person / inetOrgPerson / organizationalPerson, not computer);
//   id from objectGUID (AD byte order) or entryUUID; memberOf DNs give groups by first RDN.
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include "sources/source.h"

namespace telsync::file_formats {

ReadResult ReadJson(std::istream& in, const std::string& name, const ObjectSink& sink,
                    const ProblemSink& on_problem);
ReadResult ReadCsv(std::istream& in, const std::string& name, const ObjectSink& sink,
                   const ProblemSink& on_problem);
ReadResult ReadLdif(std::istream& in, const std::string& name, const ObjectSink& sink,
                    const ProblemSink& on_problem);

// Standard base64 (RFC 4648) with optional padding; nullopt on a bad character or length.
std::optional<std::string> DecodeBase64(std::string_view text);
// AD's 16-byte objectGUID as 8-4-4-4-12 lower-case hex: the first three groups are stored
// little-endian. nullopt unless exactly 16 bytes.
std::optional<std::string> GuidFromBytes(std::string_view bytes);
// The value of a DN's first RDN, unescaped: "CN=Smith\, Anna,OU=Staff" -> "Smith, Anna".
std::string FirstRdnValue(std::string_view dn);

}  // namespace telsync::file_formats
