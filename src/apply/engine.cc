#include "apply/engine.h"

#include <malloc.h>

#include <algorithm>
#include <deque>
#include <future>
#include <thread>
#include <unordered_set>
#include <utility>

#include "mapping/user_mapping.h"
#include "plan/planner.h"
#include "plan/validate.h"

namespace telsync {
namespace {

constexpr size_t kBatchSize = 2048;
constexpr size_t kMaxProblemsKept = 1000;

struct BatchResult {
  std::vector<DesiredUser> desired;
  std::vector<RejectedUser> rejected;
};

BatchResult MapAndValidate(std::vector<SourceObject> batch, const UserMapping& mapping,
                           const Validator& validator) {
  BatchResult out;
  out.desired.reserve(batch.size());
  for (auto& object : batch) {
    if (object.kind != ObjectKind::kUser || object.deleted) continue;
    MappedUser mapped = mapping.Apply(object);
    std::string key = mapped.source_key;
    std::string username(mapped.fields.Get(Field::kUsername));
    auto desired = validator.Validate(std::move(mapped));
    if (desired.ok()) {
      out.desired.push_back(std::move(desired).value());
    } else {
      out.rejected.push_back({std::move(key), std::move(username), desired.error().message});
    }
  }
  return out;
}

// Reads the source and maps + validates on `threads` workers, keeping source order.
// Memory stays bounded by the batches in flight, not by the source size (P2).
class ReadPipeline {
 public:
  ReadPipeline(const UserMapping& mapping, const Validator& validator, unsigned threads,
               const std::function<void(const Progress&)>& on_progress)
      : mapping_(mapping),
        validator_(validator),
        max_in_flight_(std::max(1u, threads) * 2),
        on_progress_(on_progress) {}

  void Add(SourceObject&& object) {
    batch_.push_back(std::move(object));
    if (batch_.size() >= kBatchSize) Flush();
  }

  PlanInput Finish() {
    Flush();
    while (!in_flight_.empty()) Collect();
    // One exact allocation for the whole directory: a vector grown by doubling would
    // hold up to twice the users' size while it copies (P2).
    size_t desired = 0;
    size_t rejected = 0;
    for (const auto& r : done_) {
      desired += r.desired.size();
      rejected += r.rejected.size();
    }
    PlanInput input;
    input.desired.reserve(desired);
    input.rejected.reserve(rejected);
    for (auto& r : done_) {
      for (auto& d : r.desired) input.desired.push_back(std::move(d));
      for (auto& x : r.rejected) input.rejected.push_back(std::move(x));
      r = BatchResult{};
    }
    done_.clear();
    return input;
  }

 private:
  void Flush() {
    if (batch_.empty()) return;
    read_ += batch_.size();
    in_flight_.push_back(std::async(std::launch::async, MapAndValidate, std::move(batch_),
                                    std::cref(mapping_), std::cref(validator_)));
    batch_ = {};
    batch_.reserve(kBatchSize);
    while (in_flight_.size() >= max_in_flight_) Collect();
    if (on_progress_) on_progress_({"read", read_, 0});
  }

  void Collect() {
    done_.push_back(in_flight_.front().get());
    in_flight_.pop_front();
  }

