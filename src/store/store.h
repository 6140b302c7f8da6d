// Store: telsync's PBX directory, run history and sync state for all tenants.
//
// Implementations: SQLite (the embedded default, WAL; store/sqlite) and PostgreSQL
// (store/postgres), behind the same tests (store/store_contract_test.cc). Every method
// is scoped by tenant: nothing crosses tenants. Errors are values: kNotFound for a missing
// run or user, kUnavailable when the database cannot be opened or is locked too long,
// kInternal otherwise.
// Not thread-safe: one Store per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/pbx.h"
#include "model/plan.h"
#include "model/run.h"
#include "model/source_object.h"
#include "store/outbox.h"
#include "util/result.h"

namespace telsync {

struct ApplyReport {
  size_t users_written = 0;  // rows inserted, updated or deleted
  size_t departments_written = 0;
  size_t statements = 0;  // for P3/P4 checks: a no-op plan executes none
};

// One object of a profile's source mirror (DESIGN §1): what the source last said of it.
// The planner runs on the mirror, so pulled (full or delta) and pushed (SCIM) objects
// share one path.
struct MirrorEntry {
  SourceObject object;      // kind, id, attributes, groups, enabled (never `deleted`)
  std::string name;         // unique per (tenant, profile, kind), case-insensitive; "" = none
                            // (SCIM userName or group displayName)
  std::string external_id;  // SCIM externalId; "" = none
  std::string payload;      // the source's own form (the SCIM resource JSON); "" = none
  int64_t version = 0;      // set by the store: 1 when inserted, +1 on each change (ETags)
  int64_t created_at = 0;   // set by the store on insert (the writer's `now`)
  int64_t updated_at = 0;   // set by the store on each change (the writer's `now`)
};

enum class MirrorWriteMode {
  kPatch,    // Put and Remove change just those entries (a delta read, a SCIM request)
  kReplace,  // a full read: Commit also removes every entry that was not Put
};

// Writes to one profile's mirror in a single transaction. Nothing is visible until
// Commit(); a writer destroyed without Commit() changes nothing. Put of an entry equal to
// the stored one writes nothing and keeps its version (a no-op resync writes no rows).
class MirrorWriter {
 public:
  virtual ~MirrorWriter() = default;
  // Inserts or replaces the entry (object.kind, object.id); returns its version after the
  // write. expected_version > 0 (SCIM If-Match): kConflict when the stored version
  // differs, kNotFound when there is none. kConflict also when `name` is held by another
  // entry of the same kind.
  virtual Result<int64_t> Put(const MirrorEntry& entry, int64_t expected_version = 0) = 0;
  // kNotFound when there is no such entry.
  virtual Status Remove(ObjectKind kind, const std::string& id) = 0;
  // Entries Put, changed and removed so far (removed includes kReplace's sweep only after
  // Commit).
  virtual size_t changed() const = 0;
  virtual size_t removed() const = 0;
  // Records, in this write's transaction, that these users' source objects changed and
  // must still reach the PBX directory (issue 14 item 1): durable with the write itself,
  // so an acknowledged SCIM write is applied even when the process dies first.
  virtual Status MarkPending(const std::vector<std::string>& user_ids) = 0;
  virtual Status Commit() = 0;
};

// A held run lock (Store::LockProfileRuns); released by its destructor.
class RunLock {
 public:
  virtual ~RunLock() = default;
};

// One user id waiting to be applied from the mirror (MirrorWriter::MarkPending). `seq`
// orders them and names the row; the same id may wait in several rows.
struct MirrorPending {
  int64_t seq = 0;
  std::string id;
};

// An API bearer token, kept only as a hash (SHA-256 hex of the token).
struct ApiToken {
  int64_t id = 0;
  std::string tenant;
  std::string kind;  // "scim" (Entra provisioning) or "admin" (REST API)
  std::string label;
  std::string hash;
  int64_t created_at = 0;
  int64_t revoked_at = 0;  // 0 = valid
};

// A mail telsync sent or tried to send (F20): never lost silently.
struct NotificationRecord {
  int64_t id = 0;
  std::string tenant;
  std::string profile;
  int64_t run_id = 0;      // 0 for a test mail
  std::string kind;        // "report" | "error" | "welcome" | "welcome_copy" | "test"
  std::string recipients;  // comma-separated addresses
  std::string subject;
  std::string status;  // "sent" | "failed"
  int attempts = 0;
  std::string error;  // the last failure in plain words; "" when sent
  int64_t created_at = 0;
  int64_t sent_at = 0;  // 0 while failed
  std::string message;  // the rendered mail, kept while failed so that it can be resent
};

// A profile kept in the store (created over the REST API, issue 7), beside the profiles
// of the config file. `document` is the profile's YAML/JSON mapping as the admin sent it
// (validated by the config loader before it is stored); secrets in it may be literals or
// `${env:...}` / `${file:...}` references and are masked whenever it is shown.
struct StoredProfile {
  std::string tenant;
  std::string name;
  std::string document;
  int64_t version = 0;  // set by the store: 1 when created, +1 on each update
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// A tenant created over the REST API or `telsync tenant create` (issue 7): one customer
// company of a provider, with its own profiles, users, runs and tokens. The config file's
// tenants are not stored; they exist while the file names them.
struct TenantRecord {
  std::string name;          // [a-z0-9][a-z0-9_-]*, as a config tenant's name
  std::string display_name;  // free text for people ("Contoso Ltd")
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// What DeleteTenant removed, by kind.
struct TenantDeletion {
  int64_t users = 0;
  int64_t departments = 0;
  int64_t runs = 0;  // with their items
  int64_t mirror_entries = 0;
  int64_t tokens = 0;
  int64_t profiles = 0;  // stored profiles
  int64_t jobs = 0;
  int64_t notifications = 0;
};

// A queued run (issue 8): scheduled and requested syncs become jobs that any worker
// (`telsync serve`, one or many processes) claims with a lease. A worker that dies loses
// its lease at `lease_until`; another worker then claims the job again (attempts + 1), so
// a job is never run by two workers at once and never lost.
enum class JobState { kQueued, kRunning, kDone, kFailed };
std::string_view JobStateName(JobState state);  // "queued" | "running" | "done" | "failed"
std::optional<JobState> ParseJobState(std::string_view name);

struct JobRecord {
  int64_t id = 0;  // set by the store
  std::string tenant;
  std::string profile;
  std::string kind = "sync";  // "sync" | "approve"
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

// A save of a run's items that may still be under way (Store::StartSaveRunItems). Wait()
// gives its outcome (the first call waits; later calls repeat the outcome). The destructor
// waits too: the plan the save reads outlives it.
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

class Store : public OutboxStore {  // issue 17: the outbox role (store/outbox.h)
 public:
  virtual ~Store() = default;

