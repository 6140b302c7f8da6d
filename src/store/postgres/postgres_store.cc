#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <ctime>
#include <future>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/fields.h"
#include "store/detail/columns.h"
#include "store/postgres/detail/pg_conn.h"
#include "store/postgres/migrations.h"
#include "store/postgres/postgres_jobs.h"
#include "store/postgres/postgres_mail.h"
#include "store/postgres/postgres_mirror.h"
#include "store/postgres/postgres_outbox.h"
#include "store/postgres/postgres_runs.h"
#include "store/postgres/postgres_secrets.h"
#include "store/postgres/postgres_target_state.h"
#include "store/postgres/postgres_tenants.h"
#include "store/postgres/postgres_users.h"

namespace telsync {
namespace {

using pg_detail::Conn;
using pg_detail::CopyBuffer;
using pg_detail::CopyStream;
using pg_detail::FieldList;
using pg_detail::Params;
using pg_detail::PgResult;
using pg_detail::ReadDepartments;
using pg_detail::ReadUsers;
using pg_detail::SelectUsersSql;
using pg_detail::Transaction;

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

// ---- JSON columns: the same text as the SQLite store writes. ----

using store_detail::CustomJson;
using store_detail::GroupsJson;

// A create's (profile, source_key), viewing the plan's strings.
struct CreateKey {
  std::string_view profile;
  std::string_view source_key;
  bool operator==(const CreateKey&) const = default;
};
struct CreateKeyHash {
  size_t operator()(const CreateKey& k) const {
    const size_t h = std::hash<std::string_view>()(k.source_key);
    return h ^
           (std::hash<std::string_view>()(k.profile) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2));
  }
};

// The staging table of Apply and the columns COPY fills, in order. Subscription is not
// among them (F16): a sync never writes it.
std::string StageColumns() {
  return "seq, id, tenant, profile, source_key" + FieldList("") +
         ", searchable, state, pending_since, groups, custom, created_at, updated_at";
}
std::string UserValueColumns(std::string_view prefix) {
  std::string p(prefix);
  return p + "tenant, " + p + "profile, " + p + "source_key" + FieldList(prefix) + ", " + p +
         "searchable, " + p + "state, " + p + "pending_since, " + p + "groups, " + p + "custom, " +
         p + "created_at, " + p + "updated_at";
}

std::string UpdateFromStageSql() {
  std::string sql = "UPDATE users u SET profile = s.profile, source_key = s.source_key";
  for (size_t i = 0; i < kFieldCount; ++i) {
    const std::string name(FieldName(static_cast<Field>(i)));
    sql += ", " + name + " = s." + name;
  }
  sql +=
      ", searchable = s.searchable, state = s.state, pending_since = s.pending_since, "
      "groups = s.groups, custom = s.custom, updated_at = s.updated_at "
      "FROM users_stage s WHERE s.id <> 0 AND u.id = s.id AND u.tenant = s.tenant";
  return sql;
}

std::string InsertFromStageSql() {
  // A create applied twice (a rerun after a crash) updates the row it made the first time
  // instead of duplicating it (R2).
  std::string sql = "INSERT INTO users (" + UserValueColumns("") + ") SELECT " +
                    UserValueColumns("") +
                    " FROM users_stage WHERE id = 0 ORDER BY seq "
                    "ON CONFLICT (tenant, profile, source_key) WHERE source_key <> '' "
                    "DO UPDATE SET ";
  for (size_t i = 0; i < kFieldCount; ++i) {
    const std::string name(FieldName(static_cast<Field>(i)));
    sql += name + " = excluded." + name + ", ";
  }
  sql +=
      "searchable = excluded.searchable, state = excluded.state, "
      "pending_since = excluded.pending_since, groups = excluded.groups, "
      "custom = excluded.custom, updated_at = excluded.updated_at";
  return sql;
}

// The UserValueColumns of one user, as COPY text.
void UserRow(CopyBuffer& copy, const std::string& tenant, const PbxUser& user, int64_t now) {
  copy.Field(tenant);
  copy.Field(user.profile);
  copy.Field(user.source_key);
  for (size_t i = 0; i < kFieldCount; ++i) copy.Field(user.fields.Get(static_cast<Field>(i)));
  copy.Int(user.searchable ? 1 : 0);
  copy.Field(user.state == UserState::kPendingDelete ? "pending_delete" : "active");
  copy.Int(user.pending_since);
  copy.Field(GroupsJson(user.groups));
  copy.Field(CustomJson(user.custom));
  copy.Int(now);
  copy.Int(now);
  copy.EndRow();
}

void StageUser(CopyBuffer& copy, int64_t seq, int64_t id, const std::string& tenant,
               const PbxUser& user, int64_t now) {
  copy.Int(seq);
  copy.Int(id);
  UserRow(copy, tenant, user, now);
}

// The failed item of a unique violation. The detail names the key, "(tenant, profile,
// source_key)=(acme, hr, k1)"; several items of the batch may carry that key (the row
// that holds it may itself be updated), and the culprit is the one for which another row
// holds it. Runs only on the error path, after the batch was rolled back.
std::string ConflictContext(Conn& conn, const std::string& tenant, const Error& error,
                            const std::vector<const PlanItem*>& items) {
  auto name = [](const PlanItem* item) {
    return "user " + (item->username.empty() ? item->key : item->username);
  };
  std::vector<const PlanItem*> candidates;
  for (const PlanItem* item : items) {
    const PbxUser& target = *item->target;
    if (target.source_key.empty()) continue;
    if (error.message.find(", " + target.profile + ", " + target.source_key + ")") !=
        std::string::npos) {
      candidates.push_back(item);
    }
  }
  for (const PlanItem* item : candidates) {
    Params p;
    p.Add(tenant).Add(item->target->profile).Add(item->target->source_key).Add(item->user_id);
    auto r = conn.Exec(
        "SELECT 1 FROM users WHERE tenant = $1 AND profile = $2 AND source_key = $3 AND "
        "id <> $4::bigint",
        p, "find conflict");
    if (r.ok() && r->rows() > 0) return name(item);
  }
  return candidates.empty() ? "users" : name(candidates.front());
}

class PostgresStore final : public Store {
 public:
  PostgresStore(std::unique_ptr<Conn> conn, std::string url, int version,
                PostgresStoreOptions options)
      : conn_(std::move(conn)), url_(std::move(url)), version_(version), options_(options) {
    if (options_.batch_size == 0) options_.batch_size = 1;
  }
  ~PostgresStore() override {
    // The items thread uses items_conn_: it ends before the connection closes.
    if (pending_items_.valid()) pending_items_.wait();
  }

