#include "store/postgres/postgres_runs.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "model/fields.h"
#include "store/detail/columns.h"
#include "store/detail/run_lock.h"
#include "store/postgres/detail/pg_encode.h"

namespace telsync::pg_detail {
namespace {

using store_detail::ChangesJson;
using store_detail::GroupsJson;
using store_detail::ParseChanges;
using store_detail::ParseStringArray;
using store_detail::ParseSummary;
using store_detail::SummaryJson;

constexpr std::string_view kRunColumns =
    "id, tenant, profile, kind, triggered_by, status, started_at, finished_at, complete, "
    "source, message, summary, approved_run, reverted_run, purged_at";

Result<Run> ReadRun(const PgResult& r, int row) {
  Run run;
  run.id = r.Int(row, 0);
  run.tenant = r.String(row, 1);
  run.profile = r.String(row, 2);
  const std::optional<RunKind> kind = RunKindFromName(r.Text(row, 3));
  const std::optional<RunStatus> status = RunStatusFromName(r.Text(row, 5));
  if (!kind || !status) {
    return Error::Internal("store: run " + std::to_string(run.id) +
                           " has an unknown kind or status");
  }
  run.kind = *kind;
  run.trigger = r.String(row, 4);
  run.status = *status;
  run.started_at = r.Int(row, 6);
  run.finished_at = r.Int(row, 7);
  run.complete = r.Int(row, 8) != 0;
  run.source = r.String(row, 9);
  run.message = r.String(row, 10);
  run.summary = ParseSummary(r.Text(row, 11));
  run.approved_run = r.Int(row, 12);
  run.reverted_run = r.Int(row, 13);
  run.purged_at = r.Int(row, 14);
  return run;
}

// Run locks: a session advisory lock on the store's connection, keyed (namespace, hash of
// tenant/profile). The server drops it when the session ends, so a process that dies
// never keeps it. The holder's note is the session's application_name, which the one
// that finds the lock taken reads from pg_stat_activity.
constexpr int32_t kRunLockSpace = 1952807273;

int32_t RunLockKey(const std::string& tenant, const std::string& profile) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (const char c : tenant + "/" + profile) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return static_cast<int32_t>(h & 0x7fffffffu);
}

class PostgresRunLock final : public RunLock {
 public:
  PostgresRunLock(Conn& conn, int32_t key) : conn_(conn), key_(key) {}
  ~PostgresRunLock() override {
    Params p;
    p.Add(static_cast<int64_t>(kRunLockSpace)).Add(static_cast<int64_t>(key_));
    (void)conn_.Exec(
        "SELECT pg_advisory_unlock($1::integer, $2::integer), "
        "set_config('application_name', 'telsync', false)",
        p, "release the run lock");
  }

 private:
  Conn& conn_;
  int32_t key_;
};

}  // namespace

Result<std::unique_ptr<RunLock>> LockPostgresProfileRuns(Conn& conn, const std::string& tenant,
                                                         const std::string& profile, bool wait,
                                                         int64_t now) {
  const int32_t key = RunLockKey(tenant, profile);
  Params p;
  p.Add(static_cast<int64_t>(kRunLockSpace)).Add(static_cast<int64_t>(key));
  auto r = conn.Exec(wait ? "SELECT pg_advisory_lock($1::integer, $2::integer), true"
                          : "SELECT true, pg_try_advisory_lock($1::integer, $2::integer)",
                     p, "take the run lock");
  if (!r.ok()) return r.error();
  if (r->Text(0, 1) != "t") {
    auto who = conn.Exec(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::integer::oid AND "
        "l.objid = $2::integer::oid AND l.objsubid = 2 LIMIT 1",
        p, "find the run lock's holder");
    std::string note = who.ok() && who->rows() > 0 ? who->String(0, 0) : "";
    if (note.rfind("telsync: ", 0) == 0) note = note.substr(9);
    return Error::Conflict(note.empty() ? "held by another session" : note);
  }
  Params name;
  name.Add("telsync: " + store_detail::RunLockNote(now));
  (void)conn.Exec("SELECT set_config('application_name', $1, false)", name,
                  "note the run lock's holder");
  return std::unique_ptr<RunLock>(std::make_unique<PostgresRunLock>(conn, key));
}

