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
#include "store/mirror_writer.h"
#include "util/result.h"

namespace telsync {

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