  Result<StoreSnapshot> LoadSnapshot(const std::string& tenant,
                                     const std::string& profile) override;
  Result<ApplyReport> Apply(const Plan& plan, const ApplyProgress& on_progress) override;
  Result<std::unique_ptr<RunLock>> LockProfileRuns(const std::string& tenant,
                                                   const std::string& profile, bool wait,
                                                   int64_t now) override {
    return pg_detail::LockPostgresProfileRuns(*conn_, tenant, profile, wait, now);
  }
  Result<int64_t> CreateRun(const Run& run) override {
    return pg_detail::CreatePostgresRun(*conn_, run);
  }
  Status UpdateRun(const Run& run) override { return pg_detail::UpdatePostgresRun(*conn_, run); }
  Status SaveRunItems(int64_t run_id, const Plan& plan) override {
    if (pending_items_.valid()) pending_items_.wait();  // a started save ends first
    return pg_detail::SavePostgresRunItems(*conn_, run_id, plan);
  }
  RunItemsSave StartSaveRunItems(int64_t run_id, const Plan& plan) override;
  Result<Run> GetRun(const std::string& tenant, int64_t run_id) override {
    return pg_detail::GetPostgresRun(*conn_, tenant, run_id);
  }
  Result<std::vector<Run>> ListRuns(const std::string& tenant, const std::string& profile,
                                    size_t limit) override {
    return pg_detail::ListPostgresRuns(*conn_, tenant, profile, limit);
  }
  Result<std::vector<PlanItem>> GetRunItems(const std::string& tenant, int64_t run_id,
                                            std::optional<Action> action) override {
    return pg_detail::GetPostgresRunItems(*conn_, tenant, run_id, action);
  }
  Result<RunItemsPage> GetRunItemsPage(const std::string& tenant, int64_t run_id,
                                       const RunItemsQuery& query) override {
    return pg_detail::GetPostgresRunItemsPage(*conn_, tenant, run_id, query);
  }
  Result<std::vector<DepartmentChange>> GetRunDepartments(const std::string& tenant,
                                                          int64_t run_id) override {
    return pg_detail::GetPostgresRunDepartments(*conn_, tenant, run_id);
  }
  Result<std::optional<Run>> LastSuccessfulSync(const std::string& tenant,
                                                const std::string& profile) override {
    return pg_detail::LastPostgresSuccessfulSync(*conn_, tenant, profile);
  }
  Result<std::optional<int64_t>> GetProfilePause(const std::string& tenant,
                                                 const std::string& profile) override {
    return pg_detail::GetPostgresProfilePause(*conn_, tenant, profile);
  }
  Status ClearProfilePause(const std::string& tenant, const std::string& profile) override {
    return pg_detail::ClearPostgresProfilePause(*conn_, tenant, profile);
  }
  Result<HistoryPurge> PurgeRunHistory(const std::string& tenant, int64_t before, int64_t now,
                                       size_t batch) override {
    if (pending_items_.valid()) pending_items_.wait();  // a started save ends first
    return pg_detail::PurgePostgresRunHistory(*conn_, tenant, before, now, batch);
  }
  Result<std::optional<PbxUser>> FindUser(const std::string& tenant,
                                          const std::string& name) override {
    return pg_detail::FindPostgresUser(*conn_, tenant, name);
  }
  Result<std::vector<PbxUser>> ListUsers(const std::string& tenant, size_t limit,
                                         size_t offset) override {
    return pg_detail::ListPostgresUsers(*conn_, tenant, limit, offset);
  }
  Result<size_t> CountUsers(const std::string& tenant) override {
    return pg_detail::CountPostgresUsers(*conn_, tenant);
  }
  Result<std::vector<std::string>> ListPendingDeleteKeys(const std::string& tenant,
                                                         const std::string& profile) override {
    return pg_detail::ListPostgresPendingDeleteKeys(*conn_, tenant, profile);
  }
  Result<std::vector<std::string>> ListWaitingKeys(const std::string& tenant,
                                                   const std::string& profile) override {
    return pg_detail::ListPostgresWaitingKeys(*conn_, tenant, profile);
  }
  Status SetWaitingKeys(const std::string& tenant, const std::string& profile,
                        const std::vector<std::string>& keys,
                        const std::unordered_set<std::string>* scope) override {
    return pg_detail::SetPostgresWaitingKeys(*conn_, tenant, profile, keys, scope);
  }
  Status UnlinkUser(const std::string& tenant, int64_t user_id) override {
    return pg_detail::UnlinkPostgresUser(*conn_, tenant, user_id);
  }
  Status SetUserGroups(const std::string& tenant, int64_t user_id,
                       const std::vector<std::string>& groups) override {
    return pg_detail::SetPostgresUserGroups(*conn_, tenant, user_id, groups);
  }
  Result<std::vector<Department>> ListDepartments(const std::string& tenant) override {
    return pg_detail::ListPostgresDepartments(*conn_, tenant);
  }
  Result<std::string> GetCursor(const std::string& tenant, const std::string& profile) override {
    return pg_detail::GetPostgresCursor(*conn_, tenant, profile);
  }
  Status SetCursor(const std::string& tenant, const std::string& profile,
                   const std::string& cursor) override {
    return pg_detail::SetPostgresCursor(*conn_, tenant, profile, cursor);
  }