Result<int64_t> CreatePostgresRun(Conn& conn, const Run& run) {
  Params p;
  p.Add(run.tenant).Add(run.profile).Add(RunKindName(run.kind)).Add(run.trigger);
  p.Add(RunStatusName(run.status)).Add(run.started_at).Add(run.finished_at);
  p.Add(run.complete ? 1 : 0).Add(run.source).Add(run.message).Add(SummaryJson(run.summary));
  p.Add(run.approved_run).Add(run.reverted_run);
  auto r = conn.ExecPrepared(
      "telsync_create_run",
      "INSERT INTO runs (tenant, profile, kind, triggered_by, status, started_at, finished_at, "
      "complete, source, message, summary, approved_run, reverted_run) VALUES ($1, $2, $3, $4, "
      "$5, $6::bigint, $7::bigint, $8::integer, $9, $10, $11, $12::bigint, $13::bigint) "
      "RETURNING id",
      p, "create run");
  if (!r.ok()) return r.error();
  return r->Int(0, 0);
}

Status UpdatePostgresRun(Conn& conn, const Run& run) {
  Params p;
  p.Add(run.tenant).Add(run.id).Add(RunStatusName(run.status)).Add(run.started_at);
  p.Add(run.finished_at).Add(run.complete ? 1 : 0).Add(run.source).Add(run.message);
  p.Add(SummaryJson(run.summary)).Add(run.approved_run);
  auto r = conn.ExecPrepared(
      "telsync_update_run",
      "UPDATE runs SET status = $3, started_at = $4::bigint, finished_at = $5::bigint, "
      "complete = $6::integer, source = $7, message = $8, summary = $9, "
      "approved_run = $10::bigint WHERE tenant = $1 AND id = $2::bigint",
      p, "update run");
  if (!r.ok()) return r.error();
  if (r->Affected() == 0) return Error::NotFound("run " + std::to_string(run.id) + " not found");
  return Ok();
}

Status CheckPostgresRunTenant(Conn& conn, const std::string& tenant, int64_t run_id) {
  Params p;
  p.Add(tenant).Add(run_id);
  auto r =
      conn.ExecPrepared("telsync_run_tenant",
                        "SELECT 1 FROM runs WHERE tenant = $1 AND id = $2::bigint", p, "find run");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return Error::NotFound("run " + std::to_string(run_id) + " not found");
  return Ok();
}

Status SavePostgresRunItems(Conn& conn, int64_t run_id, const Plan& plan) {
  if (Status s = CheckPostgresRunTenant(conn, plan.tenant, run_id); !s.ok()) return s;
  auto tx = Transaction::Begin(conn);
  if (!tx.ok()) return tx.error();
  // Saving again replaces the items, so a retried save does not fail or duplicate.
  Params p;
  p.Add(run_id);
  for (const char* sql : {"DELETE FROM run_items WHERE run_id = $1::bigint",
                          "DELETE FROM run_departments WHERE run_id = $1::bigint"}) {
    if (auto r = conn.Exec(sql, p, "clear run items"); !r.ok()) return r.error();
  }
  if (!plan.items.empty()) {
    auto stream = CopyStream::Start(
        conn,
        "COPY run_items (run_id, seq, action, key, username, changes, reason, user_id, "
        "removed_user) FROM STDIN",
        "save run items");
    if (!stream.ok()) return stream.error();
    std::string changes;
    int64_t seq = 0;
    for (const PlanItem& item : plan.items) {
      CopyBuffer& copy = stream->rows();
      copy.Int(run_id);
      copy.Int(seq++);
      copy.Field(ActionName(item.action));
      copy.Field(item.key);
      copy.Field(item.username);
      // ChangesJson(EffectiveChanges(item)), written without the vector and JSON tree.
      changes.clear();
      AppendItemChangesJson(changes, item);
      CopyBuffer::Escape(copy.buffer(), changes);
      copy.Next();
      copy.Field(item.reason);
      copy.Int(item.user_id);
      // A deleted user's row, for `runs revert` (issue 18): its target is the stored user.
      copy.Field(item.action == Action::kDelete && item.target.has_value()
                     ? store_detail::UserRowJson(*item.target)
                     : std::string());
      copy.EndRow();
      if (!stream->Flush().ok()) break;
    }
    if (Status s = stream->Finish(); !s.ok()) return s;
  }
  CopyBuffer copy;
  int64_t seq = 0;
  for (const DepartmentChange& change : plan.departments) {
    copy.Int(run_id);
    copy.Int(seq++);
    copy.Field(ActionName(change.action));
    copy.Field(change.target.name);
    copy.Field(change.target.profile);
    copy.Field(change.target.ring_group);
    copy.Field(GroupsJson(change.target.members));
    copy.Field(ChangesJson(change.changes));
    copy.EndRow();
  }
  if (copy.size() > 0) {
    if (Status s = conn.CopyIn(
            "COPY run_departments (run_id, seq, action, name, profile, ring_group, members, "
            "changes) FROM STDIN",
            copy, "save run departments");
        !s.ok()) {
      return s;
    }
  }
  return tx->Commit();
}

