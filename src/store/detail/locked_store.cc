#include "store/detail/locked_store.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "store/detail/run_lock.h"

namespace telsync::store_detail {
namespace {

using Lock = std::unique_lock<std::recursive_mutex>;

// Holds the store's mutex from BeginMirrorWrite until it is destroyed (store.h).
class LockedMirrorWriter final : public MirrorWriter {
 public:
  LockedMirrorWriter(Lock lock, std::unique_ptr<MirrorWriter> inner)
      : lock_(std::move(lock)), inner_(std::move(inner)) {}
  ~LockedMirrorWriter() override {
    inner_.reset();  // rolls back (when not committed) while the mutex is still held
  }

  Result<int64_t> Put(const MirrorEntry& entry, int64_t expected_version) override {
    return inner_->Put(entry, expected_version);
  }
  Status Remove(ObjectKind kind, const std::string& id) override {
    return inner_->Remove(kind, id);
  }
  size_t changed() const override { return inner_->changed(); }
  size_t removed() const override { return inner_->removed(); }
  Status MarkPending(const std::vector<std::string>& user_ids) override {
    return inner_->MarkPending(user_ids);
  }
  Status Commit() override { return inner_->Commit(); }

 private:
  Lock lock_;  // released after inner_ is gone (members are destroyed in reverse order)
  std::unique_ptr<MirrorWriter> inner_;
};

class LockedStore;

// A run lock of the backend, plus this store's note that a thread holds it.
class LockedRunLock final : public RunLock {
 public:
  LockedRunLock(LockedStore& store, std::string key, std::unique_ptr<RunLock> inner)
      : store_(store), key_(std::move(key)), inner_(std::move(inner)) {}
  ~LockedRunLock() override;

 private:
  LockedStore& store_;
  std::string key_;
  std::unique_ptr<RunLock> inner_;
};

class LockedStore final : public Store {
 public:
  explicit LockedStore(std::unique_ptr<Store> backend) : backend_(std::move(backend)) {}
  ~LockedStore() override {
    Lock lock = Hold();
    backend_.reset();
  }

  Lock Hold() const { return Lock(mutex_); }

  // The run lock of `key` (tenant/profile) is no longer held by a thread of this store.
  void ReleaseRun(const std::string& key) {
    {
      std::lock_guard<std::mutex> held(runs_mutex_);
      runs_.erase(key);
    }
    runs_cv_.notify_all();
  }

  // ---- DirectoryStore ----
  Result<StoreSnapshot> LoadSnapshot(const std::string& tenant,
                                     const std::string& profile) override {
    Lock lock = Hold();
    return backend_->LoadSnapshot(tenant, profile);
  }
  Result<ApplyReport> Apply(const Plan& plan, const ApplyProgress& on_progress) override {
    Lock lock = Hold();
    return backend_->Apply(plan, on_progress);
  }
  Result<std::optional<PbxUser>> FindUser(const std::string& tenant,
                                          const std::string& name) override {
    Lock lock = Hold();
    return backend_->FindUser(tenant, name);
  }
  Result<std::vector<PbxUser>> ListUsers(const std::string& tenant, size_t limit,
                                         size_t offset) override {
    Lock lock = Hold();
    return backend_->ListUsers(tenant, limit, offset);
  }
  Result<size_t> CountUsers(const std::string& tenant) override {
    Lock lock = Hold();
    return backend_->CountUsers(tenant);
  }
  Result<std::vector<std::string>> ListPendingDeleteKeys(const std::string& tenant,
                                                         const std::string& profile) override {
    Lock lock = Hold();
    return backend_->ListPendingDeleteKeys(tenant, profile);
  }
  Result<std::vector<std::string>> ListWaitingKeys(const std::string& tenant,
                                                   const std::string& profile) override {
    Lock lock = Hold();
    return backend_->ListWaitingKeys(tenant, profile);
  }
  Status SetWaitingKeys(const std::string& tenant, const std::string& profile,
                        const std::vector<std::string>& keys,
                        const std::unordered_set<std::string>* scope) override {
    Lock lock = Hold();
    return backend_->SetWaitingKeys(tenant, profile, keys, scope);
  }
  Status UnlinkUser(const std::string& tenant, int64_t user_id) override {
    Lock lock = Hold();
    return backend_->UnlinkUser(tenant, user_id);
  }
  Status SetUserGroups(const std::string& tenant, int64_t user_id,
                       const std::vector<std::string>& groups) override {
    Lock lock = Hold();
    return backend_->SetUserGroups(tenant, user_id, groups);
  }
  Result<std::vector<Department>> ListDepartments(const std::string& tenant) override {
    Lock lock = Hold();
    return backend_->ListDepartments(tenant);
  }

