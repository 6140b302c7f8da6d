#include "store/postgres/postgres_secrets.h"

#include <string>

#include "store/postgres/postgres_jobs.h"

namespace telsync::pg_detail {
namespace {

Status WriteKeyId(Conn& conn, const std::string& key_id, int64_t now) {
  Params p;
  p.Add(key_id).Add(now);
  auto r = conn.Exec(
      "INSERT INTO secret_key (one_row, key_id, recorded_at) VALUES (TRUE, $1, $2::bigint) "
      "ON CONFLICT (one_row) DO UPDATE SET key_id = excluded.key_id, "
      "recorded_at = excluded.recorded_at",
      p, "record the secret key id");
  if (!r.ok()) return r.error();
  return Ok();
}

}  // namespace

Result<std::string> RecordPostgresSecretKey(Conn& conn, const std::string& key_id, int64_t now) {
  if (key_id.empty()) {
    auto r = conn.Exec("SELECT key_id FROM secret_key WHERE one_row", "read the secret key id");
    if (!r.ok()) return r.error();
    return r->rows() == 0 ? std::string() : r->String(0, 0);
  }
  Params p;
  p.Add(key_id).Add(now);
  // One statement: the insert either wins or leaves the recorded id to be read back.
  auto r = conn.Exec(
      "WITH ins AS (INSERT INTO secret_key (one_row, key_id, recorded_at) "
      "VALUES (TRUE, $1, $2::bigint) ON CONFLICT (one_row) DO NOTHING RETURNING key_id) "
      "SELECT key_id FROM ins UNION ALL SELECT key_id FROM secret_key WHERE one_row",
      p, "record the secret key id");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return Error::Internal("store: no secret key id after recording one");
  return r->String(0, 0);
}

Result<int> RewritePostgresSecrets(Conn& conn, const std::string& expected_key_id,
                                   const std::string& new_key_id,
                                   const Store::SecretRewrite& rewrite, int64_t now) {
  int replaced = 0;
  {
    auto tx = Transaction::Begin(conn);
    if (!tx.ok()) return tx.error();
    auto current = conn.Exec("SELECT key_id FROM secret_key WHERE one_row FOR UPDATE",
                             "read the secret key id");
    if (!current.ok()) return current.error();
    const std::string recorded = current->rows() == 0 ? "" : current->String(0, 0);
    if (recorded != expected_key_id) {
      return Error::Conflict("the store's secrets are sealed with key " +
                             (recorded.empty() ? std::string("(none recorded)") : recorded) +
                             ", not " + expected_key_id);
    }
    auto rows = conn.Exec("SELECT " + std::string(kStoredProfileColumns) +
                              " FROM stored_profiles ORDER BY tenant COLLATE \"C\", name "
                              "COLLATE \"C\" FOR UPDATE",
                          "read stored profiles");
    if (!rows.ok()) return rows.error();
    for (int i = 0; i < rows->rows(); ++i) {
      const StoredProfile p = ReadStoredProfile(*rows, i);
      Result<std::optional<std::string>> next = rewrite(p);
      if (!next.ok()) return next.error();
      if (!next->has_value()) continue;
      Params up;
      up.Add(p.tenant).Add(p.name).Add(**next);
      auto r = conn.Exec("UPDATE stored_profiles SET document = $3 WHERE tenant = $1 AND name = $2",
                         up, "rewrite a stored profile's secrets");
      if (!r.ok()) return r.error();
      ++replaced;
    }
    if (Status s = WriteKeyId(conn, new_key_id, now); !s.ok()) return s.error();
    if (Status s = tx->Commit(); !s.ok()) return s.error();
  }
  if (replaced > 0) {
    auto r = conn.Exec("VACUUM FULL stored_profiles", "compact stored profiles");
    if (!r.ok()) return r.error();
  }
  return replaced;
}

}  // namespace telsync::pg_detail
