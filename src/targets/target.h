// Target: a telephony system (or any service) that telsync publishes the PBX directory to
// (issue 17; DESIGN §1 "Targets read an outbox").
//
//   - Publish delivers outbox events (store/outbox.h) in the order given. Each event
//     carries its object's whole state, and delivering one twice leaves the target as once
//     (idempotent by object: the target converges on the event's state).
//   - A target writes only objects it owns: the ones telsync created there, kept per target
//     in the store (TargetStateStore, store/target_state.h). An object that exists on the target
//     and is not owned is never changed or deleted; when it is exactly what telsync would write, it
//     is adopted (a crash between the target's write and the ownership record).
//   - Full reconcile (`targets publish --full`): Reconcile compares what the target holds
//     with the PBX directory's users and, unless `dry_run`, repairs the drift (an object
//     deleted or changed by hand).
//
// Errors: Publish returns an Error only when nothing could be delivered (the target is
// down or unreachable: kUnavailable, retried later); otherwise one Status per event, where
// kUnavailable / kThrottled mean "retry", and any other error means the event cannot be
// delivered as it is (it becomes dead after the target's retry bound).
// Not thread-safe: one Target per publishing thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/fields.h"
#include "model/pbx.h"
#include "store/outbox.h"
#include "targets/target_config.h"
#include "util/result.h"

namespace telsync {

// One step of a full reconcile, in the target's words.
struct ReconcileStep {
  std::string action;  // "create" | "update" | "delete" | "adopt" | "conflict"
  std::string type;    // "subscriber" | "alias" | ...
  std::string key;     // "alice@sip.example"
  std::string detail;  // why, in an admin's words
};

struct ReconcileReport {
  std::vector<ReconcileStep> steps;  // empty: the target holds what the directory says
  bool applied = false;              // false for a dry run
};

class Target {
 public:
  virtual ~Target() = default;
  virtual const TargetConfig& config() const = 0;
  // See the file comment. `now` stamps what the target records.
  virtual Result<std::vector<Status>> Publish(const std::vector<OutboxEvent>& events,
                                              int64_t now) = 0;
  // Seconds the target asked telsync to wait after its last failure (an HTTP Retry-After);
  // 0 = none. The publisher backs off at least this long.
  virtual int64_t retry_after_seconds() const { return 0; }
  // The user fields Reconcile reads; std::nullopt: every part of every user. A target that
  // names them gets users with only these fields (and id, searchable, state) set
  // (TargetStateStore::ListUsersFields): a full read of 100,000 users cost more than a
  // Kamailio publish's own writes.
  virtual std::optional<std::vector<Field>> reconcile_fields() const { return std::nullopt; }
  // `users`: every user of the tenant (Store::ListUsers, or ListUsersFields), ids set.
  virtual Result<ReconcileReport> Reconcile(const std::vector<PbxUser>& users, bool dry_run,
                                            int64_t now) = 0;
};

}  // namespace telsync