  Result<std::unique_ptr<MirrorWriter>> BeginMirrorWrite(const std::string& tenant,
                                                         const std::string& profile,
                                                         MirrorWriteMode mode,
                                                         int64_t now) override {
    return pg_detail::BeginPostgresMirrorWrite(*conn_, tenant, profile, mode, now);
  }
  Status ScanMirror(const std::string& tenant, const std::string& profile,
                    const std::function<bool(MirrorEntry&&)>& fn) override {
    return pg_detail::ScanPostgresMirror(*conn_, tenant, profile, fn);
  }
  Result<std::optional<MirrorEntry>> GetMirrorEntry(const std::string& tenant,
                                                    const std::string& profile, ObjectKind kind,
                                                    const std::string& id) override {
    return pg_detail::GetPostgresMirrorEntry(*conn_, tenant, profile, kind, id);
  }
  Status ScanMirrorPage(const std::string& tenant, const std::string& profile, ObjectKind kind,
                        size_t offset, size_t limit,
                        const std::function<bool(MirrorEntry&&)>& fn) override {
    return pg_detail::ScanPostgresMirrorPage(*conn_, tenant, profile, kind, offset, limit, fn);
  }
  Result<std::optional<MirrorEntry>> FindMirrorEntryByName(const std::string& tenant,
                                                           const std::string& profile,
                                                           ObjectKind kind,
                                                           const std::string& name) override {
    return pg_detail::FindPostgresMirrorEntryByName(*conn_, tenant, profile, kind, name);
  }
  Result<size_t> CountMirror(const std::string& tenant, const std::string& profile,
                             ObjectKind kind) override {
    return pg_detail::CountPostgresMirror(*conn_, tenant, profile, kind);
  }
  Result<std::vector<MirrorPending>> ListMirrorPending(const std::string& tenant,
                                                       const std::string& profile,
                                                       size_t limit) override {
    return pg_detail::ListPostgresMirrorPending(*conn_, tenant, profile, limit);
  }
  Status ClearMirrorPending(const std::string& tenant, const std::string& profile,
                            const std::vector<int64_t>& seqs) override {
    return pg_detail::ClearPostgresMirrorPending(*conn_, tenant, profile, seqs);
  }
  Result<int64_t> AddToken(const ApiToken& token) override {
    return pg_detail::AddPostgresToken(*conn_, token);
  }
  Result<std::vector<ApiToken>> ListTokens(const std::string& tenant,
                                           const std::string& kind) override {
    return pg_detail::ListPostgresTokens(*conn_, tenant, kind);
  }
  Status RevokeToken(const std::string& tenant, const std::string& kind, int64_t id,
                     int64_t now) override {
    return pg_detail::RevokePostgresToken(*conn_, tenant, kind, id, now);
  }
  Result<std::optional<ApiToken>> FindToken(const std::string& kind,
                                            const std::string& hash) override {
    return pg_detail::FindPostgresToken(*conn_, kind, hash);
  }

