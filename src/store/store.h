// Store: telsync's PBX directory, run history and sync state for all tenants.
//
// Implementations: SQLite (the embedded default, WAL; store/sqlite) and, later,
// PostgreSQL behind the same tests. Every method is scoped by tenant: nothing crosses
// tenants. Errors are values: kNotFound for a missing run or user, kUnavailable when
// the database cannot be opened or is locked too long, kInternal otherwise.
// Not thread-safe: one Store per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/pbx.h"
#include "model/plan.h"
#include "model/run.h"
#include "util/result.h"

namespace telsync {

struct ApplyReport {
  size_t users_written = 0;  // rows inserted, updated or deleted
  size_t departments_written = 0;
  size_t statements = 0;  // for P3/P4 checks: a no-op plan executes none
};

class Store {
 public:
  virtual ~Store() = default;

  // All users of the tenant (linked to this profile, to other profiles, or unlinked) and
  // this profile's departments: what MakePlan needs.
  virtual Result<StoreSnapshot> LoadSnapshot(const std::string& tenant,
                                             const std::string& profile) = 0;

  // Writes the plan's changes in batched transactions with prepared statements (P4):
  // kCreate inserts item.target; kUpdate / kRestore / kUnsearchable / kPendingDelete
  // write item.target over row item.user_id; kDelete removes row item.user_id; other
  // actions write nothing. Department changes likewise. Never writes `subscription`
  // (F16). A plan with IsNoop() executes no statement (P3). Applying the same plan twice
  // leaves the same state (creates are keyed by (tenant, profile, source_key)).
  // Created users' ids are not reported back: callers reload the snapshot.
  virtual Result<ApplyReport> Apply(const Plan& plan) = 0;

  // Runs (F19). CreateRun returns the new id; run.id is ignored.
  virtual Result<int64_t> CreateRun(const Run& run) = 0;
  virtual Status UpdateRun(const Run& run) = 0;  // by run.id: status, times, summary, message
  virtual Status SaveRunItems(int64_t run_id, const Plan& plan) = 0;  // items + departments
  virtual Result<Run> GetRun(const std::string& tenant, int64_t run_id) = 0;
  // Newest first. Empty profile: all profiles of the tenant.
  virtual Result<std::vector<Run>> ListRuns(const std::string& tenant, const std::string& profile,
                                            size_t limit) = 0;
  // Items in plan order; `action` filters.
  virtual Result<std::vector<PlanItem>> GetRunItems(const std::string& tenant, int64_t run_id,
                                                    std::optional<Action> action) = 0;
  virtual Result<std::vector<DepartmentChange>> GetRunDepartments(const std::string& tenant,
                                                                  int64_t run_id) = 0;
  // The newest sync run of the profile with status success or partial, if any.
  virtual Result<std::optional<Run>> LastSuccessfulSync(const std::string& tenant,
                                                        const std::string& profile) = 0;

  // Users (F18, F23). FindUser matches username or e-mail, case-insensitively.
  virtual Result<std::optional<PbxUser>> FindUser(const std::string& tenant,
                                                  const std::string& name) = 0;
  virtual Result<std::vector<PbxUser>> ListUsers(const std::string& tenant, size_t limit,
                                                 size_t offset) = 0;
  // De-sync: clears source_key and profile, so no sync changes the user until it is
  // adopted again. kNotFound when there is no such user.
  virtual Status UnlinkUser(const std::string& tenant, int64_t user_id) = 0;
  // Replaces a user's PBX groups (the admin's own groups, such as the exclusion group
  // "Non AD sync", F11). kNotFound when there is no such user.
  virtual Status SetUserGroups(const std::string& tenant, int64_t user_id,
                               const std::vector<std::string>& groups) = 0;
  virtual Result<std::vector<Department>> ListDepartments(const std::string& tenant) = 0;

  // Sync state (delta links, USN watermarks) per profile. "" when none.
  virtual Result<std::string> GetCursor(const std::string& tenant, const std::string& profile) = 0;
  virtual Status SetCursor(const std::string& tenant, const std::string& profile,
                           const std::string& cursor) = 0;

  // The schema version (versioned migrations run on open).
  virtual int SchemaVersion() = 0;
};

// Opens (creating and migrating when needed) the store a config names: a SQLite file
// path, or ":memory:" for a private in-memory database (tests).
Result<std::unique_ptr<Store>> OpenStore(const std::string& spec);

}  // namespace telsync
