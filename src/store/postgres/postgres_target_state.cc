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

Result<std::vector<SipCredential>> ListPostgresSipCredentials(Conn& conn,
                                                              const std::string& tenant) {
  Params p;
  p.Add(tenant);
  auto r =
      conn.Exec("SELECT user_id, sealed FROM sip_credentials WHERE tenant = $1 ORDER BY user_id", p,
                "read SIP credentials");
  if (!r.ok()) return r.error();
  std::vector<SipCredential> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back({r->Int(i, 0), r->String(i, 1)});
  return out;
}

Status PutPostgresSipCredentials(Conn& conn, const std::string& tenant,
                                 const std::vector<SipCredential>& credentials, int64_t now) {
  if (credentials.empty()) return Ok();
  // One statement (one transaction) for the batch: arrays unnested server-side.
  std::vector<int64_t> ids;
  std::vector<std::string> sealed;
  ids.reserve(credentials.size());
  sealed.reserve(credentials.size());
  for (const SipCredential& c : credentials) {
    ids.push_back(c.user_id);
    sealed.push_back(c.sealed);
  }
  Params p;
  p.Add(tenant).Add(IntArrayLiteral(ids)).Add(TextArrayLiteral(sealed)).Add(now);
  return Done(
      conn.Exec("INSERT INTO sip_credentials (tenant, user_id, sealed, updated_at) "
                "SELECT $1, u.id, u.sealed, $4::bigint FROM unnest($2::bigint[], $3::text[]) AS "
                "u(id, sealed) "
                "ON CONFLICT (tenant, user_id) DO UPDATE SET sealed = excluded.sealed, "
                "updated_at = excluded.updated_at",
                p, "write SIP credentials"));
}

Status SavePostgresTargetObjects(Conn& conn, const std::string& tenant, const std::string& target,
                                 const std::vector<TargetObject>& put,
                                 const std::vector<std::pair<std::string, std::string>>& removed) {
  if (put.empty() && removed.empty()) return Ok();
  auto tx = Transaction::Begin(conn);
  if (!tx.ok()) return tx.error();
  if (!removed.empty()) {
    std::vector<std::string> types, keys;
    for (const auto& [type, key] : removed) {
      types.push_back(type);
      keys.push_back(key);
    }
    Params p;
    p.Add(tenant).Add(target).Add(TextArrayLiteral(types)).Add(TextArrayLiteral(keys));
    if (Status s = Done(conn.Exec(
            "DELETE FROM target_objects o USING unnest($3::text[], $4::text[]) AS r(type, key) "
            "WHERE o.tenant = $1 AND o.target = $2 AND o.type = r.type AND o.key = r.key",
            p, "remove target objects"));
        !s.ok()) {
      return s;
    }
  }
  if (!put.empty()) {
    std::vector<std::string> types, keys;
    std::vector<int64_t> ids;
    for (const TargetObject& o : put) {
      types.push_back(o.type);
      keys.push_back(o.key);
      ids.push_back(o.user_id);
    }
    Params p;
    p.Add(tenant)
        .Add(target)
        .Add(TextArrayLiteral(types))
        .Add(TextArrayLiteral(keys))
        .Add(IntArrayLiteral(ids));
    if (Status s = Done(conn.Exec(
            "INSERT INTO target_objects (tenant, target, type, key, user_id) "
            "SELECT $1, $2, o.type, o.key, o.id FROM unnest($3::text[], $4::text[], "
            "$5::bigint[]) AS o(type, key, id) ON CONFLICT (tenant, target, type, key) DO UPDATE "
            "SET user_id = excluded.user_id",
            p, "write target objects"));
        !s.ok()) {
      return s;
    }
  }
  return tx->Commit();
}

Result<std::vector<PbxUser>> ListPostgresUsersFields(Conn& conn, const std::string& tenant,
                                                     const std::vector<Field>& fields) {
  // The field names are the users table's column names.
  std::string sql = "SELECT id, searchable, state";
  for (const Field f : fields) sql += ", " + std::string(FieldName(f));
  sql += " FROM users WHERE tenant = $1 ORDER BY id";
  Params p;
  p.Add(tenant);
  auto r = conn.Exec(sql, p, "read users");
  if (!r.ok()) return r.error();
  std::vector<PbxUser> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    PbxUser& user = out.emplace_back();
    user.id = r->Int(i, 0);
    user.searchable = r->Int(i, 1) != 0;
    user.state = r->Text(i, 2) == "pending_delete" ? UserState::kPendingDelete : UserState::kActive;
    for (size_t f = 0; f < fields.size(); ++f) {
      user.fields.Set(fields[f], r->Text(i, static_cast<int>(f) + 3));
    }
  }
  return out;
}

}  // namespace telsync::pg_detail
