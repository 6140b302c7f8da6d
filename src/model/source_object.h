// SourceObject: one user or group as a source (Graph, LDAP, file, SCIM) reported it.
//
// A source knows nothing about telephony: it hands over attribute names and string
// values exactly as read. Attribute names are matched case-insensitively (LDAP's rule;
// harmless for Graph). Binary values (objectGUID) are already rendered as text by the
// source.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace telsync {

enum class ObjectKind { kUser, kGroup };

// The one form an immutable id is compared in (issue 14 item 6). An id that is a GUID,
// written 8-4-4-4-12 in any case, with or without braces, becomes lower-case without
// braces ("{6E7B768E-07E2-...}" -> "6e7b768e-07e2-..."); any other id is kept as it is.
// Every source emits ids in this form and the store keeps them so (migration 6), so an
// export that writes the same GUIDs in upper case is the same people, not new ones.
std::string CanonicalSourceId(std::string_view id);

struct SourceObject {
  ObjectKind kind = ObjectKind::kUser;
  // The immutable id: Graph `id`, AD objectGUID, OpenLDAP entryUUID, SCIM id, or the
  // file's id column. Never empty for an object a source emits.
  std::string id;
  // Attributes in the order read; a name may not repeat (values are collected).
  std::vector<std::pair<std::string, std::vector<std::string>>> attributes;
  // Display names of the groups the object is a member of (transitively where the
  // source can tell), used for scope and by mapping (`{memberOf}`).
  std::vector<std::string> groups;
  bool enabled = true;   // false: accountEnabled false, UAC bit 0x2, SCIM active false
  bool deleted = false;  // a delta @removed or tombstone: the object left the source

  // The values of an attribute (case-insensitive name); nullptr when absent.
  const std::vector<std::string>* Find(std::string_view name) const;
  // The first value of an attribute, or "" when absent or empty.
  std::string_view First(std::string_view name) const;
  // Appends a value, creating the attribute on first use.
  void Add(std::string_view name, std::string value);
};

}  // namespace telsync
