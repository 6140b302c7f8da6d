#include "schedule/worker.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "apply/run_profile.h"
#include "notify/notifier.h"
#include "targets/tenant_publish.h"

namespace telsync {
namespace {}  // namespace

std::string ProgressJson(const Progress& p, const ProgressMeter::Reading& reading) {
  nlohmann::ordered_json j;
  j["phase"] = p.phase;
  j["done"] = p.done;
  j["total"] = p.total;
  j["estimated"] = p.estimated;
  j["rate"] = std::round(reading.rate * 10) / 10;  // units per second, one decimal
  j["eta_seconds"] = reading.eta_seconds ? nlohmann::ordered_json(*reading.eta_seconds) : nullptr;
  j["unit"] = p.unit.empty() ? "items" : p.unit;
  return j.dump();
}

namespace {

bool IsDone(int exit_code) {
  return exit_code == kExitOk || exit_code == kExitHeld || exit_code == kExitUserErrors;
}

// Closes a run that a dead worker left "running": it will never finish.
void CloseAbandonedRun(const JobRecord& job, RunStore& store, const WorkerOptions& options) {
  if (job.attempts <= 1 || job.run_id == 0) return;
  Result<Run> run = store.GetRun(job.tenant, job.run_id);
  if (!run.ok() || run->status != RunStatus::kRunning) return;
  run->status = RunStatus::kFailed;
  run->finished_at = options.clock();
  run->message = "the worker running it stopped (its lease ran out); job " +
                 std::to_string(job.id) + " was taken over and runs again";
  if (Status s = store.UpdateRun(*run); !s.ok() && options.log) {
    options.log("job " + std::to_string(job.id) + ": cannot close abandoned run " +
                std::to_string(job.run_id) + ": " + s.error().message);
  } else if (options.log) {
    options.log("job " + std::to_string(job.id) + ": closed run " + std::to_string(job.run_id) +
                " left by a stopped worker");
  }
}

}  // namespace

void PublishDueTargets(Store& store, const std::string& tenant, const WorkerOptions& options) {
  if (options.catalog == nullptr || options.catalog->secret_key() == nullptr) return;
  const Tenant* config = options.catalog->config().FindTenant(tenant);
  if (config == nullptr || config->targets.empty()) return;
  TenantPublishOptions publish;
  publish.now = options.clock();
  publish.only_due = true;
  const TenantPublishReport report =
      PublishTenantTargets(store, tenant, config->targets, *options.catalog->secret_key(), publish);
  if (!options.log) return;
  for (const TargetPublishOutcome& t : report.targets) {
    const std::string name = "target " + tenant + "/" + t.target + ": ";
    if (!t.error.empty()) {
      options.log(name + t.error);
    } else if (t.report && !t.report->error.empty()) {
      options.log(name + "behind by " + std::to_string(t.report->pending) +
                  " events: " + t.report->error);
    } else if (t.report &&
               (t.report->delivered > 0 || t.report->dead > 0 || t.report->reconciled)) {
      options.log(name + (t.report->reconciled ? "reconciled, " : "") + "delivered " +
                  std::to_string(t.report->delivered) + ", dead " + std::to_string(t.report->dead));
    }
  }
  if (!report.compact_error.empty()) options.log("outbox " + tenant + ": " + report.compact_error);
}

JobRecord RunJob(const JobRecord& claimed, Store& store, const WorkerOptions& options,
                 const std::function<void(const Progress&)>& on_progress,
                 const std::function<void(int64_t)>& on_run_created) {
  JobRecord job = claimed;
  auto finish = [&](int exit_code, const std::string& message) {
    job.state = IsDone(exit_code) ? JobState::kDone : JobState::kFailed;
    job.exit_code = exit_code;
    job.message = message;
    job.finished_at = options.clock();
    return job;
  };
  std::shared_ptr<const Profile> profile =
      options.catalog == nullptr ? nullptr : options.catalog->Find(job.tenant, job.profile);
  if (!profile) return finish(kExitUsage, "profile " + job.profile + " no longer exists");
  CloseAbandonedRun(job, store, options);

  EngineOptions engine;
  // A preview job (the admin page's preview of a large tenant) records a preview run:
  // nothing is applied, published or mailed.
  const bool preview = job.kind == "preview";
  engine.kind = preview ? RunKind::kPreview : RunKind::kSync;
  engine.trigger = job.trigger.empty() ? "api" : job.trigger;
  if (job.trigger.rfind("user:", 0) == 0) engine.only_user = job.trigger.substr(5);
  if (job.kind == "approve") {
    engine.approve_run = job.approve_run;
    engine.trigger = "approve:" + std::to_string(job.approve_run);
  }
  engine.now = options.clock();
  engine.history_keep_days = options.catalog->config().history_keep_days;
  engine.clock = options.clock;
  engine.threads = options.engine_threads;
  engine.targets = options.catalog->TargetRoutes(job.tenant);
  // Another run of the profile (the SCIM applier, a CLI sync, or this job's previous worker,
  // still running after its lease ran out on a loaded machine) ends first; the heartbeat keeps
  // this worker's lease meanwhile. Failing the job instead would lose it: the previous
  // worker's finish is refused (it no longer holds the job). Every such run ends, so the wait
  // is bounded only against a stuck one.
  engine.lock_wait_seconds = 600;
  engine.on_progress = on_progress;
  engine.on_run_created = [&](int64_t run_id) {
    job.run_id = run_id;
    if (on_run_created) on_run_created(run_id);
  };
  // A source that cannot be made is Invalid (run_profile.h): a usage error, as a mapping
  // that does not compile.
  auto outcome = RunProfile(*profile, store, engine, options.base_dir);
  if (!outcome.ok()) {
    return finish(outcome.error().code == ErrorCode::kInvalid ? kExitUsage : kExitFailed,
                  outcome.error().message);
  }
  if (options.notify && options.catalog != nullptr && !preview) {
    Notifier notifier(options.catalog->config().smtp, store);
    const Tenant* tenant = options.catalog->config().FindTenant(job.tenant);
    if (profile->notify.welcome_sip_credentials && tenant != nullptr &&
        options.catalog->secret_key() != nullptr) {
      notifier.SetSipLogins(StoredSipLogins(store, options.catalog->shared_secret_key(), job.tenant,
                                            tenant->targets, options.clock()),
                            options.catalog->shared_secret_key());
    }
    notifier.AfterRun(*profile, *outcome, options.clock());
  }
  job.run_id = outcome->run.id;
  return finish(outcome->exit_code, outcome->exit_code == kExitFailed ? outcome->run.message : "");
}

WorkerPool::WorkerPool(WorkerOptions options) : options_(std::move(options)) {}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Start() {
  for (size_t i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { Loop(i); });
}

void WorkerPool::Wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++pending_wakes_;
  }
  wake_.notify_one();
}