  // ---- RunStore ----
  Result<std::unique_ptr<RunLock>> LockProfileRuns(const std::string& tenant,
                                                   const std::string& profile, bool wait,
                                                   int64_t now) override {
    const std::string key = tenant + "/" + profile;
    {
      std::unique_lock<std::mutex> held(runs_mutex_);
      if (wait) {
        runs_cv_.wait(held, [&] { return runs_.count(key) == 0; });
      } else if (auto it = runs_.find(key); it != runs_.end()) {
        return Error::Conflict(it->second);
      }
      runs_.emplace(key, RunLockNote(now));
    }
    Result<std::unique_ptr<RunLock>> backend_lock = [&] {
      Lock lock = Hold();
      return backend_->LockProfileRuns(tenant, profile, wait, now);
    }();
    if (!backend_lock.ok()) {
      ReleaseRun(key);
      return backend_lock.error();
    }
    return std::unique_ptr<RunLock>(
        std::make_unique<LockedRunLock>(*this, key, std::move(*backend_lock)));
  }
  Result<int64_t> CreateRun(const Run& run) override {
    Lock lock = Hold();
    return backend_->CreateRun(run);
  }
  Status UpdateRun(const Run& run) override {
    Lock lock = Hold();
    return backend_->UpdateRun(run);
  }
  Status SaveRunItems(int64_t run_id, const Plan& plan) override {
    Lock lock = Hold();
    return backend_->SaveRunItems(run_id, plan);
  }
  // The save's Wait() needs no lock: a backend that saves beside the calls that follow
  // does so on a connection of its own (postgres_store.h).
  RunItemsSave StartSaveRunItems(int64_t run_id, const Plan& plan) override {
    Lock lock = Hold();
    return backend_->StartSaveRunItems(run_id, plan);
  }
  Result<Run> GetRun(const std::string& tenant, int64_t run_id) override {
    Lock lock = Hold();
    return backend_->GetRun(tenant, run_id);
  }
  Result<std::vector<Run>> ListRuns(const std::string& tenant, const std::string& profile,
                                    size_t limit) override {
    Lock lock = Hold();
    return backend_->ListRuns(tenant, profile, limit);
  }
  Result<std::vector<PlanItem>> GetRunItems(const std::string& tenant, int64_t run_id,
                                            std::optional<Action> action) override {
    Lock lock = Hold();
    return backend_->GetRunItems(tenant, run_id, action);
  }
  Result<RunItemsPage> GetRunItemsPage(const std::string& tenant, int64_t run_id,
                                       const RunItemsQuery& query) override {
    Lock lock = Hold();
    return backend_->GetRunItemsPage(tenant, run_id, query);
  }
  Result<std::vector<DepartmentChange>> GetRunDepartments(const std::string& tenant,
                                                          int64_t run_id) override {
    Lock lock = Hold();
    return backend_->GetRunDepartments(tenant, run_id);
  }
  Result<std::optional<Run>> LastSuccessfulSync(const std::string& tenant,
                                                const std::string& profile) override {
    Lock lock = Hold();
    return backend_->LastSuccessfulSync(tenant, profile);
  }
  Result<std::optional<int64_t>> GetProfilePause(const std::string& tenant,
                                                 const std::string& profile) override {
    Lock lock = Hold();
    return backend_->GetProfilePause(tenant, profile);
  }
  Status ClearProfilePause(const std::string& tenant, const std::string& profile) override {
    Lock lock = Hold();
    return backend_->ClearProfilePause(tenant, profile);
  }
  Result<HistoryPurge> PurgeRunHistory(const std::string& tenant, int64_t before, int64_t now,
                                       size_t batch) override {
    Lock lock = Hold();
    return backend_->PurgeRunHistory(tenant, before, now, batch);
  }