Result<Run> GetPostgresRun(Conn& conn, const std::string& tenant, int64_t run_id) {
  Params p;
  p.Add(tenant).Add(run_id);
  auto r = conn.ExecPrepared(
      "telsync_get_run",
      "SELECT " + std::string(kRunColumns) + " FROM runs WHERE tenant = $1 AND id = $2::bigint", p,
      "get run");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return Error::NotFound("run " + std::to_string(run_id) + " not found");
  return ReadRun(*r, 0);
}

Result<std::vector<Run>> ListPostgresRuns(Conn& conn, const std::string& tenant,
                                          const std::string& profile, size_t limit) {
  Params p;
  p.Add(tenant).Add(profile);
  AddLimit(p, limit);
  auto r = conn.ExecPrepared("telsync_list_runs",
                             "SELECT " + std::string(kRunColumns) +
                                 " FROM runs WHERE tenant = $1 AND ($2 = '' OR profile = $2) "
                                 "ORDER BY id DESC LIMIT $3::bigint",
                             p, "list runs");
  if (!r.ok()) return r.error();
  std::vector<Run> runs;
  for (int i = 0; i < r->rows(); ++i) {
    auto run = ReadRun(*r, i);
    if (!run.ok()) return run.error();
    runs.push_back(std::move(*run));
  }
  return runs;
}

namespace {

constexpr const char* kRunItemsSql =
    "SELECT action, key, username, changes, reason, user_id, removed_user FROM run_items "
    "WHERE run_id = $1::bigint AND ($2 = '' OR action = $2) ORDER BY seq";

Result<PlanItem> ReadRunItem(const PgResult& r, int i) {
  return store_detail::RunItemFromColumns({r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3),
                                           r.Text(i, 4), r.Int(i, 5), r.Text(i, 6)});
}

bool IsAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

Result<std::vector<PlanItem>> GetPostgresRunItems(Conn& conn, const std::string& tenant,
                                                  int64_t run_id, std::optional<Action> action) {
  if (Status s = CheckPostgresRunTenant(conn, tenant, run_id); !s.ok()) return s.error();
  Params p;
  p.Add(run_id).Add(action ? std::string(ActionName(*action)) : std::string());
  auto r = conn.ExecPrepared("telsync_run_items", kRunItemsSql, p, "read run items");
  if (!r.ok()) return r.error();
  std::vector<PlanItem> items;
  items.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    Result<PlanItem> item = ReadRunItem(*r, i);
    if (!item.ok()) return item.error();
    items.push_back(std::move(*item));
  }
  return items;
}

