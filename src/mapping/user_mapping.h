// UserMapping: a profile's mapping compiled once, applied to every source user (F6).
//
// A profile's `mapping` (PBX field name -> expression, see expression.h) is laid over the
// defaults of its source type; an expression text of "" (or blank) unmaps a default
// field. An unknown source type has no defaults. The defaults (Defaults() returns them):
//   graph: username     lower(coalesce({mailNickname}, replace({userPrincipalName}, "@.*$", "")))
//          first_name {givenName}  last_name {surname}  display_name {displayName}
//          email lower(coalesce({mail}, {userPrincipalName}))  landline first({businessPhones})
//          mobile {mobilePhone}  department {department}  job_title {jobTitle}
//          city {city}  country {country}
//   ldap:  username lower(coalesce({sAMAccountName}, {uid}))  first_name {givenName}
//          last_name {sn}  display_name coalesce({displayName}, {cn})  email lower({mail})
//          landline {telephoneNumber}  mobile {mobile}  extension {ipPhone}
//          department {department}  job_title {title}  city {l}  country coalesce({co}, {c})
//   file:  both shapes (Graph JSON, AD/LDAP CSV or LDIF): each field coalesces the LDAP
//          and the Graph names, e.g. username lower(coalesce({sAMAccountName}, {uid},
//          {mailNickname}, replace({userPrincipalName}, "@.*$", ""))), last_name
//          coalesce({surname}, {sn}), landline coalesce(first({businessPhones}),
//          {telephoneNumber}), mobile coalesce({mobilePhone}, {mobile}), extension
//          coalesce({extension}, {ipPhone}), country coalesce({country}, {co}, {c}).
//   scim:  the SCIM server flattens a User (RFC 7643) into these attribute names:
//          userName, displayName, title, name.givenName, name.familyName, name.formatted,
//          emails.<type> and emails (all addresses, primary first), phoneNumbers.<type>
//          (work, mobile, ...), addresses.<type>.<sub-attribute> (addresses.work.locality),
//          and extension attributes as "<schema urn>.<attribute>".
//          username lower(replace({userName}, "@.*$", ""))  first_name {name.givenName}
//          last_name {name.familyName}  display_name coalesce({displayName}, {name.formatted})
//          email lower(coalesce({emails.work}, {emails}))  landline {phoneNumbers.work}
//          mobile {phoneNumbers.mobile}  job_title {title}
//          department {urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department}
//          city {addresses.work.locality}  country {addresses.work.country}
// Apply sets each field to its expression's first value (an empty one leaves the field
// unset); {memberOf} reads the object's groups when it has no memberOf attribute.
// Immutable after Compile; Apply is const and thread-safe.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "mapping/expression.h"
#include "model/explanation.h"
#include "model/fields.h"
#include "model/source_object.h"
#include "util/result.h"

namespace telsync {

// A source user after mapping, before validation. Phone fields are still raw.
struct MappedUser {
  std::string source_key;  // SourceObject::id
  FieldSet fields;
  std::vector<std::pair<std::string, std::string>> custom;  // sorted by name
  bool enabled = true;
  bool deleted = false;
  std::vector<std::string> source_groups;  // SourceObject::groups
  std::string upn;  // userPrincipalName (Graph, AD) when the source has one: a match key (F7)
};

class UserMapping {
 public:
  // Compiles `mapping` (PBX field name -> expression) on top of the defaults for
  // `source_type` ("graph", "ldap", "scim", "file"). Keys that are not fixed field names
  // are custom fields; a key must match [a-z][a-z0-9_]*. Errors name the key and the
  // column: "mapping.mobile: column 9: unknown function 'e165'".
  static Result<UserMapping> Compile(const std::map<std::string, std::string>& mapping,
                                     const std::string& source_type);

  // The defaults for a source type (field -> expression text).
  static std::map<std::string, std::string> Defaults(const std::string& source_type);

  // `trace` (null in a normal run: `telsync explain` sets it for one object) receives,
  // per mapped field in the order applied, the expression, the attributes it read with
  // their values and the value it gave; a field that gave no value although its inputs
  // have values says so (a function such as e164() rejected them).
  MappedUser Apply(const SourceObject& object, std::vector<ExplainMapping>* trace = nullptr) const;

  // Every source attribute any expression reads, plus the ones identity needs.
  std::vector<std::string> Attributes() const;

 private:
  std::vector<std::pair<Field, Expression>> fixed_;
  std::vector<std::pair<std::string, Expression>> custom_;
};

}  // namespace telsync
