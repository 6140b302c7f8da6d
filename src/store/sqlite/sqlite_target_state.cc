#include "store/sqlite/sqlite_target_state.h"

#include <utility>

namespace telsync::sqlite_detail {

Result<std::vector<TargetObject>> ListSqliteTargetObjects(Db& db, const std::string& tenant,
                                                          const std::string& target) {
  Result<Statement> stmt = db.Prepare(
      "SELECT type, key, user_id FROM target_objects WHERE tenant = ?1 AND target = ?2 "
      "ORDER BY type, key");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, target);
  std::vector<TargetObject> out;
  Status read = ForEachRow(*stmt, "read target objects", [&](const Statement& row) {
    TargetObject o;
    o.tenant = tenant;
    o.target = target;
    o.type = row.ColumnText(0);
    o.key = row.ColumnText(1);
    o.user_id = row.ColumnInt(2);
    out.push_back(std::move(o));
  });
  if (!read.ok()) return read.error();
  return out;
}

Status PutSqliteTargetObject(Db& db, const TargetObject& o) {
  Result<Statement> stmt = db.Prepare(
      "INSERT OR REPLACE INTO target_objects (tenant, target, type, key, user_id) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, o.tenant);
  stmt->BindText(2, o.target);
  stmt->BindText(3, o.type);
  stmt->BindText(4, o.key);
  stmt->BindInt(5, o.user_id);
  return stmt->Run("write a target object");
}

Status RemoveSqliteTargetObject(Db& db, const std::string& tenant, const std::string& target,
                                const std::string& type, const std::string& key) {
  Result<Statement> stmt = db.Prepare(
      "DELETE FROM target_objects WHERE tenant = ?1 AND target = ?2 AND type = ?3 AND key = ?4");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, target);
  stmt->BindText(3, type);
  stmt->BindText(4, key);
  return stmt->Run("remove a target object");
}

Result<std::optional<std::string>> GetSqliteSipCredential(Db& db, const std::string& tenant,
                                                          int64_t user_id) {
  Result<Statement> stmt =
      db.Prepare("SELECT sealed FROM sip_credentials WHERE tenant = ?1 AND user_id = ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindInt(2, user_id);
  const int rc = stmt->Step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return stmt->LastError(rc, "read a SIP credential");
  return std::optional<std::string>(std::string(stmt->ColumnText(0)));
}

Status PutSqliteSipCredential(Db& db, const std::string& tenant, int64_t user_id,
                              const std::string& sealed, int64_t now) {
  Result<Statement> stmt = db.Prepare(
      "INSERT OR REPLACE INTO sip_credentials (tenant, user_id, sealed, updated_at) "
      "VALUES (?1, ?2, ?3, ?4)");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindInt(2, user_id);
  stmt->BindText(3, sealed);
  stmt->BindInt(4, now);
  return stmt->Run("write a SIP credential");
}

Result<std::vector<SipCredential>> ListSqliteSipCredentials(Db& db, const std::string& tenant) {
  Result<Statement> stmt =
      db.Prepare("SELECT user_id, sealed FROM sip_credentials WHERE tenant = ?1 ORDER BY user_id");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  std::vector<SipCredential> out;
  Status read = ForEachRow(*stmt, "read SIP credentials", [&](const Statement& row) {
    out.push_back({row.ColumnInt(0), std::string(row.ColumnText(1))});
  });
  if (!read.ok()) return read.error();
  return out;
}

Status PutSqliteSipCredentials(Db& db, const std::string& tenant,
                               const std::vector<SipCredential>& credentials, int64_t now) {
  if (credentials.empty()) return Ok();
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx.ok()) return tx.error();
  Result<Statement> stmt = db.Prepare(
      "INSERT OR REPLACE INTO sip_credentials (tenant, user_id, sealed, updated_at) "
      "VALUES (?1, ?2, ?3, ?4)");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindInt(4, now);
  for (const SipCredential& c : credentials) {
    stmt->BindInt(2, c.user_id);
    stmt->BindText(3, c.sealed);
    if (Status s = stmt->Run("write a SIP credential"); !s.ok()) return s;
  }
  return tx->Commit();
}