  // The outbox role (store/outbox.h), in postgres_outbox.cc.
  Result<std::vector<OutboxEvent>> ListOutbox(const std::string& tenant, int64_t after_seq,
                                              size_t limit) override {
    return pg_detail::ListPostgresOutbox(*conn_, tenant, after_seq, limit);
  }
  Result<int64_t> LastOutboxSeq(const std::string& tenant) override {
    return pg_detail::LastPostgresOutboxSeq(*conn_, tenant);
  }
  Result<int64_t> CountOutbox(const std::string& tenant, int64_t after_seq) override {
    return pg_detail::CountPostgresOutbox(*conn_, tenant, after_seq);
  }
  Result<int64_t> CompactOutbox(const std::string& tenant, int64_t up_to_seq) override {
    return pg_detail::CompactPostgresOutbox(*conn_, tenant, up_to_seq);
  }
  Result<bool> IsCurrentEvent(const OutboxEvent& event) override {
    return pg_detail::IsCurrentPostgresEvent(*conn_, event);
  }
  Result<std::optional<TargetCursor>> GetTargetCursor(const std::string& tenant,
                                                      const std::string& target) override {
    return pg_detail::GetPostgresTargetCursor(*conn_, tenant, target);
  }
  Status PutTargetCursor(const TargetCursor& cursor) override {
    return pg_detail::PutPostgresTargetCursor(*conn_, cursor);
  }
  Status OpenTargetCursor(const std::string& tenant, const std::string& target) override {
    return pg_detail::OpenPostgresTargetCursor(*conn_, tenant, target);
  }
  Result<std::vector<TargetCursor>> ListTargetCursors(const std::string& tenant) override {
    return pg_detail::ListPostgresTargetCursors(*conn_, tenant);
  }
  Status AddDeadEvent(const DeadEvent& dead) override {
    return pg_detail::AddPostgresDeadEvent(*conn_, dead);
  }
  Result<std::vector<DeadEvent>> ListDeadEvents(const std::string& tenant,
                                                const std::string& target) override {
    return pg_detail::ListPostgresDeadEvents(*conn_, tenant, target);
  }
  Status RemoveDeadEvent(const std::string& tenant, const std::string& target,
                         int64_t seq) override {
    return pg_detail::RemovePostgresDeadEvent(*conn_, tenant, target, seq);
  }
  // The targets' own state (store/target_state.h), in postgres_target_state.cc.
  Result<std::vector<TargetObject>> ListTargetObjects(const std::string& tenant,
                                                      const std::string& target) override {
    return pg_detail::ListPostgresTargetObjects(*conn_, tenant, target);
  }
  Status PutTargetObject(const TargetObject& object) override {
    return pg_detail::PutPostgresTargetObject(*conn_, object);
  }
  Status RemoveTargetObject(const std::string& tenant, const std::string& target,
                            const std::string& type, const std::string& key) override {
    return pg_detail::RemovePostgresTargetObject(*conn_, tenant, target, type, key);
  }
  Result<std::optional<std::string>> GetSipCredential(const std::string& tenant,
                                                      int64_t user_id) override {
    return pg_detail::GetPostgresSipCredential(*conn_, tenant, user_id);
  }
  Status PutSipCredential(const std::string& tenant, int64_t user_id, const std::string& sealed,
                          int64_t now) override {
    return pg_detail::PutPostgresSipCredential(*conn_, tenant, user_id, sealed, now);
  }
  Result<std::vector<SipCredential>> ListSipCredentials(const std::string& tenant) override {
    return pg_detail::ListPostgresSipCredentials(*conn_, tenant);
  }
  Status PutSipCredentials(const std::string& tenant, const std::vector<SipCredential>& credentials,
                           int64_t now) override {
    return pg_detail::PutPostgresSipCredentials(*conn_, tenant, credentials, now);
  }
  Status SaveTargetObjects(
      const std::string& tenant, const std::string& target, const std::vector<TargetObject>& put,
      const std::vector<std::pair<std::string, std::string>>& removed) override {
    return pg_detail::SavePostgresTargetObjects(*conn_, tenant, target, put, removed);
  }
  Result<std::vector<PbxUser>> ListUsersFields(const std::string& tenant,
                                               const std::vector<Field>& fields) override {
    return pg_detail::ListPostgresUsersFields(*conn_, tenant, fields);
  }
  Result<int64_t> AddNotification(const NotificationRecord& record) override {
    return pg_detail::AddPostgresNotification(*conn_, record);
  }
  Status UpdateNotification(const NotificationRecord& record) override {
    return pg_detail::UpdatePostgresNotification(*conn_, record);
  }
  Result<std::vector<NotificationRecord>> ListNotifications(const std::string& tenant,
                                                            int64_t run_id,
                                                            bool failed_only) override {
    return pg_detail::ListPostgresNotifications(*conn_, tenant, run_id, failed_only);
  }

  Result<std::vector<TenantRecord>> ListTenants() override {
    return pg_detail::ListPostgresTenants(*conn_);
  }
  Result<std::optional<TenantRecord>> GetTenant(const std::string& name) override {
    return pg_detail::GetPostgresTenant(*conn_, name);
  }
  Status CreateTenant(const TenantRecord& tenant) override {
    return pg_detail::CreatePostgresTenant(*conn_, tenant);
  }
  Status UpdateTenant(const TenantRecord& tenant) override {
    return pg_detail::UpdatePostgresTenant(*conn_, tenant);
  }
  Result<TenantDeletion> DeleteTenant(const std::string& name, int64_t now) override {
    return pg_detail::DeletePostgresTenant(*conn_, name, now);
  }

