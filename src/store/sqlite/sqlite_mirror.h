// The SQLite side of source mirrors and API tokens (store.h), used by SqliteStore.
//
// A mirror row keeps a SourceObject as compact JSON plus a 64-bit hash of everything a
// Put may change, so a resync that finds an object unchanged reads one row and writes
// none (SPEC P3). A kReplace writer records the ids it was given in a temporary table
// and, at Commit, removes the rows it did not see: memory stays flat at a million
// objects.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite/detail/sqlite_db.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync::sqlite_detail {

// {"a": [[name, [values...]], ...], "g": [groups...]}: the attribute order is kept.
std::string EncodeMirrorData(const SourceObject& object);
Result<SourceObject> DecodeMirrorData(std::string_view data);

// The writer owns a write transaction on `db` until Commit or destruction.
Result<std::unique_ptr<MirrorWriter>> BeginSqliteMirrorWrite(Db& db, const std::string& tenant,
                                                             const std::string& profile,
                                                             MirrorWriteMode mode, int64_t now);

Status ScanSqliteMirror(Db& db, const std::string& tenant, const std::string& profile,
                        const std::function<bool(MirrorEntry&&)>& fn);
Result<std::optional<MirrorEntry>> GetSqliteMirrorEntry(Db& db, const std::string& tenant,
                                                        const std::string& profile, ObjectKind kind,
                                                        const std::string& id);
Result<std::optional<MirrorEntry>> FindSqliteMirrorEntryByName(Db& db, const std::string& tenant,
                                                               const std::string& profile,
                                                               ObjectKind kind,
                                                               const std::string& name);
Result<size_t> CountSqliteMirror(Db& db, const std::string& tenant, const std::string& profile,
                                 ObjectKind kind);

Result<int64_t> AddSqliteToken(Db& db, const ApiToken& token);
Result<std::vector<ApiToken>> ListSqliteTokens(Db& db, const std::string& tenant,
                                               const std::string& kind);
Status RevokeSqliteToken(Db& db, const std::string& tenant, const std::string& kind, int64_t id,
                         int64_t now);
Result<std::optional<ApiToken>> FindSqliteToken(Db& db, const std::string& kind,
                                                const std::string& hash);

}  // namespace telsync::sqlite_detail
