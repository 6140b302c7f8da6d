#include "server/scim/applier.h"

namespace telsync::scim {

MirrorApplier::MirrorApplier(RunFn run, std::chrono::milliseconds delay)
    : run_(std::move(run)), delay_(delay), thread_([this] { Loop(); }) {}

MirrorApplier::~MirrorApplier() { Stop(); }

void MirrorApplier::Touch(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.insert(ids.begin(), ids.end());
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

void MirrorApplier::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (pending_.empty() && stopping_) break;
    // Coalesce: let the burst arrive (unless shutting down).
    if (!stopping_) cv_.wait_for(lock, delay_, [&] { return stopping_; });
    std::vector<std::string> ids(pending_.begin(), pending_.end());
    pending_.clear();
    const uint64_t generation = touched_generation_;
    lock.unlock();
    run_(ids);
    lock.lock();
    ++runs_;
    done_generation_ = generation;
    cv_.notify_all();
  }
  done_generation_ = touched_generation_;
  cv_.notify_all();
}

}  // namespace telsync::scim
