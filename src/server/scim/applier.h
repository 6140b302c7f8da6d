// MirrorApplier: plans and applies SCIM changes in coalesced batches, per tenant.
//
// SCIM requests write the mirror and are answered at once; they hand the ids they touched
// to Touch(). A worker thread waits `delay` after the first touch of a batch, takes every
// id touched meanwhile and calls `run` once with them (sorted, unique), so a burst of
// Entra's requests (25 a second) costs a few runs, not one per request. `run` is the
// caller's: it opens its own Store (the Store is not thread-safe) and calls SyncMirror.
//
// Thread-safe. Stop() (and the destructor) runs the pending batch, then joins the worker:
// a graceful shutdown loses no touched id.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace telsync::scim {

class MirrorApplier {
 public:
  using RunFn = std::function<void(const std::vector<std::string>& ids)>;

  MirrorApplier(RunFn run, std::chrono::milliseconds delay);
  ~MirrorApplier();
  MirrorApplier(const MirrorApplier&) = delete;
  MirrorApplier& operator=(const MirrorApplier&) = delete;

  void Touch(const std::vector<std::string>& ids);
  // Blocks until every id touched so far has been passed to `run` (tests, shutdown).
  void Flush();
  void Stop();

  size_t runs() const;

 private:
  void Loop();

  RunFn run_;
  std::chrono::milliseconds delay_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::set<std::string> pending_;
  uint64_t touched_generation_ = 0;
  uint64_t done_generation_ = 0;
  size_t runs_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace telsync::scim
