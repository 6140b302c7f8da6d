#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <ctime>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/fields.h"
#include "store/detail/columns.h"
#include "store/detail/run_lock.h"
#include "store/postgres/detail/pg_conn.h"
#include "store/postgres/detail/pg_encode.h"
#include "store/postgres/migrations.h"
#include "store/postgres/postgres_jobs.h"
#include "store/postgres/postgres_mirror.h"
#include "store/postgres/postgres_outbox.h"
#include "store/postgres/postgres_secrets.h"
#include "store/postgres/postgres_tenants.h"

namespace telsync {
namespace {

using json = nlohmann::json;
using pg_detail::Conn;
using pg_detail::CopyBuffer;
using pg_detail::CopyStream;
using pg_detail::Params;
using pg_detail::PgResult;
using pg_detail::Transaction;

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

// ---- JSON columns: the same text as the SQLite store writes. ----

using store_detail::ChangesJson;
using store_detail::CustomJson;
using store_detail::Dump;
using store_detail::GroupsJson;
using store_detail::IsEmptyJson;
using store_detail::ParseChanges;
using store_detail::ParseCustom;
using store_detail::ParseStringArray;
using store_detail::ParseSummary;
using store_detail::SummaryJson;

// ---- Users ----

std::string FieldList(std::string_view prefix) {
  std::string out;
  for (size_t i = 0; i < kFieldCount; ++i) {
    out += ", ";
    out += prefix;
    out += FieldName(static_cast<Field>(i));
  }
  return out;
}

// Result columns: 0 id, 1 profile, 2 source_key, 3.. the fields, then searchable, state,
// pending_since, groups, custom, subscription.
std::string SelectUsersSql(std::string_view tail) {
  return "SELECT id, profile, source_key" + FieldList("") +
         ", searchable, state, pending_since, groups, custom, subscription FROM users " +
         std::string(tail);
}
constexpr int kFirstFieldColumn = 3;
constexpr int kSearchableColumn = kFirstFieldColumn + static_cast<int>(kFieldCount);

Result<PbxUser> ReadUser(const PgResult& r, int row) {
  PbxUser user;
  user.id = r.Int(row, 0);
  user.profile = r.String(row, 1);
  user.source_key = r.String(row, 2);
  for (size_t i = 0; i < kFieldCount; ++i) {
    std::string_view value = r.Text(row, kFirstFieldColumn + static_cast<int>(i));
    if (!value.empty()) user.fields.Set(static_cast<Field>(i), value);
  }
  user.searchable = r.Int(row, kSearchableColumn) != 0;
  user.state = r.Text(row, kSearchableColumn + 1) == "pending_delete" ? UserState::kPendingDelete
                                                                      : UserState::kActive;
  user.pending_since = r.Int(row, kSearchableColumn + 2);
  auto groups = ParseStringArray(r.Text(row, kSearchableColumn + 3), "groups");
  if (!groups.ok()) return groups.error();
  user.groups = std::move(*groups);
  auto custom = ParseCustom(r.Text(row, kSearchableColumn + 4));
  if (!custom.ok()) return custom.error();
  user.custom = std::move(*custom);
  user.subscription = r.String(row, kSearchableColumn + 5);
  return user;
}

Result<std::vector<PbxUser>> ReadUsers(const PgResult& r, std::vector<PbxUser>* out = nullptr) {
  std::vector<PbxUser> local;
  std::vector<PbxUser>& users = out ? *out : local;
  users.reserve(users.size() + static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    auto user = ReadUser(r, i);
    if (!user.ok()) {
      Error error = user.error();
      error.context = "user id " + std::to_string(r.Int(i, 0));
      return error;
    }
    users.push_back(std::move(*user));
  }
  return local;
}

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

// ---- Runs ----

constexpr std::string_view kRunColumns =
    "id, tenant, profile, kind, triggered_by, status, started_at, finished_at, complete, "
    "source, message, summary, approved_run";

Result<Run> ReadRun(const PgResult& r, int row) {
  Run run;
  run.id = r.Int(row, 0);
  run.tenant = r.String(row, 1);
  run.profile = r.String(row, 2);
  const std::optional<RunKind> kind = RunKindFromName(r.Text(row, 3));
  const std::optional<RunStatus> status = RunStatusFromName(r.Text(row, 5));
  if (!kind || !status) {
    return Error::Internal("store: run " + std::to_string(run.id) +
                           " has an unknown kind or status");
  }
  run.kind = *kind;
  run.trigger = r.String(row, 4);
  run.status = *status;
  run.started_at = r.Int(row, 6);
  run.finished_at = r.Int(row, 7);
  run.complete = r.Int(row, 8) != 0;
  run.source = r.String(row, 9);
  run.message = r.String(row, 10);
  run.summary = ParseSummary(r.Text(row, 11));
  run.approved_run = r.Int(row, 12);
  return run;
}

Result<std::vector<Department>> ReadDepartments(const PgResult& r) {
  std::vector<Department> out;
  for (int i = 0; i < r.rows(); ++i) {
    Department d;
    d.id = r.Int(i, 0);
    d.profile = r.String(i, 1);
    d.name = r.String(i, 2);
    d.ring_group = r.String(i, 3);
    auto members = ParseStringArray(r.Text(i, 4), "members");
    if (!members.ok()) return members.error();
    d.members = std::move(*members);
    out.push_back(std::move(d));
  }
  return out;
}

// LIMIT NULL is PostgreSQL's "no limit"; a limit of 0 asks for every row.
void AddLimit(Params& p, size_t limit) {
  if (limit == 0) {
    p.AddNull();
  } else {
    p.Add(static_cast<int64_t>(limit));
  }
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
  Result<ApplyReport> Apply(const Plan& plan) override;
  Result<std::unique_ptr<RunLock>> LockProfileRuns(const std::string& tenant,
                                                   const std::string& profile, bool wait,
                                                   int64_t now) override;
  Result<int64_t> CreateRun(const Run& run) override;
  Status UpdateRun(const Run& run) override;
  Status SaveRunItems(int64_t run_id, const Plan& plan) override;
  RunItemsSave StartSaveRunItems(int64_t run_id, const Plan& plan) override;
  Result<Run> GetRun(const std::string& tenant, int64_t run_id) override;
  Result<std::vector<Run>> ListRuns(const std::string& tenant, const std::string& profile,
                                    size_t limit) override;
  Result<std::vector<PlanItem>> GetRunItems(const std::string& tenant, int64_t run_id,
                                            std::optional<Action> action) override;
  Result<std::vector<DepartmentChange>> GetRunDepartments(const std::string& tenant,
                                                          int64_t run_id) override;
  Result<std::optional<Run>> LastSuccessfulSync(const std::string& tenant,
                                                const std::string& profile) override;
  Result<std::optional<PbxUser>> FindUser(const std::string& tenant,
                                          const std::string& name) override;
  Result<std::vector<PbxUser>> ListUsers(const std::string& tenant, size_t limit,
                                         size_t offset) override;
  Result<size_t> CountUsers(const std::string& tenant) override;
  Status UnlinkUser(const std::string& tenant, int64_t user_id) override;
  Status SetUserGroups(const std::string& tenant, int64_t user_id,
                       const std::vector<std::string>& groups) override;
  Result<std::vector<Department>> ListDepartments(const std::string& tenant) override;
  Result<std::string> GetCursor(const std::string& tenant, const std::string& profile) override;
  Status SetCursor(const std::string& tenant, const std::string& profile,
                   const std::string& cursor) override;

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
  Result<int64_t> AddNotification(const NotificationRecord& record) override;
  Status UpdateNotification(const NotificationRecord& record) override;
  Result<std::vector<NotificationRecord>> ListNotifications(const std::string& tenant,
                                                            int64_t run_id,
                                                            bool failed_only) override;

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
  Status CheckRunTenant(const std::string& tenant, int64_t run_id) {
    return CheckRunTenantOn(*conn_, tenant, run_id);
  }
  static Status CheckRunTenantOn(Conn& conn, const std::string& tenant, int64_t run_id);
  // SaveRunItems on `conn`: this store's connection, or items_conn_ from the items thread
  // (so it touches no other member).
  static Status SaveRunItemsOn(Conn& conn, int64_t run_id, const Plan& plan);
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

Result<ApplyReport> PostgresStore::Apply(const Plan& plan) {
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
  for (size_t i = 0; i < plan.items.size(); ++i) {
    const PlanItem& item = plan.items[i];
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
  }

  // Departments: a handful per profile, one prepared statement each, one transaction.
  std::optional<Transaction> tx;
  for (const DepartmentChange& change : plan.departments) {
    const bool upsert = change.action == Action::kCreate || change.action == Action::kUpdate;
    if (!upsert && change.action != Action::kDelete) continue;
    if (!tx) {
      auto begun = Transaction::Begin(*conn_);
      if (!begun.ok()) return begun.error();
      tx.emplace(std::move(*begun));
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
    if (Status s = pg_detail::WritePostgresDepartmentEvent(*conn_, plan.tenant, change, profile,
                                                           r->Affected() > 0, now);
        !s.ok()) {
      return s.error();
    }
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
  for (const PlanItem* item : batch) {
    if (item->action == Action::kDelete) {
      deletes.push_back(item->user_id);
      delete_items.push_back(item);
    } else if (item->action == Action::kCreate) {
      creates.push_back(item);
    } else {
      updates.push_back(item);
    }
  }
  auto tx = Transaction::Begin(*conn_);
  if (!tx.ok()) return tx.error();
  if (!deletes.empty()) {
    if (Status s = pg_detail::WritePostgresDeleteEvents(*conn_, plan.tenant, delete_items, now);
        !s.ok()) {
      return s;
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
    if (Status s = pg_detail::WritePostgresUserEvents(*conn_, plan.tenant, updates, now); !s.ok()) {
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
    if (s.ok()) s = pg_detail::WritePostgresUserEvents(*conn_, plan.tenant, creates, now);
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
  if (Status s = pg_detail::WritePostgresUserEvents(*conn_, plan.tenant, creates, now); !s.ok()) {
    return s;
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

// Run locks: a session advisory lock on the store's connection, keyed (namespace, hash of
// tenant/profile). The server drops it when the session ends, so a process that dies
// never keeps it. The holder's note is the session's application_name, which the one
// that finds the lock taken reads from pg_stat_activity.
constexpr int32_t kRunLockSpace = 1952807273;

int32_t RunLockKey(const std::string& tenant, const std::string& profile) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (const char c : tenant + "/" + profile) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return static_cast<int32_t>(h & 0x7fffffffu);
}

class PostgresRunLock final : public RunLock {
 public:
  PostgresRunLock(pg_detail::Conn& conn, int32_t key) : conn_(conn), key_(key) {}
  ~PostgresRunLock() override {
    Params p;
    p.Add(static_cast<int64_t>(kRunLockSpace)).Add(static_cast<int64_t>(key_));
    (void)conn_.Exec(
        "SELECT pg_advisory_unlock($1::integer, $2::integer), "
        "set_config('application_name', 'telsync', false)",
        p, "release the run lock");
  }

 private:
  pg_detail::Conn& conn_;
  int32_t key_;
};

Result<std::unique_ptr<RunLock>> PostgresStore::LockProfileRuns(const std::string& tenant,
                                                                const std::string& profile,
                                                                bool wait, int64_t now) {
  const int32_t key = RunLockKey(tenant, profile);
  Params p;
  p.Add(static_cast<int64_t>(kRunLockSpace)).Add(static_cast<int64_t>(key));
  auto r = conn_->Exec(wait ? "SELECT pg_advisory_lock($1::integer, $2::integer), true"
                            : "SELECT true, pg_try_advisory_lock($1::integer, $2::integer)",
                       p, "take the run lock");
  if (!r.ok()) return r.error();
  if (r->Text(0, 1) != "t") {
    auto who = conn_->Exec(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::integer::oid AND "
        "l.objid = $2::integer::oid AND l.objsubid = 2 LIMIT 1",
        p, "find the run lock's holder");
    std::string note = who.ok() && who->rows() > 0 ? who->String(0, 0) : "";
    if (note.rfind("telsync: ", 0) == 0) note = note.substr(9);
    return Error::Conflict(note.empty() ? "held by another session" : note);
  }
  Params name;
  name.Add("telsync: " + store_detail::RunLockNote(now));
  (void)conn_->Exec("SELECT set_config('application_name', $1, false)", name,
                    "note the run lock's holder");
  return std::unique_ptr<RunLock>(std::make_unique<PostgresRunLock>(*conn_, key));
}

Result<int64_t> PostgresStore::CreateRun(const Run& run) {
  Params p;
  p.Add(run.tenant).Add(run.profile).Add(RunKindName(run.kind)).Add(run.trigger);
  p.Add(RunStatusName(run.status)).Add(run.started_at).Add(run.finished_at);
  p.Add(run.complete ? 1 : 0).Add(run.source).Add(run.message).Add(SummaryJson(run.summary));
  p.Add(run.approved_run);
  auto r = conn_->ExecPrepared(
      "telsync_create_run",
      "INSERT INTO runs (tenant, profile, kind, triggered_by, status, started_at, finished_at, "
      "complete, source, message, summary, approved_run) VALUES ($1, $2, $3, $4, $5, "
      "$6::bigint, $7::bigint, $8::integer, $9, $10, $11, $12::bigint) RETURNING id",
      p, "create run");
  if (!r.ok()) return r.error();
  return r->Int(0, 0);
}

Status PostgresStore::UpdateRun(const Run& run) {
  Params p;
  p.Add(run.tenant).Add(run.id).Add(RunStatusName(run.status)).Add(run.started_at);
  p.Add(run.finished_at).Add(run.complete ? 1 : 0).Add(run.source).Add(run.message);
  p.Add(SummaryJson(run.summary)).Add(run.approved_run);
  auto r = conn_->ExecPrepared(
      "telsync_update_run",
      "UPDATE runs SET status = $3, started_at = $4::bigint, finished_at = $5::bigint, "
      "complete = $6::integer, source = $7, message = $8, summary = $9, "
      "approved_run = $10::bigint WHERE tenant = $1 AND id = $2::bigint",
      p, "update run");
  if (!r.ok()) return r.error();
  if (r->Affected() == 0) return Error::NotFound("run " + std::to_string(run.id) + " not found");
  return Ok();
}

Status PostgresStore::CheckRunTenantOn(Conn& conn, const std::string& tenant, int64_t run_id) {
  Params p;
  p.Add(tenant).Add(run_id);
  auto r =
      conn.ExecPrepared("telsync_run_tenant",
                        "SELECT 1 FROM runs WHERE tenant = $1 AND id = $2::bigint", p, "find run");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return Error::NotFound("run " + std::to_string(run_id) + " not found");
  return Ok();
}

Status PostgresStore::SaveRunItems(int64_t run_id, const Plan& plan) {
  if (pending_items_.valid()) pending_items_.wait();  // a started save ends first
  return SaveRunItemsOn(*conn_, run_id, plan);
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
                       return SaveRunItemsOn(*conn, run_id, plan);
                     }).share();
  } catch (const std::system_error&) {  // no thread to be had
    return Store::StartSaveRunItems(run_id, plan);
  }
  return RunItemsSave([pending = pending_items_] { return pending.get(); });
}

Status PostgresStore::SaveRunItemsOn(Conn& conn, int64_t run_id, const Plan& plan) {
  if (Status s = CheckRunTenantOn(conn, plan.tenant, run_id); !s.ok()) return s;
  auto tx = Transaction::Begin(conn);
  if (!tx.ok()) return tx.error();
  // Saving again replaces the items, so a retried save does not fail or duplicate.
  Params p;
  p.Add(run_id);
  for (const char* sql : {"DELETE FROM run_items WHERE run_id = $1::bigint",
                          "DELETE FROM run_departments WHERE run_id = $1::bigint"}) {
    if (auto r = conn.Exec(sql, p, "clear run items"); !r.ok()) return r.error();
  }
  if (!plan.items.empty()) {
    auto stream = CopyStream::Start(
        conn,
        "COPY run_items (run_id, seq, action, key, username, changes, reason, user_id) FROM STDIN",
        "save run items");
    if (!stream.ok()) return stream.error();
    std::string changes;
    int64_t seq = 0;
    for (const PlanItem& item : plan.items) {
      CopyBuffer& copy = stream->rows();
      copy.Int(run_id);
      copy.Int(seq++);
      copy.Field(ActionName(item.action));
      copy.Field(item.key);
      copy.Field(item.username);
      // ChangesJson(EffectiveChanges(item)), written without the vector and JSON tree.
      changes.clear();
      pg_detail::AppendItemChangesJson(changes, item);
      CopyBuffer::Escape(copy.buffer(), changes);
      copy.Next();
      copy.Field(item.reason);
      copy.Int(item.user_id);
      copy.EndRow();
      if (!stream->Flush().ok()) break;
    }
    if (Status s = stream->Finish(); !s.ok()) return s;
  }
  CopyBuffer copy;
  int64_t seq = 0;
  for (const DepartmentChange& change : plan.departments) {
    copy.Int(run_id);
    copy.Int(seq++);
    copy.Field(ActionName(change.action));
    copy.Field(change.target.name);
    copy.Field(change.target.profile);
    copy.Field(change.target.ring_group);
    copy.Field(GroupsJson(change.target.members));
    copy.Field(ChangesJson(change.changes));
    copy.EndRow();
  }
  if (copy.size() > 0) {
    if (Status s = conn.CopyIn(
            "COPY run_departments (run_id, seq, action, name, profile, ring_group, members, "
            "changes) FROM STDIN",
            copy, "save run departments");
        !s.ok()) {
      return s;
    }
  }
  return tx->Commit();
}

Result<Run> PostgresStore::GetRun(const std::string& tenant, int64_t run_id) {
  Params p;
  p.Add(tenant).Add(run_id);
  auto r = conn_->ExecPrepared(
      "telsync_get_run",
      "SELECT " + std::string(kRunColumns) + " FROM runs WHERE tenant = $1 AND id = $2::bigint", p,
      "get run");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return Error::NotFound("run " + std::to_string(run_id) + " not found");
  return ReadRun(*r, 0);
}

Result<std::vector<Run>> PostgresStore::ListRuns(const std::string& tenant,
                                                 const std::string& profile, size_t limit) {
  Params p;
  p.Add(tenant).Add(profile);
  AddLimit(p, limit);
  auto r = conn_->ExecPrepared("telsync_list_runs",
                               "SELECT " + std::string(kRunColumns) +
                                   " FROM runs WHERE tenant = $1 AND ($2 = '' OR profile = $2) "
                                   "ORDER BY id DESC LIMIT $3::bigint",
                               p, "list runs");
  if (!r.ok()) return r.error();
  std::vector<Run> runs;
  for (int i = 0; i < r->rows(); ++i) {
    auto run = ReadRun(*r, i);
    if (!run.ok()) return run.error();
    runs.push_back(std::move(*run));
  }
  return runs;
}

Result<std::vector<PlanItem>> PostgresStore::GetRunItems(const std::string& tenant, int64_t run_id,
                                                         std::optional<Action> action) {
  if (Status s = CheckRunTenant(tenant, run_id); !s.ok()) return s.error();
  Params p;
  p.Add(run_id).Add(action ? std::string(ActionName(*action)) : std::string());
  auto r =
      conn_->ExecPrepared("telsync_run_items",
                          "SELECT action, key, username, changes, reason, user_id FROM run_items "
                          "WHERE run_id = $1::bigint AND ($2 = '' OR action = $2) ORDER BY seq",
                          p, "read run items");
  if (!r.ok()) return r.error();
  std::vector<PlanItem> items;
  items.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    PlanItem item;
    const std::optional<Action> parsed = ActionFromName(r->Text(i, 0));
    if (!parsed) return Error::Internal("store: run item with an unknown action");
    item.action = *parsed;
    item.key = r->String(i, 1);
    item.username = r->String(i, 2);
    auto changes = ParseChanges(r->Text(i, 3));
    if (!changes.ok()) return changes.error();
    item.changes = std::move(*changes);
    item.reason = r->String(i, 4);
    item.user_id = r->Int(i, 5);
    // The target is not stored (see the schema); keep what identifies the user.
    item.target->id = item.user_id;
    item.target->fields.Set(Field::kUsername, item.username);
    items.push_back(std::move(item));
  }
  return items;
}

Result<std::vector<DepartmentChange>> PostgresStore::GetRunDepartments(const std::string& tenant,
                                                                       int64_t run_id) {
  if (Status s = CheckRunTenant(tenant, run_id); !s.ok()) return s.error();
  Params p;
  p.Add(run_id);
  auto r = conn_->ExecPrepared(
      "telsync_run_departments",
      "SELECT action, name, profile, ring_group, members, changes FROM run_departments "
      "WHERE run_id = $1::bigint ORDER BY seq",
      p, "read run departments");
  if (!r.ok()) return r.error();
  std::vector<DepartmentChange> out;
  for (int i = 0; i < r->rows(); ++i) {
    DepartmentChange change;
    const std::optional<Action> parsed = ActionFromName(r->Text(i, 0));
    if (!parsed) return Error::Internal("store: run department with an unknown action");
    change.action = *parsed;
    change.target.name = r->String(i, 1);
    change.target.profile = r->String(i, 2);
    change.target.ring_group = r->String(i, 3);
    auto members = ParseStringArray(r->Text(i, 4), "members");
    if (!members.ok()) return members.error();
    change.target.members = std::move(*members);
    auto changes = ParseChanges(r->Text(i, 5));
    if (!changes.ok()) return changes.error();
    change.changes = std::move(*changes);
    out.push_back(std::move(change));
  }
  return out;
}

Result<std::optional<Run>> PostgresStore::LastSuccessfulSync(const std::string& tenant,
                                                             const std::string& profile) {
  Params p;
  p.Add(tenant).Add(profile);
  auto r = conn_->ExecPrepared("telsync_last_success",
                               "SELECT " + std::string(kRunColumns) +
                                   " FROM runs WHERE tenant = $1 AND profile = $2 AND kind = "
                                   "'sync' AND status IN ('success', 'partial') "
                                   "ORDER BY id DESC LIMIT 1",
                               p, "last successful sync");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return std::optional<Run>();
  auto run = ReadRun(*r, 0);
  if (!run.ok()) return run.error();
  return std::optional<Run>(std::move(*run));
}

Result<std::optional<PbxUser>> PostgresStore::FindUser(const std::string& tenant,
                                                       const std::string& name) {
  // An empty name would match every user without an e-mail.
  if (name.empty()) return std::optional<PbxUser>();
  Params p;
  p.Add(tenant).Add(name);
  // A username match wins over an e-mail match (someone's username may be another
  // user's e-mail address). Both use the lower() indexes.
  auto r = conn_->ExecPrepared(
      "telsync_find_user",
      SelectUsersSql("WHERE tenant = $1 AND (lower(username) = lower($2) OR lower(email) = "
                     "lower($2)) ORDER BY lower(username) = lower($2) DESC, id LIMIT 1"),
      p, "find user");
  if (!r.ok()) return r.error();
  auto users = ReadUsers(*r);
  if (!users.ok()) return users.error();
  if (users->empty()) return std::optional<PbxUser>();
  return std::optional<PbxUser>(std::move(users->front()));
}

Result<std::vector<PbxUser>> PostgresStore::ListUsers(const std::string& tenant, size_t limit,
                                                      size_t offset) {
  Params p;
  p.Add(tenant);
  AddLimit(p, limit);
  p.Add(static_cast<int64_t>(offset));
  // COLLATE "C": the same order as SQLite's BINARY collation, whatever the locale.
  auto r = conn_->ExecPrepared("telsync_list_users",
                               SelectUsersSql("WHERE tenant = $1 ORDER BY lower(username) COLLATE "
                                              "\"C\", id LIMIT $2::bigint OFFSET $3::bigint"),
                               p, "list users");
  if (!r.ok()) return r.error();
  return ReadUsers(*r);
}

Result<size_t> PostgresStore::CountUsers(const std::string& tenant) {
  Params p;
  p.Add(tenant);
  auto r = conn_->ExecPrepared("telsync_count_users",
                               "SELECT count(*) FROM users WHERE tenant = $1", p, "count users");
  if (!r.ok()) return r.error();
  return static_cast<size_t>(r->Int(0, 0));
}

Status PostgresStore::UnlinkUser(const std::string& tenant, int64_t user_id) {
  Params p;
  p.Add(tenant).Add(user_id).Add(NowSeconds());
  auto r = conn_->Exec(
      "UPDATE users SET source_key = '', profile = '', updated_at = $3::bigint "
      "WHERE tenant = $1 AND id = $2::bigint",
      p, "unlink user");
  if (!r.ok()) return r.error();
  if (r->Affected() == 0) return Error::NotFound("user " + std::to_string(user_id) + " not found");
  return Ok();
}

Status PostgresStore::SetUserGroups(const std::string& tenant, int64_t user_id,
                                    const std::vector<std::string>& groups) {
  Params p;
  p.Add(tenant).Add(user_id).Add(GroupsJson(groups)).Add(NowSeconds());
  auto r = conn_->Exec(
      "UPDATE users SET groups = $3, updated_at = $4::bigint WHERE tenant = $1 AND id = "
      "$2::bigint",
      p, "set user groups");
  if (!r.ok()) return r.error();
  if (r->Affected() == 0) return Error::NotFound("user " + std::to_string(user_id) + " not found");
  return Ok();
}

Result<std::vector<Department>> PostgresStore::ListDepartments(const std::string& tenant) {
  Params p;
  p.Add(tenant);
  auto r = conn_->Exec(
      "SELECT id, profile, name, ring_group, members FROM departments WHERE tenant = $1 "
      "ORDER BY profile COLLATE \"C\", name COLLATE \"C\"",
      p, "list departments");
  if (!r.ok()) return r.error();
  return ReadDepartments(*r);
}

Result<std::string> PostgresStore::GetCursor(const std::string& tenant,
                                             const std::string& profile) {
  Params p;
  p.Add(tenant).Add(profile);
  auto r = conn_->ExecPrepared("telsync_get_cursor",
                               "SELECT cursor FROM cursors WHERE tenant = $1 AND profile = $2", p,
                               "get cursor");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return std::string();
  return r->String(0, 0);
}

Status PostgresStore::SetCursor(const std::string& tenant, const std::string& profile,
                                const std::string& cursor) {
  Params p;
  p.Add(tenant).Add(profile).Add(cursor);
  auto r = conn_->ExecPrepared("telsync_set_cursor",
                               "INSERT INTO cursors (tenant, profile, cursor) VALUES ($1, $2, $3) "
                               "ON CONFLICT (tenant, profile) DO UPDATE SET cursor = "
                               "excluded.cursor",
                               p, "set cursor");
  if (!r.ok()) return r.error();
  return Ok();
}

Result<int64_t> PostgresStore::AddNotification(const NotificationRecord& n) {
  Params p;
  p.Add(n.tenant).Add(n.profile).Add(n.run_id).Add(n.kind).Add(n.recipients).Add(n.subject);
  p.Add(n.status).Add(n.attempts).Add(n.error).Add(n.created_at).Add(n.sent_at).Add(n.message);
  auto r = conn_->Exec(
      "INSERT INTO notifications (tenant, profile, run_id, kind, recipients, subject, status, "
      "attempts, error, created_at, sent_at, message) VALUES ($1, $2, $3::bigint, $4, $5, $6, "
      "$7, $8::integer, $9, $10::bigint, $11::bigint, $12) RETURNING id",
      p, "add notification");
  if (!r.ok()) return r.error();
  return r->Int(0, 0);
}

Status PostgresStore::UpdateNotification(const NotificationRecord& n) {
  Params p;
  p.Add(n.id).Add(n.tenant).Add(n.status).Add(n.attempts).Add(n.error).Add(n.sent_at);
  p.Add(n.message);
  auto r = conn_->Exec(
      "UPDATE notifications SET status = $3, attempts = $4::integer, error = $5, "
      "sent_at = $6::bigint, message = $7 WHERE id = $1::bigint AND tenant = $2",
      p, "update notification");
  if (!r.ok()) return r.error();
  if (r->Affected() == 0) return Error::NotFound("no notification " + std::to_string(n.id));
  return Ok();
}

Result<std::vector<NotificationRecord>> PostgresStore::ListNotifications(const std::string& tenant,
                                                                         int64_t run_id,
                                                                         bool failed_only) {
  Params p;
  p.Add(tenant).Add(run_id).Add(failed_only ? 1 : 0);
  auto r = conn_->Exec(
      "SELECT id, tenant, profile, run_id, kind, recipients, subject, status, attempts, error, "
      "created_at, sent_at, message FROM notifications WHERE tenant = $1 AND ($2::bigint = 0 "
      "OR run_id = $2::bigint) AND ($3::integer = 0 OR status = 'failed') ORDER BY id",
      p, "list notifications");
  if (!r.ok()) return r.error();
  std::vector<NotificationRecord> out;
  for (int i = 0; i < r->rows(); ++i) {
    NotificationRecord n;
    n.id = r->Int(i, 0);
    n.tenant = r->String(i, 1);
    n.profile = r->String(i, 2);
    n.run_id = r->Int(i, 3);
    n.kind = r->String(i, 4);
    n.recipients = r->String(i, 5);
    n.subject = r->String(i, 6);
    n.status = r->String(i, 7);
    n.attempts = static_cast<int>(r->Int(i, 8));
    n.error = r->String(i, 9);
    n.created_at = r->Int(i, 10);
    n.sent_at = r->Int(i, 11);
    n.message = r->String(i, 12);
    out.push_back(std::move(n));
  }
  return out;
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