  Result<std::vector<StoredProfile>> ListStoredProfiles(const std::string& tenant) override {
    return pg_detail::ListPostgresStoredProfiles(*conn_, tenant);
  }
  Result<std::optional<StoredProfile>> GetStoredProfile(const std::string& tenant,
                                                        const std::string& name) override {
    return pg_detail::GetPostgresStoredProfile(*conn_, tenant, name);
  }
  Result<int64_t> PutStoredProfile(const StoredProfile& profile, int64_t expected_version,
                                   int64_t now) override {
    return pg_detail::PutPostgresStoredProfile(*conn_, profile, expected_version, now);
  }
  Status DeleteStoredProfile(const std::string& tenant, const std::string& name) override {
    return pg_detail::DeletePostgresStoredProfile(*conn_, tenant, name);
  }
  Result<std::string> RecordSecretKey(const std::string& key_id, int64_t now) override {
    return pg_detail::RecordPostgresSecretKey(*conn_, key_id, now);
  }
  Result<int> RewriteSecrets(const std::string& expected_key_id, const std::string& new_key_id,
                             const SecretRewrite& rewrite, int64_t now) override {
    return pg_detail::RewritePostgresSecrets(*conn_, expected_key_id, new_key_id, rewrite, now);
  }

  Result<int64_t> EnqueueJob(const JobRecord& job) override {
    return pg_detail::EnqueuePostgresJob(*conn_, job);
  }
  Result<std::optional<JobRecord>> ClaimJob(const std::string& worker, int64_t now,
                                            int64_t lease_seconds, size_t per_tenant_cap) override {
    return pg_detail::ClaimPostgresJob(*conn_, worker, now, lease_seconds, per_tenant_cap);
  }
  Status HeartbeatJob(int64_t id, const std::string& worker, int64_t lease_until, int64_t run_id,
                      const std::string& progress) override {
    return pg_detail::HeartbeatPostgresJob(*conn_, id, worker, lease_until, run_id, progress);
  }
  Status FinishJob(const JobRecord& job) override {
    return pg_detail::FinishPostgresJob(*conn_, job);
  }
  Result<JobRecord> GetJob(const std::string& tenant, int64_t id) override {
    return pg_detail::GetPostgresJob(*conn_, tenant, id);
  }
  Result<std::vector<JobRecord>> ListJobs(const std::string& tenant, const std::string& profile,
                                          size_t limit) override {
    return pg_detail::ListPostgresJobs(*conn_, tenant, profile, limit);
  }

  int SchemaVersion() override { return version_; }

 private:
  // Writes one batch of Apply in its own transaction. direct_creates: try COPY straight
  // into users first; cleared when a batch had to fall back.
  Status ApplyBatch(const Plan& plan, const std::vector<const PlanItem*>& batch, int64_t now,
                    bool& direct_creates, ApplyReport& report);
  // COPYs `items` into the session's staging table users_stage (created on first use).
  Status StageUsers(const std::string& tenant, const std::vector<const PlanItem*>& items,
                    int64_t now, ApplyReport& report);
  // COPYs creates straight into users inside a savepoint. kConflict (the savepoint rolled
  // back, the transaction usable) when a row already holds one of their unique values.
  Status CopyCreates(const std::string& tenant, const std::vector<const PlanItem*>& creates,
                     int64_t now, ApplyReport& report);

  std::unique_ptr<Conn> conn_;
  std::string url_;  // for items_conn_
  int version_;
  PostgresStoreOptions options_;
  // The run items' own connection (StartSaveRunItems), opened on first use, and the save
  // under way on it.
  std::unique_ptr<Conn> items_conn_;
  std::shared_future<Status> pending_items_;
};

Result<StoreSnapshot> PostgresStore::LoadSnapshot(const std::string& tenant,
                                                  const std::string& profile) {
  StoreSnapshot snapshot;
  // One repeatable-read transaction: users and departments come from the same state even
  // when another process writes meanwhile.
  auto tx = Transaction::Begin(*conn_);
  if (!tx.ok()) return tx.error();
  if (auto r = conn_->Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                           "load snapshot");
      !r.ok()) {
    return r.error();
  }
  // Pages by id: a million users never sit in one libpq result beside the vector.
  constexpr int64_t kPage = 20000;
  int64_t after = 0;
  for (;;) {
    Params p;
    p.Add(tenant).Add(after).Add(kPage);
    auto r = conn_->ExecPrepared(
        "telsync_snapshot_users",
        SelectUsersSql("WHERE tenant = $1 AND id > $2::bigint ORDER BY id LIMIT $3::bigint"), p,
        "read users");
    if (!r.ok()) return r.error();
    auto read = ReadUsers(*r, &snapshot.users);
    if (!read.ok()) return read.error();
    if (r->rows() < kPage) break;
    after = snapshot.users.back().id;
  }
  Params p;
  p.Add(tenant).Add(profile);
  auto r = conn_->ExecPrepared("telsync_snapshot_departments",
                               "SELECT id, profile, name, ring_group, members FROM departments "
                               "WHERE tenant = $1 AND profile = $2 ORDER BY name COLLATE \"C\"",
                               p, "read departments");
  if (!r.ok()) return r.error();
  auto departments = ReadDepartments(*r);
  if (!departments.ok()) return departments.error();
  snapshot.departments = std::move(*departments);
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return snapshot;
}