  // ---- MirrorStore ----
  Result<std::string> GetCursor(const std::string& tenant, const std::string& profile) override {
    Lock lock = Hold();
    return backend_->GetCursor(tenant, profile);
  }
  Status SetCursor(const std::string& tenant, const std::string& profile,
                   const std::string& cursor) override {
    Lock lock = Hold();
    return backend_->SetCursor(tenant, profile, cursor);
  }
  Result<std::unique_ptr<MirrorWriter>> BeginMirrorWrite(const std::string& tenant,
                                                         const std::string& profile,
                                                         MirrorWriteMode mode,
                                                         int64_t now) override {
    Lock lock = Hold();
    Result<std::unique_ptr<MirrorWriter>> writer =
        backend_->BeginMirrorWrite(tenant, profile, mode, now);
    if (!writer.ok()) return writer.error();
    return std::unique_ptr<MirrorWriter>(
        std::make_unique<LockedMirrorWriter>(std::move(lock), std::move(*writer)));
  }
  bool NestsMirrorWrites() const override { return backend_->NestsMirrorWrites(); }
  Status ScanMirror(const std::string& tenant, const std::string& profile,
                    const std::function<bool(MirrorEntry&&)>& fn) override {
    Lock lock = Hold();
    return backend_->ScanMirror(tenant, profile, fn);
  }
  Status ScanMirrorPage(const std::string& tenant, const std::string& profile, ObjectKind kind,
                        size_t offset, size_t limit,
                        const std::function<bool(MirrorEntry&&)>& fn) override {
    Lock lock = Hold();
    return backend_->ScanMirrorPage(tenant, profile, kind, offset, limit, fn);
  }
  Result<std::optional<MirrorEntry>> GetMirrorEntry(const std::string& tenant,
                                                    const std::string& profile, ObjectKind kind,
                                                    const std::string& id) override {
    Lock lock = Hold();
    return backend_->GetMirrorEntry(tenant, profile, kind, id);
  }
  Result<std::optional<MirrorEntry>> FindMirrorEntryByName(const std::string& tenant,
                                                           const std::string& profile,
                                                           ObjectKind kind,
                                                           const std::string& name) override {
    Lock lock = Hold();
    return backend_->FindMirrorEntryByName(tenant, profile, kind, name);
  }
  Result<size_t> CountMirror(const std::string& tenant, const std::string& profile,
                             ObjectKind kind) override {
    Lock lock = Hold();
    return backend_->CountMirror(tenant, profile, kind);
  }
  Result<std::vector<MirrorPending>> ListMirrorPending(const std::string& tenant,
                                                       const std::string& profile,
                                                       size_t limit) override {
    Lock lock = Hold();
    return backend_->ListMirrorPending(tenant, profile, limit);
  }
  Status ClearMirrorPending(const std::string& tenant, const std::string& profile,
                            const std::vector<int64_t>& seqs) override {
    Lock lock = Hold();
    return backend_->ClearMirrorPending(tenant, profile, seqs);
  }

  // ---- JobStore ----
  Result<int64_t> EnqueueJob(const JobRecord& job) override {
    Lock lock = Hold();
    return backend_->EnqueueJob(job);
  }
  Result<std::optional<JobRecord>> ClaimJob(const std::string& worker, int64_t now,
                                            int64_t lease_seconds, size_t per_tenant_cap) override {
    Lock lock = Hold();
    return backend_->ClaimJob(worker, now, lease_seconds, per_tenant_cap);
  }
  Status HeartbeatJob(int64_t id, const std::string& worker, int64_t lease_until, int64_t run_id,
                      const std::string& progress) override {
    Lock lock = Hold();
    return backend_->HeartbeatJob(id, worker, lease_until, run_id, progress);
  }
  Status FinishJob(const JobRecord& job) override {
    Lock lock = Hold();
    return backend_->FinishJob(job);
  }
  Result<JobRecord> GetJob(const std::string& tenant, int64_t id) override {
    Lock lock = Hold();
    return backend_->GetJob(tenant, id);
  }
  Result<std::vector<JobRecord>> ListJobs(const std::string& tenant, const std::string& profile,
                                          size_t limit) override {
    Lock lock = Hold();
    return backend_->ListJobs(tenant, profile, limit);
  }

