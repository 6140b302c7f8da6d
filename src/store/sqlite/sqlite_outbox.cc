#include "store/sqlite/sqlite_outbox.h"

#include <utility>

#include "store/detail/outbox_events.h"

namespace telsync::sqlite_detail {
namespace {

using store_detail::PendingEvent;

constexpr const char* kEventColumns =
    "seq, tenant, kind, object_key, user_id, payload, state_hash, created_at";

OutboxEvent ReadEvent(const Statement& row, int first) {
  OutboxEvent e;
  e.seq = row.ColumnInt(first);
  e.tenant = row.ColumnText(first + 1);
  e.kind = row.ColumnText(first + 2);
  e.object_key = row.ColumnText(first + 3);
  e.user_id = row.ColumnInt(first + 4);
  e.payload = row.ColumnText(first + 5);
  e.state_hash = row.ColumnText(first + 6);
  e.created_at = row.ColumnInt(first + 7);
  return e;
}

// Runs a query returning one integer (0 when no row).
Result<int64_t> QueryOne(Statement& stmt, std::string_view what) {
  const int rc = stmt.Step();
  int64_t value = 0;
  if (rc == SQLITE_ROW) {
    value = stmt.ColumnInt(0);
  } else if (rc != SQLITE_DONE) {
    Error error = stmt.LastError(rc, what);
    stmt.Reset();
    return error;
  }
  stmt.Reset();
  return value;
}

}  // namespace

Result<SqliteOutboxWriter> SqliteOutboxWriter::Prepare(Db& db) {
  SqliteOutboxWriter w;
  w.db_ = &db;
  struct {
    Statement* stmt;
    const char* sql;
  } const statements[] = {
      {&w.put_state_,
       "INSERT INTO outbox_state (tenant, object_key, hash) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (tenant, object_key) DO UPDATE SET hash = excluded.hash "
       "WHERE outbox_state.hash <> excluded.hash"},
      {&w.drop_state_, "DELETE FROM outbox_state WHERE tenant = ?1 AND object_key = ?2"},
      {&w.insert_,
       "INSERT INTO outbox (tenant, kind, object_key, user_id, payload, state_hash, created_at) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
  };
  for (const auto& s : statements) {
    Result<Statement> prepared = db.Prepare(s.sql, true);
    if (!prepared.ok()) return prepared.error();
    *s.stmt = std::move(*prepared);
  }
  return w;
}

Status SqliteOutboxWriter::UserWritten(const std::string& tenant, const PlanItem& item,
                                       int64_t created_id, int64_t now) {
  const int64_t user_id = item.action == Action::kCreate ? created_id : item.user_id;
  if (user_id == 0) return Ok();  // nothing was written (no such row)
  PendingEvent event = store_detail::UserEvent(item, user_id);
  // One statement reads and keeps the digest: the row is written only when the state is
  // new or differs, so no change means the object holds what it held: no event (P3).
  put_state_.BindText(1, tenant);
  put_state_.BindText(2, event.object_key);
  put_state_.BindText(3, event.state_hash);
  if (Status s = put_state_.Run("write the outbox state"); !s.ok()) return s;
  if (db_->Changes() == 0) return Ok();
  insert_.BindText(1, tenant);
  insert_.BindText(2, event.kind);
  insert_.BindText(3, event.object_key);
  insert_.BindInt(4, user_id);
  insert_.BindText(5, event.payload);
  insert_.BindText(6, event.state_hash);
  insert_.BindInt(7, now);
  return insert_.Run("write an outbox event");
}

Status SqliteOutboxWriter::UserDeleted(const std::string& tenant, const PlanItem& item,
                                       bool deleted, int64_t now) {
  if (!deleted) return Ok();
  PendingEvent event = store_detail::UserDeletedEvent(item);
  drop_state_.BindText(1, tenant);
  drop_state_.BindText(2, event.object_key);
  if (Status s = drop_state_.Run("drop the outbox state"); !s.ok()) return s;
  insert_.BindText(1, tenant);
  insert_.BindText(2, event.kind);
  insert_.BindText(3, event.object_key);
  insert_.BindInt(4, item.user_id);
  insert_.BindText(5, event.payload);
  insert_.BindText(6, "");
  insert_.BindInt(7, now);
  return insert_.Run("write an outbox event");
}

Status SqliteOutboxWriter::DepartmentWritten(const std::string& tenant,
                                             const DepartmentChange& change,
                                             const std::string& profile, bool changed,
                                             int64_t now) {
  PendingEvent event = store_detail::DepartmentEvent(change, profile);
  if (change.action == Action::kDelete) {
    if (!changed) return Ok();
    drop_state_.BindText(1, tenant);
    drop_state_.BindText(2, event.object_key);
    if (Status s = drop_state_.Run("drop the outbox state"); !s.ok()) return s;
  } else {
    put_state_.BindText(1, tenant);
    put_state_.BindText(2, event.object_key);
    put_state_.BindText(3, event.state_hash);
    if (Status s = put_state_.Run("write the outbox state"); !s.ok()) return s;
    if (db_->Changes() == 0) return Ok();  // the same state: no event
  }
  insert_.BindText(1, tenant);
  insert_.BindText(2, event.kind);
  insert_.BindText(3, event.object_key);
  insert_.BindInt(4, 0);
  insert_.BindText(5, event.payload);
  insert_.BindText(6, event.state_hash);
  insert_.BindInt(7, now);
  return insert_.Run("write an outbox event");
}

Result<std::vector<OutboxEvent>> ListSqliteOutbox(Db& db, const std::string& tenant,
                                                  int64_t after_seq, size_t limit) {
  Result<Statement> stmt = db.Prepare(std::string("SELECT ") + kEventColumns +
                                      " FROM outbox WHERE tenant = ?1 AND seq > ?2 "
                                      "ORDER BY seq LIMIT ?3");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindInt(2, after_seq);
  stmt->BindInt(3, static_cast<int64_t>(limit));
  std::vector<OutboxEvent> out;
  Status read = ForEachRow(*stmt, "read the outbox",
                           [&](const Statement& row) { out.push_back(ReadEvent(row, 0)); });
  if (!read.ok()) return read.error();
  return out;
}

Result<int64_t> LastSqliteOutboxSeq(Db& db, const std::string& tenant) {
  Result<Statement> stmt = db.Prepare(
      "SELECT max(coalesce((SELECT max(seq) FROM outbox WHERE tenant = ?1), 0), "
      "coalesce((SELECT seq FROM outbox_last WHERE tenant = ?1), 0))");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  return QueryOne(*stmt, "read the outbox");
}

Result<int64_t> CountSqliteOutbox(Db& db, const std::string& tenant, int64_t after_seq) {
  Result<Statement> stmt = db.Prepare("SELECT count(*) FROM outbox WHERE tenant = ?1 AND seq > ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindInt(2, after_seq);
  return QueryOne(*stmt, "count the outbox");
}

Result<int64_t> CompactSqliteOutbox(Db& db, const std::string& tenant, int64_t up_to_seq) {
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx.ok()) return tx.error();
  Result<Statement> last = db.Prepare(
      "INSERT INTO outbox_last (tenant, seq) SELECT ?1, max(seq) FROM outbox "
      "WHERE tenant = ?1 AND seq <= ?2 HAVING max(seq) IS NOT NULL "
      "ON CONFLICT (tenant) DO UPDATE SET seq = max(seq, excluded.seq)");
  if (!last.ok()) return last.error();
  last->BindText(1, tenant);
  last->BindInt(2, up_to_seq);
  if (Status s = last->Run("compact the outbox"); !s.ok()) return s.error();
  Result<Statement> remove = db.Prepare("DELETE FROM outbox WHERE tenant = ?1 AND seq <= ?2");
  if (!remove.ok()) return remove.error();
  remove->BindText(1, tenant);
  remove->BindInt(2, up_to_seq);
  if (Status s = remove->Run("compact the outbox"); !s.ok()) return s.error();
  const int64_t removed = db.Changes();
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return removed;
}

Result<bool> IsCurrentSqliteEvent(Db& db, const OutboxEvent& event) {
  Result<Statement> stmt =
      db.Prepare("SELECT hash FROM outbox_state WHERE tenant = ?1 AND object_key = ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, event.tenant);
  stmt->BindText(2, event.object_key);
  const int rc = stmt->Step();
  if (rc == SQLITE_DONE) return event.state_hash.empty();  // deleted: a deletion is current
  if (rc != SQLITE_ROW) return stmt->LastError(rc, "read the outbox state");
  return !event.state_hash.empty() && stmt->ColumnText(0) == event.state_hash;
}

namespace {
constexpr const char* kCursorColumns =
    "tenant, target, last_seq, delivered, dead, attempts, failing_since, next_attempt_at, "
    "last_error, last_attempt_at, last_success_at";

TargetCursor ReadCursor(const Statement& row) {
  TargetCursor c;
  c.tenant = row.ColumnText(0);
  c.target = row.ColumnText(1);
  c.last_seq = row.ColumnInt(2);
  c.delivered = row.ColumnInt(3);
  c.dead = row.ColumnInt(4);
  c.attempts = static_cast<int>(row.ColumnInt(5));
  c.failing_since = row.ColumnInt(6);
  c.next_attempt_at = row.ColumnInt(7);
  c.last_error = row.ColumnText(8);
  c.last_attempt_at = row.ColumnInt(9);
  c.last_success_at = row.ColumnInt(10);
  return c;
}
}  // namespace

Result<std::optional<TargetCursor>> GetSqliteTargetCursor(Db& db, const std::string& tenant,
                                                          const std::string& target) {
  Result<Statement> stmt = db.Prepare(std::string("SELECT ") + kCursorColumns +
                                      " FROM target_cursors WHERE tenant = ?1 AND target = ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, target);
  const int rc = stmt->Step();
  if (rc == SQLITE_DONE) return std::optional<TargetCursor>();
  if (rc != SQLITE_ROW) return stmt->LastError(rc, "read a target cursor");
  return std::optional<TargetCursor>(ReadCursor(*stmt));
}

Status PutSqliteTargetCursor(Db& db, const TargetCursor& c) {
  Result<Statement> stmt =
      db.Prepare(std::string("INSERT OR REPLACE INTO target_cursors (") + kCursorColumns +
                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, c.tenant);
  stmt->BindText(2, c.target);
  stmt->BindInt(3, c.last_seq);
  stmt->BindInt(4, c.delivered);
  stmt->BindInt(5, c.dead);
  stmt->BindInt(6, c.attempts);
  stmt->BindInt(7, c.failing_since);
  stmt->BindInt(8, c.next_attempt_at);
  stmt->BindText(9, c.last_error);
  stmt->BindInt(10, c.last_attempt_at);
  stmt->BindInt(11, c.last_success_at);
  return stmt->Run("write a target cursor");
}

Result<bool> TenantHasTargetCursor(Db& db, const std::string& tenant) {
  Result<Statement> stmt =
      db.Prepare("SELECT EXISTS (SELECT 1 FROM target_cursors WHERE tenant = ?1)", true);
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  Result<int64_t> exists = QueryOne(*stmt, "read target cursors");
  if (!exists.ok()) return exists.error();
  return *exists != 0;
}

Status OpenSqliteTargetCursor(Db& db, const std::string& tenant, const std::string& target) {
  // One write transaction: Apply asks for a cursor in each of its batches' write
  // transactions, so every batch is either before this one (the reconcile reads it) or
  // after it (it writes its events).
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx.ok()) return tx.error();
  Result<bool> had = TenantHasTargetCursor(db, tenant);
  if (!had.ok()) return had.error();
  Result<Statement> insert = db.Prepare(
      "INSERT INTO target_cursors (tenant, target) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
  if (!insert.ok()) return insert.error();
  insert->BindText(1, tenant);
  insert->BindText(2, target);
  if (Status s = insert->Run("open a target cursor"); !s.ok()) return s;
  if (!*had) {
    // Without a cursor Apply kept no digests: those left from before are stale.
    Result<Statement> forget = db.Prepare("DELETE FROM outbox_state WHERE tenant = ?1");
    if (!forget.ok()) return forget.error();
    forget->BindText(1, tenant);
    if (Status s = forget->Run("forget the outbox state"); !s.ok()) return s;
  }
  return tx->Commit();
}

Result<std::vector<TargetCursor>> ListSqliteTargetCursors(Db& db, const std::string& tenant) {
  Result<Statement> stmt = db.Prepare(std::string("SELECT ") + kCursorColumns +
                                      " FROM target_cursors WHERE tenant = ?1 ORDER BY target");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  std::vector<TargetCursor> out;
  Status read = ForEachRow(*stmt, "read target cursors",
                           [&](const Statement& row) { out.push_back(ReadCursor(row)); });
  if (!read.ok()) return read.error();
  return out;
}

Status AddSqliteDeadEvent(Db& db, const DeadEvent& dead) {
  Result<Statement> stmt = db.Prepare(
      "INSERT OR REPLACE INTO target_dead (tenant, target, seq, kind, object_key, user_id, "
      "payload, state_hash, created_at, error, dead_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!stmt.ok()) return stmt.error();
  const OutboxEvent& e = dead.event;
  stmt->BindText(1, e.tenant);
  stmt->BindText(2, dead.target);
  stmt->BindInt(3, e.seq);
  stmt->BindText(4, e.kind);
  stmt->BindText(5, e.object_key);
  stmt->BindInt(6, e.user_id);
  stmt->BindText(7, e.payload);
  stmt->BindText(8, e.state_hash);
  stmt->BindInt(9, e.created_at);
  stmt->BindText(10, dead.error);
  stmt->BindInt(11, dead.dead_at);
  return stmt->Run("write a dead event");
}

Result<std::vector<DeadEvent>> ListSqliteDeadEvents(Db& db, const std::string& tenant,
                                                    const std::string& target) {
  Result<Statement> stmt =
      db.Prepare(std::string("SELECT target, error, dead_at, ") + kEventColumns +
                 " FROM target_dead WHERE tenant = ?1 AND target = ?2 ORDER BY seq");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, target);
  std::vector<DeadEvent> out;
  Status read = ForEachRow(*stmt, "read dead events", [&](const Statement& row) {
    DeadEvent d;
    d.target = row.ColumnText(0);
    d.error = row.ColumnText(1);
    d.dead_at = row.ColumnInt(2);
    d.event = ReadEvent(row, 3);
    out.push_back(std::move(d));
  });
  if (!read.ok()) return read.error();
  return out;
}

Status RemoveSqliteDeadEvent(Db& db, const std::string& tenant, const std::string& target,
                             int64_t seq) {
  Result<Statement> stmt =
      db.Prepare("DELETE FROM target_dead WHERE tenant = ?1 AND target = ?2 AND seq = ?3");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, target);
  stmt->BindInt(3, seq);
  return stmt->Run("remove a dead event");
}

}  // namespace telsync::sqlite_detail
