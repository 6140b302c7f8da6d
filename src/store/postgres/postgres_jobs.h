// The PostgreSQL side of stored profiles and the job queue (store.h), used by PostgresStore.
//
// Claims run in one transaction that holds a transaction-level advisory lock and picks the
// job with FOR UPDATE SKIP LOCKED: two processes claiming at once never get the same job,
// and the per-tenant counts that fairness and the cap read are exact (the SQLite store gets
// the same guarantee from BEGIN IMMEDIATE). Enqueue relies on the partial unique indexes
// (one unfinished job per profile, one job per scheduled occurrence) and names the job that
// holds the place in its Conflict error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/postgres/detail/pg_conn.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync::pg_detail {

// The columns every stored-profile read selects, in the order ReadStoredProfile reads them.
inline constexpr std::string_view kStoredProfileColumns =
    "tenant, name, document, version, created_at, updated_at";
// Row `row` of a result selected with kStoredProfileColumns.
StoredProfile ReadStoredProfile(const PgResult& r, int row);

Result<std::vector<StoredProfile>> ListPostgresStoredProfiles(Conn& conn,
                                                              const std::string& tenant);
Result<std::optional<StoredProfile>> GetPostgresStoredProfile(Conn& conn, const std::string& tenant,
                                                              const std::string& name);
Result<int64_t> PutPostgresStoredProfile(Conn& conn, const StoredProfile& profile,
                                         int64_t expected_version, int64_t now);
Status DeletePostgresStoredProfile(Conn& conn, const std::string& tenant, const std::string& name);

Result<int64_t> EnqueuePostgresJob(Conn& conn, const JobRecord& job);
Result<std::optional<JobRecord>> ClaimPostgresJob(Conn& conn, const std::string& worker,
                                                  int64_t now, int64_t lease_seconds,
                                                  size_t per_tenant_cap);
Status HeartbeatPostgresJob(Conn& conn, int64_t id, const std::string& worker, int64_t lease_until,
                            int64_t run_id, const std::string& progress);
Status FinishPostgresJob(Conn& conn, const JobRecord& job);
Result<JobRecord> GetPostgresJob(Conn& conn, const std::string& tenant, int64_t id);
Result<std::vector<JobRecord>> ListPostgresJobs(Conn& conn, const std::string& tenant,
                                                const std::string& profile, size_t limit);

}  // namespace telsync::pg_detail
