// The PostgreSQL side of secrets at rest (store.h RecordSecretKey, RewriteSecrets), used
// by PostgresStore. The rewrite locks the key row (FOR UPDATE) for its transaction, so two
// rotations cannot interleave. A rewrite that replaced a document ends with VACUUM FULL of
// stored_profiles: the table is rewritten from its live rows, so a dump or a read of the
// table files finds no old copy. (Old copies may remain in the server's write-ahead log
// until it is recycled; see docs/secrets.md.)
#pragma once

#include <cstdint>
#include <string>

#include "store/postgres/detail/pg_conn.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync::pg_detail {

Result<std::string> RecordPostgresSecretKey(Conn& conn, const std::string& key_id, int64_t now);
Result<int> RewritePostgresSecrets(Conn& conn, const std::string& expected_key_id,
                                   const std::string& new_key_id,
                                   const Store::SecretRewrite& rewrite, int64_t now);

}  // namespace telsync::pg_detail
