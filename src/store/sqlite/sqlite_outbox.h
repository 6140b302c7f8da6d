// The SQLite side of the outbox role (store/outbox.h), used by SqliteStore: the events
// Apply writes in its own transaction (SqliteOutboxWriter) and the OutboxStore methods
// (the TargetStateStore ones are in sqlite_target_state.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/plan.h"
#include "store/outbox.h"
#include "store/sqlite/detail/sqlite_db.h"
#include "util/result.h"

namespace telsync::sqlite_detail {

// Writes Apply's events on Apply's connection, inside the transaction the caller holds.
// Prepared once per Apply; borrowed `db` outlives it.
class SqliteOutboxWriter {
 public:
  static Result<SqliteOutboxWriter> Prepare(Db& db);

  // After a user row was written (any write action but delete); `created_id` is the row a
  // create wrote (INSERT ... RETURNING id), unused for an update.
  Status UserWritten(const std::string& tenant, const PlanItem& item, int64_t created_id,
                     int64_t now);
  // After a user row's DELETE; `deleted` says whether a row went (a repeated delete
  // writes no second event).
  Status UserDeleted(const std::string& tenant, const PlanItem& item, bool deleted, int64_t now);
  Status DepartmentWritten(const std::string& tenant, const DepartmentChange& change,
                           const std::string& profile, bool changed, int64_t now);

 private:
  SqliteOutboxWriter() = default;

  Db* db_ = nullptr;
  Statement put_state_;
  Statement drop_state_;
  Statement insert_;
};

Result<std::vector<OutboxEvent>> ListSqliteOutbox(Db& db, const std::string& tenant,
                                                  int64_t after_seq, size_t limit);
Result<int64_t> LastSqliteOutboxSeq(Db& db, const std::string& tenant);
Result<int64_t> CountSqliteOutbox(Db& db, const std::string& tenant, int64_t after_seq);
Result<int64_t> CompactSqliteOutbox(Db& db, const std::string& tenant, int64_t up_to_seq);
Result<bool> IsCurrentSqliteEvent(Db& db, const OutboxEvent& event);
Result<std::optional<TargetCursor>> GetSqliteTargetCursor(Db& db, const std::string& tenant,
                                                          const std::string& target);
Status PutSqliteTargetCursor(Db& db, const TargetCursor& cursor);
// Whether one of the tenant's targets has a cursor: Apply writes events only then.
Result<bool> TenantHasTargetCursor(Db& db, const std::string& tenant);
Status OpenSqliteTargetCursor(Db& db, const std::string& tenant, const std::string& target);
Result<std::vector<TargetCursor>> ListSqliteTargetCursors(Db& db, const std::string& tenant);
Status AddSqliteDeadEvent(Db& db, const DeadEvent& dead);
Result<std::vector<DeadEvent>> ListSqliteDeadEvents(Db& db, const std::string& tenant,
                                                    const std::string& target);
Status RemoveSqliteDeadEvent(Db& db, const std::string& tenant, const std::string& target,
                             int64_t seq);

}  // namespace telsync::sqlite_detail