  // All users of the tenant (linked to this profile, to other profiles, or unlinked) and
  // this profile's departments: what MakePlan needs.
  virtual Result<StoreSnapshot> LoadSnapshot(const std::string& tenant,
                                             const std::string& profile) = 0;

  // Writes the plan's changes in batched transactions with prepared statements (P4):
  // kCreate inserts item.target; kUpdate / kRestore / kUnsearchable / kPendingDelete
  // write item.target over row item.user_id; kDelete removes row item.user_id; other
  // actions write nothing. Department changes likewise. Never writes `subscription`
  // (F16). A plan with IsNoop() executes no statement (P3). Applying the same plan twice
  // leaves the same state (creates are keyed by (tenant, profile, source_key)).
  // Created users' ids are not reported back: callers reload the snapshot.
  virtual Result<ApplyReport> Apply(const Plan& plan) = 0;

  // One run of a profile at a time, in every process on the store (issue 14 item 4). The
  // lock is the backend's own (flock on a file beside a SQLite store, a session advisory
  // lock on PostgreSQL): it is released when the returned object is destroyed or when the
  // process holding it ends, however it ends, so a crashed run never keeps it. With `wait`
  // false a lock held elsewhere is kConflict at once, and the message names the holder
  // ("pid 4711 on host db1 since 1764842520"); with `wait` true the call blocks until it is
  // free. `now` stamps the holder note.
  virtual Result<std::unique_ptr<RunLock>> LockProfileRuns(const std::string& tenant,
                                                           const std::string& profile, bool wait,
                                                           int64_t now) = 0;

