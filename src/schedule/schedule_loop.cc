#include "schedule/schedule_loop.h"

#include <utility>

namespace telsync {
namespace {

std::string Key(const std::string& tenant, const std::string& profile) {
  return tenant + "/" + profile;
}

std::pair<std::string, std::string> SplitKey(const std::string& key) {
  const size_t slash = key.find('/');
  return {key.substr(0, slash), key.substr(slash + 1)};
}

}  // namespace

ScheduleLoop::ScheduleLoop(ScheduleLoopOptions options)
    : options_(std::move(options)),
      scheduler_([this] { return options_.clock(); },
                 [this](const std::string& key, const std::string&) -> Status {
                   const auto state = scheduler_.State(key);
                   const int64_t slot =
                       state && state->last_slot ? *state->last_slot : options_.clock();
                   if (!Enqueue(key, slot)) waiting_[key] = slot;
                   // The store keeps one job per profile at a time: the scheduler itself
                   // never waits for a run.
                   scheduler_.Finished(key, true, options_.clock());
                   return Ok();
                 }) {}

ScheduleLoop::~ScheduleLoop() { Stop(); }

bool ScheduleLoop::Enqueue(const std::string& key, int64_t slot) {
  if (!store_) {
    auto opened = options_.open_store();
    if (!opened.ok()) {
      if (options_.log) options_.log("schedule: store unavailable: " + opened.error().message);
      return false;
    }
    store_ = std::move(*opened);
  }
  const auto [tenant, profile] = SplitKey(key);
  JobRecord job;
  job.tenant = tenant;
  job.profile = profile;
  job.trigger = "schedule";
  job.slot = slot;
  job.created_at = options_.clock();
  Result<int64_t> id = store_->EnqueueJob(job);
  if (id.ok()) {
    ++enqueued_;
    if (options_.log) {
      options_.log("schedule: " + key + ": queued job " + std::to_string(*id) +
                   " for the occurrence at " + std::to_string(slot));
    }
    if (options_.on_enqueued) options_.on_enqueued();
    return true;
  }
  if (id.error().code != ErrorCode::kConflict) {
    if (options_.log) options_.log("schedule: " + key + ": " + id.error().message);
    return false;  // retried at the next tick
  }
  // Another process queued this very occurrence: done. A job of the profile still
  // queued or running: wait for it.
  auto jobs = store_->ListJobs(tenant, profile, 50);
  if (!jobs.ok()) return false;
  for (const JobRecord& j : *jobs) {
    if (j.slot == slot) return true;
  }
  return false;
}

Status ScheduleLoop::LoadSchedules() {
  if (!store_) {
    auto opened = options_.open_store();
    if (!opened.ok()) return opened.error();
    store_ = std::move(*opened);
  }
  if (Status s = options_.catalog->Refresh(*store_); !s.ok()) return s;
  std::map<std::string, std::string> seen;
  Status first_error = Ok();
  for (const auto& profile : options_.catalog->List("")) {
    if (profile->schedules.empty()) continue;
    const std::string key = Key(profile->tenant, profile->name);
    std::string signature = profile->timezone;
    for (const auto& s : profile->schedules) signature += "\n" + s;
    seen[key] = signature;
    auto old = last_schedules_.find(key);
    if (old != last_schedules_.end() && old->second == signature) continue;
    // The last occurrence queued by any process, from the job history.
    std::optional<int64_t> last_slot;
    auto jobs = store_->ListJobs(profile->tenant, profile->name, 200);
    if (jobs.ok()) {
      for (const JobRecord& j : *jobs) {
        if (j.slot > 0 && (!last_slot || j.slot > *last_slot)) last_slot = j.slot;
      }
    }
    Status set = scheduler_.SetProfile(key, profile->schedules, profile->timezone, last_slot);
    if (!set.ok()) {
      if (first_error.ok()) first_error = set;
      if (options_.log) options_.log("schedule: " + key + ": " + set.error().ToString());
    }
  }
  for (const auto& [key, signature] : last_schedules_) {
    if (seen.count(key) == 0) {
      scheduler_.RemoveProfile(key);
      waiting_.erase(key);
    }
  }
  last_schedules_ = std::move(seen);
  last_reload_ = options_.clock();
  return first_error;
}

bool ScheduleLoop::ReloadDue(int64_t now) const {
  if (!last_reload_) return true;        // the first pass loads, whatever the clock says
  if (now < *last_reload_) return true;  // the clock was set back
  return std::chrono::seconds(now - *last_reload_) >= options_.reload;
}

Status ScheduleLoop::Start() {
  Status loaded = LoadSchedules();
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      RunOnce();
      lock.lock();
      cv_.wait_for(lock, options_.tick, [this] { return stopping_ || reload_now_; });
    }
  });
  return loaded;
}

void ScheduleLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ScheduleLoop::Reload() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reload_now_ = true;
  }
  cv_.notify_all();
}

size_t ScheduleLoop::RunOnce() {
  bool reload = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reload = reload_now_ || ReloadDue(options_.clock());
    reload_now_ = false;
  }
  if (reload) (void)LoadSchedules();
  const size_t before = enqueued_;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    it = Enqueue(it->first, it->second) ? waiting_.erase(it) : std::next(it);
  }
  scheduler_.Tick();
  return enqueued_ - before;
}

std::optional<Scheduler::ProfileState> ScheduleLoop::State(const std::string& tenant,
                                                           const std::string& profile) const {
  return scheduler_.State(Key(tenant, profile));
}

}  // namespace telsync
