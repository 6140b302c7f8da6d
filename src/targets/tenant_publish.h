// Publishing a tenant's targets as a whole (issue 17): what a CLI `sync` does after it
// committed, what a `serve` worker does after a job's sync, and serve's periodic pass that
// catches up a target that was down and carries the SCIM server's pushes to the targets.
//
//   - One publisher per target at a time, over every process on the store: each target is
//     published under the store's run lock named "target:<name>" (RunStore::LockProfileRuns:
//     a flock beside a SQLite store, a session advisory lock on PostgreSQL). It is taken
//     without waiting: a target another process (or thread) publishes now is skipped, and
//     its events reach the target through that publisher or the next pass. The lock, unlike
//     a lease, ends with the process that holds it however it ends, so a crashed publisher
//     never holds a target back. Profile names cannot contain ':', so no run of a profile
//     shares it.
//   - `only_due` (the periodic pass): a target is published only when it has waiting events
//     or never published, and its back-off (cursor.next_attempt_at) has ended, so a target
//     that is down is tried at the publisher's back-off pace, never hammered.
//   - Never fails and never waits for a target: each target's outcome is reported, and the
//     events stay in the outbox for the next attempt. Compacts the outbox afterwards.
//
// Thread safety: as the Store (store.h); a thread that publishes side by side with others
// uses its own Store (the lock of a PostgreSQL store is its connection's session).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "secrets/secret_box.h"
#include "store/store.h"
#include "targets/publisher.h"
#include "targets/target_config.h"

namespace telsync {

struct TenantPublishOptions {
  int64_t now = 0;
  bool only_due = false;  // skip targets with nothing waiting, or still backing off
  // For a progress display (optional): after each target, the targets done of the
  // tenant's and the events delivered by them so far.
  std::function<void(size_t targets_done, size_t targets, int64_t delivered)> on_progress;
  // For a progress display that counts events (optional): first (0, total), then after
  // each batch a target took and once at the end, the events the targets handled so far
  // (delivered or dead) and the total: the events that waited for the targets about to be tried
  // when the call began (their outbox lag; a target's first publish reconciles instead and adds
  // none, a target backing off is not tried), raised to the events handled if more came in.
  std::function<void(int64_t events_done, int64_t events_total)> on_events;
};

struct TargetPublishOutcome {
  std::string target;
  bool busy = false;                    // another publisher holds the target's lock: skipped
  std::string busy_note;                // its holder ("pid 4711 on host db1, since ...")
  bool not_due = false;                 // only_due, and nothing to do now
  std::optional<PublishReport> report;  // when published
  std::string error;  // the target could not be made, or the store failed; "" otherwise
};

struct TenantPublishReport {
  std::vector<TargetPublishOutcome> targets;  // in config order
  std::string compact_error;                  // the outbox could not be compacted; "" if it was
};

// The run lock name that guards target `name` (see above).
std::string TargetLockName(const std::string& name);

// Publishes the tenant's `targets` (see the file comment). `store` and `key` are borrowed.
TenantPublishReport PublishTenantTargets(Store& store, const std::string& tenant,
                                         const std::vector<TargetConfig>& targets,
                                         const SecretKey& key, const TenantPublishOptions& options);

}  // namespace telsync