Result<ApplyReport> PostgresStore::Apply(const Plan& plan, const ApplyProgress& on_progress) {
  ApplyReport report;
  if (plan.IsNoop()) return report;  // P3: nothing sent, no transaction, no write

  // Deletions first: a value (e-mail, extension, number) that a deleted user frees may be
  // taken by another user in the same plan, and no committed batch should hold both.
  // A create repeated in one plan keeps only its last occurrence: the SQLite store's
  // row-by-row upsert ends in the same state, and one INSERT ... ON CONFLICT may not
  // touch a row twice.
  // Keyed by views into the plan: a first sync would otherwise build a million strings.
  std::unordered_map<CreateKey, size_t, CreateKeyHash> last_create;
  last_create.reserve(plan.items.size());
  for (size_t i = 0; i < plan.items.size(); ++i) {
    const PlanItem& item = plan.items[i];
    if (item.action == Action::kCreate && !item.target->source_key.empty()) {
      last_create[{item.target->profile, item.target->source_key}] = i;
    }
  }
  std::vector<const PlanItem*> order;
  order.reserve(plan.items.size());
  for (const PlanItem& item : plan.items) {
    if (item.action == Action::kDelete) order.push_back(&item);
  }
  size_t writes = 0;  // what Apply's progress ends at
  for (size_t i = 0; i < plan.items.size(); ++i) {
    const PlanItem& item = plan.items[i];
    if (IsWrite(item.action)) ++writes;
    if (!IsWrite(item.action) || item.action == Action::kDelete) continue;
    if (item.action == Action::kCreate && !item.target->source_key.empty() &&
        last_create.at({item.target->profile, item.target->source_key}) != i) {
      continue;
    }
    order.push_back(&item);
  }

  const int64_t now = NowSeconds();
  bool direct_creates = true;
  for (size_t at = 0; at < order.size(); at += options_.batch_size) {
    const size_t end = std::min(order.size(), at + options_.batch_size);
    std::vector<const PlanItem*> batch(order.begin() + static_cast<ptrdiff_t>(at),
                                       order.begin() + static_cast<ptrdiff_t>(end));
    if (Status s = ApplyBatch(plan, batch, now, direct_creates, report); !s.ok()) {
      return s.error();
    }
    // The last batch ends every write of the plan, the creates a later one replaced too.
    if (on_progress) on_progress(end == order.size() ? writes : end);
  }

  // Departments: a handful per profile, one prepared statement each, one transaction.
  std::optional<Transaction> tx;
  bool events = false;  // whether the tenant has a target cursor (store/outbox.h)
  for (const DepartmentChange& change : plan.departments) {
    const bool upsert = change.action == Action::kCreate || change.action == Action::kUpdate;
    if (!upsert && change.action != Action::kDelete) continue;
    if (!tx) {
      auto begun = Transaction::Begin(*conn_);
      if (!begun.ok()) return begun.error();
      tx.emplace(std::move(*begun));
      Result<bool> has_cursor = pg_detail::PostgresBatchWritesEvents(*conn_, plan.tenant);
      if (!has_cursor.ok()) return has_cursor.error();
      events = *has_cursor;
    }
    const Department& d = change.target;
    const std::string& profile = d.profile.empty() ? plan.profile : d.profile;
    Params p;
    p.Add(plan.tenant).Add(profile).Add(d.name);
    Result<PgResult> r = Error::Internal("unreachable");
    if (upsert) {
      p.Add(d.ring_group).Add(GroupsJson(d.members));
      r = conn_->ExecPrepared(
          "telsync_department_upsert",
          "INSERT INTO departments (tenant, profile, name, ring_group, members) "
          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, profile, name) DO UPDATE SET "
          "ring_group = excluded.ring_group, members = excluded.members",
          p, "write department");
    } else {
      r = conn_->ExecPrepared(
          "telsync_department_delete",
          "DELETE FROM departments WHERE tenant = $1 AND profile = $2 AND name = $3", p,
          "delete department");
    }
    if (!r.ok()) {
      Error error = r.error();
      error.context = "department " + d.name;
      return error;
    }
    ++report.statements;
    report.departments_written += static_cast<size_t>(r->Affected());
    if (!events) continue;
    if (Status s = pg_detail::WritePostgresDepartmentEvent(*conn_, plan.tenant, change, profile,
                                                           r->Affected() > 0, now);
        !s.ok()) {
      return s.error();
    }
  }
  if (plan.pause_run != 0) {
    // Recorded with the plan's last write (issue 18: `runs revert --pause`).
    if (!tx) {
      auto begun = Transaction::Begin(*conn_);
      if (!begun.ok()) return begun.error();
      tx.emplace(std::move(*begun));
    }
    if (Status s = pg_detail::SetPostgresProfilePause(*conn_, plan.tenant, plan.profile,
                                                      plan.pause_run, now);
        !s.ok()) {
      return s.error();
    }
    ++report.statements;
  }
  if (tx) {
    if (Status s = tx->Commit(); !s.ok()) return s.error();
  }
  return report;
}

