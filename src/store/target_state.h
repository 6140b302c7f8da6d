// TargetStateStore: what the targets keep of their own in the store (issue 17): the objects
// telsync created on each target (ownership) and the users' SIP credentials. One role of
// store/store.h; the outbox the publisher delivers from is OutboxStore (store/outbox.h).
//
// A target (targets/target.h) reads and writes this role only: it never changes or deletes
// an object on its server that it did not create, and it derives what it stores of a
// user's SIP password from the sealed credential kept here (targets/sip_credentials.h).
//
// Every method is scoped by tenant. Ownership: results are values the caller owns.
// Absence: a target without objects lists none; a user without a credential is
// std::nullopt; removing what is not there is not an error.
// Errors are values: kUnavailable when the database cannot be reached or is locked too
// long, kInternal otherwise; never kNotFound.
// Thread safety: as the Store that implements it (store.h): a store from OpenStore or
// Database may be called from several threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/fields.h"
#include "model/pbx.h"
#include "util/result.h"

namespace telsync {

// An object telsync created on a target (ownership, issue 17): a target never changes or
// deletes an object it did not create. `type` and `key` are the target's own words
// (Kamailio: "subscriber" / "alice@sip.example", "alias" / "1001@sip.example").
struct TargetObject {
  std::string tenant;
  std::string target;
  std::string type;
  std::string key;
  int64_t user_id = 0;  // the PBX user it stands for
};

// A user's sealed SIP password (secrets/secret_box.h).
struct SipCredential {
  int64_t user_id = 0;
  std::string sealed;
};

class TargetStateStore {
 public:
  virtual ~TargetStateStore() = default;

  // Ownership. List: by type, then key. Put replaces (tenant, target, type, key).
  virtual Result<std::vector<TargetObject>> ListTargetObjects(const std::string& tenant,
                                                              const std::string& target) = 0;
  virtual Status PutTargetObject(const TargetObject& object) = 0;
  virtual Status RemoveTargetObject(const std::string& tenant, const std::string& target,
                                    const std::string& type, const std::string& key) = 0;

  // A user's SIP password, sealed (secrets/secret_box.h); std::nullopt when it has none.
  // The store never sees it in plain text.
  virtual Result<std::optional<std::string>> GetSipCredential(const std::string& tenant,
                                                              int64_t user_id) = 0;
  virtual Status PutSipCredential(const std::string& tenant, int64_t user_id,
                                  const std::string& sealed, int64_t now) = 0;

  // The batch forms a publish uses: a first publish of 100,000 users wrote a row at a time,
  // each its own transaction. Every sealed credential of the tenant, by user id:
  virtual Result<std::vector<SipCredential>> ListSipCredentials(const std::string& tenant) = 0;
  // Puts every one of `credentials` (replacing), in one transaction: all or none.
  virtual Status PutSipCredentials(const std::string& tenant,
                                   const std::vector<SipCredential>& credentials, int64_t now) = 0;
  // The ownership changes of one publish, in one transaction: each of `put` replaced, each
  // (type, key) of `removed` removed.
  virtual Status SaveTargetObjects(
      const std::string& tenant, const std::string& target, const std::vector<TargetObject>& put,
      const std::vector<std::pair<std::string, std::string>>& removed) = 0;

  // Every user of the tenant, by id, as a target's full reconcile reads them: only id,
  // searchable, state and `fields` are set (the rest left empty). A Kamailio publish needs
  // four columns of each user, and reading every column of 100,000 users cost more than
  // writing its rows to Kamailio. `fields` empty: none.
  virtual Result<std::vector<PbxUser>> ListUsersFields(const std::string& tenant,
                                                       const std::vector<Field>& fields) = 0;
};

}  // namespace telsync
