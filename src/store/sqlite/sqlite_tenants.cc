#include "store/sqlite/sqlite_tenants.h"

#include "store/detail/columns.h"

namespace telsync::sqlite_detail {
namespace {

constexpr const char* kColumns = "name, display_name, created_at, updated_at";

TenantRecord ReadTenant(const Statement& row) {
  TenantRecord t;
  t.name = std::string(row.ColumnText(0));
  t.display_name = std::string(row.ColumnText(1));
  t.created_at = row.ColumnInt(2);
  t.updated_at = row.ColumnInt(3);
  return t;
}

}  // namespace

Result<std::vector<TenantRecord>> ListSqliteTenants(Db& db) {
  Result<Statement> stmt =
      db.Prepare(std::string("SELECT ") + kColumns + " FROM tenants ORDER BY name");
  if (!stmt.ok()) return stmt.error();
  std::vector<TenantRecord> out;
  Status read = ForEachRow(*stmt, "list tenants",
                           [&](const Statement& row) { out.push_back(ReadTenant(row)); });
  if (!read.ok()) return read.error();
  return out;
}

Result<std::optional<TenantRecord>> GetSqliteTenant(Db& db, const std::string& name) {
  Result<Statement> stmt =
      db.Prepare(std::string("SELECT ") + kColumns + " FROM tenants WHERE name = ?1");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, name);
  const int rc = stmt->Step();
  if (rc == SQLITE_DONE) return std::optional<TenantRecord>();
  if (rc != SQLITE_ROW) return stmt->LastError(rc, "read tenant");
  return std::optional<TenantRecord>(ReadTenant(*stmt));
}

Status CreateSqliteTenant(Db& db, const TenantRecord& tenant) {
  Result<Statement> stmt = db.Prepare(
      "INSERT INTO tenants (name, display_name, created_at, updated_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (name) DO NOTHING");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant.name);
  stmt->BindText(2, tenant.display_name);
  stmt->BindInt(3, tenant.created_at);
  stmt->BindInt(4, tenant.updated_at != 0 ? tenant.updated_at : tenant.created_at);
  if (Status s = stmt->Run("create tenant"); !s.ok()) return s;
  if (db.Changes() == 0) return Error::Conflict("tenant " + tenant.name + " already exists");
  return Ok();
}

Status UpdateSqliteTenant(Db& db, const TenantRecord& tenant) {
  Result<Statement> stmt =
      db.Prepare("UPDATE tenants SET display_name = ?2, updated_at = ?3 WHERE name = ?1");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant.name);
  stmt->BindText(2, tenant.display_name);
  stmt->BindInt(3, tenant.updated_at);
  if (Status s = stmt->Run("update tenant"); !s.ok()) return s;
  if (db.Changes() == 0) return Error::NotFound("no tenant " + tenant.name);
  return Ok();
}

Result<TenantDeletion> DeleteSqliteTenant(Db& db, const std::string& name, int64_t now) {
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx.ok()) return tx.error();
  Result<std::optional<TenantRecord>> found = GetSqliteTenant(db, name);
  if (!found.ok()) return found.error();
  if (!found->has_value()) return Error::NotFound("no tenant " + name);
  {
    Result<Statement> running = db.Prepare(
        "SELECT id FROM jobs WHERE tenant = ?1 AND state = 'running' AND lease_until >= ?2 "
        "ORDER BY id LIMIT 1");
    if (!running.ok()) return running.error();
    running->BindText(1, name);
    running->BindInt(2, now);
    const int rc = running->Step();
    if (rc == SQLITE_ROW) {
      return Error::Conflict("tenant " + name + " has a running job (" +
                             std::to_string(running->ColumnInt(0)) +
                             "); delete it when the job has ended");
    }
    if (rc != SQLITE_DONE) return running->LastError(rc, "find running jobs");
  }
  TenantDeletion out;
  for (const store_detail::TenantTable& t : store_detail::kTenantTables) {
    Result<Statement> stmt = db.Prepare(t.delete_sql);
    if (!stmt.ok()) return stmt.error();
    stmt->BindText(1, name);
    if (Status s = stmt->Run(std::string("delete the tenant's ") + t.table); !s.ok())
      return s.error();
    store_detail::CountDeleted(t.table, db.Changes(), out);
  }
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return out;
}

}  // namespace telsync::sqlite_detail
