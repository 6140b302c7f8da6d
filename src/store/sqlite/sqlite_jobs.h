// The SQLite side of stored profiles and the job queue (store.h), used by SqliteStore.
//
// Claims run in a BEGIN IMMEDIATE transaction: SQLite has one writer at a time, so two
// processes claiming at once are serialised and never get the same job (the PostgreSQL
// store uses FOR UPDATE SKIP LOCKED for the same guarantee).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite/detail/sqlite_db.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync::sqlite_detail {

Result<std::vector<StoredProfile>> ListSqliteStoredProfiles(Db& db, const std::string& tenant);
Result<std::optional<StoredProfile>> GetSqliteStoredProfile(Db& db, const std::string& tenant,
                                                            const std::string& name);
Result<int64_t> PutSqliteStoredProfile(Db& db, const StoredProfile& profile,
                                       int64_t expected_version, int64_t now);
Status DeleteSqliteStoredProfile(Db& db, const std::string& tenant, const std::string& name);

Result<int64_t> EnqueueSqliteJob(Db& db, const JobRecord& job);
Result<std::optional<JobRecord>> ClaimSqliteJob(Db& db, const std::string& worker, int64_t now,
                                                int64_t lease_seconds, size_t per_tenant_cap);
Status HeartbeatSqliteJob(Db& db, int64_t id, const std::string& worker, int64_t lease_until,
                          int64_t run_id, const std::string& progress);
Status FinishSqliteJob(Db& db, const JobRecord& job);
Result<JobRecord> GetSqliteJob(Db& db, const std::string& tenant, int64_t id);
Result<std::vector<JobRecord>> ListSqliteJobs(Db& db, const std::string& tenant,
                                              const std::string& profile, size_t limit);

}  // namespace telsync::sqlite_detail
