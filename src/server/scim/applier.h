// MirrorApplier: applies SCIM changes to the PBX directory in coalesced batches, per tenant.
//
// SCIM requests write the mirror and, in the same transaction, mark the users they touched
// as pending in the store (MirrorWriter::MarkPending); then they are answered. Touch() only
// wakes the applier: the store says what is pending, so a write acknowledged by a process
// that died is still applied, by the next one (issue 14 item 1). The worker thread waits
// `delay` after the first touch of a burst and calls `run` once, which applies a page of
// what is pending and clears it, so a burst of Entra's requests (25 a second) costs a few
// runs, not one per request.
//
// `run` is the caller's: it opens its own Store (the Store is not thread-safe), lists the
// pending ids, calls SyncMirror with them and clears what it applied. It answers kMore when
// a full page was applied (the next page runs at once) and kFailed when the run did not
// happen (the store is down, the run failed): the pending rows stay, and the applier tries
// again after a back-off (retry_initial, doubled up to retry_max) without a new touch.
//
// Thread-safe. The first pass runs at construction (what a previous process left). Stop()
// (and the destructor) runs the pending batch, then joins the worker.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace telsync::scim {

enum class ApplyPass { kDone, kMore, kFailed };

struct MirrorApplierOptions {
  std::chrono::milliseconds delay{200};  // coalescing window after the first touch
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{30000};
};

class MirrorApplier {
 public:
  using RunFn = std::function<ApplyPass()>;

  MirrorApplier(RunFn run, MirrorApplierOptions options);
  ~MirrorApplier();
  MirrorApplier(const MirrorApplier&) = delete;
  MirrorApplier& operator=(const MirrorApplier&) = delete;

  // Wakes the applier: something was marked pending (the ids are in the store).
  void Touch(const std::vector<std::string>& ids);
  // Blocks until a pass has run after every touch so far (tests, shutdown).
  void Flush();
  void Stop();

  size_t runs() const;
  size_t failures() const;

 private:
  void Loop();

  RunFn run_;
  MirrorApplierOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool dirty_ = true;  // the first pass replays what is pending
  uint64_t touched_generation_ = 1;
  uint64_t done_generation_ = 0;
  size_t runs_ = 0;
  size_t failures_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace telsync::scim
