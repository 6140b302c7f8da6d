// The PostgreSQL side of the outbox role (store/outbox.h), used by PostgresStore: the events
// Apply writes inside its batch transactions, and the OutboxStore methods
// (the TargetStateStore ones are in postgres_target_state.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/plan.h"
#include "store/outbox.h"
#include "store/postgres/detail/pg_conn.h"
#include "util/result.h"

namespace telsync::pg_detail {

// Inside the caller's transaction. Before the DELETE of the batch's users: one event for
// each of them that is still there (a repeated delete writes no second event).
Status WritePostgresDeleteEvents(Conn& conn, const std::string& tenant,
                                 const std::vector<const PlanItem*>& deletes, int64_t now);
// After the batch's users were written: one event for each whose state changed.
Status WritePostgresUserEvents(Conn& conn, const std::string& tenant,
                               const std::vector<const PlanItem*>& items, int64_t now);
// After a department was written (`changed`: a row was affected).
Status WritePostgresDepartmentEvent(Conn& conn, const std::string& tenant,
                                    const DepartmentChange& change, const std::string& profile,
                                    bool changed, int64_t now);

Result<std::vector<OutboxEvent>> ListPostgresOutbox(Conn& conn, const std::string& tenant,
                                                    int64_t after_seq, size_t limit);
Result<int64_t> LastPostgresOutboxSeq(Conn& conn, const std::string& tenant);
Result<int64_t> CountPostgresOutbox(Conn& conn, const std::string& tenant, int64_t after_seq);
Result<int64_t> CompactPostgresOutbox(Conn& conn, const std::string& tenant, int64_t up_to_seq);
Result<bool> IsCurrentPostgresEvent(Conn& conn, const OutboxEvent& event);
Result<std::optional<TargetCursor>> GetPostgresTargetCursor(Conn& conn, const std::string& tenant,
                                                            const std::string& target);
Status PutPostgresTargetCursor(Conn& conn, const TargetCursor& cursor);
// Takes the tenant's outbox lock shared for the transaction and says whether one of the
// tenant's targets has a cursor: each Apply batch asks, and writes events only then.
Result<bool> PostgresBatchWritesEvents(Conn& conn, const std::string& tenant);
Status OpenPostgresTargetCursor(Conn& conn, const std::string& tenant, const std::string& target);
Result<std::vector<TargetCursor>> ListPostgresTargetCursors(Conn& conn, const std::string& tenant);
Status AddPostgresDeadEvent(Conn& conn, const DeadEvent& dead);
Result<std::vector<DeadEvent>> ListPostgresDeadEvents(Conn& conn, const std::string& tenant,
                                                      const std::string& target);
Status RemovePostgresDeadEvent(Conn& conn, const std::string& tenant, const std::string& target,
                               int64_t seq);

}  // namespace telsync::pg_detail