Result<RunItemsPage> GetPostgresRunItemsPage(Conn& conn, const std::string& tenant, int64_t run_id,
                                             const RunItemsQuery& query) {
  if (Status s = CheckPostgresRunTenant(conn, tenant, run_id); !s.ok()) return s.error();
  RunItemsPage page;
  Params run;
  run.Add(run_id);
  auto counts = conn.ExecPrepared(
      "telsync_run_items_count",
      "SELECT action, count(*) FROM run_items WHERE run_id = $1::bigint GROUP BY action", run,
      "count run items");
  if (!counts.ok()) return counts.error();
  size_t total = 0;
  for (int i = 0; i < counts->rows(); ++i) {
    const std::optional<Action> action = ActionFromName(counts->Text(i, 0));
    if (!action) return Error::Internal("store: run item with an unknown action");
    page.summary[static_cast<size_t>(*action)] = static_cast<size_t>(counts->Int(i, 1));
    total += static_cast<size_t>(counts->Int(i, 1));
  }
  const std::string action = query.action ? std::string(ActionName(*query.action)) : "";
  Params p;
  p.Add(run_id).Add(action);
  Result<PgResult> r = Error::Internal("");
  const bool text = !query.needle.empty();
  if (!text) {
    // No text filter: the count is known, and the database skips to the page.
    page.matched = query.action ? page.summary[static_cast<size_t>(*query.action)] : total;
    p.Add(static_cast<int64_t>(query.limit)).Add(static_cast<int64_t>(query.offset));
    r = conn.ExecPrepared("telsync_run_items_page",
                          "SELECT action, key, username, changes, reason, user_id, removed_user "
                          "FROM run_items WHERE run_id = $1::bigint AND ($2 = '' OR action = $2) "
                          "ORDER BY seq LIMIT $3::bigint OFFSET $4::bigint",
                          p, "read run items");
  } else if (IsAscii(query.needle) && store_detail::NeedleFitsStoredText(query.needle)) {
    // lower() may fold more than ASCII here: a superset still, as `matches` decides each row.
    p.Add(query.needle);
    r = conn.ExecPrepared(
        "telsync_run_items_find",
        "SELECT action, key, username, changes, reason, user_id, removed_user FROM run_items "
        "WHERE run_id = $1::bigint AND ($2 = '' OR action = $2) AND strpos(lower(username || "
        "chr(1) || key || chr(1) || reason || chr(1) || changes), $3) > 0 ORDER BY seq",
        p, "read run items");
  } else {
    r = conn.ExecPrepared("telsync_run_items", kRunItemsSql, p, "read run items");
  }
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->rows(); ++i) {
    Result<PlanItem> item = ReadRunItem(*r, i);
    if (!item.ok()) return item.error();
    if (text) {
      store_detail::AddToPage(std::move(*item), query, page);
    } else {
      page.items.push_back(std::move(*item));
    }
  }
  return page;
}

Result<std::vector<DepartmentChange>> GetPostgresRunDepartments(Conn& conn,
                                                                const std::string& tenant,
                                                                int64_t run_id) {
  if (Status s = CheckPostgresRunTenant(conn, tenant, run_id); !s.ok()) return s.error();
  Params p;
  p.Add(run_id);
  auto r = conn.ExecPrepared(
      "telsync_run_departments",
      "SELECT action, name, profile, ring_group, members, changes FROM run_departments "
      "WHERE run_id = $1::bigint ORDER BY seq",
      p, "read run departments");
  if (!r.ok()) return r.error();
  std::vector<DepartmentChange> out;
  for (int i = 0; i < r->rows(); ++i) {
    DepartmentChange change;
    const std::optional<Action> parsed = ActionFromName(r->Text(i, 0));
    if (!parsed) return Error::Internal("store: run department with an unknown action");
    change.action = *parsed;
    change.target.name = r->String(i, 1);
    change.target.profile = r->String(i, 2);
    change.target.ring_group = r->String(i, 3);
    auto members = ParseStringArray(r->Text(i, 4), "members");
    if (!members.ok()) return members.error();
    change.target.members = std::move(*members);
    auto changes = ParseChanges(r->Text(i, 5));
    if (!changes.ok()) return changes.error();
    change.changes = std::move(*changes);
    out.push_back(std::move(change));
  }
  return out;
}

Result<std::optional<Run>> LastPostgresSuccessfulSync(Conn& conn, const std::string& tenant,
                                                      const std::string& profile) {
  Params p;
  p.Add(tenant).Add(profile);
  auto r = conn.ExecPrepared("telsync_last_success",
                             "SELECT " + std::string(kRunColumns) +
                                 " FROM runs WHERE tenant = $1 AND profile = $2 AND kind = "
                                 "'sync' AND status IN ('success', 'partial') "
                                 "ORDER BY id DESC LIMIT 1",
                             p, "last successful sync");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return std::optional<Run>();
  auto run = ReadRun(*r, 0);
  if (!run.ok()) return run.error();
  return std::optional<Run>(std::move(*run));
}

