// Versioned schema migrations of the PostgreSQL store: the same steps as the SQLite
// store's (store/sqlite/migrations.cc), in PostgreSQL's dialect.
//
// The version lives in the one-row table telsync_schema (absent = 0). Migrate runs every
// step newer than the database's version in one transaction, holding a transaction-level
// advisory lock, so several processes opening the same database at once migrate it once
// and the others wait, then see the new version. A database newer than this binary is
// refused, never touched.
#pragma once

#include "store/postgres/detail/pg_conn.h"
#include "util/result.h"

namespace telsync {

// The schema version this binary writes and understands. Equal to the SQLite store's:
// both backends move in step.
int LatestPostgresSchemaVersion();

// The database's schema version, without changing anything (0 for an empty database).
Result<int> ReadPostgresSchemaVersion(pg_detail::Conn& conn);

// Brings the database to LatestPostgresSchemaVersion(); returns the resulting version.
// kInvalid when the database's schema is newer than this binary supports.
Result<int> MigratePostgresStore(pg_detail::Conn& conn);

}  // namespace telsync