  // Runs (F19). CreateRun returns the new id; run.id is ignored.
  virtual Result<int64_t> CreateRun(const Run& run) = 0;
  virtual Status UpdateRun(const Run& run) = 0;  // by run.id: status, times, summary, message
  virtual Status SaveRunItems(int64_t run_id, const Plan& plan) = 0;  // items + departments
  // SaveRunItems, possibly beside the calls that follow until Wait() (the engine runs
  // Apply meanwhile: the items do not depend on its outcome). The plan must not change
  // until Wait(). This default saves at Wait(), on this store's connection, as a plain
  // SaveRunItems after the apply would; PostgreSQL writes on a second connection at once.
  virtual RunItemsSave StartSaveRunItems(int64_t run_id, const Plan& plan) {
    // Saved now, before the apply starts: a run that dies mid-apply still lists what it
    // set out to change (issue 14 item 3). A store that can write them beside the apply
    // (PostgreSQL, on a second connection) overrides this.
    Status saved = SaveRunItems(run_id, plan);
    return RunItemsSave([saved] { return saved; });
  }
  virtual Result<Run> GetRun(const std::string& tenant, int64_t run_id) = 0;
  // Newest first. Empty profile: all profiles of the tenant.
  virtual Result<std::vector<Run>> ListRuns(const std::string& tenant, const std::string& profile,
                                            size_t limit) = 0;
  // Items in plan order; `action` filters.
  virtual Result<std::vector<PlanItem>> GetRunItems(const std::string& tenant, int64_t run_id,
                                                    std::optional<Action> action) = 0;
  virtual Result<std::vector<DepartmentChange>> GetRunDepartments(const std::string& tenant,
                                                                  int64_t run_id) = 0;
  // The newest sync run of the profile with status success or partial, if any.
  virtual Result<std::optional<Run>> LastSuccessfulSync(const std::string& tenant,
                                                        const std::string& profile) = 0;

  // Users (F18, F23). FindUser matches username or e-mail, case-insensitively.
  virtual Result<std::optional<PbxUser>> FindUser(const std::string& tenant,
                                                  const std::string& name) = 0;
  virtual Result<std::vector<PbxUser>> ListUsers(const std::string& tenant, size_t limit,
                                                 size_t offset) = 0;
  // How many users the tenant has, in every state: what ListUsers pages through.
  virtual Result<size_t> CountUsers(const std::string& tenant) = 0;
  // De-sync: clears source_key and profile, so no sync changes the user until it is
  // adopted again. kNotFound when there is no such user.
  virtual Status UnlinkUser(const std::string& tenant, int64_t user_id) = 0;
  // Replaces a user's PBX groups (the admin's own groups, such as the exclusion group
  // "Non AD sync", F11). kNotFound when there is no such user.
  virtual Status SetUserGroups(const std::string& tenant, int64_t user_id,
                               const std::vector<std::string>& groups) = 0;
  virtual Result<std::vector<Department>> ListDepartments(const std::string& tenant) = 0;

  // Sync state (delta links, USN watermarks) per profile. "" when none.
  virtual Result<std::string> GetCursor(const std::string& tenant, const std::string& profile) = 0;
  virtual Status SetCursor(const std::string& tenant, const std::string& profile,
                           const std::string& cursor) = 0;

