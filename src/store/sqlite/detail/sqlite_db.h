// Db and Statement: a thin RAII layer over the sqlite3 C API for the SQLite store.
//
// Db owns one connection; Statement owns one prepared statement and is reused across
// rows (bind, Step, Reset) so bulk writes prepare once (SPEC P4). Text is bound with
// SQLITE_STATIC: the caller keeps every bound buffer alive until the next Reset, which
// avoids a copy per column on the million-row paths. Not thread-safe.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "util/result.h"

namespace telsync::sqlite_detail {

// Maps a SQLite result code to an Error: busy/locked -> kUnavailable (transient),
// constraint -> kConflict, cannot open -> kUnavailable, anything else -> kInternal.
Error ErrorFromCode(int code, std::string message, std::string context = {});

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& o) noexcept
      : db_(std::exchange(o.db_, nullptr)), stmt_(std::exchange(o.stmt_, nullptr)) {}
  Statement& operator=(Statement&& o) noexcept {
    if (this != &o) {
      sqlite3_finalize(stmt_);
      db_ = std::exchange(o.db_, nullptr);
      stmt_ = std::exchange(o.stmt_, nullptr);
    }
    return *this;
  }
  ~Statement() { sqlite3_finalize(stmt_); }

  // Parameters are 1-based, as in SQLite. `value` must outlive the next Reset().
  void BindText(int index, std::string_view value) {
    // A null data pointer would bind SQL NULL; every text column is NOT NULL.
    const char* data = value.data() == nullptr ? "" : value.data();
    sqlite3_bind_text(stmt_, index, data, static_cast<int>(value.size()), SQLITE_STATIC);
  }
  // Copies `value`: for temporaries.
  void BindTextCopy(int index, std::string_view value) {
    const char* data = value.data() == nullptr ? "" : value.data();
    sqlite3_bind_text(stmt_, index, data, static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  void BindInt(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  // Runs a statement that returns no row, then resets it. Error on failure.
  Status Run(std::string_view what);
  // Runs a statement whose first row's first column is an integer (INSERT ... RETURNING id),
  // then resets it. Error on failure, and when it returns no row.
  Result<int64_t> RunReturningInt(std::string_view what);
  void Reset() { sqlite3_reset(stmt_); }

  int64_t ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string_view ColumnText(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (text == nullptr) return {};
    return std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }

  // An Error for the statement's last failure, naming `what` the caller was doing.
  Error LastError(int code, std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Steps `stmt` (prepared and bound) through every row until SQLITE_DONE, calling `fn` with
// the statement positioned on each row; `fn` returns void, or a Status whose error stops
// the scan and is returned. A failed step returns stmt.LastError(rc, what). The statement
// is not reset: a reused one is the caller's to Reset.
template <typename Fn>
Status ForEachRow(Statement& stmt, std::string_view what, Fn&& fn) {
  for (;;) {
    const int rc = stmt.Step();
    if (rc == SQLITE_DONE) return Ok();
    if (rc != SQLITE_ROW) return stmt.LastError(rc, what);
    if constexpr (std::is_void_v<std::invoke_result_t<Fn&, const Statement&>>) {
      fn(static_cast<const Statement&>(stmt));
    } else {
      if (Status s = fn(static_cast<const Statement&>(stmt)); !s.ok()) return s;
    }
  }
}

class Db {
 public:
  // Opens the database at `path` (":memory:" for a private in-memory one) and sets the
  // connection pragmas: WAL, synchronous=NORMAL, foreign_keys, busy_timeout. A missing
  // file is created only when `create` is true; otherwise it is kUnavailable.
  static Result<Db> Open(const std::string& path, bool create = true);

  Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  Db(Db&& o) noexcept
      : db_(std::exchange(o.db_, nullptr)), path_(std::move(o.path_)), dev_(o.dev_), ino_(o.ino_) {}
  Db& operator=(Db&& o) noexcept {
    if (this != &o) {
      sqlite3_close_v2(db_);
      db_ = std::exchange(o.db_, nullptr);
      path_ = std::move(o.path_);
      dev_ = o.dev_;
      ino_ = o.ino_;
    }
    return *this;
  }
  ~Db() { sqlite3_close_v2(db_); }

  // `persistent` hints SQLite that the statement is reused many times.
  Result<Statement> Prepare(std::string_view sql, bool persistent = false);
  // Runs one or more statements that return no rows.
  Status Exec(const char* sql);
  // The first column of the first row of a query returning one integer.
  Result<int64_t> QueryInt(const char* sql);

  int64_t Changes() const { return sqlite3_changes64(db_); }
  int64_t LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
  bool InTransaction() const { return db_ != nullptr && sqlite3_get_autocommit(db_) == 0; }
  sqlite3* handle() const { return db_; }

  // kUnavailable when the file this connection opened is no longer at its path (removed
  // or replaced while the process runs): a write would go to a file nobody opens again,
  // and be lost at the next start. Checked before every write transaction (one stat).
  Status CheckFile() const;
  // The file opened; empty for ":memory:".
  const std::string& path() const { return path_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
  std::string path_;  // empty for ":memory:"
  uint64_t dev_ = 0;
  uint64_t ino_ = 0;
};

// A transaction, rolled back on destruction unless committed. Begin starts a write
// transaction (BEGIN IMMEDIATE, so a writer waits for the lock up front instead of
// failing at its first write); BeginRead a deferred one, so several reads see one
// consistent state (WAL readers never block the writer).
class Transaction {
 public:
  static Result<Transaction> Begin(Db& db);
  static Result<Transaction> BeginRead(Db& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction(Transaction&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Status Commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_ = nullptr;
};

}  // namespace telsync::sqlite_detail
