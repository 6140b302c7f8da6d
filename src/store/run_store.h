// RunStore: run records, their items and departments, and the per-profile run lock (F19,
// issue 14; one role of store/store.h).
//
// Ownership: results are values the caller owns. A RunLock is owned by the caller and
// must be destroyed before the store that gave it.
// Absence: a run that does not exist (or belongs to another tenant) is kNotFound from
// GetRun / UpdateRun / SaveRunItems / GetRunItems / GetRunDepartments; "no successful run
// yet" is std::nullopt; an empty list is no runs.
// Errors: besides kNotFound, kConflict from LockProfileRuns as it says, kUnavailable when
// the database cannot be reached or stays locked too long, kInternal otherwise.
// Thread safety: as the Store that implements it (store.h): a store from OpenStore or
// Database may be called from several threads at once, and its run locks exclude the
// other threads of this process as they exclude other processes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/plan.h"
#include "model/run.h"
#include "util/result.h"

namespace telsync {

// A page of a run's items (the admin page's AD report, issue 19): read from the store, so a
// 100,000-item run never reaches memory whole for the first 50.
struct RunItemsQuery {
  std::optional<Action> action;  // only items of this action
  // A text filter: the needle in lower case (ASCII). The store keeps the rows whose
  // username, key, reason or changes contain it (ASCII case ignored), a superset, and
  // `matches` decides each (the caller's exact rule). Empty: every item.
  std::string needle;
  std::function<bool(const PlanItem&)> matches;
  size_t offset = 0;  // matching items skipped
  size_t limit = 50;  // at most this many items
};
struct RunItemsPage {
  std::vector<PlanItem> items;                 // the page, in plan order
  size_t matched = 0;                          // items that pass the filter, on every page
  std::array<size_t, kActionCount> summary{};  // every item of the run, per action
};

// A held run lock (RunStore::LockProfileRuns); released by its destructor.
class RunLock {
 public:
  virtual ~RunLock() = default;
};

// A save of a run's items that may still be under way (RunStore::StartSaveRunItems).
// Wait() gives its outcome (the first call waits; later calls repeat the outcome). The
// destructor waits too: the plan the save reads outlives it.
class RunItemsSave {
 public:
  explicit RunItemsSave(std::function<Status()> wait) : wait_(std::move(wait)) {}
  RunItemsSave(RunItemsSave&& other) noexcept
      : wait_(std::exchange(other.wait_, nullptr)), status_(std::move(other.status_)) {}
  RunItemsSave& operator=(RunItemsSave&&) = delete;
  ~RunItemsSave() {
    if (wait_) (void)Wait();
  }
  Status Wait() {
    if (wait_) status_ = std::exchange(wait_, nullptr)();
    return status_;
  }

 private:
  std::function<Status()> wait_;
  Status status_;
};

// What one RunStore::PurgeRunHistory call did.
struct HistoryPurge {
  size_t runs = 0;   // runs whose items were purged (marked now, or left half done before)
  size_t items = 0;  // run items and department changes deleted
};

class RunStore {
 public:
  virtual ~RunStore() = default;

  // One run of a profile at a time, in every process on the store (issue 14 item 4). The
  // lock is the backend's own (flock on a file beside a SQLite store, a session advisory
  // lock on PostgreSQL): it is released when the returned object is destroyed or when the
  // process holding it ends, however it ends, so a crashed run never keeps it. With `wait`
  // false a lock held elsewhere is kConflict at once, and the message names the holder
  // ("pid 4711 on host db1 since 1764842520"); with `wait` true the call blocks until it is
  // free (a thread-safe store is busy for its other threads meanwhile when the holder is
  // another process: a run that waits without end opens its own store). `now` stamps the
  // holder note.
  virtual Result<std::unique_ptr<RunLock>> LockProfileRuns(const std::string& tenant,
                                                           const std::string& profile, bool wait,
                                                           int64_t now) = 0;

