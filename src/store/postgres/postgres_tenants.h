// The PostgreSQL side of tenant records (store.h TenantRecord, DeleteTenant), used by
// PostgresStore. DeleteTenant locks the tenant's row and its unfinished jobs (FOR UPDATE)
// before it checks for a running job: a worker's claim (FOR UPDATE SKIP LOCKED) then skips
// those jobs, so no run starts between the check and the deletes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/postgres/detail/pg_conn.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync::pg_detail {

Result<std::vector<TenantRecord>> ListPostgresTenants(Conn& conn);
Result<std::optional<TenantRecord>> GetPostgresTenant(Conn& conn, const std::string& name);
Status CreatePostgresTenant(Conn& conn, const TenantRecord& tenant);
Status UpdatePostgresTenant(Conn& conn, const TenantRecord& tenant);
Result<TenantDeletion> DeletePostgresTenant(Conn& conn, const std::string& name, int64_t now);

}  // namespace telsync::pg_detail
