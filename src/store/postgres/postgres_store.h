// The PostgreSQL store: the Store interface (store/store.h) on libpq, for deployments that
// outgrow one SQLite file (issue 8): one database for thousands of tenants, shared by any
// number of `telsync serve` processes.
//
// Opening connects, then migrates the schema (store/postgres/migrations.h). Each Store
// owns one connection (plus a second one, opened on first use, on which
// StartSaveRunItems writes a run's items while Apply runs). Not thread-safe, as with
// SQLite: OpenStore wraps it in the store's lock (store/detail/locked_store.h). The work
// is split by role: postgres_users (directory reads), postgres_runs (runs, items, run
// locks), postgres_mirror (mirror, cursors, tokens), postgres_jobs (stored profiles,
// jobs), postgres_secrets, postgres_tenants and postgres_mail; this file keeps the
// snapshot, Apply and the wiring. Bulk paths stream rows with COPY while they are
// encoded. Apply's creates go straight into users; a batch whose COPY hits a unique
// violation (a key already stored) is rolled back to a savepoint and, like updates, goes
// through a temporary staging table and one set-based statement (INSERT ... ON CONFLICT,
// UPDATE ... FROM). A no-op plan sends nothing (P3).
// ApplyReport::statements counts the row-writing statements sent (COPY, INSERT, UPDATE,
// DELETE; BEGIN and COMMIT are not counted). Job claims use FOR UPDATE SKIP LOCKED.
// Semantics follow the SQLite store exactly; store/store_contract_test.cc runs the same
// tests over both.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "store/store.h"
#include "util/result.h"

namespace telsync {

struct PostgresStoreOptions {
  // Rows per transaction in Apply: as in SqliteStoreOptions::batch_size.
  size_t batch_size = 10000;
  // StartSaveRunItems writes on the second connection only for plans of at least this
  // many items: a small run (a SCIM push, a tenant of 30 users) gains nothing from a
  // thread and would hold a second connection per store.
  size_t concurrent_items_min = 1000;
};

// `url`: postgres://user:password@host:port/database?options (libpq's URI form).
// kUnavailable when the server cannot be reached (the message names host and port,
// never the password), kInvalid for a malformed URL or a schema newer than this binary.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url,
                                                 const PostgresStoreOptions& options = {});

// The schema version of the database `url` names, and the one this binary writes,
// without migrating anything (`telsync migrate --check`).
Result<int> ReadPostgresStoreVersion(const std::string& url);

// The URL with its password replaced by "***": for messages and logs.
std::string RedactPostgresUrl(const std::string& url);

}  // namespace telsync
