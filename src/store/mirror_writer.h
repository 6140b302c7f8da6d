// MirrorWriter: one write transaction on a profile's source mirror (DESIGN §1), opened by
// MirrorStore::BeginMirrorWrite (store/mirror_store.h), and the entries it writes.
//
// Ownership: the caller owns the writer; it must be destroyed before the store that gave
// it, and is used and destroyed by the thread that opened it (a thread-safe store holds
// its lock for that thread while the writer is open, store/store.h).
// Absence: Remove of an entry that is not there, or a version-checked Put of one, is
// kNotFound. Errors: besides those, kConflict from Put as it says, kUnavailable when the
// database cannot be reached or stays locked too long, kInternal otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/source_object.h"
#include "util/result.h"

namespace telsync {

// One object of a profile's source mirror (DESIGN §1): what the source last said of it.
// The planner runs on the mirror, so pulled (full or delta) and pushed (SCIM) objects
// share one path.
struct MirrorEntry {
  SourceObject object;      // kind, id, attributes, groups, enabled (never `deleted`)
  std::string name;         // unique per (tenant, profile, kind), case-insensitive; "" = none
                            // (SCIM userName or group displayName)
  std::string external_id;  // SCIM externalId; "" = none
  std::string payload;      // the source's own form (the SCIM resource JSON); "" = none
  int64_t version = 0;      // set by the store: 1 when inserted, +1 on each change (ETags)
  int64_t created_at = 0;   // set by the store on insert (the writer's `now`)
  int64_t updated_at = 0;   // set by the store on each change (the writer's `now`)
};

enum class MirrorWriteMode {
  kPatch,    // Put and Remove change just those entries (a delta read, a SCIM request)
  kReplace,  // a full read: Commit also removes every entry that was not Put
};

// Writes to one profile's mirror in a single transaction. Nothing is visible until
// Commit(); a writer destroyed without Commit() changes nothing. Put of an entry equal to
// the stored one writes nothing and keeps its version (a no-op resync writes no rows).
class MirrorWriter {
 public:
  virtual ~MirrorWriter() = default;
  // Inserts or replaces the entry (object.kind, object.id); returns its version after the
  // write. expected_version > 0 (SCIM If-Match): kConflict when the stored version
  // differs, kNotFound when there is none. kConflict also when `name` is held by another
  // entry of the same kind.
  virtual Result<int64_t> Put(const MirrorEntry& entry, int64_t expected_version = 0) = 0;
  // kNotFound when there is no such entry.
  virtual Status Remove(ObjectKind kind, const std::string& id) = 0;
  // Entries Put, changed and removed so far (removed includes kReplace's sweep only after
  // Commit).
  virtual size_t changed() const = 0;
  virtual size_t removed() const = 0;
  // Records, in this write's transaction, that these users' source objects changed and
  // must still reach the PBX directory (issue 14 item 1): durable with the write itself,
  // so an acknowledged SCIM write is applied even when the process dies first.
  virtual Status MarkPending(const std::vector<std::string>& user_ids) = 0;
  virtual Status Commit() = 0;
};

}  // namespace telsync
