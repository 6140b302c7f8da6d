// DirectoryStore: a tenant's PBX directory (users and departments) as the planner reads it
// and as Apply writes it (DESIGN §3, one role of store/store.h).
//
// Ownership: every result is a value the caller owns; nothing refers back into the store.
// Absence: a tenant or profile with no rows is an empty snapshot or list, never an error;
// a named user that does not exist is std::nullopt (FindUser) or kNotFound (writes).
// Errors: kNotFound as each method says, kConflict where a write breaks a unique key,
// kUnavailable when the database cannot be reached or stays locked too long, kInternal
// otherwise. Every method is scoped by tenant: nothing crosses tenants.
// Thread safety: as the Store that implements it (store.h): a store from OpenStore or
// Database may be called from several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "model/pbx.h"
#include "model/plan.h"
#include "util/result.h"

namespace telsync {

struct ApplyReport {
  size_t users_written = 0;  // rows inserted, updated or deleted
  size_t departments_written = 0;
  size_t statements = 0;  // for P3/P4 checks: a no-op plan executes none
};

// Apply's progress: the plan's user writes done so far (its items whose action IsWrite).
using ApplyProgress = std::function<void(size_t done)>;

class DirectoryStore {
 public:
  virtual ~DirectoryStore() = default;

  // All users of the tenant (linked to this profile, to other profiles, or unlinked) and
  // this profile's departments, read as of one moment (one transaction): what MakePlan
  // needs. An unknown tenant or profile gives an empty snapshot.
  virtual Result<StoreSnapshot> LoadSnapshot(const std::string& tenant,
                                             const std::string& profile) = 0;

  // Writes the plan's changes in batched transactions with prepared statements (P4):
  // kCreate inserts item.target; kUpdate / kRestore / kUnsearchable / kPendingDelete
  // write item.target over row item.user_id; kDelete removes row item.user_id; other
  // actions write nothing. Department changes likewise. Never writes `subscription`
  // (F16). A plan with IsNoop() executes no statement (P3). Applying the same plan twice
  // leaves the same state (creates are keyed by (tenant, profile, source_key)).
  // Created users' ids are not reported back: callers reload the snapshot.
  // kConflict (the failing batch rolled back, the message naming the user) when a write
  // would break a unique key.
  // `on_progress`, when set, is told the user writes done after each batch commits (at
  // most once a batch, never per row), non-decreasing; the last call, when Apply succeeds,
  // gives every write of the plan (no call for a plan without user writes). It runs on
  // the caller's thread inside Apply (the store may hold its lock): it must not call the
  // store.
  virtual Result<ApplyReport> Apply(const Plan& plan, const ApplyProgress& on_progress = {}) = 0;

  // Users (F18, F23). FindUser matches username or e-mail, case-insensitively;
  // std::nullopt when none matches.
  virtual Result<std::optional<PbxUser>> FindUser(const std::string& tenant,
                                                  const std::string& name) = 0;
  // One page in username order: `offset` users skipped, at most `limit` (0 = every one).
  virtual Result<std::vector<PbxUser>> ListUsers(const std::string& tenant, size_t limit,
                                                 size_t offset) = 0;
  // How many users the tenant has, in every state: what ListUsers pages through.
  virtual Result<size_t> CountUsers(const std::string& tenant) = 0;
  // The source ids of the profile's linked users that wait out their grace period (state
  // pending_delete), in no order. An incremental run plans them beside the changes it read,
  // so a grace period ends without a scan of the directory (index users_pending).
  virtual Result<std::vector<std::string>> ListPendingDeleteKeys(const std::string& tenant,
                                                                 const std::string& profile) = 0;
  // The source ids whose last applied plan could not write them: a conflict (a value
  // another user holds) or invalid data. An incremental run plans them again beside its
  // changes, as a full run would: a value a change frees goes to whoever waits for it.
  virtual Result<std::vector<std::string>> ListWaitingKeys(const std::string& tenant,
                                                           const std::string& profile) = 0;
  // Records them after an applied plan, in one transaction. `scope` null (a plan of every
  // user): the set becomes `keys`. Else (an incremental plan of those keys): the scope's
  // keys leave the set, and `keys` join it.
  virtual Status SetWaitingKeys(const std::string& tenant, const std::string& profile,
                                const std::vector<std::string>& keys,
                                const std::unordered_set<std::string>* scope) = 0;
  // De-sync: clears source_key and profile, so no sync changes the user until it is
  // adopted again. kNotFound when there is no such user.
  virtual Status UnlinkUser(const std::string& tenant, int64_t user_id) = 0;
  // Replaces a user's PBX groups (the admin's own groups, such as the exclusion group
  // "Non AD sync", F11). kNotFound when there is no such user.
  virtual Status SetUserGroups(const std::string& tenant, int64_t user_id,
                               const std::vector<std::string>& groups) = 0;
  // Every department of the tenant (of every profile), by profile and name.
  virtual Result<std::vector<Department>> ListDepartments(const std::string& tenant) = 0;
};

}  // namespace telsync
