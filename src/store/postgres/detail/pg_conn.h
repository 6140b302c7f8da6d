// Conn, PgResult, Params and CopyBuffer: a thin RAII layer over libpq for the PostgreSQL
// store.
//
// Conn owns one connection. Statements are sent with text parameters; ExecPrepared
// prepares a named statement on first use and reuses it for the life of the connection
// (SPEC P4). Errors map SQLSTATE to telsync's codes: unique violation -> kConflict;
// connection loss, shutdown, serialization failure and deadlock -> kUnavailable (a retry
// may succeed); anything else -> kInternal. No message ever carries the connection URL
// or its password: connection errors name host and port only. Not thread-safe.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "util/result.h"

namespace telsync::pg_detail {

// One statement's result rows; empty (no rows) for commands.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}

  int rows() const { return result_ ? PQntuples(result_.get()) : 0; }
  bool IsNull(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }
  std::string_view Text(int row, int col) const {
    return {PQgetvalue(result_.get(), row, col),
            static_cast<size_t>(PQgetlength(result_.get(), row, col))};
  }
  std::string String(int row, int col) const { return std::string(Text(row, col)); }
  int64_t Int(int row, int col) const;  // 0 for NULL
  // Rows inserted, updated or deleted by the command.
  int64_t Affected() const;

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_{nullptr, &PQclear};
};

// Text parameters $1, $2, ... in order. Values are copied: libpq wants NUL-terminated
// text, and callers often pass views and temporaries.
class Params {
 public:
  Params& Add(std::string_view value) {
    owned_.emplace_back(value);
    nulls_.push_back(false);
    return *this;
  }
  Params& Add(const char* value) { return Add(std::string_view(value)); }
  Params& Add(const std::string& value) { return Add(std::string_view(value)); }
  Params& Add(int64_t value) { return Add(std::string_view(std::to_string(value))); }
  Params& Add(int value) { return Add(static_cast<int64_t>(value)); }
  Params& Add(size_t value) { return Add(static_cast<int64_t>(value)); }
  Params& AddNull() {
    owned_.emplace_back();
    nulls_.push_back(true);
    return *this;
  }
  int size() const { return static_cast<int>(owned_.size()); }
  // Pointers for libpq, valid while this object lives and is not changed.
  std::vector<const char*> Values() const;

 private:
  std::deque<std::string> owned_;
  std::vector<bool> nulls_;
};

// Binds a LIMIT: NULL (PostgreSQL's "no limit") for 0, which asks for every row, as the
// store's `limit` parameters do.
void AddLimit(Params& p, size_t limit);

// Rows in COPY's text format: fields separated by tabs, rows by newlines, with
// backslash escapes for the characters that would break that framing.
class CopyBuffer {
 public:
  void Field(std::string_view value);
  void Int(int64_t value);
  // A field whose text the caller appends to buffer() itself, already escaped for COPY
  // (Escape); Next() then ends it.
  std::string& buffer() { return data_; }
  void Next() { data_ += '\t'; }
  // Appends `value` with COPY's escapes, no separator.
  static void Escape(std::string& out, std::string_view value);
  void EndRow() {
    if (!data_.empty() && data_.back() == '\t') data_.back() = '\n';
  }
  const std::string& data() const { return data_; }
  size_t size() const { return data_.size(); }
  void Clear() { data_.clear(); }

 private:
  std::string data_;
};

class Conn {
 public:
  // `url` is a libpq connection URI (postgres://user:password@host:port/db?...).
  // kUnavailable when the server cannot be reached or rejects us; the message names the
  // host and port, never the password.
  static Result<std::unique_ptr<Conn>> Open(const std::string& url);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Runs `sql` (several statements allowed when there are no parameters).
  Result<PgResult> Exec(std::string_view sql, std::string_view what);
  Result<PgResult> Exec(const std::string& sql, const Params& params, std::string_view what);
  // Prepares `sql` under `name` on first use, then executes it.
  Result<PgResult> ExecPrepared(const char* name, const std::string& sql, const Params& params,
                                std::string_view what);
  // Runs `copy_sql` (COPY ... FROM STDIN) with `rows` as its data.
  Status CopyIn(const std::string& copy_sql, const CopyBuffer& rows, std::string_view what);

  // "host:port" of the server, for messages.
  const std::string& where() const { return where_; }
  PGconn* handle() { return conn_; }

 private:
  Conn(PGconn* conn, std::string where, std::string password)
      : conn_(conn), where_(std::move(where)), password_(std::move(password)) {}
  // Reconnects when the connection was lost outside a transaction (a server restart
  // between two calls of a long-lived `serve`).
  Status EnsureConnected();
  Error ErrorOf(const PGresult* result, std::string_view what) const;
  // Removes the password from a server or libpq message, should one ever echo it.
  std::string Scrub(std::string message) const;

  PGconn* conn_;
  std::string where_;
  std::string password_;
  std::unordered_set<std::string> prepared_;
  bool in_transaction_ = false;
  friend class Transaction;
  friend class CopyStream;
};

// One COPY ... FROM STDIN whose rows go to the server while they are encoded: Flush()
// hands what rows() holds to libpq once it reaches a chunk, so the server parses one
// chunk while the client builds the next (one COPY per batch instead of a buffer built,
// then sent, then waited for). After a failed Flush, stop encoding and call Finish() for
// the server's error. A stream dropped unfinished aborts its COPY.
class CopyStream {
 public:
  // kChunk: big enough that a send is not a syscall per row, small enough that the
  // server starts early.
  static constexpr size_t kChunk = 256u << 10;
  static Result<CopyStream> Start(Conn& conn, const std::string& copy_sql, std::string_view what);
  CopyStream(CopyStream&& other) noexcept
      : conn_(std::exchange(other.conn_, nullptr)),
        what_(std::move(other.what_)),
        rows_(std::move(other.rows_)),
        sent_(other.sent_) {}
  CopyStream& operator=(CopyStream&&) = delete;
  ~CopyStream();

  CopyBuffer& rows() { return rows_; }
  // Sends the rows built so far when they reach kChunk (always with force).
  Status Flush(bool force = false);
  // Sends the rest and ends the COPY: its outcome (kConflict for a unique violation).
  Status Finish();

 private:
  CopyStream(Conn* conn, std::string what) : conn_(conn), what_(std::move(what)) {}
  Status End(const char* abort_message);
  Conn* conn_;
  std::string what_;
  CopyBuffer rows_;
  bool sent_ = true;  // false once a send failed: the rest is not sent
};

// Transaction scope: rolls back unless Commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> Begin(Conn& conn);
  Transaction(Transaction&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Conn* conn) : conn_(conn) {}
  Conn* conn_;
};

// `{1,2,3}`: a bigint[] literal for `= ANY($n::bigint[])`.
std::string IntArrayLiteral(const std::vector<int64_t>& values);
// `{"a","b\"c"}`: a text[] literal.
std::string TextArrayLiteral(const std::vector<std::string>& values);

}  // namespace telsync::pg_detail
