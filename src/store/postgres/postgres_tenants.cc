#include "store/postgres/postgres_tenants.h"

#include "store/detail/columns.h"

namespace telsync::pg_detail {
namespace {

constexpr const char* kColumns = "name, display_name, created_at, updated_at";

TenantRecord ReadTenant(const PgResult& r, int row) {
  TenantRecord t;
  t.name = r.String(row, 0);
  t.display_name = r.String(row, 1);
  t.created_at = r.Int(row, 2);
  t.updated_at = r.Int(row, 3);
  return t;
}

}  // namespace

Result<std::vector<TenantRecord>> ListPostgresTenants(Conn& conn) {
  auto r =
      conn.Exec(std::string("SELECT ") + kColumns + " FROM tenants ORDER BY name COLLATE \"C\"",
                Params(), "list tenants");
  if (!r.ok()) return r.error();
  std::vector<TenantRecord> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(ReadTenant(*r, i));
  return out;
}

Result<std::optional<TenantRecord>> GetPostgresTenant(Conn& conn, const std::string& name) {
  Params p;
  p.Add(name);
  auto r = conn.ExecPrepared("telsync_get_tenant",
                             std::string("SELECT ") + kColumns + " FROM tenants WHERE name = $1", p,
                             "read tenant");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return std::optional<TenantRecord>();
  return std::optional<TenantRecord>(ReadTenant(*r, 0));
}

Status CreatePostgresTenant(Conn& conn, const TenantRecord& tenant) {
  Params p;
  p.Add(tenant.name).Add(tenant.display_name).Add(tenant.created_at);
  p.Add(tenant.updated_at != 0 ? tenant.updated_at : tenant.created_at);
  auto r = conn.Exec(
      "INSERT INTO tenants (name, display_name, created_at, updated_at) "
      "VALUES ($1, $2, $3::bigint, $4::bigint) ON CONFLICT (name) DO NOTHING",
      p, "create tenant");
  if (!r.ok()) return r.error();
  if (r->Affected() == 0) return Error::Conflict("tenant " + tenant.name + " already exists");
  return Ok();
}

Status UpdatePostgresTenant(Conn& conn, const TenantRecord& tenant) {
  Params p;
  p.Add(tenant.name).Add(tenant.display_name).Add(tenant.updated_at);
  auto r =
      conn.Exec("UPDATE tenants SET display_name = $2, updated_at = $3::bigint WHERE name = $1", p,
                "update tenant");
  if (!r.ok()) return r.error();
  if (r->Affected() == 0) return Error::NotFound("no tenant " + tenant.name);
  return Ok();
}

Result<TenantDeletion> DeletePostgresTenant(Conn& conn, const std::string& name, int64_t now) {
  auto tx = Transaction::Begin(conn);
  if (!tx.ok()) return tx.error();
  Params p;
  p.Add(name);
  auto found = conn.Exec("SELECT name FROM tenants WHERE name = $1 FOR UPDATE", p, "lock tenant");
  if (!found.ok()) return found.error();
  if (found->rows() == 0) return Error::NotFound("no tenant " + name);
  auto jobs = conn.Exec(
      "SELECT id, state, lease_until FROM jobs WHERE tenant = $1 AND state IN ('queued', "
      "'running') ORDER BY id FOR UPDATE",
      p, "lock the tenant's jobs");
  if (!jobs.ok()) return jobs.error();
  for (int i = 0; i < jobs->rows(); ++i) {
    if (jobs->Text(i, 1) == "running" && jobs->Int(i, 2) >= now) {
      return Error::Conflict("tenant " + name + " has a running job (" + jobs->String(i, 0) +
                             "); delete it when the job has ended");
    }
  }
  TenantDeletion out;
  for (const store_detail::TenantTable& t : store_detail::kTenantTables) {
    auto r = conn.Exec(t.delete_sql, p, std::string("delete the tenant's ") + t.table);
    if (!r.ok()) return r.error();
    store_detail::CountDeleted(t.table, r->Affected(), out);
  }
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return out;
}

}  // namespace telsync::pg_detail
