#include "store/postgres/postgres_target_state.h"

#include <utility>

namespace telsync::pg_detail {
namespace {

Status Done(const Result<PgResult>& r) {
  if (!r.ok()) return r.error();
  return Ok();
}

}  // namespace

Result<std::vector<TargetObject>> ListPostgresTargetObjects(Conn& conn, const std::string& tenant,
                                                            const std::string& target) {
  Params p;
  p.Add(tenant).Add(target);
  auto r = conn.Exec(
      "SELECT type, key, user_id FROM target_objects WHERE tenant = $1 AND target = $2 "
      "ORDER BY type COLLATE \"C\", key COLLATE \"C\"",
      p, "read target objects");
  if (!r.ok()) return r.error();
  std::vector<TargetObject> out;
  for (int i = 0; i < r->rows(); ++i) {
    TargetObject o;
    o.tenant = tenant;
    o.target = target;
    o.type = r->String(i, 0);
    o.key = r->String(i, 1);
    o.user_id = r->Int(i, 2);
    out.push_back(std::move(o));
  }
  return out;
}

Status PutPostgresTargetObject(Conn& conn, const TargetObject& o) {
  Params p;
  p.Add(o.tenant).Add(o.target).Add(o.type).Add(o.key).Add(o.user_id);
  return Done(conn.Exec(
      "INSERT INTO target_objects (tenant, target, type, key, user_id) "
      "VALUES ($1, $2, $3, $4, $5::bigint) ON CONFLICT (tenant, target, type, key) DO UPDATE "
      "SET user_id = excluded.user_id",
      p, "write a target object"));
}

Status RemovePostgresTargetObject(Conn& conn, const std::string& tenant, const std::string& target,
                                  const std::string& type, const std::string& key) {
  Params p;
  p.Add(tenant).Add(target).Add(type).Add(key);
  return Done(conn.Exec(
      "DELETE FROM target_objects WHERE tenant = $1 AND target = $2 AND type = $3 AND key = $4", p,
      "remove a target object"));
}

Result<std::optional<std::string>> GetPostgresSipCredential(Conn& conn, const std::string& tenant,
                                                            int64_t user_id) {
  Params p;
  p.Add(tenant).Add(user_id);
  auto r =
      conn.Exec("SELECT sealed FROM sip_credentials WHERE tenant = $1 AND user_id = $2::bigint", p,
                "read a SIP credential");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(r->String(0, 0));
}

Status PutPostgresSipCredential(Conn& conn, const std::string& tenant, int64_t user_id,
                                const std::string& sealed, int64_t now) {
  Params p;
  p.Add(tenant).Add(user_id).Add(sealed).Add(now);
  return Done(conn.Exec(
      "INSERT INTO sip_credentials (tenant, user_id, sealed, updated_at) "
      "VALUES ($1, $2::bigint, $3, $4::bigint) ON CONFLICT (tenant, user_id) DO UPDATE SET "
      "sealed = excluded.sealed, updated_at = excluded.updated_at",
      p, "write a SIP credential"));
}

}  // namespace telsync::pg_detail
