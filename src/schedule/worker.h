// WorkerPool: the threads of a `telsync serve` process that run jobs (issue 8).
//
// Scheduled and requested syncs are jobs in the store (Store::EnqueueJob). Each worker
// thread claims one (Store::ClaimJob: a lease of `lease_seconds`, at most
// `per_tenant_cap` running jobs per tenant, the least busy tenant first), runs it with the
// engine, and finishes it. While the run goes on, a heartbeat renews the lease every
// lease/3 seconds and records the run id and progress, so that:
//   - a worker that dies (SIGKILL, a lost machine) stops renewing; once its lease ends,
//     any worker of any process claims the job again, first closes the run the dead
//     worker left "running" as failed, and runs the job from the start (a sync converges:
//     R2), so no job is lost;
//   - a job is never run by two workers at once: the store hands a job with a live lease
//     to nobody, and a worker whose lease was taken over (it stalled past the lease) gets
//     kConflict from the heartbeat and its result is not recorded as the job's.
// Each thread has its own Store connections (one for claims and finishing, one for the
// heartbeat, one for the run).
//
// Targets (issue 17): after a job's sync is recorded, its worker publishes the tenant's
// targets; and an idle worker runs a periodic pass (once per poll interval per process) that
// publishes every config tenant's targets with waiting events whose back-off ended: a target
// that was down catches up, and the SCIM server's pushes reach the targets. One publisher
// per target over all processes (targets/tenant_publish.h).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apply/engine.h"
#include "config/profile.h"
#include "schedule/catalog.h"
#include "store/store.h"
#include "util/progress.h"
#include "util/result.h"

namespace telsync {

struct WorkerOptions {
  std::string name;  // this process's worker id prefix ("host:pid"); threads add ":N"
  size_t threads = 2;
  int64_t lease_seconds = 60;
  size_t per_tenant_cap = 1;             // running jobs per tenant over all workers; 0 = no cap
  std::chrono::milliseconds poll{1000};  // how often an idle worker looks for a job
  std::function<int64_t()> clock;        // unix seconds
  std::function<Result<std::unique_ptr<Store>>()> open_store;
  ProfileCatalog* catalog = nullptr;  // not owned
  std::string base_dir = ".";         // sources' relative paths
  bool notify = true;                 // mail reports after syncs, like `telsync sync`
  unsigned engine_threads = 0;        // map/validate threads per run; 0 = hardware
  // Called after each job ends (also when it failed before a run was recorded).
  std::function<void(const JobRecord& job)> on_finished;
  // Called with each line worth logging (claims, take-overs, failures).
  std::function<void(const std::string& line)> log;
};

// Publishes the tenant's targets that are due (targets/tenant_publish.h, only_due): what a
// worker does after a job's sync and in its periodic pass. Logs each target's outcome;
// never fails. Nothing happens without the catalog's secret key or targets.
void PublishDueTargets(Store& store, const std::string& tenant, const WorkerOptions& options);

// A job's `progress` (JobRecord::progress, the API's job JSON): {"phase", "done", "total",
// "estimated", "rate" (per second, one decimal), "eta_seconds" (null when unknown),
// "unit" ("items", or "bytes" for a file read)}. Exposed for tests.
std::string ProgressJson(const Progress& p, const ProgressMeter::Reading& reading);

// Runs one claimed job to its end on `store` (the run's connection) and returns the job
// as it should be finished (state, exit code, run id, message). Exposed for tests.
JobRecord RunJob(const JobRecord& claimed, Store& store, const WorkerOptions& options,
                 const std::function<void(const Progress&)>& on_progress,
                 const std::function<void(int64_t)>& on_run_created);

class WorkerPool {
 public:
  explicit WorkerPool(WorkerOptions options);
  ~WorkerPool();  // Stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Start();
  // Wakes an idle worker now (a job was just enqueued by this process).
  void Wake();
  // No new claims; waits for the jobs in progress to finish (SIGTERM: finish the current
  // run, then exit).
  void Stop();
  // Jobs finished by this pool so far.
  size_t finished() const { return finished_.load(); }

 private:
  void Loop(size_t index);
  // The periodic targets pass over the config's tenants, at most once per poll interval
  // over the pool's threads (the first idle thread runs it).
  void TargetsPass(Store& store);

  WorkerOptions options_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  size_t pending_wakes_ = 0;
  std::atomic<size_t> finished_{0};
  std::atomic<int64_t> next_targets_pass_{0};  // steady-clock milliseconds
};

}  // namespace telsync
