#include "targets/kamailio/kamailio_db.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <unordered_map>
#include <utility>

namespace telsync {
namespace {

constexpr int kSubscriberVersion = 7;
constexpr int kAliasesVersion = 1;

Status VersionProblem(const std::string& table, int64_t found, int want) {
  if (found < 0) {
    return Error::Invalid("Kamailio db: no version row for table " + table +
                          " (create the schema with Kamailio's " + table + " SQL first)");
  }
  return Error::Invalid("Kamailio db: table " + table + " has version " + std::to_string(found) +
                        ", telsync writes version " + std::to_string(want));
}

// ---- SQLite (db_sqlite) ----

class SqliteKamailioDb final : public KamailioDb {
 public:
  explicit SqliteKamailioDb(sqlite3* db) : db_(db) {}
  ~SqliteKamailioDb() override {
    for (const auto& [sql, stmt] : prepared_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  Status CheckVersions() override {
    for (const auto& [table, want] : {std::pair<std::string, int>{"subscriber", kSubscriberVersion},
                                      std::pair<std::string, int>{"dbaliases", kAliasesVersion}}) {
      Stmt s(this, "SELECT table_version FROM version WHERE table_name = ?1");
      if (!s.ok()) return Fail("read version");
      s.Text(1, table);
      const int rc = s.Step();
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail("read version");
      const int64_t found = rc == SQLITE_ROW ? sqlite3_column_int64(s.get(), 0) : -1;
      if (found != want) return VersionProblem(table, found, want);
    }
    return Ok();
  }
  Status Begin() override { return Exec("BEGIN IMMEDIATE"); }
  Status Commit() override { return Exec("COMMIT"); }
  void Rollback() override { (void)Exec("ROLLBACK"); }

  Result<std::optional<KamailioSubscriber>> GetSubscriber(const std::string& username,
                                                          const std::string& domain) override {
    Stmt s(this, "SELECT ha1, ha1b FROM subscriber WHERE username = ?1 AND domain = ?2");
    if (!s.ok()) return Fail("read subscriber");
    s.Text(1, username);
    s.Text(2, domain);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<KamailioSubscriber>();
    if (rc != SQLITE_ROW) return Fail("read subscriber");
    return std::optional<KamailioSubscriber>(
        KamailioSubscriber{username, domain, s.Column(0), s.Column(1)});
  }
  Status PutSubscriber(const KamailioSubscriber& sub) override {
    Stmt s(this,
           "INSERT INTO subscriber (username, domain, password, ha1, ha1b) "
           "VALUES (?1, ?2, '', ?3, ?4) ON CONFLICT (username, domain) DO UPDATE SET "
           "password = '', ha1 = excluded.ha1, ha1b = excluded.ha1b");
    if (!s.ok()) return Fail("write subscriber");
    s.Text(1, sub.username);
    s.Text(2, sub.domain);
    s.Text(3, sub.ha1);
    s.Text(4, sub.ha1b);
    return s.Step() == SQLITE_DONE ? Ok() : Fail("write subscriber");
  }
  Status DeleteSubscriber(const std::string& username, const std::string& domain) override {
    Stmt s(this, "DELETE FROM subscriber WHERE username = ?1 AND domain = ?2");
    if (!s.ok()) return Fail("delete subscriber");
    s.Text(1, username);
    s.Text(2, domain);
    return s.Step() == SQLITE_DONE ? Ok() : Fail("delete subscriber");
  }
  Result<std::optional<KamailioAlias>> GetAlias(const std::string& alias_username,
                                                const std::string& alias_domain) override {
    Stmt s(this,
           "SELECT username, domain FROM dbaliases WHERE alias_username = ?1 AND "
           "alias_domain = ?2 ORDER BY id LIMIT 1");
    if (!s.ok()) return Fail("read alias");
    s.Text(1, alias_username);
    s.Text(2, alias_domain);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<KamailioAlias>();
    if (rc != SQLITE_ROW) return Fail("read alias");
    return std::optional<KamailioAlias>(
        KamailioAlias{alias_username, alias_domain, s.Column(0), s.Column(1)});
  }
  Status PutAlias(const KamailioAlias& alias) override {
    if (Status st = DeleteAlias(alias.alias_username, alias.alias_domain); !st.ok()) return st;
    return AddAlias(alias);
  }
  Status AddAlias(const KamailioAlias& alias) override {
    Stmt s(this,
           "INSERT INTO dbaliases (alias_username, alias_domain, username, domain) "
           "VALUES (?1, ?2, ?3, ?4)");
    if (!s.ok()) return Fail("write alias");
    s.Text(1, alias.alias_username);
    s.Text(2, alias.alias_domain);
    s.Text(3, alias.username);
    s.Text(4, alias.domain);
    return s.Step() == SQLITE_DONE ? Ok() : Fail("write alias");
  }
  Status DeleteAlias(const std::string& alias_username, const std::string& alias_domain) override {
    Stmt s(this, "DELETE FROM dbaliases WHERE alias_username = ?1 AND alias_domain = ?2");
    if (!s.ok()) return Fail("delete alias");
    s.Text(1, alias_username);
    s.Text(2, alias_domain);
    return s.Step() == SQLITE_DONE ? Ok() : Fail("delete alias");
  }
  Result<std::vector<KamailioSubscriber>> ListSubscribers(const std::string& domain) override {
    Stmt s(this, "SELECT username, ha1, ha1b FROM subscriber WHERE domain = ?1");
    if (!s.ok()) return Fail("read subscribers");
    s.Text(1, domain);
    std::vector<KamailioSubscriber> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back({s.Column(0), domain, s.Column(1), s.Column(2)});
    }
    if (rc != SQLITE_DONE) return Fail("read subscribers");
    return out;
  }
  Result<std::vector<KamailioAlias>> ListAliases(const std::string& alias_domain) override {
    Stmt s(this,
           "SELECT alias_username, username, domain FROM dbaliases WHERE alias_domain = ?1 "
           "ORDER BY id");
    if (!s.ok()) return Fail("read aliases");
    s.Text(1, alias_domain);
    std::vector<KamailioAlias> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back({s.Column(0), alias_domain, s.Column(1), s.Column(2)});
    }
    if (rc != SQLITE_DONE) return Fail("read aliases");
    return out;
  }