  // Source mirror of a profile (DESIGN §1). `now` stamps created_at / updated_at.
  virtual Result<std::unique_ptr<MirrorWriter>> BeginMirrorWrite(const std::string& tenant,
                                                                 const std::string& profile,
                                                                 MirrorWriteMode mode,
                                                                 int64_t now) = 0;
  // Every entry of the profile (users and groups), in id order; `fn` returns false to stop.
  virtual Status ScanMirror(const std::string& tenant, const std::string& profile,
                            const std::function<bool(MirrorEntry&&)>& fn) = 0;
  virtual Result<std::optional<MirrorEntry>> GetMirrorEntry(const std::string& tenant,
                                                            const std::string& profile,
                                                            ObjectKind kind,
                                                            const std::string& id) = 0;
  // By `name`, case-insensitively.
  virtual Result<std::optional<MirrorEntry>> FindMirrorEntryByName(const std::string& tenant,
                                                                   const std::string& profile,
                                                                   ObjectKind kind,
                                                                   const std::string& name) = 0;
  virtual Result<size_t> CountMirror(const std::string& tenant, const std::string& profile,
                                     ObjectKind kind) = 0;
  // The ids waiting to be applied, oldest first, at most `limit`; ClearMirrorPending
  // removes exactly the rows listed (by seq) once they are applied, so a write marked
  // meanwhile stays.
  virtual Result<std::vector<MirrorPending>> ListMirrorPending(const std::string& tenant,
                                                               const std::string& profile,
                                                               size_t limit) = 0;
  virtual Status ClearMirrorPending(const std::string& tenant, const std::string& profile,
                                    const std::vector<int64_t>& seqs) = 0;
  // True when BeginMirrorWrite, called while another writer of this Store is open, nests
  // as a savepoint of that writer's transaction (its Commit folds into the outer one, its
  // rollback undoes only its own writes). The SCIM service group-commits only then; a
  // store that answers false gets one transaction per request.
  virtual bool NestsMirrorWrites() const { return false; }
  // One page of a kind's entries in id order: `offset` entries skipped, at most `limit`
  // given (a SCIM ListResponse page). This default filters ScanMirror; a store answers it
  // from its index without decoding the skipped entries.
  virtual Status ScanMirrorPage(const std::string& tenant, const std::string& profile,
                                ObjectKind kind, size_t offset, size_t limit,
                                const std::function<bool(MirrorEntry&&)>& fn) {
    size_t seen = 0;
    size_t given = 0;
    if (limit == 0) return Ok();
    return ScanMirror(tenant, profile, [&](MirrorEntry&& entry) {
      if (entry.object.kind != kind || seen++ < offset) return true;
      ++given;
      return fn(std::move(entry)) && given < limit;
    });
  }

  // API tokens (SCIM and admin). FindToken is the one lookup not scoped by a tenant: the
  // token is what names the tenant. Revoked tokens are never found.
  virtual Result<int64_t> AddToken(const ApiToken& token) = 0;
  virtual Result<std::vector<ApiToken>> ListTokens(const std::string& tenant,
                                                   const std::string& kind) = 0;
  // id 0 revokes every valid token of the tenant and kind. kNotFound when none was valid.
  virtual Status RevokeToken(const std::string& tenant, const std::string& kind, int64_t id,
                             int64_t now) = 0;
  virtual Result<std::optional<ApiToken>> FindToken(const std::string& kind,
                                                    const std::string& hash) = 0;

  // Notifications (F20). ListNotifications: run_id 0 = every run; failed_only = those
  // still to be resent. UpdateNotification writes status, attempts, error, sent_at and
  // message by id within the tenant (kNotFound otherwise).
  virtual Result<int64_t> AddNotification(const NotificationRecord& record) = 0;
  virtual Status UpdateNotification(const NotificationRecord& record) = 0;
  virtual Result<std::vector<NotificationRecord>> ListNotifications(const std::string& tenant,
                                                                    int64_t run_id,
                                                                    bool failed_only) = 0;

  // Stored profiles (REST API). Tenant "" lists every tenant's. PutStoredProfile with
  // expected_version 0 creates (kConflict when the name exists); > 0 replaces the document
  // when the stored version equals it (kConflict when it differs, kNotFound when there is
  // none). Returns the version after the write. `now` stamps created_at / updated_at.
  virtual Result<std::vector<StoredProfile>> ListStoredProfiles(const std::string& tenant) = 0;
  virtual Result<std::optional<StoredProfile>> GetStoredProfile(const std::string& tenant,
                                                                const std::string& name) = 0;
  virtual Result<int64_t> PutStoredProfile(const StoredProfile& profile, int64_t expected_version,
                                           int64_t now) = 0;
  // kNotFound when there is no such profile.
  virtual Status DeleteStoredProfile(const std::string& tenant, const std::string& name) = 0;

