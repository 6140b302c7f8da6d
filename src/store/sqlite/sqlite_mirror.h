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

#include "store/detail/columns.h"
#include "store/sqlite/detail/sqlite_db.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync::sqlite_detail {

// The data column's encoding (store/detail/columns.h), under the names the tests use.
using store_detail::DecodeMirrorData;
using store_detail::EncodeMirrorData;

// The mirror half of one SQLite connection: every statement is prepared once, on first
// use, and reset and rebound after (the SQL parser costs more than a SCIM request's
// index lookups). Owned by the SqliteStore next to its Db, so it lives as long as the
// connection. Not thread-safe, like the Db.
class SqliteMirror {
 public:
  explicit SqliteMirror(Db& db) : db_(db) {}
  SqliteMirror(const SqliteMirror&) = delete;
  SqliteMirror& operator=(const SqliteMirror&) = delete;

  // A writer opens a write transaction (BEGIN IMMEDIATE) and owns it until Commit or
  // destruction. When the connection already has a transaction open (a SCIM group commit:
  // one outer writer, one inner writer per request), the writer nests as a SAVEPOINT:
  // its Commit releases the savepoint into the outer transaction (durable when that one
  // commits), its destruction without Commit rolls back only its own writes. A kReplace
  // writer cannot nest.
  Result<std::unique_ptr<MirrorWriter>> BeginWrite(const std::string& tenant,
                                                   const std::string& profile, MirrorWriteMode mode,
                                                   int64_t now);
  Status Scan(const std::string& tenant, const std::string& profile,
              const std::function<bool(MirrorEntry&&)>& fn);
  // Entries of one kind in id order from `offset`, at most `limit`: a LIMIT / OFFSET on
  // the primary key, rows before `offset` are skipped undecoded.
  Status ScanPage(const std::string& tenant, const std::string& profile, ObjectKind kind,
                  size_t offset, size_t limit, const std::function<bool(MirrorEntry&&)>& fn);
  Result<std::optional<MirrorEntry>> Get(const std::string& tenant, const std::string& profile,
                                         ObjectKind kind, const std::string& id);
  Result<std::optional<MirrorEntry>> FindByName(const std::string& tenant,
                                                const std::string& profile, ObjectKind kind,
                                                const std::string& name);
  // Remembered between calls while the database is unchanged (no commit by another
  // connection: PRAGMA data_version; no change by this one: total_changes), since COUNT
  // walks every row of the kind and a SCIM list asks for it on every page.
  Result<size_t> Count(const std::string& tenant, const std::string& profile, ObjectKind kind);
  // Store::ListMirrorPending / ClearMirrorPending.
  Result<std::vector<MirrorPending>> ListPending(const std::string& tenant,
                                                 const std::string& profile, size_t limit);
  Status ClearPending(const std::string& tenant, const std::string& profile,
                      const std::vector<int64_t>& seqs);

  // Statements compiled so far on this connection (tests: a second request prepares none).
  size_t prepared() const { return prepared_; }

  enum Slot : int {
    kBegin,
    kCommit,
    kRollback,
    kSavepoint,
    kRelease,
    kRollbackTo,
    kFind,
    kOwner,
    kUpsert,
    kRemove,
    kGet,
    kByName,
    kCount,
    kScan,
    kScanPage,
    kDataVersion,
    kMarkPending,
    kSlotCount
  };
  // The cached statement of `slot`, prepared on first use; callers Reset it before they
  // return. Not for statements whose rows are handed to callbacks (see Take).
  Result<Statement*> Cached(Slot slot);
  // Moves the cached statement out (preparing one when the slot is empty or lent), for a
  // scan whose callback may use this SqliteMirror again; Give puts it back.
  Result<Statement> Take(Slot slot);
  void Give(Slot slot, Statement stmt);
  Db& db() { return db_; }

 private:
  Db& db_;
  Statement statements_[kSlotCount];
  bool ready_[kSlotCount] = {};
  size_t prepared_ = 0;
  struct CachedCount {
    std::string tenant;
    std::string profile;
    ObjectKind kind = ObjectKind::kUser;
    size_t count = 0;
    int64_t data_version = -1;
    int64_t total_changes = -1;
  };
  std::vector<CachedCount> counts_;
};

Result<int64_t> AddSqliteToken(Db& db, const ApiToken& token);
Result<std::vector<ApiToken>> ListSqliteTokens(Db& db, const std::string& tenant,
                                               const std::string& kind);
Status RevokeSqliteToken(Db& db, const std::string& tenant, const std::string& kind, int64_t id,
                         int64_t now);
Result<std::optional<ApiToken>> FindSqliteToken(Db& db, const std::string& kind,
                                                const std::string& hash);

}  // namespace telsync::sqlite_detail