Status SaveSqliteTargetObjects(Db& db, const std::string& tenant, const std::string& target,
                               const std::vector<TargetObject>& put,
                               const std::vector<std::pair<std::string, std::string>>& removed) {
  if (put.empty() && removed.empty()) return Ok();
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx.ok()) return tx.error();
  Result<Statement> insert = db.Prepare(
      "INSERT OR REPLACE INTO target_objects (tenant, target, type, key, user_id) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert.ok()) return insert.error();
  Result<Statement> remove = db.Prepare(
      "DELETE FROM target_objects WHERE tenant = ?1 AND target = ?2 AND type = ?3 AND key = ?4");
  if (!remove.ok()) return remove.error();
  for (Statement* stmt : {&*insert, &*remove}) {
    stmt->BindText(1, tenant);
    stmt->BindText(2, target);
  }
  for (const auto& [type, key] : removed) {
    remove->BindText(3, type);
    remove->BindText(4, key);
    if (Status s = remove->Run("remove a target object"); !s.ok()) return s;
  }
  for (const TargetObject& o : put) {
    insert->BindText(3, o.type);
    insert->BindText(4, o.key);
    insert->BindInt(5, o.user_id);
    if (Status s = insert->Run("write a target object"); !s.ok()) return s;
  }
  return tx->Commit();
}

Result<std::vector<PbxUser>> ListSqliteUsersFields(Db& db, const std::string& tenant,
                                                   const std::vector<Field>& fields) {
  // The field names are the users table's column names.
  std::string sql = "SELECT id, searchable, state";
  for (const Field f : fields) sql += ", " + std::string(FieldName(f));
  // One read transaction: a consistent state even when another process writes meanwhile.
  Result<Transaction> tx = Transaction::BeginRead(db);
  if (!tx.ok()) return tx.error();
  auto single = [&](const char* text, bool bind) -> Result<int64_t> {
    Result<Statement> count = db.Prepare(text);
    if (!count.ok()) return count.error();
    if (bind) count->BindText(1, tenant);
    const int rc = count->Step();
    if (rc != SQLITE_ROW) return count->LastError(rc, "count users");
    return count->ColumnInt(0);
  };
  Result<int64_t> count = single("SELECT count(*) FROM users WHERE tenant = ?1", true);
  if (!count.ok()) return count.error();
  Result<int64_t> rows = single("SELECT coalesce(max(rowid), 0) FROM users", false);
  if (!rows.ok()) return rows.error();
  // As the store's snapshot read: a tenant holding much of the table is read by one scan in
  // row order ("+tenant": not through a tenant index, which visits the rows at random and
  // then sorts them), a small one among many through the index.
  sql += *count * 4 >= *rows ? " FROM users WHERE +tenant = ?1 ORDER BY id"
                             : " FROM users WHERE tenant = ?1 ORDER BY id";
  Result<Statement> stmt = db.Prepare(sql);
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  std::vector<PbxUser> out;
  out.reserve(static_cast<size_t>(*count));
  Status read = ForEachRow(*stmt, "read users", [&](const Statement& row) {
    PbxUser& user = out.emplace_back();
    user.id = row.ColumnInt(0);
    user.searchable = row.ColumnInt(1) != 0;
    user.state =
        row.ColumnText(2) == "pending_delete" ? UserState::kPendingDelete : UserState::kActive;
    for (size_t i = 0; i < fields.size(); ++i) {
      user.fields.Set(fields[i], row.ColumnText(static_cast<int>(i) + 3));
    }
  });
  if (!read.ok()) return read.error();
  stmt->Reset();
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return out;
}

}  // namespace telsync::sqlite_detail