 private:
  // A statement prepared once per connection (a publish runs a handful of them per user:
  // preparing each every time cost more than running it), reset when the handle goes.
  class Stmt {
   public:
    Stmt(SqliteKamailioDb* owner, const char* sql) : stmt_(owner->Prepared(sql)) {}
    ~Stmt() {
      if (stmt_ == nullptr) return;
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    bool ok() const { return stmt_ != nullptr; }
    sqlite3_stmt* get() const { return stmt_; }
    // `v` must outlive the Step (every caller binds its arguments): not copied.
    void Text(int i, const std::string& v) {
      sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    }
    int Step() { return sqlite3_step(stmt_); }
    std::string Column(int i) const {
      const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
      return t == nullptr ? std::string() : std::string(t);
    }

   private:
    sqlite3_stmt* stmt_ = nullptr;
  };

  Error Fail(const std::string& what) const {
    const int code = sqlite3_errcode(db_);
    std::string message = "Kamailio db: " + what + ": " + sqlite3_errmsg(db_);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_CANTOPEN ||
        code == SQLITE_IOERR) {
      return Error::Unavailable(std::move(message));
    }
    if (code == SQLITE_ERROR) return Error::Invalid(std::move(message));  // no such table...
    return Error::Internal(std::move(message));
  }
  Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) == SQLITE_OK) return Ok();
    sqlite3_free(err);
    return Fail(sql);
  }

  // The cached statement for `sql` (a literal: its address is the key); nullptr when it
  // does not prepare (the caller reports sqlite3_errmsg).
  sqlite3_stmt* Prepared(const char* sql) {
    auto it = prepared_.find(sql);
    if (it != prepared_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return nullptr;
    }
    prepared_.emplace(sql, stmt);
    return stmt;
  }

  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> prepared_;
};

// ---- PostgreSQL (db_postgres) ----

class PgKamailioDb final : public KamailioDb {
 public:
  explicit PgKamailioDb(PGconn* conn) : conn_(conn) {}
  ~PgKamailioDb() override { PQfinish(conn_); }

  Status CheckVersions() override {
    for (const auto& [table, want] : {std::pair<std::string, int>{"subscriber", kSubscriberVersion},
                                      std::pair<std::string, int>{"dbaliases", kAliasesVersion}}) {
      auto r =
          Query("SELECT table_version FROM version WHERE table_name = $1", {table}, "read version");
      if (!r.ok()) return r.error();
      const int64_t found = PQntuples(r->get()) == 0 ? -1 : std::stoll(PQgetvalue(r->get(), 0, 0));
      if (found != want) return VersionProblem(table, found, want);
    }
    return Ok();
  }
  Status Begin() override { return Command("BEGIN", {}, "begin"); }
  Status Commit() override { return Command("COMMIT", {}, "commit"); }
  void Rollback() override { (void)Command("ROLLBACK", {}, "rollback"); }

