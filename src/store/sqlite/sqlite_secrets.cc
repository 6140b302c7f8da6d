#include "store/sqlite/sqlite_secrets.h"

#include <vector>

#include "store/sqlite/sqlite_jobs.h"

namespace telsync::sqlite_detail {
namespace {

Result<std::string> ReadKeyId(Db& db) {
  Result<Statement> stmt = db.Prepare("SELECT key_id FROM secret_key WHERE one_row = 1");
  if (!stmt.ok()) return stmt.error();
  const int rc = stmt->Step();
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) return stmt->LastError(rc, "read the secret key id");
  return std::string(stmt->ColumnText(0));
}

Status WriteKeyId(Db& db, const std::string& key_id, int64_t now) {
  Result<Statement> stmt = db.Prepare(
      "INSERT INTO secret_key (one_row, key_id, recorded_at) VALUES (1, ?1, ?2) "
      "ON CONFLICT (one_row) DO UPDATE SET key_id = excluded.key_id, "
      "recorded_at = excluded.recorded_at");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, key_id);
  stmt->BindInt(2, now);
  return stmt->Run("record the secret key id");
}

}  // namespace

Result<std::string> RecordSqliteSecretKey(Db& db, const std::string& key_id, int64_t now) {
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx.ok()) return tx.error();
  Result<std::string> current = ReadKeyId(db);
  if (!current.ok() || !current->empty() || key_id.empty()) return current;
  if (Status s = WriteKeyId(db, key_id, now); !s.ok()) return s.error();
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return key_id;
}

Result<int> RewriteSqliteSecrets(Db& db, const std::string& expected_key_id,
                                 const std::string& new_key_id, const Store::SecretRewrite& rewrite,
                                 int64_t now) {
  int replaced = 0;
  {
    Result<Transaction> tx = Transaction::Begin(db);
    if (!tx.ok()) return tx.error();
    Result<std::string> current = ReadKeyId(db);
    if (!current.ok()) return current.error();
    if (*current != expected_key_id) {
      return Error::Conflict("the store's secrets are sealed with key " +
                             (current->empty() ? std::string("(none recorded)") : *current) +
                             ", not " + expected_key_id);
    }
    Result<std::vector<StoredProfile>> profiles = ListSqliteStoredProfiles(db, "");
    if (!profiles.ok()) return profiles.error();
    Result<Statement> update =
        db.Prepare("UPDATE stored_profiles SET document = ?3 WHERE tenant = ?1 AND name = ?2");
    if (!update.ok()) return update.error();
    for (const StoredProfile& p : *profiles) {
      Result<std::optional<std::string>> next = rewrite(p);
      if (!next.ok()) return next.error();
      if (!next->has_value()) continue;
      update->BindText(1, p.tenant);
      update->BindText(2, p.name);
      update->BindText(3, **next);
      if (Status s = update->Run("rewrite a stored profile's secrets"); !s.ok()) return s.error();
      ++replaced;
    }
    if (Status s = WriteKeyId(db, new_key_id, now); !s.ok()) return s.error();
    if (Status s = tx->Commit(); !s.ok()) return s.error();
  }
  if (replaced > 0 && !db.path().empty()) {
    // VACUUM rebuilds the file from the live rows only; the checkpoint then copies it back
    // from the WAL and truncates the WAL to zero bytes.
    if (Status s = db.Exec("VACUUM"); !s.ok()) return s.error();
    if (Status s = db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); !s.ok()) return s.error();
  }
  return replaced;
}

}  // namespace telsync::sqlite_detail