  // ---- TokenStore ----
  Result<int64_t> AddToken(const ApiToken& token) override {
    Lock lock = Hold();
    return backend_->AddToken(token);
  }
  Result<std::vector<ApiToken>> ListTokens(const std::string& tenant,
                                           const std::string& kind) override {
    Lock lock = Hold();
    return backend_->ListTokens(tenant, kind);
  }
  Status RevokeToken(const std::string& tenant, const std::string& kind, int64_t id,
                     int64_t now) override {
    Lock lock = Hold();
    return backend_->RevokeToken(tenant, kind, id, now);
  }
  Result<std::optional<ApiToken>> FindToken(const std::string& kind,
                                            const std::string& hash) override {
    Lock lock = Hold();
    return backend_->FindToken(kind, hash);
  }

  // ---- TenantStore ----
  Result<std::vector<TenantRecord>> ListTenants() override {
    Lock lock = Hold();
    return backend_->ListTenants();
  }
  Result<std::optional<TenantRecord>> GetTenant(const std::string& name) override {
    Lock lock = Hold();
    return backend_->GetTenant(name);
  }
  Status CreateTenant(const TenantRecord& tenant) override {
    Lock lock = Hold();
    return backend_->CreateTenant(tenant);
  }
  Status UpdateTenant(const TenantRecord& tenant) override {
    Lock lock = Hold();
    return backend_->UpdateTenant(tenant);
  }
  Result<TenantDeletion> DeleteTenant(const std::string& name, int64_t now) override {
    Lock lock = Hold();
    return backend_->DeleteTenant(name, now);
  }

  // ---- ProfileStore ----
  Result<std::vector<StoredProfile>> ListStoredProfiles(const std::string& tenant) override {
    Lock lock = Hold();
    return backend_->ListStoredProfiles(tenant);
  }
  Result<std::optional<StoredProfile>> GetStoredProfile(const std::string& tenant,
                                                        const std::string& name) override {
    Lock lock = Hold();
    return backend_->GetStoredProfile(tenant, name);
  }
  Result<int64_t> PutStoredProfile(const StoredProfile& profile, int64_t expected_version,
                                   int64_t now) override {
    Lock lock = Hold();
    return backend_->PutStoredProfile(profile, expected_version, now);
  }
  Status DeleteStoredProfile(const std::string& tenant, const std::string& name) override {
    Lock lock = Hold();
    return backend_->DeleteStoredProfile(tenant, name);
  }
  Result<std::string> RecordSecretKey(const std::string& key_id, int64_t now) override {
    Lock lock = Hold();
    return backend_->RecordSecretKey(key_id, now);
  }
  Result<int> RewriteSecrets(const std::string& expected_key_id, const std::string& new_key_id,
                             const SecretRewrite& rewrite, int64_t now) override {
    Lock lock = Hold();
    return backend_->RewriteSecrets(expected_key_id, new_key_id, rewrite, now);
  }

  // ---- MailStore ----
  Result<int64_t> AddNotification(const NotificationRecord& record) override {
    Lock lock = Hold();
    return backend_->AddNotification(record);
  }
  Status UpdateNotification(const NotificationRecord& record) override {
    Lock lock = Hold();
    return backend_->UpdateNotification(record);
  }
  Result<std::vector<NotificationRecord>> ListNotifications(const std::string& tenant,
                                                            int64_t run_id,
                                                            bool failed_only) override {
    Lock lock = Hold();
    return backend_->ListNotifications(tenant, run_id, failed_only);
  }