  Result<std::optional<KamailioSubscriber>> GetSubscriber(const std::string& username,
                                                          const std::string& domain) override {
    auto r = Query("SELECT ha1, ha1b FROM subscriber WHERE username = $1 AND domain = $2",
                   {username, domain}, "read subscriber");
    if (!r.ok()) return r.error();
    if (PQntuples(r->get()) == 0) return std::optional<KamailioSubscriber>();
    return std::optional<KamailioSubscriber>(KamailioSubscriber{
        username, domain, PQgetvalue(r->get(), 0, 0), PQgetvalue(r->get(), 0, 1)});
  }
  Status PutSubscriber(const KamailioSubscriber& s) override {
    return Command(
        "INSERT INTO subscriber (username, domain, password, ha1, ha1b) "
        "VALUES ($1, $2, '', $3, $4) ON CONFLICT (username, domain) DO UPDATE SET "
        "password = '', ha1 = excluded.ha1, ha1b = excluded.ha1b",
        {s.username, s.domain, s.ha1, s.ha1b}, "write subscriber");
  }
  Status DeleteSubscriber(const std::string& username, const std::string& domain) override {
    return Command("DELETE FROM subscriber WHERE username = $1 AND domain = $2", {username, domain},
                   "delete subscriber");
  }
  Result<std::optional<KamailioAlias>> GetAlias(const std::string& alias_username,
                                                const std::string& alias_domain) override {
    auto r = Query(
        "SELECT username, domain FROM dbaliases WHERE alias_username = $1 AND alias_domain = $2 "
        "ORDER BY id LIMIT 1",
        {alias_username, alias_domain}, "read alias");
    if (!r.ok()) return r.error();
    if (PQntuples(r->get()) == 0) return std::optional<KamailioAlias>();
    return std::optional<KamailioAlias>(KamailioAlias{
        alias_username, alias_domain, PQgetvalue(r->get(), 0, 0), PQgetvalue(r->get(), 0, 1)});
  }
  Status PutAlias(const KamailioAlias& a) override {
    if (Status st = DeleteAlias(a.alias_username, a.alias_domain); !st.ok()) return st;
    return AddAlias(a);
  }
  Status AddAlias(const KamailioAlias& a) override {
    return Command(
        "INSERT INTO dbaliases (alias_username, alias_domain, username, domain) "
        "VALUES ($1, $2, $3, $4)",
        {a.alias_username, a.alias_domain, a.username, a.domain}, "write alias");
  }
  Status DeleteAlias(const std::string& alias_username, const std::string& alias_domain) override {
    return Command("DELETE FROM dbaliases WHERE alias_username = $1 AND alias_domain = $2",
                   {alias_username, alias_domain}, "delete alias");
  }
  Result<std::vector<KamailioSubscriber>> ListSubscribers(const std::string& domain) override {
    auto r = Query("SELECT username, ha1, ha1b FROM subscriber WHERE domain = $1", {domain},
                   "read subscribers");
    if (!r.ok()) return r.error();
    std::vector<KamailioSubscriber> out;
    const int n = PQntuples(r->get());
    out.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      out.push_back({PQgetvalue(r->get(), i, 0), domain, PQgetvalue(r->get(), i, 1),
                     PQgetvalue(r->get(), i, 2)});
    }
    return out;
  }
  Result<std::vector<KamailioAlias>> ListAliases(const std::string& alias_domain) override {
    auto r = Query(
        "SELECT alias_username, username, domain FROM dbaliases WHERE alias_domain = $1 "
        "ORDER BY id",
        {alias_domain}, "read aliases");
    if (!r.ok()) return r.error();
    std::vector<KamailioAlias> out;
    const int n = PQntuples(r->get());
    out.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      out.push_back({PQgetvalue(r->get(), i, 0), alias_domain, PQgetvalue(r->get(), i, 1),
                     PQgetvalue(r->get(), i, 2)});
    }
    return out;
  }

 private:
  using Res = std::unique_ptr<PGresult, void (*)(PGresult*)>;

  Result<Res> Query(const char* sql, const std::vector<std::string>& params,
                    const std::string& what) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    Res r(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                       nullptr, 0),
          &PQclear);
    const ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return r;
    std::string message = "Kamailio db: " + what + ": " + PQerrorMessage(conn_);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    if (PQstatus(conn_) != CONNECTION_OK) return Error::Unavailable(std::move(message));
    const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    if (state != nullptr && std::string(state).rfind("42", 0) == 0) {
      return Error::Invalid(std::move(message));  // undefined table or column
    }
    return Error::Internal(std::move(message));
  }
  Status Command(const char* sql, const std::vector<std::string>& params, const std::string& what) {
    auto r = Query(sql, params, what);
    if (!r.ok()) return r.error();
    return Ok();
  }

  PGconn* conn_;
};

}  // namespace

Result<std::unique_ptr<KamailioDb>> KamailioDb::Open(const std::string& url) {
  if (url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0) {
    PGconn* conn = PQconnectdb(url.c_str());
    if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
      std::string message = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
      while (!message.empty() && message.back() == '\n') message.pop_back();
      PQfinish(conn);
      return Error::Unavailable("Kamailio db: cannot connect: " + message);
    }
    return std::unique_ptr<KamailioDb>(std::make_unique<PgKamailioDb>(conn));
  }
  std::string path = url;
  if (path.rfind("sqlite://", 0) == 0) path = path.substr(9);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Error::Unavailable("Kamailio db: " + path + " does not exist");
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Error::Unavailable("Kamailio db: cannot open " + path + ": " + message);
  }
  sqlite3_busy_timeout(db, 5000);
  return std::unique_ptr<KamailioDb>(std::make_unique<SqliteKamailioDb>(db));
}

}  // namespace telsync
