// ScheduleLoop: the scheduler of `telsync serve`, turning each profile's cron schedules
// into jobs in the store (issue 7 item 1, issue 8 item 3).
//
// Every `serve` process runs the same schedules; each occurrence is queued once for all
// of them, because a job carries its occurrence as `slot` and the store refuses a second
// job of the same profile and slot. After a restart the last slot is read back from the
// job history, so the occurrences missed while every process was down become one job.
// One run per profile at a time: when the profile still has a job queued or running, the
// occurrence waits and is queued as soon as that job ends (one follow-up, however many
// occurrences passed meanwhile).
//
// The loop wakes every `tick` (default 1 s), rereads the catalog's schedules on the first
// pass and then every `reload` (stored profiles may change on another process), and calls
// on_enqueued after it queued a job (the local workers are woken). Every timing decision
// reads the injected `clock`, never the machine's own clocks: a reload is due when the
// clock has moved `reload` past the last one, or has moved back (it was set back).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "schedule/catalog.h"
#include "schedule/scheduler.h"
#include "store/store.h"

namespace telsync {

struct ScheduleLoopOptions {
  std::function<int64_t()> clock;  // unix seconds
  std::function<Result<std::unique_ptr<Store>>()> open_store;
  ProfileCatalog* catalog = nullptr;  // not owned
  std::chrono::milliseconds tick{1000};
  std::chrono::milliseconds reload{30000};  // measured on `clock`
  std::function<void()> on_enqueued;
  std::function<void(const std::string& line)> log;
};

class ScheduleLoop {
 public:
  explicit ScheduleLoop(ScheduleLoopOptions options);
  ~ScheduleLoop();  // Stop()
  ScheduleLoop(const ScheduleLoop&) = delete;
  ScheduleLoop& operator=(const ScheduleLoop&) = delete;

  // Loads the schedules (errors name the profile and the expression) and starts the thread.
  Status Start();
  void Stop();
  // Rereads the catalog's schedules at the next tick (a profile was created or changed).
  void Reload();
  // One pass, for tests and for the thread: reload when due, Tick(), retry waiting
  // occurrences. Returns the jobs queued.
  size_t RunOnce();

  std::optional<Scheduler::ProfileState> State(const std::string& tenant,
                                               const std::string& profile) const;

 private:
  Status LoadSchedules();
  bool ReloadDue(int64_t now) const;
  // Queues the occurrence; true also when another process queued it already, false
  // when it must wait (the profile has an unfinished job) or the store failed.
  bool Enqueue(const std::string& key, int64_t slot);

  ScheduleLoopOptions options_;
  std::unique_ptr<Store> store_;  // the loop thread's connection
  Scheduler scheduler_;
  std::map<std::string, int64_t> waiting_;             // "tenant/profile" -> slot
  std::map<std::string, std::string> last_schedules_;  // key -> schedules + zone, to reload
  std::optional<int64_t> last_reload_;  // clock() of the last load; none before the first
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool reload_now_ = false;
  size_t enqueued_ = 0;  // jobs this loop queued (the loop thread's)
};

}  // namespace telsync