Status PostgresStore::ApplyBatch(const Plan& plan, const std::vector<const PlanItem*>& batch,
                                 int64_t now, bool& direct_creates, ApplyReport& report) {
  std::vector<int64_t> deletes;
  std::vector<const PlanItem*> delete_items;  // for their outbox events (issue 17)
  std::vector<const PlanItem*> updates;
  std::vector<const PlanItem*> creates;
  std::vector<const PlanItem*> restores;  // creates that keep a deleted user's id (issue 18)
  for (const PlanItem* item : batch) {
    if (item->action == Action::kDelete) {
      deletes.push_back(item->user_id);
      delete_items.push_back(item);
    } else if (item->action == Action::kCreate && item->user_id != 0) {
      restores.push_back(item);
    } else if (item->action == Action::kCreate) {
      creates.push_back(item);
    } else {
      updates.push_back(item);
    }
  }
  auto tx = Transaction::Begin(*conn_);
  if (!tx.ok()) return tx.error();
  Result<bool> events = pg_detail::PostgresBatchWritesEvents(*conn_, plan.tenant);
  if (!events.ok()) return events.error();
  if (!deletes.empty()) {
    if (*events) {
      if (Status s = pg_detail::WritePostgresDeleteEvents(*conn_, plan.tenant, delete_items, now);
          !s.ok()) {
        return s;
      }
    }
    Params p;
    p.Add(plan.tenant).Add(pg_detail::IntArrayLiteral(deletes));
    auto r = conn_->ExecPrepared("telsync_users_delete",
                                 "DELETE FROM users WHERE tenant = $1 AND id = ANY($2::bigint[])",
                                 p, "delete users");
    if (!r.ok()) return r.error();
    ++report.statements;
    report.users_written += static_cast<size_t>(r->Affected());
  }
  auto fail = [&](Error error, const std::vector<const PlanItem*>& items) {
    if (error.code == ErrorCode::kConflict) {
      // The transaction is aborted: end it before asking which item broke the rule.
      (void)conn_->Exec("ROLLBACK", "rollback");
      error.context = ConflictContext(*conn_, plan.tenant, error, items);
    }
    return error;
  };
  // Updates go in with COPY to the staging table; one UPDATE then writes them all.
  if (!updates.empty()) {
    if (Status s = StageUsers(plan.tenant, updates, now, report); !s.ok()) return s;
    static const std::string kUpdate = UpdateFromStageSql();
    auto r = conn_->ExecPrepared("telsync_users_update", kUpdate, Params(), "update users");
    if (!r.ok()) return fail(r.error(), updates);
    ++report.statements;
    report.users_written += static_cast<size_t>(r->Affected());
    if (*events) {
      if (Status s = pg_detail::WritePostgresUserEvents(*conn_, plan.tenant, updates, now);
          !s.ok()) {
        return s;
      }
    }
  }
  if (!restores.empty()) {
    CopyBuffer copy;
    for (const PlanItem* item : restores) {
      copy.Int(item->user_id);
      UserRow(copy, plan.tenant, *item->target, now);
    }
    if (Status s = conn_->CopyIn("COPY users (id, " + UserValueColumns("") + ") FROM STDIN", copy,
                                 "restore users");
        !s.ok()) {
      if (s.error().code == ErrorCode::kConflict) return fail(s.error(), restores);
      return s;
    }
    ++report.statements;
    report.users_written += restores.size();
    if (Status s = pg_detail::WritePostgresUserEvents(*conn_, plan.tenant, restores, now);
        !s.ok()) {
      return s;
    }
  }
  if (creates.empty()) return tx->Commit();
  // Creates go straight into users when none of their keys is there yet (a first sync),
  // which halves the server's work. A key that is there (a rerun after a crash, or another
  // writer that inserted it meanwhile) makes that COPY fail as a whole: the batch is then
  // staged and written with INSERT ... ON CONFLICT as before, and so are the rest of this
  // Apply's batches (the conflicts of a rerun come in runs).
  if (direct_creates) {
    Status s = CopyCreates(plan.tenant, creates, now, report);
    if (s.ok() && *events)
      s = pg_detail::WritePostgresUserEvents(*conn_, plan.tenant, creates, now);
    if (s.ok()) return tx->Commit();
    if (s.error().code != ErrorCode::kConflict) return s;
    direct_creates = false;
  }
  if (Status s = StageUsers(plan.tenant, creates, now, report); !s.ok()) return s;
  static const std::string kInsert = InsertFromStageSql();
  auto r = conn_->ExecPrepared("telsync_users_insert", kInsert, Params(), "create users");
  if (!r.ok()) return fail(r.error(), creates);
  ++report.statements;
  report.users_written += static_cast<size_t>(r->Affected());
  if (*events) {
    if (Status s = pg_detail::WritePostgresUserEvents(*conn_, plan.tenant, creates, now); !s.ok()) {
      return s;
    }
  }
  return tx->Commit();
}

