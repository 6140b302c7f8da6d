// The publisher (issue 17): delivers a tenant's outbox (store/outbox.h) to its targets.
//
//   - Each target has its own cursor. Events go out oldest first (so in order per user), in
//     batches of the target's retry.batch, at least once: the cursor moves only past events
//     the target acknowledged, and a target converges on an event's state however often it
//     gets it (target.h).
//   - A target that cannot be reached (Publish's error, or an event's kUnavailable /
//     kThrottled) is retried with exponential back-off (5 s doubling, at most 1 h); the
//     events wait in the outbox. After retry.dead_after seconds of failing, the waiting
//     batch becomes dead events. An event the target refuses as it is (a conflict, an
//     invalid name) becomes dead at once. Dead events are kept with the reason;
//     RetryDeadEvents re-sends those that still carry their object's current state.
//   - A target that never published successfully (new in the config) and `--full` start
//     with a full reconcile against the PBX directory; the cursor then starts at the newest
//     event.
//   - Nothing here waits for a target: a sync calls PublishTarget after it committed, and a
//     target that is down only leaves its cursor behind.
//   - CompactOutbox removes the events every configured target has passed.
//
// `now` is a parameter everywhere (no clock is read). Errors: the store's; a target's own
// failures are recorded in its cursor and reported, not returned.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "secrets/secret_box.h"
#include "store/store.h"
#include "targets/target.h"
#include "targets/target_config.h"
#include "util/result.h"

namespace telsync {

// The target a config names (kInvalid for an unknown type). `store` and `key` are
// borrowed and must outlive it.
Result<std::unique_ptr<Target>> MakeTarget(const TargetConfig& config, const std::string& tenant,
                                           Store& store, const SecretKey& key);

struct PublishOptions {
  int64_t now = 0;
  bool full = false;            // reconcile with the PBX directory first
  bool dry_run = false;         // with full: only plan the reconcile; deliver nothing
  bool ignore_backoff = false;  // try now even while backing off (`targets publish`)
  // For a progress display (optional): after each batch of events the target took (the
  // cursor moved past it), the events handled so far by this call, delivered or dead.
  std::function<void(int64_t handled)> on_batch;
};

struct PublishReport {
  std::string target;
  bool reconciled = false;
  ReconcileReport reconcile;  // when reconciled (or planned, for a dry run)
  int64_t delivered = 0;      // events acknowledged now
  int64_t dead = 0;           // events that became dead now
  int64_t pending = 0;        // events still waiting after this run (the lag)
  bool backing_off = false;   // not tried: the back-off runs until cursor.next_attempt_at
  std::string error;          // why the target could not be reached now; "" when it was
  TargetCursor cursor;        // after this run
};

Result<PublishReport> PublishTarget(Store& store, Target& target, const std::string& tenant,
                                    const PublishOptions& options);

struct RetryReport {
  int64_t delivered = 0;
  int64_t superseded = 0;  // a later change of the object replaced them: dropped
  int64_t still_dead = 0;
  std::string error;  // the target could not be reached; "" when it was
};
// Re-sends the target's dead events that still carry their object's current state.
Result<RetryReport> RetryDeadEvents(OutboxStore& store, Target& target, const std::string& tenant,
                                    int64_t now);

// Removes the events every target in `targets` has passed; all events when `targets` is
// empty (a target added later starts with a full reconcile). Returns how many went.
Result<int64_t> CompactDeliveredEvents(OutboxStore& store, const std::string& tenant,
                                       const std::vector<TargetConfig>& targets);

// The back-off before attempt `attempts` + 1 (attempts >= 1): 5 s doubling, at most 1 h.
int64_t BackoffSeconds(int attempts);

}  // namespace telsync
