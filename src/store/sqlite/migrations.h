// Versioned schema migrations of the SQLite store.
//
// The schema version lives in PRAGMA user_version (0 = empty database). Migrations are
// an ordered list; Migrate runs each step newer than the database's version in its own
// transaction, re-reading the version inside it so two processes opening the same file
// at once migrate it once. A database newer than this binary is refused, never touched.
#pragma once

#include "store/sqlite/detail/sqlite_db.h"
#include "util/result.h"

namespace telsync {

// The schema version this binary writes and understands.
int LatestSqliteSchemaVersion();

// Brings `db` to LatestSqliteSchemaVersion(); returns the resulting version. kInvalid
// when the database's schema is newer than this binary supports.
Result<int> MigrateSqliteStore(sqlite_detail::Db& db);

}  // namespace telsync
