// JobStore: the queue of runs (issue 8). Scheduled and requested syncs become jobs that any
// worker (`telsync serve`, one or many processes) claims with a lease. A worker that dies
// loses its lease at `lease_until`; another worker then claims the job again
// (attempts + 1), so a job is never run by two workers at once and never lost (one role
// of store/store.h).
//
// Ownership: results are values the caller owns.
// Absence: no job ready is std::nullopt (ClaimJob); a job that does not exist, or belongs
// to another tenant, is kNotFound (GetJob).
// Errors: besides those, kConflict as each method says (a place taken, a lease lost),
// kUnavailable when the database cannot be reached or stays locked too long, kInternal
// otherwise.
// Thread safety: as the Store that implements it (store.h): a store from OpenStore or
// Database may be called from several threads at once; claims are also exclusive between
// processes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace telsync {

enum class JobState { kQueued, kRunning, kDone, kFailed };
std::string_view JobStateName(JobState state);  // "queued" | "running" | "done" | "failed"
std::optional<JobState> ParseJobState(std::string_view name);

struct JobRecord {
  int64_t id = 0;  // set by the store
  std::string tenant;
  std::string profile;
  std::string kind = "sync";  // "sync" | "approve" | "preview"
  std::string trigger;        // "schedule" | "api" | "cli" | "scim" | ...
  int64_t approve_run = 0;    // kind "approve": the held run to approve
  int64_t slot = 0;  // a scheduled occurrence (unix seconds) this job runs; 0 = not scheduled
  JobState state = JobState::kQueued;
  std::string worker;       // the lease holder; "" while queued
  int64_t lease_until = 0;  // unix seconds; 0 while queued
  int attempts = 0;         // claims so far (2+ = taken over after a lost lease)
  int64_t run_id = 0;       // the run this job recorded (0 until the run exists)
  int exit_code = 0;        // DESIGN §4 exit code once done or failed
  std::string message;      // failure in plain words; "" otherwise
  std::string progress;     // JSON object the worker last reported; "" = none
  int64_t created_at = 0;   // set by EnqueueJob from the record
  int64_t started_at = 0;   // the last claim
  int64_t finished_at = 0;
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  // Queues the job; returns its new id. kConflict when the profile already has a queued or
  // running job (one run per profile at a time); the error's message names that job's id.
  // Also kConflict when job.slot > 0 and a job of the profile with that slot exists,
  // finished or not: several `serve` processes run the same schedule and each occurrence
  // runs once.
  virtual Result<int64_t> EnqueueJob(const JobRecord& job) = 0;
  // Claims one job for `worker` until now + lease_seconds, or nothing when none is ready.
  // Ready: queued, or running with lease_until < now (its worker died). A tenant with
  // `per_tenant_cap` (0 = no cap) running jobs with live leases gets no more. Fair between
  // tenants: the tenant with the fewest live running jobs first, then the oldest job.
  // Concurrent claims from any number of threads and processes never return the same job
  // twice while its lease is live (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one
  // writer). The claimed job comes back with state kRunning, attempts + 1 and
  // started_at = now.
  virtual Result<std::optional<JobRecord>> ClaimJob(const std::string& worker, int64_t now,
                                                    int64_t lease_seconds,
                                                    size_t per_tenant_cap) = 0;
  // Extends the lease to lease_until and records run_id (when > 0) and progress (when not
  // empty). kConflict when `worker` no longer holds the job (lease lost and taken over,
  // or finished).
  virtual Status HeartbeatJob(int64_t id, const std::string& worker, int64_t lease_until,
                              int64_t run_id, const std::string& progress) = 0;
  // Ends the job: state (kDone or kFailed), run_id, exit_code, message and finished_at from
  // `job`, by job.id, when job.worker still holds it (kConflict otherwise).
  virtual Status FinishJob(const JobRecord& job) = 0;
  // kNotFound for another tenant's job or one that does not exist.
  virtual Result<JobRecord> GetJob(const std::string& tenant, int64_t id) = 0;
  // Newest first, at most `limit` (0 = every one); empty profile = every profile of the
  // tenant; empty tenant = all tenants.
  virtual Result<std::vector<JobRecord>> ListJobs(const std::string& tenant,
                                                  const std::string& profile, size_t limit) = 0;
};

}  // namespace telsync