Result<std::optional<int64_t>> GetPostgresProfilePause(Conn& conn, const std::string& tenant,
                                                       const std::string& profile) {
  Params p;
  p.Add(tenant).Add(profile);
  auto r = conn.ExecPrepared("telsync_get_pause",
                             "SELECT run_id FROM profile_pauses WHERE tenant = $1 AND profile = $2",
                             p, "read profile pause");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return std::optional<int64_t>();
  return std::optional<int64_t>(r->Int(0, 0));
}

Status SetPostgresProfilePause(Conn& conn, const std::string& tenant, const std::string& profile,
                               int64_t run_id, int64_t now) {
  Params p;
  p.Add(tenant).Add(profile).Add(run_id).Add(now);
  auto r = conn.ExecPrepared(
      "telsync_set_pause",
      "INSERT INTO profile_pauses (tenant, profile, run_id, paused_at) VALUES ($1, $2, "
      "$3::bigint, $4::bigint) ON CONFLICT (tenant, profile) DO UPDATE SET run_id = "
      "excluded.run_id, paused_at = excluded.paused_at",
      p, "pause profile");
  if (!r.ok()) return r.error();
  return Ok();
}

Status ClearPostgresProfilePause(Conn& conn, const std::string& tenant,
                                 const std::string& profile) {
  Params p;
  p.Add(tenant).Add(profile);
  auto r = conn.ExecPrepared("telsync_clear_pause",
                             "DELETE FROM profile_pauses WHERE tenant = $1 AND profile = $2", p,
                             "clear profile pause");
  if (!r.ok()) return r.error();
  return Ok();
}

Result<HistoryPurge> PurgePostgresRunHistory(Conn& conn, const std::string& tenant, int64_t before,
                                             int64_t now, size_t batch) {
  HistoryPurge out;
  // Mark first (see SqliteStore): a revert refuses these runs from here on.
  {
    Params p;
    p.Add(tenant).Add(before).Add(std::max<int64_t>(now, 1));
    auto r = conn.ExecPrepared("telsync_purge_mark",
                               "UPDATE runs SET purged_at = $3::bigint, purge_pending = 1 "
                               "WHERE tenant = $1 AND purged_at = 0 AND started_at < $2::bigint",
                               p, "mark purged runs");
    if (!r.ok()) return r.error();
  }
  std::vector<int64_t> ids;
  {
    Params p;
    p.Add(tenant);
    auto r = conn.ExecPrepared(
        "telsync_purge_pending",
        "SELECT id FROM runs WHERE tenant = $1 AND purge_pending <> 0 ORDER BY id", p,
        "list purged runs");
    if (!r.ok()) return r.error();
    for (int i = 0; i < r->rows(); ++i) ids.push_back(r->Int(i, 0));
  }
  const int64_t limit = static_cast<int64_t>(std::max<size_t>(batch, 1));
  for (const int64_t id : ids) {
    // Each DELETE its own transaction of at most `limit` rows.
    for (const auto& [name, sql] :
         {std::pair{"telsync_purge_items",
                    "DELETE FROM run_items WHERE run_id = $1::bigint AND seq IN "
                    "(SELECT seq FROM run_items WHERE run_id = $1::bigint ORDER BY seq "
                    "LIMIT $2::bigint)"},
          std::pair{"telsync_purge_departments",
                    "DELETE FROM run_departments WHERE run_id = $1::bigint AND seq IN "
                    "(SELECT seq FROM run_departments WHERE run_id = $1::bigint ORDER BY seq "
                    "LIMIT $2::bigint)"}}) {
      for (;;) {
        Params p;
        p.Add(id).Add(limit);
        auto r = conn.ExecPrepared(name, sql, p, "purge run items");
        if (!r.ok()) return r.error();
        const int64_t deleted = r->Affected();
        out.items += static_cast<size_t>(deleted);
        if (deleted < limit) break;
      }
    }
    Params p;
    p.Add(id);
    auto r = conn.ExecPrepared("telsync_purge_done",
                               "UPDATE runs SET purge_pending = 0 WHERE id = $1::bigint", p,
                               "finish run purge");
    if (!r.ok()) return r.error();
    ++out.runs;
  }
  return out;
}

}  // namespace telsync::pg_detail
