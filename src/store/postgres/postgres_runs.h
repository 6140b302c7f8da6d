// The PostgreSQL side of run records, run items and run locks (store/run_store.h), used by
// PostgresStore.
//
// Run locks are session advisory locks on the store's connection, keyed by a hash of
// tenant/profile: the server drops one when its session ends, so a process that dies never
// keeps it. The holder's note is the session's application_name, which the one that finds
// the lock taken reads from pg_stat_activity. Run items are written with COPY, replacing
// those saved before, in one transaction; SavePostgresRunItems touches nothing but `conn`,
// so the store may run it on its second connection from another thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/postgres/detail/pg_conn.h"
#include "store/run_store.h"
#include "util/result.h"

namespace telsync::pg_detail {

// The lock is released on `conn` when the returned object is destroyed: it must not
// outlive the connection.
Result<std::unique_ptr<RunLock>> LockPostgresProfileRuns(Conn& conn, const std::string& tenant,
                                                         const std::string& profile, bool wait,
                                                         int64_t now);
Result<int64_t> CreatePostgresRun(Conn& conn, const Run& run);
Status UpdatePostgresRun(Conn& conn, const Run& run);
// kNotFound when the tenant has no run `run_id`.
Status CheckPostgresRunTenant(Conn& conn, const std::string& tenant, int64_t run_id);
Status SavePostgresRunItems(Conn& conn, int64_t run_id, const Plan& plan);
Result<Run> GetPostgresRun(Conn& conn, const std::string& tenant, int64_t run_id);
Result<std::vector<Run>> ListPostgresRuns(Conn& conn, const std::string& tenant,
                                          const std::string& profile, size_t limit);
Result<std::vector<PlanItem>> GetPostgresRunItems(Conn& conn, const std::string& tenant,
                                                  int64_t run_id, std::optional<Action> action);
Result<RunItemsPage> GetPostgresRunItemsPage(Conn& conn, const std::string& tenant, int64_t run_id,
                                             const RunItemsQuery& query);
Result<std::vector<DepartmentChange>> GetPostgresRunDepartments(Conn& conn,
                                                                const std::string& tenant,
                                                                int64_t run_id);
Result<std::optional<Run>> LastPostgresSuccessfulSync(Conn& conn, const std::string& tenant,
                                                      const std::string& profile);
// The pause of `runs revert --pause` (RunStore::GetProfilePause, issue 18).
Result<std::optional<int64_t>> GetPostgresProfilePause(Conn& conn, const std::string& tenant,
                                                       const std::string& profile);
Status SetPostgresProfilePause(Conn& conn, const std::string& tenant, const std::string& profile,
                               int64_t run_id, int64_t now);
Status ClearPostgresProfilePause(Conn& conn, const std::string& tenant, const std::string& profile);
// RunStore::PurgeRunHistory: each statement its own transaction on `conn`.
Result<HistoryPurge> PurgePostgresRunHistory(Conn& conn, const std::string& tenant, int64_t before,
                                             int64_t now, size_t batch);

}  // namespace telsync::pg_detail
