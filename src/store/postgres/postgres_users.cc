#include "store/postgres/postgres_users.h"

#include <ctime>
#include <utility>

#include "model/fields.h"
#include "store/detail/columns.h"

namespace telsync::pg_detail {
namespace {

using store_detail::GroupsJson;
using store_detail::ParseCustom;
using store_detail::ParseStringArray;

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

constexpr int kFirstFieldColumn = 3;
constexpr int kSearchableColumn = kFirstFieldColumn + static_cast<int>(kFieldCount);

Result<PbxUser> ReadUser(const PgResult& r, int row) {
  PbxUser user;
  user.id = r.Int(row, 0);
  user.profile = r.String(row, 1);
  user.source_key = r.String(row, 2);
  for (size_t i = 0; i < kFieldCount; ++i) {
    std::string_view value = r.Text(row, kFirstFieldColumn + static_cast<int>(i));
    if (!value.empty()) user.fields.Set(static_cast<Field>(i), value);
  }
  user.searchable = r.Int(row, kSearchableColumn) != 0;
  user.state = r.Text(row, kSearchableColumn + 1) == "pending_delete" ? UserState::kPendingDelete
                                                                      : UserState::kActive;
  user.pending_since = r.Int(row, kSearchableColumn + 2);
  auto groups = ParseStringArray(r.Text(row, kSearchableColumn + 3), "groups");
  if (!groups.ok()) return groups.error();
  user.groups = std::move(*groups);
  auto custom = ParseCustom(r.Text(row, kSearchableColumn + 4));
  if (!custom.ok()) return custom.error();
  user.custom = std::move(*custom);
  user.subscription = r.String(row, kSearchableColumn + 5);
  return user;
}

}  // namespace

std::string FieldList(std::string_view prefix) {
  std::string out;
  for (size_t i = 0; i < kFieldCount; ++i) {
    out += ", ";
    out += prefix;
    out += FieldName(static_cast<Field>(i));
  }
  return out;
}

std::string SelectUsersSql(std::string_view tail) {
  return "SELECT id, profile, source_key" + FieldList("") +
         ", searchable, state, pending_since, groups, custom, subscription FROM users " +
         std::string(tail);
}

Result<std::vector<PbxUser>> ReadUsers(const PgResult& r, std::vector<PbxUser>* out) {
  std::vector<PbxUser> local;
  std::vector<PbxUser>& users = out ? *out : local;
  users.reserve(users.size() + static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    auto user = ReadUser(r, i);
    if (!user.ok()) {
      Error error = user.error();
      error.context = "user id " + std::to_string(r.Int(i, 0));
      return error;
    }
    users.push_back(std::move(*user));
  }
  return local;
}

Result<std::vector<Department>> ReadDepartments(const PgResult& r) {
  std::vector<Department> out;
  for (int i = 0; i < r.rows(); ++i) {
    Department d;
    d.id = r.Int(i, 0);
    d.profile = r.String(i, 1);
    d.name = r.String(i, 2);
    d.ring_group = r.String(i, 3);
    auto members = ParseStringArray(r.Text(i, 4), "members");
    if (!members.ok()) return members.error();
    d.members = std::move(*members);
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::optional<PbxUser>> FindPostgresUser(Conn& conn, const std::string& tenant,
                                                const std::string& name) {
  // An empty name would match every user without an e-mail.
  if (name.empty()) return std::optional<PbxUser>();
  Params p;
  p.Add(tenant).Add(name);
  // A username match wins over an e-mail match (someone's username may be another
  // user's e-mail address). Both use the lower() indexes.
  auto r = conn.ExecPrepared(
      "telsync_find_user",
      SelectUsersSql("WHERE tenant = $1 AND (lower(username) = lower($2) OR lower(email) = "
                     "lower($2)) ORDER BY lower(username) = lower($2) DESC, id LIMIT 1"),
      p, "find user");
  if (!r.ok()) return r.error();
  auto users = ReadUsers(*r);
  if (!users.ok()) return users.error();
  if (users->empty()) return std::optional<PbxUser>();
  return std::optional<PbxUser>(std::move(users->front()));
}

Result<std::vector<PbxUser>> ListPostgresUsers(Conn& conn, const std::string& tenant, size_t limit,
                                               size_t offset) {
  Params p;
  p.Add(tenant);
  AddLimit(p, limit);
  p.Add(static_cast<int64_t>(offset));
  // COLLATE "C": the same order as SQLite's BINARY collation, whatever the locale.
  auto r = conn.ExecPrepared("telsync_list_users",
                             SelectUsersSql("WHERE tenant = $1 ORDER BY lower(username) COLLATE "
                                            "\"C\", id LIMIT $2::bigint OFFSET $3::bigint"),
                             p, "list users");
  if (!r.ok()) return r.error();
  return ReadUsers(*r);
}

Result<size_t> CountPostgresUsers(Conn& conn, const std::string& tenant) {
  Params p;
  p.Add(tenant);
  auto r = conn.ExecPrepared("telsync_count_users", "SELECT count(*) FROM users WHERE tenant = $1",
                             p, "count users");
  if (!r.ok()) return r.error();
  return static_cast<size_t>(r->Int(0, 0));
}

Result<std::vector<std::string>> ListPostgresPendingDeleteKeys(Conn& conn,
                                                               const std::string& tenant,
                                                               const std::string& profile) {
  Params p;
  p.Add(tenant).Add(profile);
  auto r = conn.ExecPrepared("telsync_pending_delete_keys",
                             "SELECT source_key FROM users WHERE tenant = $1 AND profile = $2 "
                             "AND state = 'pending_delete' AND source_key <> ''",
                             p, "list pending deletes");
  if (!r.ok()) return r.error();
  std::vector<std::string> keys;
  keys.reserve(static_cast<size_t>(r->rows()));
  for (int row = 0; row < r->rows(); ++row) keys.emplace_back(r->Text(row, 0));
  return keys;
}

Result<std::vector<std::string>> ListPostgresWaitingKeys(Conn& conn, const std::string& tenant,
                                                         const std::string& profile) {
  Params p;
  p.Add(tenant).Add(profile);
  auto r =
      conn.ExecPrepared("telsync_waiting_keys",
                        "SELECT source_key FROM plan_waiting WHERE tenant = $1 AND profile = $2", p,
                        "list waiting users");
  if (!r.ok()) return r.error();
  std::vector<std::string> keys;
  keys.reserve(static_cast<size_t>(r->rows()));
  for (int row = 0; row < r->rows(); ++row) keys.emplace_back(r->Text(row, 0));
  return keys;
}

Status SetPostgresWaitingKeys(Conn& conn, const std::string& tenant, const std::string& profile,
                              const std::vector<std::string>& keys,
                              const std::unordered_set<std::string>* scope) {
  auto tx = Transaction::Begin(conn);
  if (!tx.ok()) return tx.error();
  Params p;
  p.Add(tenant).Add(profile);
  if (scope == nullptr) {
    auto r = conn.Exec(std::string("DELETE FROM plan_waiting WHERE tenant = $1 AND profile = $2"),
                       p, "clear waiting users");
    if (!r.ok()) return r.error();
  } else if (!scope->empty()) {
    Params q;
    q.Add(tenant).Add(profile).Add(
        TextArrayLiteral(std::vector<std::string>(scope->begin(), scope->end())));
    auto r = conn.Exec(std::string("DELETE FROM plan_waiting WHERE tenant = $1 AND profile = $2 "
                                   "AND source_key = ANY($3::text[])"),
                       q, "clear waiting users");
    if (!r.ok()) return r.error();
  }
  if (!keys.empty()) {
    Params q;
    q.Add(tenant).Add(profile).Add(TextArrayLiteral(keys));
    auto r = conn.Exec(std::string("INSERT INTO plan_waiting (tenant, profile, source_key) "
                                   "SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING"),
                       q, "record waiting users");
    if (!r.ok()) return r.error();
  }
  return tx->Commit();
}

Status UnlinkPostgresUser(Conn& conn, const std::string& tenant, int64_t user_id) {
  Params p;
  p.Add(tenant).Add(user_id).Add(NowSeconds());
  auto r = conn.Exec(
      "UPDATE users SET source_key = '', profile = '', updated_at = $3::bigint "
      "WHERE tenant = $1 AND id = $2::bigint",
      p, "unlink user");
  if (!r.ok()) return r.error();
  if (r->Affected() == 0) return Error::NotFound("user " + std::to_string(user_id) + " not found");
  return Ok();
}

Status SetPostgresUserGroups(Conn& conn, const std::string& tenant, int64_t user_id,
                             const std::vector<std::string>& groups) {
  Params p;
  p.Add(tenant).Add(user_id).Add(GroupsJson(groups)).Add(NowSeconds());
  auto r = conn.Exec(
      "UPDATE users SET groups = $3, updated_at = $4::bigint WHERE tenant = $1 AND id = "
      "$2::bigint",
      p, "set user groups");
  if (!r.ok()) return r.error();
  if (r->Affected() == 0) return Error::NotFound("user " + std::to_string(user_id) + " not found");
  return Ok();
}

Result<std::vector<Department>> ListPostgresDepartments(Conn& conn, const std::string& tenant) {
  Params p;
  p.Add(tenant);
  auto r = conn.Exec(
      "SELECT id, profile, name, ring_group, members FROM departments WHERE tenant = $1 "
      "ORDER BY profile COLLATE \"C\", name COLLATE \"C\"",
      p, "list departments");
  if (!r.ok()) return r.error();
  return ReadDepartments(*r);
}

}  // namespace telsync::pg_detail
