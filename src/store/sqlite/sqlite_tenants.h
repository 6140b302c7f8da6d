// The SQLite side of tenant records (store.h TenantRecord, DeleteTenant), used by
// SqliteStore. DeleteTenant runs in one BEGIN IMMEDIATE transaction: no worker can claim
// one of the tenant's jobs between the running-job check and the deletes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite/detail/sqlite_db.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync::sqlite_detail {

Result<std::vector<TenantRecord>> ListSqliteTenants(Db& db);
Result<std::optional<TenantRecord>> GetSqliteTenant(Db& db, const std::string& name);
Status CreateSqliteTenant(Db& db, const TenantRecord& tenant);
Status UpdateSqliteTenant(Db& db, const TenantRecord& tenant);
Result<TenantDeletion> DeleteSqliteTenant(Db& db, const std::string& name, int64_t now);

}  // namespace telsync::sqlite_detail
