#include "store/sqlite/detail/sqlite_db.h"

#include <sys/stat.h>

#include <chrono>
#include <thread>

namespace telsync::sqlite_detail {

Error ErrorFromCode(int code, std::string message, std::string context) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_IOERR:
      return Error::Unavailable(std::move(message), std::move(context));
    case SQLITE_CONSTRAINT:
      return Error::Conflict(std::move(message), std::move(context));
    default:
      return Error::Internal(std::move(message), std::move(context));
  }
}

Status Statement::Run(std::string_view what) {
  const int rc = Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    Error error = LastError(rc, what);
    Reset();
    return error;
  }
  Reset();
  return Ok();
}

Result<int64_t> Statement::RunReturningInt(std::string_view what) {
  const int rc = Step();
  if (rc != SQLITE_ROW) {
    Error error = rc == SQLITE_DONE
                      ? Error::Internal("store: " + std::string(what) + ": no row returned")
                      : LastError(rc, what);
    Reset();
    return error;
  }
  const int64_t value = ColumnInt(0);
  Reset();
  return value;
}

Error Statement::LastError(int code, std::string_view what) const {
  std::string message = "store: " + std::string(what) + ": ";
  message += db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
  return ErrorFromCode(code, std::move(message));
}

// How long a writer waits for another connection's write lock before the write fails with
// "database is locked" (kUnavailable: retrying helps).
constexpr std::chrono::seconds kBusyWait{60};

Result<Db> Db::Open(const std::string& path, bool create) {
  const bool memory = path == ":memory:" || path.empty();
  struct stat st {};
  if (!create && !memory && ::stat(path.c_str(), &st) != 0) {
    return Error::Unavailable("the store " + path +
                              " does not exist (it is created by `telsync migrate` or the first "
                              "start on a new path; was it removed?)");
  }
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);  // closes `raw` on every path, even when open failed
  if (rc != SQLITE_OK) {
    std::string why = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return ErrorFromCode(rc, "cannot open store " + path + ": " + why);
  }
  sqlite3_extended_result_codes(raw, 1);
  // Installed before the PRAGMAs: switching a new file to WAL takes a lock that
  // several processes opening it at once contend for.
  // A second writer waits for the lock instead of failing, up to kBusyWait of wall time:
  // another process's sync may hold it for a large apply, longer on a loaded machine, and a
  // job must not fail for that (workers of several processes share one SQLite file). It
  // polls every 50 µs at first and at most every 1 ms: SQLite's own busy_timeout sleeps 1, 2,
  // 5, 10 ... 100 ms, so a SCIM request that meets a short write of the applier lost tens of
  // milliseconds. SQLite calls the handler with count 0 at the start of each wait.
  sqlite3_busy_handler(
      raw,
      [](void*, int count) -> int {
        thread_local std::chrono::steady_clock::time_point started;
        const auto now = std::chrono::steady_clock::now();
        if (count == 0) started = now;
        if (now - started >= kBusyWait) return 0;
        const int micros = count < 5 ? 50 << count : 1000;
        std::this_thread::sleep_for(std::chrono::microseconds(micros));
        return 1;
      },
      nullptr);
  // WAL lets readers (the API, reports) run while a sync writes; NORMAL is durable
  // across application crashes in WAL mode and much faster than FULL. The busy timeout
  // makes a second writer wait instead of failing at once. A 64 MiB page cache keeps the
  // indexes' hot pages in memory while a million-row plan is applied.
  if (Status s = db.Exec("PRAGMA journal_mode=WAL;"
                         "PRAGMA synchronous=NORMAL;"
                         "PRAGMA foreign_keys=ON;"
                         "PRAGMA temp_store=MEMORY;"
                         "PRAGMA cache_size=-65536;");
      !s.ok()) {
    Error error = s.error();
    error.message = "cannot open store " + path + ": " + error.message;
    return error;
  }
  if (!memory) {
    // The file as opened (the PRAGMAs above created it when it was new).
    if (::stat(path.c_str(), &st) != 0) {
      return Error::Unavailable("the store " + path + " vanished while it was opened");
    }
    db.path_ = path;
    db.dev_ = static_cast<uint64_t>(st.st_dev);
    db.ino_ = static_cast<uint64_t>(st.st_ino);
  }
  return db;
}

Status Db::CheckFile() const {
  if (path_.empty()) return Ok();
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_dev) != dev_ ||
      static_cast<uint64_t>(st.st_ino) != ino_) {
    return Error::Unavailable("the store file " + path_ +
                              " is gone or was replaced; writes are refused (they would be "
                              "lost at restart)");
  }
  return Ok();
}

Result<Statement> Db::Prepare(std::string_view sql, bool persistent) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return ErrorFromCode(rc, std::string("store: prepare: ") + sqlite3_errmsg(db_),
                         std::string(sql.substr(0, 60)));
  }
  return Statement(db_, stmt);
}

Status Db::Exec(const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return ErrorFromCode(rc, "store: " + text);
  }
  return Ok();
}

Result<int64_t> Db::QueryInt(const char* sql) {
  Result<Statement> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.error();
  const int rc = stmt->Step();
  if (rc == SQLITE_ROW) return stmt->ColumnInt(0);
  if (rc == SQLITE_DONE) return Error::Internal(std::string("store: no row from ") + sql);
  return stmt->LastError(rc, sql);
}

Result<Transaction> Transaction::Begin(Db& db) {
  if (Status s = db.CheckFile(); !s.ok()) return s.error();
  if (Status s = db.Exec("BEGIN IMMEDIATE"); !s.ok()) return s.error();
  return Transaction(&db);
}

Result<Transaction> Transaction::BeginRead(Db& db) {
  if (Status s = db.Exec("BEGIN DEFERRED"); !s.ok()) return s.error();
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr && db_->InTransaction()) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  Db* db = std::exchange(db_, nullptr);
  if (db == nullptr) return Error::Internal("store: commit without a transaction");
  Status s = db->Exec("COMMIT");
  if (!s.ok() && db->InTransaction()) (void)db->Exec("ROLLBACK");
  return s;
}

}  // namespace telsync::sqlite_detail
