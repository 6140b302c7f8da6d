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

}  // namespace telsync::sqlite_detail