  // ---- OutboxStore ----
  Result<std::vector<OutboxEvent>> ListOutbox(const std::string& tenant, int64_t after_seq,
                                              size_t limit) override {
    Lock lock = Hold();
    return backend_->ListOutbox(tenant, after_seq, limit);
  }
  Result<int64_t> LastOutboxSeq(const std::string& tenant) override {
    Lock lock = Hold();
    return backend_->LastOutboxSeq(tenant);
  }
  Result<int64_t> CountOutbox(const std::string& tenant, int64_t after_seq) override {
    Lock lock = Hold();
    return backend_->CountOutbox(tenant, after_seq);
  }
  Result<int64_t> CompactOutbox(const std::string& tenant, int64_t up_to_seq) override {
    Lock lock = Hold();
    return backend_->CompactOutbox(tenant, up_to_seq);
  }
  Result<bool> IsCurrentEvent(const OutboxEvent& event) override {
    Lock lock = Hold();
    return backend_->IsCurrentEvent(event);
  }
  Result<std::optional<TargetCursor>> GetTargetCursor(const std::string& tenant,
                                                      const std::string& target) override {
    Lock lock = Hold();
    return backend_->GetTargetCursor(tenant, target);
  }
  Status PutTargetCursor(const TargetCursor& cursor) override {
    Lock lock = Hold();
    return backend_->PutTargetCursor(cursor);
  }
  Status OpenTargetCursor(const std::string& tenant, const std::string& target) override {
    Lock lock = Hold();
    return backend_->OpenTargetCursor(tenant, target);
  }
  Result<std::vector<TargetCursor>> ListTargetCursors(const std::string& tenant) override {
    Lock lock = Hold();
    return backend_->ListTargetCursors(tenant);
  }
  Status AddDeadEvent(const DeadEvent& dead) override {
    Lock lock = Hold();
    return backend_->AddDeadEvent(dead);
  }
  Result<std::vector<DeadEvent>> ListDeadEvents(const std::string& tenant,
                                                const std::string& target) override {
    Lock lock = Hold();
    return backend_->ListDeadEvents(tenant, target);
  }
  Status RemoveDeadEvent(const std::string& tenant, const std::string& target,
                         int64_t seq) override {
    Lock lock = Hold();
    return backend_->RemoveDeadEvent(tenant, target, seq);
  }

  // ---- TargetStateStore ----
  Result<std::vector<TargetObject>> ListTargetObjects(const std::string& tenant,
                                                      const std::string& target) override {
    Lock lock = Hold();
    return backend_->ListTargetObjects(tenant, target);
  }
  Status PutTargetObject(const TargetObject& object) override {
    Lock lock = Hold();
    return backend_->PutTargetObject(object);
  }
  Status RemoveTargetObject(const std::string& tenant, const std::string& target,
                            const std::string& type, const std::string& key) override {
    Lock lock = Hold();
    return backend_->RemoveTargetObject(tenant, target, type, key);
  }
  Result<std::optional<std::string>> GetSipCredential(const std::string& tenant,
                                                      int64_t user_id) override {
    Lock lock = Hold();
    return backend_->GetSipCredential(tenant, user_id);
  }
  Status PutSipCredential(const std::string& tenant, int64_t user_id, const std::string& sealed,
                          int64_t now) override {
    Lock lock = Hold();
    return backend_->PutSipCredential(tenant, user_id, sealed, now);
  }
  Result<std::vector<SipCredential>> ListSipCredentials(const std::string& tenant) override {
    Lock lock = Hold();
    return backend_->ListSipCredentials(tenant);
  }
  Status PutSipCredentials(const std::string& tenant, const std::vector<SipCredential>& credentials,
                           int64_t now) override {
    Lock lock = Hold();
    return backend_->PutSipCredentials(tenant, credentials, now);
  }
  Status SaveTargetObjects(
      const std::string& tenant, const std::string& target, const std::vector<TargetObject>& put,
      const std::vector<std::pair<std::string, std::string>>& removed) override {
    Lock lock = Hold();
    return backend_->SaveTargetObjects(tenant, target, put, removed);
  }
  Result<std::vector<PbxUser>> ListUsersFields(const std::string& tenant,
                                               const std::vector<Field>& fields) override {
    Lock lock = Hold();
    return backend_->ListUsersFields(tenant, fields);
  }

  int SchemaVersion() override {
    Lock lock = Hold();
    return backend_->SchemaVersion();
  }

 private:
  mutable std::recursive_mutex mutex_;
  std::unique_ptr<Store> backend_;  // every use under mutex_
  std::mutex runs_mutex_;
  std::condition_variable runs_cv_;
  std::map<std::string, std::string> runs_;  // tenant/profile -> holder note, under runs_mutex_
};

LockedRunLock::~LockedRunLock() {
  {
    Lock lock = store_.Hold();
    inner_.reset();  // a PostgreSQL lock is released on the store's connection
  }
  store_.ReleaseRun(key_);
}

}  // namespace

std::unique_ptr<Store> MakeThreadSafe(std::unique_ptr<Store> backend) {
  return std::make_unique<LockedStore>(std::move(backend));
}

}  // namespace telsync::store_detail
