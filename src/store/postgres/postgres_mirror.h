// The PostgreSQL side of source mirrors, sync cursors (store/mirror_store.h) and API tokens
// (store/token_store.h), used by PostgresStore.
//
// Writers hold an advisory lock on their mirror (one writer per mirror at a time, as
// with SQLite). In kPatch mode, and for named or version-checked entries (SCIM), a Put is
// one round trip: a single statement checks the expected version and the name's owner and
// upserts only when the entry's hash changed, so a no-op write writes no row (P3). A
// kReplace writer (a full read) first loads the keys, hashes and versions of the stored
// entries; a nameless Put of an unchanged object then costs no round trip, changed ones
// are staged with COPY and merged in batches, and Commit deletes the loaded entries that
// were not Put. Memory: about 100 bytes per stored entry while a full read runs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/postgres/detail/pg_conn.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync::pg_detail {

// The writer owns a transaction on `conn` until Commit or destruction.
Result<std::unique_ptr<MirrorWriter>> BeginPostgresMirrorWrite(Conn& conn,
                                                               const std::string& tenant,
                                                               const std::string& profile,
                                                               MirrorWriteMode mode, int64_t now);
Status ScanPostgresMirror(Conn& conn, const std::string& tenant, const std::string& profile,
                          const std::function<bool(MirrorEntry&&)>& fn);
// One page of one kind's entries in id order, from the primary-key index.
Status ScanPostgresMirrorPage(Conn& conn, const std::string& tenant, const std::string& profile,
                              ObjectKind kind, size_t offset, size_t limit,
                              const std::function<bool(MirrorEntry&&)>& fn);
Result<std::optional<MirrorEntry>> GetPostgresMirrorEntry(Conn& conn, const std::string& tenant,
                                                          const std::string& profile,
                                                          ObjectKind kind, const std::string& id);
Result<std::optional<MirrorEntry>> FindPostgresMirrorEntryByName(Conn& conn,
                                                                 const std::string& tenant,
                                                                 const std::string& profile,
                                                                 ObjectKind kind,
                                                                 const std::string& name);
Result<size_t> CountPostgresMirror(Conn& conn, const std::string& tenant,
                                   const std::string& profile, ObjectKind kind);

Result<std::vector<MirrorPending>> ListPostgresMirrorPending(Conn& conn, const std::string& tenant,
                                                             const std::string& profile,
                                                             size_t limit);
Status ClearPostgresMirrorPending(Conn& conn, const std::string& tenant, const std::string& profile,
                                  const std::vector<int64_t>& seqs);

// The profile's sync cursor; "" when none.
Result<std::string> GetPostgresCursor(Conn& conn, const std::string& tenant,
                                      const std::string& profile);
Status SetPostgresCursor(Conn& conn, const std::string& tenant, const std::string& profile,
                         const std::string& cursor);

Result<int64_t> AddPostgresToken(Conn& conn, const ApiToken& token);
Result<std::vector<ApiToken>> ListPostgresTokens(Conn& conn, const std::string& tenant,
                                                 const std::string& kind);
Status RevokePostgresToken(Conn& conn, const std::string& tenant, const std::string& kind,
                           int64_t id, int64_t now);
Result<std::optional<ApiToken>> FindPostgresToken(Conn& conn, const std::string& kind,
                                                  const std::string& hash);

}  // namespace telsync::pg_detail