void WorkerPool::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void WorkerPool::Loop(size_t index) {
  const std::string worker = options_.name + ":" + std::to_string(index);
  auto log = [this, &worker](const std::string& line) {
    if (options_.log) options_.log("worker " + worker + ": " + line);
  };
  std::unique_ptr<Store> store;       // claims, finishing
  std::unique_ptr<Store> run_store;   // the engine's
  std::unique_ptr<Store> beat_store;  // the heartbeat thread's
  auto open = [&](std::unique_ptr<Store>& s) {
    if (s) return true;
    auto opened = options_.open_store();
    if (!opened.ok()) {
      log("store unavailable: " + opened.error().message);
      return false;
    }
    s = std::move(*opened);
    return true;
  };
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (stopping_) return;
    }
    std::optional<JobRecord> claimed;
    if (open(store)) {
      auto got = store->ClaimJob(worker, options_.clock(), options_.lease_seconds,
                                 options_.per_tenant_cap);
      if (got.ok()) {
        claimed = std::move(*got);
      } else {
        log("claim failed: " + got.error().message);
        if (got.error().code != ErrorCode::kUnavailable) store.reset();
      }
    }
    if (!claimed) {
      // Idle: the periodic targets pass, at most once per poll interval in this process.
      if (open(run_store)) TargetsPass(*run_store);
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, options_.poll, [this] { return stopping_ || pending_wakes_ > 0; });
      if (pending_wakes_ > 0) --pending_wakes_;
      continue;
    }
    const JobRecord job = *claimed;
    log("job " + std::to_string(job.id) + " (" + job.tenant + "/" + job.profile + ", " +
        job.trigger + ")" +
        (job.attempts > 1 ? " taken over, attempt " + std::to_string(job.attempts) : " claimed"));
    if (!open(run_store) || !open(beat_store)) {
      // The lease runs out and another worker (or this one, later) takes the job.
      continue;
    }

    // The heartbeat: renews the lease and records progress until the run ends.
    std::mutex beat_mutex;
    std::condition_variable beat_cv;
    bool running = true;
    bool lost = false;
    bool beat_now = false;  // the run was just recorded: keep its id with the job at once
    int64_t run_id = 0;
    std::string progress;
    std::thread beat([&] {
      const auto every =
          std::chrono::milliseconds(std::max<int64_t>(200, options_.lease_seconds * 1000 / 3));
      std::unique_lock<std::mutex> lock(beat_mutex);
      while (running) {
        beat_cv.wait_for(lock, every, [&] { return !running || beat_now; });
        if (!running) break;
        beat_now = false;
        const int64_t id = run_id;
        const std::string p = progress;
        lock.unlock();
        Status s = beat_store->HeartbeatJob(job.id, worker,
                                            options_.clock() + options_.lease_seconds, id, p);
        lock.lock();
        if (!s.ok() && s.error().code == ErrorCode::kConflict) {
          lost = true;
          break;
        }
      }
    });
    ProgressMeter meter;  // rate and ETA on the worker's clock
    JobRecord result = RunJob(
        job, *run_store, options_,
        [&](const Progress& p) {
          // Once per batch of the read and per phase (EngineOptions::on_progress), not per user.
          std::string json = ProgressJson(p, meter.Update(p, options_.clock() * 1000));
          std::lock_guard<std::mutex> lock(beat_mutex);
          progress = std::move(json);
        },
        [&](int64_t id) {
          {
            std::lock_guard<std::mutex> lock(beat_mutex);
            run_id = id;
            beat_now = true;
          }
          beat_cv.notify_all();
        });
    {
      std::lock_guard<std::mutex> lock(beat_mutex);
      running = false;
      result.progress = progress;
    }
    beat_cv.notify_all();
    beat.join();
    if (lost) {
      log("job " + std::to_string(job.id) +
          ": its lease was taken over by another worker; this result is not recorded");
      continue;
    }
    Status finished = store->FinishJob(result);
    if (!finished.ok()) {
      log("job " + std::to_string(job.id) + ": cannot record its end: " + finished.error().message);
      continue;
    }
    ++finished_;
    log("job " + std::to_string(job.id) + " " + std::string(JobStateName(result.state)) + ", run " +
        std::to_string(result.run_id) + ", exit " + std::to_string(result.exit_code));
    if (options_.on_finished) options_.on_finished(result);
    // The job is recorded: its changes go to the tenant's targets now (a target that is
    // down only stays behind; the periodic pass catches it up).
    if (result.state == JobState::kDone) PublishDueTargets(*run_store, job.tenant, options_);
  }
}

void WorkerPool::TargetsPass(Store& store) {
  if (options_.catalog == nullptr) return;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t due = next_targets_pass_.load();
  if (now < due) return;
  if (!next_targets_pass_.compare_exchange_strong(due, now + options_.poll.count())) return;
  for (const Tenant& tenant : options_.catalog->config().tenants) {
    if (!tenant.targets.empty()) PublishDueTargets(store, tenant.name, options_);
  }
}

}  // namespace telsync
