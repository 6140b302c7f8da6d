// OutboxStore: the store's side of the targets' delivery (issue 17): the transactional
// outbox of PBX directory changes, each target's cursor and its dead events: what the
// publisher's delivery loop reads and writes (targets/publisher.h). One role of
// store/store.h; what a target keeps of its own (the objects it created, SIP credentials)
// is TargetStateStore (store/target_state.h).
//
//   - Store::Apply writes one OutboxEvent for every user or department it changes, in the
//     same transaction as the change (DESIGN §1 "Targets read an outbox"), once one of the
//     tenant's targets has a cursor (OpenTargetCursor): a tenant without targets pays
//     nothing, and a target's first publish is a full reconcile anyway. An event carries
//     the object's whole state after the change, so a target that applies the newest event
//     of an object holds the object's current state (level-based, like the sync itself).
//   - A write that leaves an object as it was writes no event: the store keeps a digest of
//     each object's last published state (outbox_state), so a plan applied twice, or a
//     no-op sync, writes nothing (P3).
//   - Events are numbered by `seq`, increasing in commit order within a tenant's writes
//     (one writer at a time per profile, store.h LockProfileRuns). Targets read them after
//     their cursor, oldest first.
//
// Every method is scoped by tenant. Ownership: results are values the caller owns.
// Errors are values: kUnavailable when the database cannot be reached or is locked too
// long, kInternal otherwise; absence is an empty list, std::nullopt or 0 as each method
// says, never kNotFound.
// Thread safety: as the Store that implements it (store.h): a store from OpenStore or
// Database may be called from several threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace telsync {

// One change of the PBX directory, as Apply recorded it.
struct OutboxEvent {
  int64_t seq = 0;  // set by the store; names the event (the idempotency key of a delivery)
  std::string tenant;
  // "user_created" | "user_updated" | "user_unsearchable" | "user_deleted" |
  // "department_changed" | "department_deleted" (kOutboxKinds).
  std::string kind;
  std::string object_key;  // "user:<id>" or "department:<profile>/<name>": orders per object
  int64_t user_id = 0;     // the users row id; 0 for a department
  // JSON object: {"action": plan action, "user": {state after the change: every non-empty
  // field by FieldName, "profile", "source_key", "searchable", "state", "groups"},
  // "changes": [{"field","old","new"}] (updates only)}; a department's event has
  // "department": {"name","profile","ring_group","members"} instead of "user".
  // A deleted user's "user" holds the last state the plan knew (may be only the username).
  std::string payload;
  // Digest of the state in the payload (16 hex digits); "" for a deletion. An event whose
  // digest is no longer its object's is superseded (IsCurrentEvent).
  std::string state_hash;
  int64_t created_at = 0;  // unix seconds of the apply
};

inline constexpr std::string_view kOutboxKinds[] = {
    "user_created", "user_updated",       "user_unsearchable",
    "user_deleted", "department_changed", "department_deleted",
};

// Where one target stands in a tenant's outbox. A target with no row has never published:
// the publisher starts it with a full reconcile.
struct TargetCursor {
  std::string tenant;
  std::string target;           // the target's name in the config
  int64_t last_seq = 0;         // every event with seq <= last_seq is delivered or dead
  int64_t delivered = 0;        // events delivered so far
  int64_t dead = 0;             // events given up on so far (target_dead keeps them)
  int attempts = 0;             // failed attempts in a row at the head of the cursor
  int64_t failing_since = 0;    // unix seconds of the first of those failures; 0 = not failing
  int64_t next_attempt_at = 0;  // back-off: no attempt before this (0 = at once)
  std::string last_error;       // the last failure in an admin's words; "" after a success
  int64_t last_attempt_at = 0;
  int64_t last_success_at = 0;
};

// An event a target gave up on: kept, with the reason, until `targets retry` re-sends it.
struct DeadEvent {
  std::string target;
  OutboxEvent event;
  std::string error;
  int64_t dead_at = 0;
};

class OutboxStore {
 public:
  virtual ~OutboxStore() = default;

  // Events with seq > after_seq, oldest first, at most `limit`.
  virtual Result<std::vector<OutboxEvent>> ListOutbox(const std::string& tenant, int64_t after_seq,
                                                      size_t limit) = 0;
  // The newest event's seq (also of compacted ones); 0 when the tenant never had one.
  virtual Result<int64_t> LastOutboxSeq(const std::string& tenant) = 0;
  // How many events with seq > after_seq are kept (a target's lag).
  virtual Result<int64_t> CountOutbox(const std::string& tenant, int64_t after_seq) = 0;
  // Removes the events with seq <= up_to_seq (every target has them). Returns how many.
  virtual Result<int64_t> CompactOutbox(const std::string& tenant, int64_t up_to_seq) = 0;
  // Whether `event` still carries its object's current state: no later change of the
  // object was applied (a dead event that is not current is superseded, not re-sent).
  virtual Result<bool> IsCurrentEvent(const OutboxEvent& event) = 0;

  // std::nullopt when the target never published.
  virtual Result<std::optional<TargetCursor>> GetTargetCursor(const std::string& tenant,
                                                              const std::string& target) = 0;
  // Inserts or replaces the cursor (tenant, target).
  virtual Status PutTargetCursor(const TargetCursor& cursor) = 0;
  // Creates the cursor (tenant, target) at seq 0 when there is none; a publisher calls it
  // before its first reconcile reads the users. Apply writes events only for a tenant with
  // a cursor, and decides that inside each batch's transaction, so every change is either
  // read by that reconcile or written as an event after it. The tenant's first cursor also
  // forgets the state digests (Apply kept none while the tenant had no cursor).
  virtual Status OpenTargetCursor(const std::string& tenant, const std::string& target) = 0;
  // Every cursor of the tenant, by target name.
  virtual Result<std::vector<TargetCursor>> ListTargetCursors(const std::string& tenant) = 0;

  // Dead events: Add replaces one with the same (target, seq). List: oldest first.
  virtual Status AddDeadEvent(const DeadEvent& dead) = 0;
  virtual Result<std::vector<DeadEvent>> ListDeadEvents(const std::string& tenant,
                                                        const std::string& target) = 0;
  virtual Status RemoveDeadEvent(const std::string& tenant, const std::string& target,
                                 int64_t seq) = 0;
};

}  // namespace telsync
