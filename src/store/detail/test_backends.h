// Test support: the store's backends for tests of every module that run on both SQLite and
// PostgreSQL (store_contract_test.cc, apply/revert_test.cc). Header-only; tests only.
//
// PostgreSQL comes from $TELSYNC_TEST_PG_URL (a server the caller runs) or, when that is
// unset, from a throwaway cluster started once per test binary through
// tests/fixtures/postgres/pg-cluster.sh; store_contract_test.cc registers the environment
// that stops it at exit.
#pragma once

#include <libpq-fe.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>

#ifndef TELSYNC_SOURCE_DIR
#define TELSYNC_SOURCE_DIR "."
#endif

namespace telsync::store_test {

inline std::string MakeTempDir(const char* prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / prefix).string() + "-XXXXXX";
  const char* made = mkdtemp(pattern.data());
  return made ? std::string(made) : std::string();
}

class PgServer {
 public:
  static PgServer& Get() {
    static PgServer server;
    return server;
  }
  // The admin URL (database "postgres"), or "" with `error` set.
  const std::string& Url() {
    std::call_once(once_, [this] { Start(); });
    return url_;
  }
  const std::string& error() const { return error_; }
  void Stop() {
    if (dir_.empty()) return;
    const std::string cmd = std::string(TELSYNC_SOURCE_DIR) +
                            "/tests/fixtures/postgres/pg-cluster.sh stop '" + dir_ + "'";
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "pg-cluster.sh stop failed\n");
    std::filesystem::remove_all(dir_);
    dir_.clear();
  }

 private:
  void Start() {
    if (const char* env = std::getenv("TELSYNC_TEST_PG_URL"); env != nullptr && *env != '\0') {
      url_ = env;
      return;
    }
    dir_ = MakeTempDir("telsync-pg");
    if (dir_.empty()) {
      error_ = "cannot create a temporary directory";
      return;
    }
    // The watchdog stops the cluster even if this process crashes before TearDown.
    const std::string cmd = "TELSYNC_PG_OWNER_PID=" + std::to_string(getpid()) + " " +
                            std::string(TELSYNC_SOURCE_DIR) +
                            "/tests/fixtures/postgres/pg-cluster.sh start '" + dir_ + "'";
    FILE* out = popen(cmd.c_str(), "r");
    if (out == nullptr) {
      error_ = "cannot run " + cmd;
      return;
    }
    char line[512] = {0};
    std::string url;
    while (std::fgets(line, sizeof(line), out) != nullptr) url += line;
    const int rc = pclose(out);
    while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) url.pop_back();
    if (rc != 0 || !url.starts_with("postgres://")) {
      error_ = "could not start PostgreSQL with " + cmd + " (exit " + std::to_string(rc) + ")";
      return;
    }
    url_ = url;
  }

  std::once_flag once_;
  std::string url_;
  std::string error_;
  std::string dir_;
};

// `url` with its database name replaced.
inline std::string WithDatabase(const std::string& url, const std::string& db) {
  const size_t scheme = url.find("://");
  const size_t query = url.find('?');
  const size_t slash = url.find('/', scheme + 3);
  const std::string tail = query == std::string::npos ? "" : url.substr(query);
  const size_t end = slash == std::string::npos || (query != std::string::npos && slash > query)
                         ? (query == std::string::npos ? url.size() : query)
                         : slash;
  return url.substr(0, end) + "/" + db + tail;
}

// Runs `sql` on a raw libpq connection: what an operator (or another process) would do.
inline bool PgExec(const std::string& url, const std::string& sql, std::string* error = nullptr) {
  PGconn* conn = PQconnectdb(url.c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PGresult* r = PQexec(conn, sql.c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
  }
  if (!ok && error) *error = PQerrorMessage(conn);
  PQfinish(conn);
  return ok;
}

}  // namespace telsync::store_test
