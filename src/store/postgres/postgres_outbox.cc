#include "store/postgres/postgres_outbox.h"

#include <utility>

#include "store/detail/outbox_events.h"

namespace telsync::pg_detail {
namespace {

constexpr const char* kEventColumns =
    "seq, tenant, kind, object_key, user_id, payload, state_hash, created_at";

OutboxEvent ReadEvent(const PgResult& r, int row, int first) {
  OutboxEvent e;
  e.seq = r.Int(row, first);
  e.tenant = r.String(row, first + 1);
  e.kind = r.String(row, first + 2);
  e.object_key = r.String(row, first + 3);
  e.user_id = r.Int(row, first + 4);
  e.payload = r.String(row, first + 5);
  e.state_hash = r.String(row, first + 6);
  e.created_at = r.Int(row, first + 7);
  return e;
}

Status Done(const Result<PgResult>& r) {
  if (!r.ok()) return r.error();
  return Ok();
}

}  // namespace

Status WritePostgresDeleteEvents(Conn& conn, const std::string& tenant,
                                 const std::vector<const PlanItem*>& deletes, int64_t now) {
  for (const PlanItem* item : deletes) {
    store_detail::PendingEvent event = store_detail::UserDeletedEvent(*item);
    Params p;
    p.Add(tenant).Add(event.object_key).Add(item->user_id).Add(event.payload).Add(now);
    auto r = conn.ExecPrepared(
        "telsync_outbox_delete",
        "WITH gone AS (DELETE FROM outbox_state WHERE tenant = $1 AND object_key = $2) "
        "INSERT INTO outbox (tenant, kind, object_key, user_id, payload, state_hash, created_at) "
        "SELECT $1, 'user_deleted', $2, $3::bigint, $4, '', $5::bigint "
        "WHERE EXISTS (SELECT 1 FROM users WHERE tenant = $1 AND id = $3::bigint)",
        p, "write an outbox event");
    if (!r.ok()) return r.error();
  }
  return Ok();
}

Status WritePostgresUserEvents(Conn& conn, const std::string& tenant,
                               const std::vector<const PlanItem*>& items, int64_t now) {
  if (items.empty()) return Ok();
  // One COPY of the batch's events into a staging table, then one statement that finds
  // each user's row, keeps the state digests and writes the events in plan order: a
  // statement per user was a round trip per user (a million on a first sync).
  if (auto r = conn.Exec(
          "CREATE TEMP TABLE IF NOT EXISTS outbox_stage (ord BIGINT NOT NULL, user_id BIGINT "
          "NOT NULL, profile TEXT NOT NULL, source_key TEXT NOT NULL, kind TEXT NOT NULL, "
          "payload TEXT NOT NULL, hash TEXT NOT NULL) ON COMMIT DELETE ROWS",
          "prepare the outbox staging table");
      !r.ok()) {
    return r.error();
  }
  // Rows staged by an earlier batch of this transaction are gone before this one's.
  if (auto r = conn.Exec("TRUNCATE outbox_stage", "prepare the outbox staging table"); !r.ok()) {
    return r.error();
  }
  auto stream = CopyStream::Start(
      conn, "COPY outbox_stage (ord, user_id, profile, source_key, kind, payload, hash) FROM STDIN",
      "stage outbox events");
  if (!stream.ok()) return stream.error();
  const bool creates = items.front()->action == Action::kCreate;
  int64_t ord = 0;
  for (const PlanItem* item : items) {
    const bool create = item->action == Action::kCreate;
    if (create != creates) return Error::Internal("a batch of outbox events mixes creates");
    store_detail::PendingEvent event = store_detail::UserEvent(*item, 0);
    CopyBuffer& row = stream->rows();
    row.Int(ord++);
    row.Int(create ? 0 : item->user_id);
    row.Field(item->target->profile);
    row.Field(item->target->source_key);
    row.Field(event.kind);
    row.Field(event.payload);
    row.Field(event.state_hash);
    row.EndRow();
    if (!stream->Flush().ok()) break;
  }
  if (Status s = stream->Finish(); !s.ok()) return s;
  // A create's row is found by its source key (the partial index users_source), any other
  // by its id. The state digest decides (P3): an unchanged user writes no event.
  const std::string find = creates ? "JOIN users u ON u.tenant = $1 AND u.profile = st.profile AND "
                                     "u.source_key = st.source_key AND u.source_key <> ''"
                                   : "JOIN users u ON u.tenant = $1 AND u.id = st.user_id";
  Params p;
  p.Add(tenant).Add(now);
  return Done(conn.ExecPrepared(
      creates ? "telsync_outbox_users_created" : "telsync_outbox_users_written",
      "WITH w AS (SELECT st.ord, u.id, st.kind, st.payload, st.hash FROM outbox_stage st " + find +
          "), s AS (INSERT INTO outbox_state (tenant, object_key, hash) "
          "SELECT $1, 'user:' || id, hash FROM w ON CONFLICT (tenant, object_key) DO UPDATE "
          "SET hash = excluded.hash WHERE outbox_state.hash <> excluded.hash "
          "RETURNING object_key) "
          "INSERT INTO outbox (tenant, kind, object_key, user_id, payload, state_hash, "
          "created_at) SELECT $1, w.kind, s.object_key, w.id, w.payload, w.hash, $2::bigint "
          "FROM w JOIN s ON s.object_key = 'user:' || w.id ORDER BY w.ord",
      p, "write outbox events"));
}

Status WritePostgresDepartmentEvent(Conn& conn, const std::string& tenant,
                                    const DepartmentChange& change, const std::string& profile,
                                    bool changed, int64_t now) {
  store_detail::PendingEvent event = store_detail::DepartmentEvent(change, profile);
  Params p;
  p.Add(tenant)
      .Add(event.object_key)
      .Add(event.state_hash)
      .Add(event.kind)
      .Add(event.payload)
      .Add(now);
  if (change.action == Action::kDelete) {
    if (!changed) return Ok();
    return Done(conn.ExecPrepared(
        "telsync_outbox_department_delete",
        "WITH gone AS (DELETE FROM outbox_state WHERE tenant = $1 AND object_key = $2) "
        "INSERT INTO outbox (tenant, kind, object_key, user_id, payload, state_hash, created_at) "
        "VALUES ($1, $4, $2, 0, $5, $3, $6::bigint)",
        p, "write an outbox event"));
  }
  return Done(conn.ExecPrepared(
      "telsync_outbox_department",
      "WITH s AS (INSERT INTO outbox_state (tenant, object_key, hash) VALUES ($1, $2, $3) "
      "ON CONFLICT (tenant, object_key) DO UPDATE SET hash = excluded.hash "
      "WHERE outbox_state.hash <> excluded.hash RETURNING object_key) "
      "INSERT INTO outbox (tenant, kind, object_key, user_id, payload, state_hash, created_at) "
      "SELECT $1, $4, object_key, 0, $5, $3, $6::bigint FROM s",
      p, "write an outbox event"));
}

Result<std::vector<OutboxEvent>> ListPostgresOutbox(Conn& conn, const std::string& tenant,
                                                    int64_t after_seq, size_t limit) {
  Params p;
  p.Add(tenant).Add(after_seq).Add(limit);
  auto r = conn.Exec(std::string("SELECT ") + kEventColumns +
                         " FROM outbox WHERE tenant = $1 AND seq > $2::bigint ORDER BY seq "
                         "LIMIT $3::bigint",
                     p, "read the outbox");
  if (!r.ok()) return r.error();
  std::vector<OutboxEvent> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(ReadEvent(*r, i, 0));
  return out;
}

Result<int64_t> LastPostgresOutboxSeq(Conn& conn, const std::string& tenant) {
  Params p;
  p.Add(tenant);
  auto r = conn.Exec(
      "SELECT greatest(coalesce((SELECT max(seq) FROM outbox WHERE tenant = $1), 0), "
      "coalesce((SELECT seq FROM outbox_last WHERE tenant = $1), 0))",
      p, "read the outbox");
  if (!r.ok()) return r.error();
  return r->Int(0, 0);
}

Result<int64_t> CountPostgresOutbox(Conn& conn, const std::string& tenant, int64_t after_seq) {
  Params p;
  p.Add(tenant).Add(after_seq);
  auto r = conn.Exec("SELECT count(*) FROM outbox WHERE tenant = $1 AND seq > $2::bigint", p,
                     "count the outbox");
  if (!r.ok()) return r.error();
  return r->Int(0, 0);
}

Result<int64_t> CompactPostgresOutbox(Conn& conn, const std::string& tenant, int64_t up_to_seq) {
  auto tx = Transaction::Begin(conn);
  if (!tx.ok()) return tx.error();
  Params p;
  p.Add(tenant).Add(up_to_seq);
  if (auto r = conn.Exec(
          "INSERT INTO outbox_last (tenant, seq) SELECT $1, max(seq) FROM outbox "
          "WHERE tenant = $1 AND seq <= $2::bigint HAVING max(seq) IS NOT NULL "
          "ON CONFLICT (tenant) DO UPDATE SET seq = greatest(outbox_last.seq, excluded.seq)",
          p, "compact the outbox");
      !r.ok()) {
    return r.error();
  }
  auto r = conn.Exec("DELETE FROM outbox WHERE tenant = $1 AND seq <= $2::bigint", p,
                     "compact the outbox");
  if (!r.ok()) return r.error();
  const int64_t removed = r->Affected();
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return removed;
}

Result<bool> IsCurrentPostgresEvent(Conn& conn, const OutboxEvent& event) {
  Params p;
  p.Add(event.tenant).Add(event.object_key);
  auto r = conn.Exec("SELECT hash FROM outbox_state WHERE tenant = $1 AND object_key = $2", p,
                     "read the outbox state");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return event.state_hash.empty();
  return !event.state_hash.empty() && r->Text(0, 0) == event.state_hash;
}

namespace {
constexpr const char* kCursorColumns =
    "tenant, target, last_seq, delivered, dead, attempts, failing_since, next_attempt_at, "
    "last_error, last_attempt_at, last_success_at";

TargetCursor ReadCursor(const PgResult& r, int i) {
  TargetCursor c;
  c.tenant = r.String(i, 0);
  c.target = r.String(i, 1);
  c.last_seq = r.Int(i, 2);
  c.delivered = r.Int(i, 3);
  c.dead = r.Int(i, 4);
  c.attempts = static_cast<int>(r.Int(i, 5));
  c.failing_since = r.Int(i, 6);
  c.next_attempt_at = r.Int(i, 7);
  c.last_error = r.String(i, 8);
  c.last_attempt_at = r.Int(i, 9);
  c.last_success_at = r.Int(i, 10);
  return c;
}
}  // namespace

Result<std::optional<TargetCursor>> GetPostgresTargetCursor(Conn& conn, const std::string& tenant,
                                                            const std::string& target) {
  Params p;
  p.Add(tenant).Add(target);
  auto r = conn.Exec(std::string("SELECT ") + kCursorColumns +
                         " FROM target_cursors WHERE tenant = $1 AND target = $2",
                     p, "read a target cursor");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return std::optional<TargetCursor>();
  return std::optional<TargetCursor>(ReadCursor(*r, 0));
}

Status PutPostgresTargetCursor(Conn& conn, const TargetCursor& c) {
  Params p;
  p.Add(c.tenant)
      .Add(c.target)
      .Add(c.last_seq)
      .Add(c.delivered)
      .Add(c.dead)
      .Add(c.attempts)
      .Add(c.failing_since)
      .Add(c.next_attempt_at)
      .Add(c.last_error)
      .Add(c.last_attempt_at)
      .Add(c.last_success_at);
  return Done(conn.Exec(
      std::string("INSERT INTO target_cursors (") + kCursorColumns +
          ") VALUES ($1, $2, $3::bigint, $4::bigint, $5::bigint, $6::integer, $7::bigint, "
          "$8::bigint, $9, $10::bigint, $11::bigint) ON CONFLICT (tenant, target) DO UPDATE SET "
          "last_seq = excluded.last_seq, delivered = excluded.delivered, dead = excluded.dead, "
          "attempts = excluded.attempts, failing_since = excluded.failing_since, "
          "next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error, "
          "last_attempt_at = excluded.last_attempt_at, last_success_at = excluded.last_success_at",
      p, "write a target cursor"));
}

namespace {
// The tenant's outbox lock: Apply's batches hold it shared, OpenTargetCursor exclusive, so a
// cursor is opened either before a batch asks (its events are written) or after the batch
// committed (the reconcile that follows reads it). Transaction-level: it goes at COMMIT.
Status LockOutbox(Conn& conn, const std::string& tenant, bool exclusive) {
  Params p;
  p.Add("outbox\n" + tenant);
  return Done(conn.Exec(exclusive ? "SELECT pg_advisory_xact_lock(hashtextextended($1, 11))"
                                  : "SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 11))",
                        p, "lock the outbox"));
}

Result<bool> HasTargetCursor(Conn& conn, const std::string& tenant) {
  Params p;
  p.Add(tenant);
  auto r = conn.Exec("SELECT EXISTS (SELECT 1 FROM target_cursors WHERE tenant = $1)", p,
                     "read target cursors");
  if (!r.ok()) return r.error();
  return r->String(0, 0) == "t";
}
}  // namespace

Result<bool> PostgresBatchWritesEvents(Conn& conn, const std::string& tenant) {
  // Two statements: under READ COMMITTED the second one's snapshot is taken after the lock
  // is held, so it sees a cursor committed while this batch waited for it.
  if (Status s = LockOutbox(conn, tenant, false); !s.ok()) return s.error();
  return HasTargetCursor(conn, tenant);
}

Status OpenPostgresTargetCursor(Conn& conn, const std::string& tenant, const std::string& target) {
  auto tx = Transaction::Begin(conn);
  if (!tx.ok()) return tx.error();
  if (Status s = LockOutbox(conn, tenant, true); !s.ok()) return s;
  Result<bool> had = HasTargetCursor(conn, tenant);
  if (!had.ok()) return had.error();
  Params p;
  p.Add(tenant).Add(target);
  if (Status s = Done(conn.Exec("INSERT INTO target_cursors (tenant, target) VALUES ($1, $2) "
                                "ON CONFLICT (tenant, target) DO NOTHING",
                                p, "open a target cursor"));
      !s.ok()) {
    return s;
  }
  if (!*had) {
    // Without a cursor Apply kept no digests: those left from before are stale.
    Params t;
    t.Add(tenant);
    if (Status s = Done(
            conn.Exec("DELETE FROM outbox_state WHERE tenant = $1", t, "forget the outbox state"));
        !s.ok()) {
      return s;
    }
  }
  return tx->Commit();
}

Result<std::vector<TargetCursor>> ListPostgresTargetCursors(Conn& conn, const std::string& tenant) {
  Params p;
  p.Add(tenant);
  auto r = conn.Exec(std::string("SELECT ") + kCursorColumns +
                         " FROM target_cursors WHERE tenant = $1 ORDER BY target COLLATE \"C\"",
                     p, "read target cursors");
  if (!r.ok()) return r.error();
  std::vector<TargetCursor> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(ReadCursor(*r, i));
  return out;
}

Status AddPostgresDeadEvent(Conn& conn, const DeadEvent& dead) {
  const OutboxEvent& e = dead.event;
  Params p;
  p.Add(e.tenant)
      .Add(dead.target)
      .Add(e.seq)
      .Add(e.kind)
      .Add(e.object_key)
      .Add(e.user_id)
      .Add(e.payload)
      .Add(e.state_hash)
      .Add(e.created_at)
      .Add(dead.error)
      .Add(dead.dead_at);
  return Done(conn.Exec(
      "INSERT INTO target_dead (tenant, target, seq, kind, object_key, user_id, payload, "
      "state_hash, created_at, error, dead_at) VALUES ($1, $2, $3::bigint, $4, $5, $6::bigint, "
      "$7, $8, $9::bigint, $10, $11::bigint) ON CONFLICT (tenant, target, seq) DO UPDATE SET "
      "error = excluded.error, dead_at = excluded.dead_at",
      p, "write a dead event"));
}

Result<std::vector<DeadEvent>> ListPostgresDeadEvents(Conn& conn, const std::string& tenant,
                                                      const std::string& target) {
  Params p;
  p.Add(tenant).Add(target);
  auto r = conn.Exec(std::string("SELECT target, error, dead_at, ") + kEventColumns +
                         " FROM target_dead WHERE tenant = $1 AND target = $2 ORDER BY seq",
                     p, "read dead events");
  if (!r.ok()) return r.error();
  std::vector<DeadEvent> out;
  for (int i = 0; i < r->rows(); ++i) {
    DeadEvent d;
    d.target = r->String(i, 0);
    d.error = r->String(i, 1);
    d.dead_at = r->Int(i, 2);
    d.event = ReadEvent(*r, i, 3);
    out.push_back(std::move(d));
  }
  return out;
}

Status RemovePostgresDeadEvent(Conn& conn, const std::string& tenant, const std::string& target,
                               int64_t seq) {
  Params p;
  p.Add(tenant).Add(target).Add(seq);
  return Done(
      conn.Exec("DELETE FROM target_dead WHERE tenant = $1 AND target = $2 AND seq = $3::bigint", p,
                "remove a dead event"));
}

}  // namespace telsync::pg_detail
