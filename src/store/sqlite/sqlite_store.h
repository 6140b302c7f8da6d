// The SQLite store: telsync's embedded default Store (DESIGN §3), one database file in
// WAL mode holding every tenant's PBX directory, run history and sync cursors.
//
// Opening migrates the schema (store/sqlite/migrations.h). Apply writes in transactions
// of `batch_size` rows with statements prepared once per call (P4); a no-op plan opens
// no transaction (P3). ApplyReport::statements counts the row-writing statements
// executed (INSERT / UPDATE / DELETE; BEGIN and COMMIT are not counted).
// Not thread-safe: OpenStore wraps it in the store's lock (store/detail/locked_store.h);
// several processes may share one file.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "store/store.h"
#include "util/result.h"

namespace telsync {

struct SqliteStoreOptions {
  // Rows written per transaction by Apply: large enough that commits (an fsync of the
  // WAL each) do not dominate, small enough that readers see progress and a crash loses
  // little work (the next run converges anyway, R2).
  size_t batch_size = 10000;
  // A missing file is created (and migrated); false: kUnavailable instead.
  bool create = true;
};

// `path` is a file or ":memory:". kUnavailable when it cannot be opened (or is missing and
// options.create is false), kInvalid when its schema is newer than this binary supports.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteStoreOptions& options = {});

}  // namespace telsync
