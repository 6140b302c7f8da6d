#include "server/scim/applier.h"

#include <algorithm>

namespace telsync::scim {

MirrorApplier::MirrorApplier(RunFn run, MirrorApplierOptions options)
    : run_(std::move(run)), options_(options), thread_([this] { Loop(); }) {}

MirrorApplier::~MirrorApplier() { Stop(); }

void MirrorApplier::Touch(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    dirty_ = true;
    ++touched_generation_;
  }
  cv_.notify_all();
}

void MirrorApplier::Flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t target = touched_generation_;
  cv_.notify_all();
  cv_.wait(lock, [&] { return done_generation_ >= target || !thread_.joinable(); });
}

void MirrorApplier::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t MirrorApplier::runs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return runs_;
}

size_t MirrorApplier::failures() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failures_;
}

void MirrorApplier::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  bool first = true;
  bool more = false;
  std::chrono::milliseconds backoff{0};
  while (true) {
    if (backoff.count() > 0) {
      // After a failure: try again when the back-off ends, touched or not.
      cv_.wait_for(lock, backoff, [&] { return stopping_; });
      dirty_ = true;
    } else if (!more) {
      cv_.wait(lock, [&] { return stopping_ || dirty_; });
    }
    if (!dirty_ && !more) break;  // stopping, nothing left
    // Coalesce: let the burst arrive (not for the first pass, a next page, a retry or a
    // shutdown).
    if (!first && !more && backoff.count() == 0 && !stopping_) {
      cv_.wait_for(lock, options_.delay, [&] { return stopping_; });
    }
    first = false;
    dirty_ = false;
    const uint64_t generation = touched_generation_;
    lock.unlock();
    const ApplyPass pass = run_();
    lock.lock();
    ++runs_;
    more = pass == ApplyPass::kMore;
    if (pass == ApplyPass::kFailed) {
      ++failures_;
      backoff =
          backoff.count() == 0 ? options_.retry_initial : std::min(backoff * 2, options_.retry_max);
      if (stopping_) {
        // What is pending stays in the store for the next start.
        done_generation_ = touched_generation_;
        cv_.notify_all();
        break;
      }
    } else {
      backoff = std::chrono::milliseconds(0);
    }
    if (pass == ApplyPass::kDone) done_generation_ = std::max(done_generation_, generation);
    cv_.notify_all();
  }
  done_generation_ = touched_generation_;
  cv_.notify_all();
}

}  // namespace telsync::scim