  const UserMapping& mapping_;
  const Validator& validator_;
  const size_t max_in_flight_;
  const std::function<void(const Progress&)>& on_progress_;
  std::vector<SourceObject> batch_;
  std::deque<std::future<BatchResult>> in_flight_;
  std::vector<BatchResult> done_;  // in source order
  size_t read_ = 0;
};

bool IsDeletion(Action a) { return a == Action::kDelete || a == Action::kPendingDelete; }

bool HasUserProblems(const Plan& plan) {
  for (const auto& item : plan.items) {
    if (item.action == Action::kError || item.action == Action::kConflict) return true;
  }
  return false;
}

// An approval applies the held plan's deletions and no others: if the directory changed
// so that the new plan deletes a user the held run did not show, the admin has not seen
// that deletion, so the run is held again.
Result<std::string> CheckApproval(Store& store, const Profile& profile, int64_t run_id,
                                  const Plan& plan) {
  auto held = store.GetRun(profile.tenant, run_id);
  if (!held.ok()) return held.error();
  if (held->profile != profile.name) {
    return Error::Invalid("run " + std::to_string(run_id) + " belongs to profile " + held->profile +
                          ", not " + profile.name);
  }
  if (held->status != RunStatus::kHeld) {
    return Error::Invalid("run " + std::to_string(run_id) + " is " + RunStatusName(held->status) +
                          ", not held: nothing to approve");
  }
  std::unordered_set<std::string> approved;
  for (Action a : {Action::kDelete, Action::kPendingDelete}) {
    auto items = store.GetRunItems(profile.tenant, run_id, a);
    if (!items.ok()) return items.error();
    for (auto& item : *items) approved.insert(std::string(ActionName(a)) + "|" + item.key);
  }
  for (const auto& item : plan.items) {
    if (!IsDeletion(item.action)) continue;
    if (!approved.count(std::string(ActionName(item.action)) + "|" + item.key)) {
      return std::string("the directory changed since run ") + std::to_string(run_id) +
             " was held: " + std::string(ActionName(item.action)) + " of " +
             (item.username.empty() ? item.key : item.username) +
             " was not part of it; review the new run";
    }
  }
  return std::string();
}

}  // namespace

Result<RunOutcome> ExecuteRun(const Profile& profile, Source& source, Store& store,
                              const EngineOptions& options) {
  auto mapping = UserMapping::Compile(profile.mapping, profile.source.type);
  if (!mapping.ok()) return mapping.error();
  const Validator validator(profile);

  RunOutcome out;
  Run& run = out.run;
  run.tenant = profile.tenant;
  run.profile = profile.name;
  run.kind = options.kind;
  run.trigger = options.trigger;
  run.status = RunStatus::kRunning;
  run.started_at = options.now;
  run.source = source.Describe();
  run.approved_run = options.approve_run;
  auto id = store.CreateRun(run);
  if (!id.ok()) return id.error();
  run.id = *id;

  // Read, map and validate.
  const unsigned threads =
      options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  ReadPipeline pipeline(*mapping, validator, threads, options.on_progress);
  ReadRequest request;
  request.attributes = mapping->Attributes();
  // An unreadable record is reported like an invalid user (R3), keyed by where it is.
  std::vector<RejectedUser> unreadable;
  ReadResult read = source.Read(
      request, [&](SourceObject&& object) { pipeline.Add(std::move(object)); },
      [&](const std::string& where, const std::string& reason) {
        if (unreadable.size() < kMaxProblemsKept) {
          out.source_problems.push_back(where + ": " + reason);
          unreadable.push_back({"record:" + where, "", reason});
        }
      });
  PlanInput input = pipeline.Finish();
  // The read's source objects are freed in the workers' malloc arenas; hand the free pages
  // back before the snapshot and the plan need memory (peak RSS at a million users).
  malloc_trim(0);
  input.source = run.source;
  input.complete = read.complete && read.bad_records == 0;
  for (auto& r : unreadable) input.rejected.push_back(std::move(r));

  auto snapshot = store.LoadSnapshot(profile.tenant, profile.name);
  if (!snapshot.ok()) return snapshot.error();
  if (options.on_progress) options.on_progress({"plan", 0, 0});
  PlanOptions plan_options;
  plan_options.only_user = options.only_user;
  plan_options.approved = options.approve_run != 0;
  out.plan = MakePlan(input, *snapshot, profile, options.now, plan_options);
  Plan& plan = out.plan;
  // The plan carries what apply needs: free the inputs before writing (P2).
  snapshot = StoreSnapshot{};
  input = PlanInput{};

  run.complete = plan.complete;
  run.summary = plan.Summary();
  if (!read.complete) {
    run.message = "source read incomplete: " + read.error + "; nothing was deleted";
  } else if (read.bad_records != 0) {
    run.message =
        std::to_string(read.bad_records) + " source records could not be read; nothing was deleted";
  }

  if (options.approve_run != 0 && options.kind == RunKind::kSync) {
    auto verdict = CheckApproval(store, profile, options.approve_run, plan);
    if (!verdict.ok()) {
      run.status = RunStatus::kFailed;
      run.message = verdict.error().message;
      run.finished_at = options.clock ? options.clock() : options.now;
      if (auto s = store.UpdateRun(run); !s.ok()) return s.error();
      out.exit_code = kExitUsage;
      return out;
    }
    if (!verdict->empty()) {
      plan.held = true;
      plan.hold_reason = *verdict;
    }
  }

  const bool nothing_read = !read.complete && read.objects == 0;
  if (nothing_read) {
    run.status = RunStatus::kFailed;
    out.exit_code = kExitFailed;
  } else if (plan.held) {
    run.status = RunStatus::kHeld;
    run.message = plan.hold_reason + (run.message.empty() ? "" : "; " + run.message);
    out.exit_code = kExitHeld;
  } else {
    if (options.kind == RunKind::kSync && profile.policy.mode == SyncMode::kPaused) {
      run.message = "mode paused: nothing applied";
    } else if (options.kind == RunKind::kSync) {
      if (options.on_progress) options.on_progress({"apply", 0, plan.items.size()});
      auto applied = store.Apply(plan);
      if (!applied.ok()) {
        run.status = RunStatus::kFailed;
        run.message = "applying the plan failed: " + applied.error().message;
        run.finished_at = options.clock ? options.clock() : options.now;
        (void)store.SaveRunItems(run.id, plan);
        (void)store.UpdateRun(run);
        out.exit_code = kExitFailed;
        return out;
      }
      out.applied = *applied;
      if (read.complete && !read.cursor.empty()) {
        if (auto s = store.SetCursor(profile.tenant, profile.name, read.cursor); !s.ok()) {
          return s.error();
        }
      }
    }
    const bool partial = HasUserProblems(plan) || !plan.complete;
    run.status = partial ? RunStatus::kPartial : RunStatus::kSuccess;
    out.exit_code = partial ? kExitUserErrors : kExitOk;
  }

  if (options.on_progress) options.on_progress({"record", 0, 0});
  if (auto s = store.SaveRunItems(run.id, plan); !s.ok()) return s.error();
  run.finished_at = options.clock ? options.clock() : options.now;
  if (auto s = store.UpdateRun(run); !s.ok()) return s.error();

  if (options.approve_run != 0 && options.kind == RunKind::kSync && !plan.held &&
      run.status != RunStatus::kFailed) {
    auto held = store.GetRun(profile.tenant, options.approve_run);
    if (held.ok()) {
      held->status = RunStatus::kApproved;
      held->message = "approved; applied by run " + std::to_string(run.id);
      if (auto s = store.UpdateRun(*held); !s.ok()) return s.error();
    }
  }
  return out;
}

}  // namespace telsync