  // Secrets at rest (src/secrets, SPEC R4). The store keeps sealed secrets inside stored
  // profile documents and the id of the key that sealed them, never a key.
  // RecordSecretKey records `key_id` when no key id is recorded yet, and returns the
  // recorded one either way (so two processes racing with different keys see one winner);
  // "" when none is recorded. An empty `key_id` only reads.
  virtual Result<std::string> RecordSecretKey(const std::string& key_id, int64_t now) = 0;
  // One transaction: when the recorded key id is `expected_key_id` (kConflict otherwise),
  // hands every stored profile to `rewrite`; a returned document replaces the profile's
  // (its version is kept: the profile means the same), std::nullopt keeps it. Then records
  // `new_key_id`. An error from `rewrite` rolls everything back. When a document was
  // replaced, the store then compacts its files so no old copy of it is left behind
  // (SQLite: VACUUM, then a WAL checkpoint that truncates the WAL; PostgreSQL: VACUUM FULL
  // of the table). Returns how many documents were replaced.
  using SecretRewrite = std::function<Result<std::optional<std::string>>(const StoredProfile&)>;
  virtual Result<int> RewriteSecrets(const std::string& expected_key_id,
                                     const std::string& new_key_id, const SecretRewrite& rewrite,
                                     int64_t now) = 0;

  // Tenants (issue 7). ListTenants: by name. CreateTenant: kConflict when the name exists.
  // UpdateTenant writes display_name and updated_at (kNotFound when there is none).
  // DeleteTenant removes the tenant record and every row the tenant owns (users,
  // departments, runs and their items, mirror, cursors, tokens, notifications, stored
  // profiles, jobs) in one transaction: all or nothing. kNotFound when there is no tenant
  // record (a config tenant cannot be deleted here); kConflict, removing nothing, while one
  // of its jobs runs with a lease live at `now` (queued jobs are removed with the rest).
  virtual Result<std::vector<TenantRecord>> ListTenants() = 0;
  virtual Result<std::optional<TenantRecord>> GetTenant(const std::string& name) = 0;
  virtual Status CreateTenant(const TenantRecord& tenant) = 0;
  virtual Status UpdateTenant(const TenantRecord& tenant) = 0;
  virtual Result<TenantDeletion> DeleteTenant(const std::string& name, int64_t now) = 0;

  // Jobs (issue 8). EnqueueJob: kConflict when the profile already has a queued or running
  // job (one run per profile at a time); the error's message names that job's id. Also
  // kConflict when job.slot > 0 and a job of the profile with that slot exists, finished
  // or not: several `serve` processes run the same schedule and each occurrence runs once.
  virtual Result<int64_t> EnqueueJob(const JobRecord& job) = 0;
  // Claims one job for `worker` until now + lease_seconds, or nothing when none is ready.
  // Ready: queued, or running with lease_until < now (its worker died). A tenant with
  // `per_tenant_cap` (0 = no cap) running jobs with live leases gets no more. Fair between
  // tenants: the tenant with the fewest live running jobs first, then the oldest job.
  // Concurrent claims from any number of processes never return the same job twice
  // while its lease is live (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one writer).
  // The claimed job comes back with state kRunning, attempts + 1 and started_at = now.
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
  // kNotFound for another tenant's job.
  virtual Result<JobRecord> GetJob(const std::string& tenant, int64_t id) = 0;
  // Newest first; empty profile = every profile of the tenant; empty tenant = all tenants.
  virtual Result<std::vector<JobRecord>> ListJobs(const std::string& tenant,
                                                  const std::string& profile, size_t limit) = 0;

  // The schema version (versioned migrations run on open).
  virtual int SchemaVersion() = 0;
};

// Whether an open may create a SQLite file that is not there. Only `telsync migrate` and
// a process's first open (a first start on a new path) create; every further connection
// of a running process (workers, the scheduler, the SCIM applier) must find the store it
// started with: a file removed under it is an error, never a new empty store.
enum class StoreOpen { kCreateIfMissing, kMustExist };

// Opens (migrating when needed) the store a config names: a SQLite file path, ":memory:"
// for a private in-memory database (tests), or a PostgreSQL URL
// (postgres://user:password@host:port/database, store/postgres).
Result<std::unique_ptr<Store>> OpenStore(const std::string& spec,
                                         StoreOpen mode = StoreOpen::kCreateIfMissing);

// The schema version of the store a spec names and the version this binary writes, read
// without creating or migrating anything (`telsync migrate --check`). current is 0 for a
// store that does not exist yet.
struct StoreSchemaInfo {
  int current = 0;
  int latest = 0;
};
Result<StoreSchemaInfo> InspectStoreSchema(const std::string& spec);

// The spec as it may be shown in messages and logs: a URL's password becomes "***".
std::string RedactStoreSpec(const std::string& spec);

}  // namespace telsync
