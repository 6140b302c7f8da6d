// The SQLite side of secrets at rest (store.h RecordSecretKey, RewriteSecrets), used by
// SqliteStore. A rewrite that replaced a document ends with VACUUM and
// wal_checkpoint(TRUNCATE): the old page images (the plain or old-key copies) are gone from
// the database file, its free pages and the WAL.
#pragma once

#include <cstdint>
#include <string>

#include "store/sqlite/detail/sqlite_db.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync::sqlite_detail {

Result<std::string> RecordSqliteSecretKey(Db& db, const std::string& key_id, int64_t now);
Result<int> RewriteSqliteSecrets(Db& db, const std::string& expected_key_id,
                                 const std::string& new_key_id, const Store::SecretRewrite& rewrite,
                                 int64_t now);

}  // namespace telsync::sqlite_detail
