// Run locks (Store::LockProfileRuns) shared by the backends: the note that names a holder,
// and the file lock of a SQLite store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/store.h"

namespace telsync::store_detail {

// "pid 4711 on db1, since 2026-12-04 10:02:00 UTC": who holds a run lock, for the message
// of the run that finds it taken.
std::string RunLockNote(int64_t now);

// flock(2) on <store_path>-locks/<tenant>~<profile>.lock (created 0600 in a 0700
// directory), which holds the holder's note. flock locks belong to the open file, so two
// threads of one process exclude each other too, and the kernel drops the lock when the
// process ends. Tenant and profile names are [a-z0-9_-], safe in a file name.
Result<std::unique_ptr<RunLock>> LockRunFile(const std::string& store_path,
                                             const std::string& tenant, const std::string& profile,
                                             bool wait, int64_t now);

}  // namespace telsync::store_detail
