// MirrorStore: each profile's source mirror (DESIGN §1: what the source last said), the
// users waiting to be applied from it, and the profile's sync cursor (one role of
// store/store.h).
//
// Ownership: results are values the caller owns. A MirrorWriter is owned by the caller,
// must be destroyed before the store that gave it, and is used and destroyed by the thread
// that opened it.
// Absence: an entry that does not exist is std::nullopt (GetMirrorEntry,
// FindMirrorEntryByName) or kNotFound (MirrorWriter::Remove, a version-checked Put); an
// empty mirror scans nothing and counts 0; a profile without a cursor has "".
// Errors: besides those, kConflict from MirrorWriter::Put as it says, kUnavailable when the
// database cannot be reached or stays locked too long, kInternal otherwise.
// Thread safety: as the Store that implements it (store.h). On a store from OpenStore or
// Database, an open MirrorWriter holds the store for its thread until it is committed or
// destroyed: other threads' calls wait, the owning thread's own calls (reads, a nested
// writer) go through. A scan's callback runs while the store is held: it may call the
// store from the same thread, but must not wait for another thread that does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
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

// One user id waiting to be applied from the mirror (MirrorWriter::MarkPending). `seq`
// orders them and names the row; the same id may wait in several rows.
struct MirrorPending {
  int64_t seq = 0;
  std::string id;
};

class MirrorStore {
 public:
  virtual ~MirrorStore() = default;

  // Sync state (delta links, USN watermarks) per profile; "" when none.
  virtual Result<std::string> GetCursor(const std::string& tenant, const std::string& profile) = 0;
  // Replaces the profile's cursor ("" clears it).
  virtual Status SetCursor(const std::string& tenant, const std::string& profile,
                           const std::string& cursor) = 0;

  // Opens a writer on the profile's mirror (see MirrorWriter). `now` stamps created_at /
  // updated_at. A second writer opened by the same thread while one is open on this
  // store nests when NestsMirrorWrites(); otherwise that is not supported (the second
  // fails to begin its transaction).
  virtual Result<std::unique_ptr<MirrorWriter>> BeginMirrorWrite(const std::string& tenant,
                                                                 const std::string& profile,
                                                                 MirrorWriteMode mode,
                                                                 int64_t now) = 0;
  // True when BeginMirrorWrite, called while another writer of this store is open, nests
  // as a savepoint of that writer's transaction (its Commit folds into the outer one, its
  // rollback undoes only its own writes). The SCIM service group-commits only then; a
  // store that answers false gets one transaction per request.
  virtual bool NestsMirrorWrites() const { return false; }
  // Every entry of the profile (users and groups), in id order; `fn` returns false to stop.
  virtual Status ScanMirror(const std::string& tenant, const std::string& profile,
                            const std::function<bool(MirrorEntry&&)>& fn) = 0;
  // One page of a kind's entries in id order: `offset` entries skipped, at most `limit`
  // given (a SCIM ListResponse page). This default filters ScanMirror; a store answers it
  // from its index without decoding the skipped entries.
  virtual Status ScanMirrorPage(const std::string& tenant, const std::string& profile,
                                ObjectKind kind, size_t offset, size_t limit,
                                const std::function<bool(MirrorEntry&&)>& fn) {
    size_t seen = 0;
    size_t given = 0;
    if (limit == 0) return Ok();
    return ScanMirror(tenant, profile, [&](MirrorEntry&& entry) {
      if (entry.object.kind != kind || seen++ < offset) return true;
      ++given;
      return fn(std::move(entry)) && given < limit;
    });
  }
  // The entry (kind, id); std::nullopt when there is none.
  virtual Result<std::optional<MirrorEntry>> GetMirrorEntry(const std::string& tenant,
                                                            const std::string& profile,
                                                            ObjectKind kind,
                                                            const std::string& id) = 0;
  // By `name`, case-insensitively; std::nullopt when no entry of the kind has it.
  virtual Result<std::optional<MirrorEntry>> FindMirrorEntryByName(const std::string& tenant,
                                                                   const std::string& profile,
                                                                   ObjectKind kind,
                                                                   const std::string& name) = 0;
  // How many entries of the kind the profile's mirror holds.
  virtual Result<size_t> CountMirror(const std::string& tenant, const std::string& profile,
                                     ObjectKind kind) = 0;
  // The ids waiting to be applied, oldest first, at most `limit`.
  virtual Result<std::vector<MirrorPending>> ListMirrorPending(const std::string& tenant,
                                                               const std::string& profile,
                                                               size_t limit) = 0;
  // Removes exactly the rows listed (by seq) once they are applied, so a write marked
  // meanwhile stays. Seqs that are not there are ignored.
  virtual Status ClearMirrorPending(const std::string& tenant, const std::string& profile,
                                    const std::vector<int64_t>& seqs) = 0;
};

}  // namespace telsync
