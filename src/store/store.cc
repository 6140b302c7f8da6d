#include "store/store.h"

#include <sqlite3.h>

#include <filesystem>
#include <string_view>
#include <utility>

#include "store/database.h"
#include "store/detail/locked_store.h"
#include "store/postgres/migrations.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace telsync {

namespace {

bool IsPostgresStoreSpec(std::string_view spec) {
  return spec.starts_with("postgres://") || spec.starts_with("postgresql://");
}

// The backend a spec names, as it opens: not yet safe for several threads.
Result<std::unique_ptr<Store>> OpenBackend(const std::string& spec, StoreOpen mode) {
  std::string_view path = spec;
  if (IsPostgresStoreSpec(path)) return OpenPostgresStore(spec);
  // "sqlite:PATH" is accepted as an explicit spelling of a SQLite path.
  if (path.starts_with("sqlite:")) path.remove_prefix(7);
  if (path.empty()) return Error::Invalid("store path is empty", "store");
  SqliteStoreOptions options;
  options.create = mode == StoreOpen::kCreateIfMissing;
  return OpenSqliteStore(std::string(path), options);
}

}  // namespace

Result<Database> Database::Open(const std::string& spec, StoreOpen mode) {
  Result<std::unique_ptr<Store>> backend = OpenBackend(spec, mode);
  if (!backend.ok()) return backend.error();
  return Database(store_detail::MakeThreadSafe(std::move(*backend)));
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& spec, StoreOpen mode) {
  Result<Database> db = Database::Open(spec, mode);
  if (!db.ok()) return db.error();
  return std::move(*db).TakeStore();
}

Result<StoreSchemaInfo> InspectStoreSchema(const std::string& spec) {
  StoreSchemaInfo info;
  if (IsPostgresStoreSpec(spec)) {
    info.latest = LatestPostgresSchemaVersion();
    Result<int> current = ReadPostgresStoreVersion(spec);
    if (!current.ok()) return current.error();
    info.current = *current;
    return info;
  }
  info.latest = LatestSqliteSchemaVersion();
  std::string_view path = spec;
  if (path.starts_with("sqlite:")) path.remove_prefix(7);
  if (path.empty()) return Error::Invalid("store path is empty", "store");
  std::error_code ec;
  if (path == ":memory:" || !std::filesystem::exists(path, ec)) return info;  // nothing yet
  // Read-only: inspecting must not create, migrate or lock the file for writing.
  sqlite3* db = nullptr;
  const std::string file(path);
  int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) info.current = sqlite3_column_int(stmt, 0);
  const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (rc != SQLITE_ROW) return Error::Unavailable("cannot read the store: " + message, file);
  return info;
}

std::string RedactStoreSpec(const std::string& spec) {
  return IsPostgresStoreSpec(spec) ? RedactPostgresUrl(spec) : spec;
}

}  // namespace telsync