  // Records a run; returns its new id (run.id is ignored).
  virtual Result<int64_t> CreateRun(const Run& run) = 0;
  // By run.id within run.tenant: status, times, summary, message. kNotFound otherwise.
  virtual Status UpdateRun(const Run& run) = 0;
  // The plan's items and department changes as the run's, replacing any saved before (a
  // retried save neither fails nor duplicates). kNotFound for a run of another tenant.
  virtual Status SaveRunItems(int64_t run_id, const Plan& plan) = 0;
  // SaveRunItems, possibly beside the calls that follow until Wait() (the engine runs
  // Apply meanwhile: the items do not depend on its outcome). The plan must not change
  // until Wait(). This default saves at once, on this store's connection: a run that dies
  // mid-apply still lists what it set out to change (issue 14 item 3). A store that can
  // write them beside the apply (PostgreSQL, on a second connection) overrides this.
  virtual RunItemsSave StartSaveRunItems(int64_t run_id, const Plan& plan) {
    Status saved = SaveRunItems(run_id, plan);
    return RunItemsSave([saved] { return saved; });
  }
  // kNotFound when the tenant has no such run.
  virtual Result<Run> GetRun(const std::string& tenant, int64_t run_id) = 0;
  // Newest first, at most `limit` (0 = every one). Empty profile: all profiles of the tenant.
  virtual Result<std::vector<Run>> ListRuns(const std::string& tenant, const std::string& profile,
                                            size_t limit) = 0;
  // Items in plan order; `action` filters. kNotFound when the tenant has no such run.
  virtual Result<std::vector<PlanItem>> GetRunItems(const std::string& tenant, int64_t run_id,
                                                    std::optional<Action> action) = 0;
  // One page of the items of GetRunItems(tenant, run_id, query.action) that pass the query,
  // with their count and the run's counts per action. Without a needle the page is read
  // with the database's own paging. kNotFound when the tenant has no such run.
  virtual Result<RunItemsPage> GetRunItemsPage(const std::string& tenant, int64_t run_id,
                                               const RunItemsQuery& query) = 0;
  // Department changes in plan order. kNotFound when the tenant has no such run.
  virtual Result<std::vector<DepartmentChange>> GetRunDepartments(const std::string& tenant,
                                                                  int64_t run_id) = 0;
  // The newest sync run of the profile with status success or partial; std::nullopt when
  // there is none.
  virtual Result<std::optional<Run>> LastSuccessfulSync(const std::string& tenant,
                                                        const std::string& profile) = 0;

  // The pause a revert run set (`runs revert ID --apply --pause`, issue 18; recorded by
  // Apply in the transaction of the plan's last write, see Plan::pause_run): while it is
  // recorded, a sync of the profile applies nothing, as in mode paused. Returns the id of
  // the run that paused it; std::nullopt when the profile is not paused this way.
  virtual Result<std::optional<int64_t>> GetProfilePause(const std::string& tenant,
                                                         const std::string& profile) = 0;
  // Lifts that pause (`runs resume`); Ok when there is none.
  virtual Status ClearProfilePause(const std::string& tenant, const std::string& profile) = 0;

  // The retention of history.keep_days (issue 18): every run of the tenant that started
  // before `before` (unix seconds) and still has its items loses them: its run items (the
  // old values of what it changed, the rows of the users it deleted) and its department
  // changes are deleted, and Run::purged_at is set to `now`. The run row and its summary
  // counts stay, so the history still lists it; such a run can no longer be reverted.
  // Bounded: the runs are found through an index on (tenant, started_at) of the runs not
  // yet purged, each run is marked purged first (one short transaction, so a revert never
  // sees half its items) and its items are then deleted in transactions of at most `batch`
  // rows, so a history of a million items never holds the write lock for long. A purge
  // that stops half way (crash, error) is finished by the next call. Idempotent: a second
  // call with the same arguments deletes nothing. Errors: kUnavailable, kInternal; what
  // was deleted before the error stays deleted.
  virtual Result<HistoryPurge> PurgeRunHistory(const std::string& tenant, int64_t before,
                                               int64_t now, size_t batch = 10000) = 0;
};

}  // namespace telsync