Status PostgresStore::StageUsers(const std::string& tenant,
                                 const std::vector<const PlanItem*>& items, int64_t now,
                                 ApplyReport& report) {
  if (auto r = conn_->Exec("CREATE TEMP TABLE IF NOT EXISTS users_stage (seq BIGINT NOT NULL, "
                           "LIKE users INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
                           "prepare staging table");
      !r.ok()) {
    return r.error();
  }
  // Updates and creates of a batch may both be staged: creates have id 0 and their own
  // seq order, and each statement reads only its own rows.
  auto stream = CopyStream::Start(*conn_, "COPY users_stage (" + StageColumns() + ") FROM STDIN",
                                  "stage users");
  if (!stream.ok()) return stream.error();
  int64_t seq = 0;
  for (const PlanItem* item : items) {
    StageUser(stream->rows(), seq++, item->action == Action::kCreate ? 0 : item->user_id, tenant,
              *item->target, now);
    if (!stream->Flush().ok()) break;
  }
  if (Status s = stream->Finish(); !s.ok()) return s;
  ++report.statements;
  return Ok();
}

Status PostgresStore::CopyCreates(const std::string& tenant,
                                  const std::vector<const PlanItem*>& creates, int64_t now,
                                  ApplyReport& report) {
  if (auto r = conn_->Exec("SAVEPOINT telsync_direct", "create users"); !r.ok()) return r.error();
  Status status = Ok();
  {
    auto stream = CopyStream::Start(*conn_, "COPY users (" + UserValueColumns("") + ") FROM STDIN",
                                    "create users");
    if (!stream.ok()) {
      status = stream.error();
    } else {
      for (const PlanItem* item : creates) {
        UserRow(stream->rows(), tenant, *item->target, now);
        if (!stream->Flush().ok()) break;
      }
      status = stream->Finish();
    }
  }
  if (status.ok()) {
    ++report.statements;
    report.users_written += creates.size();
    if (auto r = conn_->Exec("RELEASE SAVEPOINT telsync_direct", "create users"); !r.ok()) {
      return r.error();
    }
    return Ok();
  }
  if (status.error().code == ErrorCode::kConflict) {
    if (auto r = conn_->Exec("ROLLBACK TO SAVEPOINT telsync_direct", "create users"); !r.ok()) {
      return r.error();
    }
  }
  return status;
}

RunItemsSave PostgresStore::StartSaveRunItems(int64_t run_id, const Plan& plan) {
  if (pending_items_.valid()) pending_items_.wait();  // one save at a time on items_conn_
  if (plan.items.size() < options_.concurrent_items_min) {
    return Store::StartSaveRunItems(run_id, plan);
  }
  if (!items_conn_) {
    // When a second connection cannot be had (max_connections), the items are written
    // afterwards on this one, as SaveRunItems always did.
    auto conn = Conn::Open(url_);
    if (!conn.ok()) return Store::StartSaveRunItems(run_id, plan);
    items_conn_ = std::move(*conn);
  }
  try {
    Conn* conn = items_conn_.get();
    pending_items_ = std::async(std::launch::async, [conn, run_id, &plan] {
                       return pg_detail::SavePostgresRunItems(*conn, run_id, plan);
                     }).share();
  } catch (const std::system_error&) {  // no thread to be had
    return Store::StartSaveRunItems(run_id, plan);
  }
  return RunItemsSave([pending = pending_items_] { return pending.get(); });
}

Error WithContext(Error error, const std::string& url) {
  if (error.context.empty() || error.context == "store") error.context = RedactPostgresUrl(url);
  return error;
}

}  // namespace

std::string RedactPostgresUrl(const std::string& url) {
  std::string out = url;
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    size_t end = out.find_first_of("/?", start);
    if (end == std::string::npos) end = out.size();
    const size_t at = out.rfind('@', end);
    if (at != std::string::npos && at >= start) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // A password=... query parameter.
  for (size_t at = out.find("password="); at != std::string::npos;
       at = out.find("password=", at + 1)) {
    const size_t value = at + 9;
    const size_t end = out.find('&', value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url,
                                                 const PostgresStoreOptions& options) {
  auto conn = Conn::Open(url);
  if (!conn.ok()) return WithContext(conn.error(), url);
  Result<int> version = MigratePostgresStore(**conn);
  if (!version.ok()) return WithContext(version.error(), url);
  return std::unique_ptr<Store>(
      std::make_unique<PostgresStore>(std::move(*conn), url, *version, options));
}

Result<int> ReadPostgresStoreVersion(const std::string& url) {
  auto conn = Conn::Open(url);
  if (!conn.ok()) return WithContext(conn.error(), url);
  Result<int> version = ReadPostgresSchemaVersion(**conn);
  if (!version.ok()) return WithContext(version.error(), url);
  return version;
}

}  // namespace telsync
