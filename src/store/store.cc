#include "store/store.h"

#include <sqlite3.h>

#include <filesystem>
#include <string_view>

#include "store/postgres/migrations.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace telsync {

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
  }
  return "queued";
}

std::optional<JobState> ParseJobState(std::string_view name) {
  for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kDone, JobState::kFailed}) {
    if (JobStateName(s) == name) return s;
  }
  return std::nullopt;
}

namespace {
bool IsPostgresSpec(std::string_view spec) {
  return spec.starts_with("postgres://") || spec.starts_with("postgresql://");
}
}  // namespace

Result<std::unique_ptr<Store>> OpenStore(const std::string& spec, StoreOpen mode) {
  std::string_view path = spec;
  if (IsPostgresSpec(path)) return OpenPostgresStore(spec);
  // "sqlite:PATH" is accepted as an explicit spelling of a SQLite path.
  if (path.starts_with("sqlite:")) path.remove_prefix(7);
  if (path.empty()) return Error::Invalid("store path is empty", "store");
  SqliteStoreOptions options;
  options.create = mode == StoreOpen::kCreateIfMissing;
  return OpenSqliteStore(std::string(path), options);
}

Result<StoreSchemaInfo> InspectStoreSchema(const std::string& spec) {
  StoreSchemaInfo info;
  if (IsPostgresSpec(spec)) {
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
  return IsPostgresSpec(spec) ? RedactPostgresUrl(spec) : spec;
}

}  // namespace telsync
