#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "model/fields.h"
#include "store/detail/columns.h"
#include "store/detail/run_lock.h"
#include "store/sqlite/detail/sqlite_db.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_jobs.h"
#include "store/sqlite/sqlite_mirror.h"
#include "store/sqlite/sqlite_outbox.h"
#include "store/sqlite/sqlite_secrets.h"
#include "store/sqlite/sqlite_target_state.h"
#include "store/sqlite/sqlite_tenants.h"

namespace telsync {
namespace {

using json = nlohmann::json;
using sqlite_detail::Db;
using sqlite_detail::Statement;
using sqlite_detail::Transaction;

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

// JSON columns. Dumping replaces invalid UTF-8 instead of throwing: no exception may
// leave the store, and validation upstream already rejects such values.
using store_detail::ChangesJson;
using store_detail::CustomJson;
using store_detail::Dump;
using store_detail::GroupsJson;
using store_detail::IsEmptyJson;
using store_detail::ParseChanges;
using store_detail::ParseCustom;
using store_detail::ParseStringArray;
using store_detail::ParseSummary;
using store_detail::ParseUserRow;
using store_detail::SummaryJson;
using store_detail::UserRowJson;

const char* StateName(UserState s) {
  return s == UserState::kPendingDelete ? "pending_delete" : "active";
}

// Column lists built from FieldName so the schema and the Field enum cannot drift apart
// silently (a renamed field fails at prepare time, in every test).
std::string FieldColumns() {
  std::string out;
  for (size_t i = 0; i < kFieldCount; ++i) {
    out += ", ";
    out += FieldName(static_cast<Field>(i));
  }
  return out;
}

// Result columns: 0 id, 1 profile, 2 source_key, 3.. the fields, then searchable, state,
// pending_since, groups, custom, subscription.
std::string SelectUsersSql(std::string_view tail) {
  return "SELECT id, profile, source_key" + FieldColumns() +
         ", searchable, state, pending_since, groups, custom, subscription FROM users " +
         std::string(tail);
}
constexpr int kFirstFieldColumn = 3;
constexpr int kSearchableColumn = kFirstFieldColumn + static_cast<int>(kFieldCount);

Result<PbxUser> ReadUser(const Statement& row) {
  PbxUser user;
  user.id = row.ColumnInt(0);
  user.profile = row.ColumnText(1);
  user.source_key = row.ColumnText(2);
  // Set in enum order: each Set appends at the end of the FieldSet's buffer.
  for (size_t i = 0; i < kFieldCount; ++i) {
    std::string_view value = row.ColumnText(kFirstFieldColumn + static_cast<int>(i));
    if (!value.empty()) user.fields.Set(static_cast<Field>(i), value);
  }
  user.searchable = row.ColumnInt(kSearchableColumn) != 0;
  user.state = row.ColumnText(kSearchableColumn + 1) == "pending_delete" ? UserState::kPendingDelete
                                                                         : UserState::kActive;
  user.pending_since = row.ColumnInt(kSearchableColumn + 2);
  Result<std::vector<std::string>> groups =
      ParseStringArray(row.ColumnText(kSearchableColumn + 3), "groups");
  if (!groups.ok()) return groups.error();
  user.groups = std::move(*groups);
  Result<std::vector<std::pair<std::string, std::string>>> custom =
      ParseCustom(row.ColumnText(kSearchableColumn + 4));
  if (!custom.ok()) return custom.error();
  user.custom = std::move(*custom);
  user.subscription = row.ColumnText(kSearchableColumn + 5);
  return user;
}

// Parameters shared by the user INSERT and UPDATE: ?1 tenant, ?2 profile, ?3 source_key,
// ?4.. fields, then searchable, state, pending_since, groups, custom, created_at,
// updated_at; the UPDATE adds the row id. Subscription is in neither (F16).
constexpr int kFirstFieldParam = 4;
constexpr int kSearchableParam = kFirstFieldParam + static_cast<int>(kFieldCount);
constexpr int kCreatedAtParam = kSearchableParam + 5;
constexpr int kUpdatedAtParam = kCreatedAtParam + 1;
constexpr int kIdParam = kUpdatedAtParam + 1;

std::string InsertUserSql() {
  std::string sql = "INSERT INTO users (tenant, profile, source_key" + FieldColumns() +
                    ", searchable, state, pending_since, groups, custom, created_at, updated_at, "
                    "id) VALUES (";
  for (int i = 1; i <= kUpdatedAtParam; ++i) sql += (i == 1 ? "?" : ", ?") + std::to_string(i);
  // The row id: a new one (NULL), or the one a restored user had (`runs revert`, issue 18).
  sql += ", NULLIF(?" + std::to_string(kIdParam) + ", 0)";
  // A create applied twice (a rerun after a crash) updates the row it made the first
  // time instead of duplicating it (R2).
  sql += ") ON CONFLICT (tenant, profile, source_key) WHERE source_key <> '' DO UPDATE SET ";
  for (size_t i = 0; i < kFieldCount; ++i) {
    const std::string name(FieldName(static_cast<Field>(i)));
    sql += name + " = excluded." + name + ", ";
  }
  sql +=
      "searchable = excluded.searchable, state = excluded.state, "
      "pending_since = excluded.pending_since, groups = excluded.groups, "
      "custom = excluded.custom, updated_at = excluded.updated_at";
  // The row's id, inserted or updated: the outbox event names it without a second lookup.
  sql += " RETURNING id";
  return sql;
}

std::string UpdateUserSql() {
  std::string sql = "UPDATE users SET profile = ?2, source_key = ?3";
  for (size_t i = 0; i < kFieldCount; ++i) {
    sql += ", " + std::string(FieldName(static_cast<Field>(i))) + " = ?" +
           std::to_string(kFirstFieldParam + static_cast<int>(i));
  }
  sql +=
      ", searchable = ?" + std::to_string(kSearchableParam) + ", state = ?" +
      std::to_string(kSearchableParam + 1) + ", pending_since = ?" +
      std::to_string(kSearchableParam + 2) + ", groups = ?" + std::to_string(kSearchableParam + 3) +
      ", custom = ?" + std::to_string(kSearchableParam + 4) + ", updated_at = ?" +
      std::to_string(kUpdatedAtParam) + " WHERE tenant = ?1 AND id = ?" + std::to_string(kIdParam);
  return sql;
}

// Binds `user` statically: `user`, `groups` and `custom` must outlive the step.
void BindUser(Statement& stmt, const std::string& tenant, const PbxUser& user,
              const std::string& groups, const std::string& custom, int64_t now) {
  stmt.BindText(1, tenant);
  stmt.BindText(2, user.profile);
  stmt.BindText(3, user.source_key);
  for (size_t i = 0; i < kFieldCount; ++i) {
    stmt.BindText(kFirstFieldParam + static_cast<int>(i), user.fields.Get(static_cast<Field>(i)));
  }
  stmt.BindInt(kSearchableParam, user.searchable ? 1 : 0);
  stmt.BindText(kSearchableParam + 1, StateName(user.state));
  stmt.BindInt(kSearchableParam + 2, user.pending_since);
  stmt.BindText(kSearchableParam + 3, groups);
  stmt.BindText(kSearchableParam + 4, custom);
  stmt.BindInt(kCreatedAtParam, now);
  stmt.BindInt(kUpdatedAtParam, now);
}

constexpr std::string_view kRunColumns =
    "id, tenant, profile, kind, triggered_by, status, started_at, finished_at, complete, "
    "source, message, summary, approved_run, reverted_run, purged_at";

Result<Run> ReadRun(const Statement& row) {
  Run run;
  run.id = row.ColumnInt(0);
  run.tenant = row.ColumnText(1);
  run.profile = row.ColumnText(2);
  const std::optional<RunKind> kind = RunKindFromName(row.ColumnText(3));
  const std::optional<RunStatus> status = RunStatusFromName(row.ColumnText(5));
  if (!kind || !status) {
    return Error::Internal("store: run " + std::to_string(run.id) +
                           " has an unknown kind or status");
  }
  run.kind = *kind;
  run.trigger = row.ColumnText(4);
  run.status = *status;
  run.started_at = row.ColumnInt(6);
  run.finished_at = row.ColumnInt(7);
  run.complete = row.ColumnInt(8) != 0;
  run.source = row.ColumnText(9);
  run.message = row.ColumnText(10);
  run.summary = ParseSummary(row.ColumnText(11));
  run.approved_run = row.ColumnInt(12);
  run.reverted_run = row.ColumnInt(13);
  run.purged_at = row.ColumnInt(14);
  return run;
}

std::string UserContext(const PlanItem& item) {
  return "user " + (item.username.empty() ? item.key : item.username);
}

class SqliteStore final : public Store {
 public:
  SqliteStore(Db db, int version, SqliteStoreOptions options)
      : db_(std::move(db)), version_(version), options_(options) {
    if (options_.batch_size == 0) options_.batch_size = 1;
  }

  Result<StoreSnapshot> LoadSnapshot(const std::string& tenant,
                                     const std::string& profile) override;
  Result<ApplyReport> Apply(const Plan& plan, const ApplyProgress& on_progress) override;
  Result<std::unique_ptr<RunLock>> LockProfileRuns(const std::string& tenant,
                                                   const std::string& profile, bool wait,
                                                   int64_t now) override {
    // A private in-memory store has no other process to exclude.
    if (db_.path().empty()) return std::unique_ptr<RunLock>(std::make_unique<RunLock>());
    return store_detail::LockRunFile(db_.path(), tenant, profile, wait, now);
  }
  Result<int64_t> CreateRun(const Run& run) override;
  Status UpdateRun(const Run& run) override;
  Status SaveRunItems(int64_t run_id, const Plan& plan) override;
  Result<Run> GetRun(const std::string& tenant, int64_t run_id) override;
  Result<std::vector<Run>> ListRuns(const std::string& tenant, const std::string& profile,
                                    size_t limit) override;
  Result<std::vector<PlanItem>> GetRunItems(const std::string& tenant, int64_t run_id,
                                            std::optional<Action> action) override;
  Result<RunItemsPage> GetRunItemsPage(const std::string& tenant, int64_t run_id,
                                       const RunItemsQuery& query) override;
  Result<std::vector<DepartmentChange>> GetRunDepartments(const std::string& tenant,
                                                          int64_t run_id) override;
  Result<std::optional<int64_t>> GetProfilePause(const std::string& tenant,
                                                 const std::string& profile) override;
  Status ClearProfilePause(const std::string& tenant, const std::string& profile) override;
  Result<HistoryPurge> PurgeRunHistory(const std::string& tenant, int64_t before, int64_t now,
                                       size_t batch) override;
  Result<std::optional<Run>> LastSuccessfulSync(const std::string& tenant,
                                                const std::string& profile) override;
  Result<std::optional<PbxUser>> FindUser(const std::string& tenant,
                                          const std::string& name) override;
  Result<std::vector<PbxUser>> ListUsers(const std::string& tenant, size_t limit,
                                         size_t offset) override;
  Result<size_t> CountUsers(const std::string& tenant) override;
  Result<std::vector<std::string>> ListPendingDeleteKeys(const std::string& tenant,
                                                         const std::string& profile) override;
  Result<std::vector<std::string>> ListWaitingKeys(const std::string& tenant,
                                                   const std::string& profile) override;
  Status SetWaitingKeys(const std::string& tenant, const std::string& profile,
                        const std::vector<std::string>& keys,
                        const std::unordered_set<std::string>* scope) override;
  Status UnlinkUser(const std::string& tenant, int64_t user_id) override;
  Status SetUserGroups(const std::string& tenant, int64_t user_id,
                       const std::vector<std::string>& groups) override;
  Result<std::vector<Department>> ListDepartments(const std::string& tenant) override;
  Result<std::string> GetCursor(const std::string& tenant, const std::string& profile) override;
  Status SetCursor(const std::string& tenant, const std::string& profile,
                   const std::string& cursor) override;
  int SchemaVersion() override { return version_; }

  Result<std::unique_ptr<MirrorWriter>> BeginMirrorWrite(const std::string& tenant,
                                                         const std::string& profile,
                                                         MirrorWriteMode mode,
                                                         int64_t now) override {
    return mirror_.BeginWrite(tenant, profile, mode, now);
  }
  Status ScanMirror(const std::string& tenant, const std::string& profile,
                    const std::function<bool(MirrorEntry&&)>& fn) override {
    return mirror_.Scan(tenant, profile, fn);
  }
  Result<std::optional<MirrorEntry>> GetMirrorEntry(const std::string& tenant,
                                                    const std::string& profile, ObjectKind kind,
                                                    const std::string& id) override {
    return mirror_.Get(tenant, profile, kind, id);
  }
  Result<std::optional<MirrorEntry>> FindMirrorEntryByName(const std::string& tenant,
                                                           const std::string& profile,
                                                           ObjectKind kind,
                                                           const std::string& name) override {
    return mirror_.FindByName(tenant, profile, kind, name);
  }
  Result<size_t> CountMirror(const std::string& tenant, const std::string& profile,
                             ObjectKind kind) override {
    return mirror_.Count(tenant, profile, kind);
  }
  Result<std::vector<MirrorPending>> ListMirrorPending(const std::string& tenant,
                                                       const std::string& profile,
                                                       size_t limit) override {
    return mirror_.ListPending(tenant, profile, limit);
  }
  Status ClearMirrorPending(const std::string& tenant, const std::string& profile,
                            const std::vector<int64_t>& seqs) override {
    return mirror_.ClearPending(tenant, profile, seqs);
  }
  bool NestsMirrorWrites() const override { return true; }  // savepoints (sqlite_mirror.h)
  Status ScanMirrorPage(const std::string& tenant, const std::string& profile, ObjectKind kind,
                        size_t offset, size_t limit,
                        const std::function<bool(MirrorEntry&&)>& fn) override {
    return mirror_.ScanPage(tenant, profile, kind, offset, limit, fn);
  }
  Result<int64_t> AddToken(const ApiToken& token) override {
    return sqlite_detail::AddSqliteToken(db_, token);
  }
  Result<std::vector<ApiToken>> ListTokens(const std::string& tenant,
                                           const std::string& kind) override {
    return sqlite_detail::ListSqliteTokens(db_, tenant, kind);
  }
  Status RevokeToken(const std::string& tenant, const std::string& kind, int64_t id,
                     int64_t now) override {
    return sqlite_detail::RevokeSqliteToken(db_, tenant, kind, id, now);
  }
  Result<std::optional<ApiToken>> FindToken(const std::string& kind,
                                            const std::string& hash) override {
    return sqlite_detail::FindSqliteToken(db_, kind, hash);
  }
  Result<std::vector<TenantRecord>> ListTenants() override {
    return sqlite_detail::ListSqliteTenants(db_);
  }
  Result<std::optional<TenantRecord>> GetTenant(const std::string& name) override {
    return sqlite_detail::GetSqliteTenant(db_, name);
  }
  Status CreateTenant(const TenantRecord& tenant) override {
    return sqlite_detail::CreateSqliteTenant(db_, tenant);
  }
  Status UpdateTenant(const TenantRecord& tenant) override {
    return sqlite_detail::UpdateSqliteTenant(db_, tenant);
  }
  Result<TenantDeletion> DeleteTenant(const std::string& name, int64_t now) override {
    return sqlite_detail::DeleteSqliteTenant(db_, name, now);
  }

  Result<std::vector<StoredProfile>> ListStoredProfiles(const std::string& tenant) override {
    return sqlite_detail::ListSqliteStoredProfiles(db_, tenant);
  }
  Result<std::optional<StoredProfile>> GetStoredProfile(const std::string& tenant,
                                                        const std::string& name) override {
    return sqlite_detail::GetSqliteStoredProfile(db_, tenant, name);
  }
  Result<int64_t> PutStoredProfile(const StoredProfile& profile, int64_t expected_version,
                                   int64_t now) override {
    return sqlite_detail::PutSqliteStoredProfile(db_, profile, expected_version, now);
  }
  Status DeleteStoredProfile(const std::string& tenant, const std::string& name) override {
    return sqlite_detail::DeleteSqliteStoredProfile(db_, tenant, name);
  }
  Result<std::string> RecordSecretKey(const std::string& key_id, int64_t now) override {
    return sqlite_detail::RecordSqliteSecretKey(db_, key_id, now);
  }
  Result<int> RewriteSecrets(const std::string& expected_key_id, const std::string& new_key_id,
                             const SecretRewrite& rewrite, int64_t now) override {
    return sqlite_detail::RewriteSqliteSecrets(db_, expected_key_id, new_key_id, rewrite, now);
  }
  Result<int64_t> EnqueueJob(const JobRecord& job) override {
    return sqlite_detail::EnqueueSqliteJob(db_, job);
  }
  Result<std::optional<JobRecord>> ClaimJob(const std::string& worker, int64_t now,
                                            int64_t lease_seconds, size_t per_tenant_cap) override {
    return sqlite_detail::ClaimSqliteJob(db_, worker, now, lease_seconds, per_tenant_cap);
  }
  Status HeartbeatJob(int64_t id, const std::string& worker, int64_t lease_until, int64_t run_id,
                      const std::string& progress) override {
    return sqlite_detail::HeartbeatSqliteJob(db_, id, worker, lease_until, run_id, progress);
  }
  Status FinishJob(const JobRecord& job) override {
    return sqlite_detail::FinishSqliteJob(db_, job);
  }
  Result<JobRecord> GetJob(const std::string& tenant, int64_t id) override {
    return sqlite_detail::GetSqliteJob(db_, tenant, id);
  }
  Result<std::vector<JobRecord>> ListJobs(const std::string& tenant, const std::string& profile,
                                          size_t limit) override {
    return sqlite_detail::ListSqliteJobs(db_, tenant, profile, limit);
  }
  Result<int64_t> AddNotification(const NotificationRecord& record) override;
  // The outbox role (store/outbox.h), in sqlite_outbox.cc.
  Result<std::vector<OutboxEvent>> ListOutbox(const std::string& tenant, int64_t after_seq,
                                              size_t limit) override {
    return sqlite_detail::ListSqliteOutbox(db_, tenant, after_seq, limit);
  }
  Result<int64_t> LastOutboxSeq(const std::string& tenant) override {
    return sqlite_detail::LastSqliteOutboxSeq(db_, tenant);
  }
  Result<int64_t> CountOutbox(const std::string& tenant, int64_t after_seq) override {
    return sqlite_detail::CountSqliteOutbox(db_, tenant, after_seq);
  }
  Result<int64_t> CompactOutbox(const std::string& tenant, int64_t up_to_seq) override {
    return sqlite_detail::CompactSqliteOutbox(db_, tenant, up_to_seq);
  }
  Result<bool> IsCurrentEvent(const OutboxEvent& event) override {
    return sqlite_detail::IsCurrentSqliteEvent(db_, event);
  }
  Result<std::optional<TargetCursor>> GetTargetCursor(const std::string& tenant,
                                                      const std::string& target) override {
    return sqlite_detail::GetSqliteTargetCursor(db_, tenant, target);
  }
  Status PutTargetCursor(const TargetCursor& cursor) override {
    return sqlite_detail::PutSqliteTargetCursor(db_, cursor);
  }
  Status OpenTargetCursor(const std::string& tenant, const std::string& target) override {
    return sqlite_detail::OpenSqliteTargetCursor(db_, tenant, target);
  }
  Result<std::vector<TargetCursor>> ListTargetCursors(const std::string& tenant) override {
    return sqlite_detail::ListSqliteTargetCursors(db_, tenant);
  }
  Status AddDeadEvent(const DeadEvent& dead) override {
    return sqlite_detail::AddSqliteDeadEvent(db_, dead);
  }
  Result<std::vector<DeadEvent>> ListDeadEvents(const std::string& tenant,
                                                const std::string& target) override {
    return sqlite_detail::ListSqliteDeadEvents(db_, tenant, target);
  }
  Status RemoveDeadEvent(const std::string& tenant, const std::string& target,
                         int64_t seq) override {
    return sqlite_detail::RemoveSqliteDeadEvent(db_, tenant, target, seq);
  }
  // The targets' own state (store/target_state.h), in sqlite_target_state.cc.
  Result<std::vector<TargetObject>> ListTargetObjects(const std::string& tenant,
                                                      const std::string& target) override {
    return sqlite_detail::ListSqliteTargetObjects(db_, tenant, target);
  }
  Status PutTargetObject(const TargetObject& object) override {
    return sqlite_detail::PutSqliteTargetObject(db_, object);
  }
  Status RemoveTargetObject(const std::string& tenant, const std::string& target,
                            const std::string& type, const std::string& key) override {
    return sqlite_detail::RemoveSqliteTargetObject(db_, tenant, target, type, key);
  }
  Result<std::optional<std::string>> GetSipCredential(const std::string& tenant,
                                                      int64_t user_id) override {
    return sqlite_detail::GetSqliteSipCredential(db_, tenant, user_id);
  }
  Status PutSipCredential(const std::string& tenant, int64_t user_id, const std::string& sealed,
                          int64_t now) override {
    return sqlite_detail::PutSqliteSipCredential(db_, tenant, user_id, sealed, now);
  }
  Result<std::vector<SipCredential>> ListSipCredentials(const std::string& tenant) override {
    return sqlite_detail::ListSqliteSipCredentials(db_, tenant);
  }
  Status PutSipCredentials(const std::string& tenant, const std::vector<SipCredential>& credentials,
                           int64_t now) override {
    return sqlite_detail::PutSqliteSipCredentials(db_, tenant, credentials, now);
  }
  Status SaveTargetObjects(
      const std::string& tenant, const std::string& target, const std::vector<TargetObject>& put,
      const std::vector<std::pair<std::string, std::string>>& removed) override {
    return sqlite_detail::SaveSqliteTargetObjects(db_, tenant, target, put, removed);
  }
  Result<std::vector<PbxUser>> ListUsersFields(const std::string& tenant,
                                               const std::vector<Field>& fields) override {
    return sqlite_detail::ListSqliteUsersFields(db_, tenant, fields);
  }
  Status UpdateNotification(const NotificationRecord& record) override;
  Result<std::vector<NotificationRecord>> ListNotifications(const std::string& tenant,
                                                            int64_t run_id,
                                                            bool failed_only) override;

 private:
  // kNotFound unless run `run_id` belongs to `tenant`: runs never cross tenants.
  Status CheckRunTenant(const std::string& tenant, int64_t run_id);
  Result<std::vector<PbxUser>> ReadUsers(Statement& stmt, size_t reserve);
  Result<std::vector<Department>> ReadDepartments(Statement& stmt);

  Db db_;
  sqlite_detail::SqliteMirror mirror_{db_};  // the mirror's cached statements on db_
  int version_;
  SqliteStoreOptions options_;
};

Result<std::vector<PbxUser>> SqliteStore::ReadUsers(Statement& stmt, size_t reserve) {
  std::vector<PbxUser> users;
  users.reserve(reserve);
  Status read = ForEachRow(stmt, "read users", [&](const Statement& row) -> Status {
    Result<PbxUser> user = ReadUser(row);
    if (!user.ok()) {
      Error error = user.error();
      error.context = "user id " + std::to_string(row.ColumnInt(0));
      return error;
    }
    users.push_back(std::move(*user));
    return Ok();
  });
  if (!read.ok()) return read.error();
  return users;
}

Result<std::vector<Department>> SqliteStore::ReadDepartments(Statement& stmt) {
  std::vector<Department> out;
  Status read = ForEachRow(stmt, "read departments", [&](const Statement& row) -> Status {
    Department d;
    d.id = row.ColumnInt(0);
    d.profile = row.ColumnText(1);
    d.name = row.ColumnText(2);
    d.ring_group = row.ColumnText(3);
    Result<std::vector<std::string>> members = ParseStringArray(row.ColumnText(4), "members");
    if (!members.ok()) return members.error();
    d.members = std::move(*members);
    out.push_back(std::move(d));
    return Ok();
  });
  if (!read.ok()) return read.error();
  return out;
}

Result<StoreSnapshot> SqliteStore::LoadSnapshot(const std::string& tenant,
                                                const std::string& profile) {
  StoreSnapshot snapshot;
  // One read transaction: users and departments come from the same state even when
  // another process writes meanwhile.
  Result<Transaction> tx = Transaction::BeginRead(db_);
  if (!tx.ok()) return tx.error();
  {
    auto single = [&](const char* sql, bool bind) -> Result<int64_t> {
      Result<Statement> stmt = db_.Prepare(sql);
      if (!stmt.ok()) return stmt.error();
      if (bind) stmt->BindText(1, tenant);
      const int rc = stmt->Step();
      if (rc != SQLITE_ROW) return stmt->LastError(rc, "count users");
      return stmt->ColumnInt(0);
    };
    Result<int64_t> count = single("SELECT count(*) FROM users WHERE tenant = ?1", true);
    if (!count.ok()) return count.error();
    // The table's size, from the rowid b-tree's last entry (no scan).
    Result<int64_t> rows = single("SELECT coalesce(max(rowid), 0) FROM users", false);
    if (!rows.ok()) return rows.error();
    // A tenant holding much of the table (one company's million users) is read by one
    // scan in row order: "+tenant" keeps SQLite from walking a tenant index, which visits
    // the rows in random order. A small tenant among many (a provider's thousand
    // companies) is found through the index: a scan would read every tenant's rows.
    const bool scan = *count * 4 >= *rows;
    Result<Statement> stmt = db_.Prepare(
        SelectUsersSql(scan ? "WHERE +tenant = ?1 ORDER BY id" : "WHERE tenant = ?1 ORDER BY id"));
    if (!stmt.ok()) return stmt.error();
    stmt->BindText(1, tenant);
    Result<std::vector<PbxUser>> users = ReadUsers(*stmt, static_cast<size_t>(*count));
    if (!users.ok()) return users.error();
    snapshot.users = std::move(*users);
  }
  Result<Statement> stmt = db_.Prepare(
      "SELECT id, profile, name, ring_group, members FROM departments "
      "WHERE tenant = ?1 AND profile = ?2 ORDER BY name");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  Result<std::vector<Department>> departments = ReadDepartments(*stmt);
  if (!departments.ok()) return departments.error();
  snapshot.departments = std::move(*departments);
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  // The scan filled the page cache with rows the caller now holds: give the memory back
  // while the planner works (a million users: up to the whole 64 MiB cache).
  sqlite3_db_release_memory(db_.handle());
  return snapshot;
}

Result<ApplyReport> SqliteStore::Apply(const Plan& plan, const ApplyProgress& on_progress) {
  ApplyReport report;
  if (plan.IsNoop()) return report;  // P3: nothing prepared, no transaction, no write

  Result<Statement> insert = db_.Prepare(InsertUserSql(), true);
  if (!insert.ok()) return insert.error();
  Result<Statement> update = db_.Prepare(UpdateUserSql(), true);
  if (!update.ok()) return update.error();
  Result<Statement> remove = db_.Prepare("DELETE FROM users WHERE tenant = ?1 AND id = ?2", true);
  if (!remove.ok()) return remove.error();
  Result<Statement> upsert_department = db_.Prepare(
      "INSERT INTO departments (tenant, profile, name, ring_group, members) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tenant, profile, name) DO UPDATE SET "
      "ring_group = excluded.ring_group, members = excluded.members",
      true);
  if (!upsert_department.ok()) return upsert_department.error();
  Result<Statement> remove_department =
      db_.Prepare("DELETE FROM departments WHERE tenant = ?1 AND profile = ?2 AND name = ?3", true);
  if (!remove_department.ok()) return remove_department.error();

  // Issue 17: every change writes its outbox event in the same transaction.
  Result<sqlite_detail::SqliteOutboxWriter> outbox =
      sqlite_detail::SqliteOutboxWriter::Prepare(db_);
  if (!outbox.ok()) return outbox.error();

  const int64_t now = NowSeconds();
  std::optional<Transaction> tx;
  size_t in_batch = 0;
  // Opens the batch's transaction before its first write, commits after its last.
  // Whether this batch writes outbox events: only for a tenant one of whose targets has a
  // cursor (store/outbox.h). Asked in each batch's transaction, so a cursor a publisher opens
  // between two batches turns the events on from the next one, and its reconcile reads the
  // batches before it.
  bool events = false;
  auto before_write = [&]() -> Status {
    if (tx) return Ok();
    Result<Transaction> begun = Transaction::Begin(db_);
    if (!begun.ok()) return begun.error();
    tx.emplace(std::move(*begun));
    Result<bool> has_cursor = sqlite_detail::TenantHasTargetCursor(db_, plan.tenant);
    if (!has_cursor.ok()) return has_cursor.error();
    events = *has_cursor;
    return Ok();
  };
  // The user writes done and the count last reported: progress goes out after a commit.
  size_t users_done = 0;
  size_t reported = 0;
  auto report_progress = [&] {
    if (!on_progress || users_done == reported) return;
    reported = users_done;
    on_progress(users_done);
  };
  auto after_write = [&]() -> Status {
    ++report.statements;
    if (++in_batch < options_.batch_size) return Ok();
    in_batch = 0;
    Status s = tx->Commit();
    tx.reset();
    if (s.ok()) report_progress();
    return s;
  };
  auto with_context = [](Error error, std::string context) {
    error.context = std::move(context);
    return error;
  };

  // Deletions first: a value (e-mail, extension, number) that a deleted user frees may be
  // taken by another user in the same plan, and no committed batch should hold both.
  std::vector<const PlanItem*> order;
  order.reserve(plan.items.size());
  for (const PlanItem& item : plan.items) {
    if (item.action == Action::kDelete) order.push_back(&item);
  }
  for (const PlanItem& item : plan.items) {
    if (IsWrite(item.action) && item.action != Action::kDelete) order.push_back(&item);
  }
  for (const PlanItem* item_ptr : order) {
    const PlanItem& item = *item_ptr;
    if (Status s = before_write(); !s.ok()) return s.error();
    Status written;
    int64_t created_id = 0;  // the row a create inserted (or updated, when rerun)
    if (item.action == Action::kDelete) {
      remove->BindText(1, plan.tenant);
      remove->BindInt(2, item.user_id);
      written = remove->Run("delete user");
    } else {
      // Bound without a copy: both strings outlive the statement's run.
      const std::string groups = GroupsJson(item.target->groups);
      const std::string custom = CustomJson(item.target->custom);
      if (item.action == Action::kCreate) {
        BindUser(*insert, plan.tenant, *item.target, groups, custom, now);
        // A create's user_id is 0 (a new row) or the id of the user it restores (issue 18).
        insert->BindInt(kIdParam, item.user_id);
        Result<int64_t> id = insert->RunReturningInt("create user");
        if (id.ok()) {
          created_id = *id;
        } else {
          written = id.error();
        }
      } else {
        BindUser(*update, plan.tenant, *item.target, groups, custom, now);
        update->BindInt(kIdParam, item.user_id);
        written = update->Run("update user");
      }
    }
    if (!written.ok()) return with_context(written.error(), UserContext(item));
    const int64_t changed = db_.Changes();
    report.users_written += static_cast<size_t>(changed);
    if (events) {
      written = item.action == Action::kDelete
                    ? outbox->UserDeleted(plan.tenant, item, changed > 0, now)
                    : outbox->UserWritten(plan.tenant, item, created_id, now);
    }
    if (!written.ok()) return with_context(written.error(), UserContext(item));
    ++users_done;
    if (Status s = after_write(); !s.ok()) return s.error();
  }

  for (const DepartmentChange& change : plan.departments) {
    const bool upsert = change.action == Action::kCreate || change.action == Action::kUpdate;
    if (!upsert && change.action != Action::kDelete) continue;
    if (Status s = before_write(); !s.ok()) return s.error();
    const Department& d = change.target;
    const std::string& profile = d.profile.empty() ? plan.profile : d.profile;
    Status written;
    if (upsert) {
      const std::string members = GroupsJson(d.members);
      upsert_department->BindText(1, plan.tenant);
      upsert_department->BindText(2, profile);
      upsert_department->BindText(3, d.name);
      upsert_department->BindText(4, d.ring_group);
      upsert_department->BindText(5, members);
      written = upsert_department->Run("write department");
    } else {
      remove_department->BindText(1, plan.tenant);
      remove_department->BindText(2, profile);
      remove_department->BindText(3, d.name);
      written = remove_department->Run("delete department");
    }
    if (!written.ok()) return with_context(written.error(), "department " + d.name);
    const int64_t changed = db_.Changes();
    report.departments_written += static_cast<size_t>(changed);
    if (events) written = outbox->DepartmentWritten(plan.tenant, change, profile, changed > 0, now);
    if (!written.ok()) return with_context(written.error(), "department " + d.name);
    if (Status s = after_write(); !s.ok()) return s.error();
  }

  if (plan.pause_run != 0) {
    // Recorded with the plan's last write (issue 18: `runs revert --pause`).
    if (Status s = before_write(); !s.ok()) return s.error();
    Result<Statement> pause = db_.Prepare(
        "INSERT INTO profile_pauses (tenant, profile, run_id, paused_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (tenant, profile) DO UPDATE SET run_id = excluded.run_id, "
        "paused_at = excluded.paused_at");
    if (!pause.ok()) return pause.error();
    pause->BindText(1, plan.tenant);
    pause->BindText(2, plan.profile);
    pause->BindInt(3, plan.pause_run);
    pause->BindInt(4, now);
    if (Status s = pause->Run("pause profile"); !s.ok()) return s.error();
    ++report.statements;
  }
  if (tx) {
    Status s = tx->Commit();
    tx.reset();
    if (!s.ok()) return s.error();
  }
  report_progress();
  return report;
}

Result<int64_t> SqliteStore::CreateRun(const Run& run) {
  Result<Statement> stmt = db_.Prepare(
      "INSERT INTO runs (tenant, profile, kind, triggered_by, status, started_at, finished_at, "
      "complete, source, message, summary, approved_run, reverted_run) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  if (!stmt.ok()) return stmt.error();
  const std::string summary = SummaryJson(run.summary);
  stmt->BindText(1, run.tenant);
  stmt->BindText(2, run.profile);
  stmt->BindText(3, RunKindName(run.kind));
  stmt->BindText(4, run.trigger);
  stmt->BindText(5, RunStatusName(run.status));
  stmt->BindInt(6, run.started_at);
  stmt->BindInt(7, run.finished_at);
  stmt->BindInt(8, run.complete ? 1 : 0);
  stmt->BindText(9, run.source);
  stmt->BindText(10, run.message);
  stmt->BindText(11, summary);
  stmt->BindInt(12, run.approved_run);
  stmt->BindInt(13, run.reverted_run);
  if (Status s = stmt->Run("create run"); !s.ok()) return s.error();
  return db_.LastInsertRowid();
}

Status SqliteStore::UpdateRun(const Run& run) {
  Result<Statement> stmt = db_.Prepare(
      "UPDATE runs SET status = ?3, started_at = ?4, finished_at = ?5, complete = ?6, "
      "source = ?7, message = ?8, summary = ?9, approved_run = ?10 "
      "WHERE tenant = ?1 AND id = ?2");
  if (!stmt.ok()) return stmt.error();
  const std::string summary = SummaryJson(run.summary);
  stmt->BindText(1, run.tenant);
  stmt->BindInt(2, run.id);
  stmt->BindText(3, RunStatusName(run.status));
  stmt->BindInt(4, run.started_at);
  stmt->BindInt(5, run.finished_at);
  stmt->BindInt(6, run.complete ? 1 : 0);
  stmt->BindText(7, run.source);
  stmt->BindText(8, run.message);
  stmt->BindText(9, summary);
  stmt->BindInt(10, run.approved_run);
  if (Status s = stmt->Run("update run"); !s.ok()) return s;
  if (db_.Changes() == 0) return Error::NotFound("run " + std::to_string(run.id) + " not found");
  return Ok();
}

Status SqliteStore::CheckRunTenant(const std::string& tenant, int64_t run_id) {
  Result<Statement> stmt = db_.Prepare("SELECT 1 FROM runs WHERE tenant = ?1 AND id = ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindInt(2, run_id);
  const int rc = stmt->Step();
  if (rc == SQLITE_ROW) return Ok();
  if (rc == SQLITE_DONE) return Error::NotFound("run " + std::to_string(run_id) + " not found");
  return stmt->LastError(rc, "find run");
}

Status SqliteStore::SaveRunItems(int64_t run_id, const Plan& plan) {
  if (Status s = CheckRunTenant(plan.tenant, run_id); !s.ok()) return s;
  Result<Statement> insert_item = db_.Prepare(
      "INSERT INTO run_items (run_id, seq, action, key, username, changes, reason, user_id, "
      "removed_user) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
      true);
  if (!insert_item.ok()) return insert_item.error();
  Result<Statement> insert_department = db_.Prepare(
      "INSERT INTO run_departments (run_id, seq, action, name, profile, ring_group, members, "
      "changes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      true);
  if (!insert_department.ok()) return insert_department.error();

  Result<Transaction> tx = Transaction::Begin(db_);
  if (!tx.ok()) return tx.error();
  // Saving again replaces the items, so a retried save does not fail or duplicate.
  for (const char* sql : {"DELETE FROM run_items WHERE run_id = ?1",
                          "DELETE FROM run_departments WHERE run_id = ?1"}) {
    Result<Statement> clear = db_.Prepare(sql);
    if (!clear.ok()) return clear.error();
    clear->BindInt(1, run_id);
    if (Status s = clear->Run("clear run items"); !s.ok()) return s;
  }
  int64_t seq = 0;
  for (const PlanItem& item : plan.items) {
    const std::string changes = ChangesJson(EffectiveChanges(item));
    Statement& stmt = *insert_item;
    stmt.BindInt(1, run_id);
    stmt.BindInt(2, seq++);
    stmt.BindText(3, ActionName(item.action));
    stmt.BindText(4, item.key);
    stmt.BindText(5, item.username);
    stmt.BindText(6, changes);
    stmt.BindText(7, item.reason);
    stmt.BindInt(8, item.user_id);
    // A deleted user's row, for `runs revert` (issue 18): its target is the stored user.
    stmt.BindTextCopy(9, item.action == Action::kDelete && item.target.has_value()
                             ? UserRowJson(*item.target)
                             : std::string());
    if (Status s = stmt.Run("save run item"); !s.ok()) return s;
  }
  seq = 0;
  for (const DepartmentChange& change : plan.departments) {
    const std::string changes = ChangesJson(change.changes);
    const std::string members = GroupsJson(change.target.members);
    Statement& stmt = *insert_department;
    stmt.BindInt(1, run_id);
    stmt.BindInt(2, seq++);
    stmt.BindText(3, ActionName(change.action));
    stmt.BindText(4, change.target.name);
    stmt.BindText(5, change.target.profile);
    stmt.BindText(6, change.target.ring_group);
    stmt.BindText(7, members);
    stmt.BindText(8, changes);
    if (Status s = stmt.Run("save run department"); !s.ok()) return s;
  }
  return tx->Commit();
}

Result<Run> SqliteStore::GetRun(const std::string& tenant, int64_t run_id) {
  Result<Statement> stmt = db_.Prepare("SELECT " + std::string(kRunColumns) +
                                       " FROM runs WHERE tenant = ?1 AND id = ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindInt(2, run_id);
  const int rc = stmt->Step();
  if (rc == SQLITE_DONE) return Error::NotFound("run " + std::to_string(run_id) + " not found");
  if (rc != SQLITE_ROW) return stmt->LastError(rc, "get run");
  return ReadRun(*stmt);
}

Result<std::vector<Run>> SqliteStore::ListRuns(const std::string& tenant,
                                               const std::string& profile, size_t limit) {
  const std::string sql = "SELECT " + std::string(kRunColumns) + " FROM runs WHERE tenant = ?1" +
                          (profile.empty() ? "" : " AND profile = ?2") +
                          " ORDER BY id DESC LIMIT ?3";
  Result<Statement> stmt = db_.Prepare(sql);
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  if (!profile.empty()) stmt->BindText(2, profile);
  // LIMIT -1 is SQLite's "no limit"; a limit of 0 asks for every run.
  stmt->BindInt(3, limit == 0 ? -1 : static_cast<int64_t>(limit));
  std::vector<Run> runs;
  Status read = ForEachRow(*stmt, "list runs", [&](const Statement& row) -> Status {
    Result<Run> run = ReadRun(row);
    if (!run.ok()) return run.error();
    runs.push_back(std::move(*run));
    return Ok();
  });
  if (!read.ok()) return read.error();
  return runs;
}

namespace {

constexpr const char* kRunItemColumns =
    "SELECT action, key, username, changes, reason, user_id, removed_user FROM run_items ";

Result<PlanItem> ReadRunItem(const Statement& row) {
  return store_detail::RunItemFromColumns({row.ColumnText(0), row.ColumnText(1), row.ColumnText(2),
                                           row.ColumnText(3), row.ColumnText(4), row.ColumnInt(5),
                                           row.ColumnText(6)});
}

}  // namespace

Result<std::vector<PlanItem>> SqliteStore::GetRunItems(const std::string& tenant, int64_t run_id,
                                                       std::optional<Action> action) {
  if (Status s = CheckRunTenant(tenant, run_id); !s.ok()) return s.error();
  const std::string sql = std::string(kRunItemColumns) + "WHERE run_id = ?1" +
                          (action ? " AND action = ?2" : "") + " ORDER BY seq";
  Result<Statement> stmt = db_.Prepare(sql);
  if (!stmt.ok()) return stmt.error();
  stmt->BindInt(1, run_id);
  if (action) stmt->BindText(2, ActionName(*action));
  std::vector<PlanItem> items;
  Status read = ForEachRow(*stmt, "read run items", [&](const Statement& row) -> Status {
    Result<PlanItem> item = ReadRunItem(row);
    if (!item.ok()) return item.error();
    items.push_back(std::move(*item));
    return Ok();
  });
  if (!read.ok()) return read.error();
  return items;
}

Result<RunItemsPage> SqliteStore::GetRunItemsPage(const std::string& tenant, int64_t run_id,
                                                  const RunItemsQuery& query) {
  if (Status s = CheckRunTenant(tenant, run_id); !s.ok()) return s.error();
  RunItemsPage page;
  Result<Statement> counts =
      db_.Prepare("SELECT action, count(*) FROM run_items WHERE run_id = ?1 GROUP BY action");
  if (!counts.ok()) return counts.error();
  counts->BindInt(1, run_id);
  size_t total = 0;
  Status counted = ForEachRow(*counts, "count run items", [&](const Statement& row) -> Status {
    const std::optional<Action> action = ActionFromName(row.ColumnText(0));
    if (!action) return Error::Internal("store: run item with an unknown action");
    page.summary[static_cast<size_t>(*action)] = static_cast<size_t>(row.ColumnInt(1));
    total += static_cast<size_t>(row.ColumnInt(1));
    return Ok();
  });
  if (!counted.ok()) return counted.error();
  std::string sql =
      std::string(kRunItemColumns) + "WHERE run_id = ?1" + (query.action ? " AND action = ?2" : "");
  const bool text = !query.needle.empty();
  const bool prefilter = text && store_detail::NeedleFitsStoredText(query.needle);
  if (!text) {
    // No text filter: the count is known, and the database skips to the page.
    page.matched = query.action ? page.summary[static_cast<size_t>(*query.action)] : total;
    sql += " ORDER BY seq LIMIT ?4 OFFSET ?5";
  } else if (prefilter) {
    // lower() folds ASCII only, as the filter does; `matches` decides each row kept.
    sql +=
        " AND instr(lower(username || char(1) || key || char(1) || reason || char(1) || "
        "changes), ?3) > 0 ORDER BY seq";
  } else {
    sql += " ORDER BY seq";
  }
  Result<Statement> stmt = db_.Prepare(sql);
  if (!stmt.ok()) return stmt.error();
  stmt->BindInt(1, run_id);
  if (query.action) stmt->BindText(2, ActionName(*query.action));
  if (prefilter) {
    stmt->BindText(3, query.needle);
  } else if (!text) {
    stmt->BindInt(4, static_cast<int64_t>(std::min<size_t>(query.limit, INT64_MAX)));
    stmt->BindInt(5, static_cast<int64_t>(query.offset));
  }
  Status read = ForEachRow(*stmt, "read run items", [&](const Statement& row) -> Status {
    Result<PlanItem> item = ReadRunItem(row);
    if (!item.ok()) return item.error();
    if (text) {
      store_detail::AddToPage(std::move(*item), query, page);
    } else {
      page.items.push_back(std::move(*item));
    }
    return Ok();
  });
  if (!read.ok()) return read.error();
  return page;
}

Result<std::vector<DepartmentChange>> SqliteStore::GetRunDepartments(const std::string& tenant,
                                                                     int64_t run_id) {
  if (Status s = CheckRunTenant(tenant, run_id); !s.ok()) return s.error();
  Result<Statement> stmt = db_.Prepare(
      "SELECT action, name, profile, ring_group, members, changes FROM run_departments "
      "WHERE run_id = ?1 ORDER BY seq");
  if (!stmt.ok()) return stmt.error();
  stmt->BindInt(1, run_id);
  std::vector<DepartmentChange> out;
  Status read = ForEachRow(*stmt, "read run departments", [&](const Statement& row) -> Status {
    DepartmentChange change;
    const std::optional<Action> parsed = ActionFromName(row.ColumnText(0));
    if (!parsed) return Error::Internal("store: run department with an unknown action");
    change.action = *parsed;
    change.target.name = row.ColumnText(1);
    change.target.profile = row.ColumnText(2);
    change.target.ring_group = row.ColumnText(3);
    Result<std::vector<std::string>> members = ParseStringArray(row.ColumnText(4), "members");
    if (!members.ok()) return members.error();
    change.target.members = std::move(*members);
    Result<std::vector<FieldChange>> changes = ParseChanges(row.ColumnText(5));
    if (!changes.ok()) return changes.error();
    change.changes = std::move(*changes);
    out.push_back(std::move(change));
    return Ok();
  });
  if (!read.ok()) return read.error();
  return out;
}

Result<std::optional<Run>> SqliteStore::LastSuccessfulSync(const std::string& tenant,
                                                           const std::string& profile) {
  Result<Statement> stmt =
      db_.Prepare("SELECT " + std::string(kRunColumns) +
                  " FROM runs WHERE tenant = ?1 AND profile = ?2 AND kind = 'sync' "
                  "AND status IN ('success', 'partial') ORDER BY id DESC LIMIT 1");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  const int rc = stmt->Step();
  if (rc == SQLITE_DONE) return std::optional<Run>();
  if (rc != SQLITE_ROW) return stmt->LastError(rc, "last successful sync");
  Result<Run> run = ReadRun(*stmt);
  if (!run.ok()) return run.error();
  return std::optional<Run>(std::move(*run));
}

Result<std::optional<int64_t>> SqliteStore::GetProfilePause(const std::string& tenant,
                                                            const std::string& profile) {
  Result<Statement> stmt =
      db_.Prepare("SELECT run_id FROM profile_pauses WHERE tenant = ?1 AND profile = ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  const int rc = stmt->Step();
  if (rc == SQLITE_DONE) return std::optional<int64_t>();
  if (rc != SQLITE_ROW) return stmt->LastError(rc, "read profile pause");
  return std::optional<int64_t>(stmt->ColumnInt(0));
}

Status SqliteStore::ClearProfilePause(const std::string& tenant, const std::string& profile) {
  Result<Statement> stmt =
      db_.Prepare("DELETE FROM profile_pauses WHERE tenant = ?1 AND profile = ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  return stmt->Run("clear profile pause");
}

Result<HistoryPurge> SqliteStore::PurgeRunHistory(const std::string& tenant, int64_t before,
                                                  int64_t now, size_t batch) {
  HistoryPurge out;
  // Mark first, in one statement (its own transaction): from here on a revert refuses
  // these runs, so none ever sees part of its items. purged_at 0 means "kept".
  {
    Result<Statement> mark = db_.Prepare(
        "UPDATE runs SET purged_at = ?3, purge_pending = 1 "
        "WHERE tenant = ?1 AND purged_at = 0 AND started_at < ?2");
    if (!mark.ok()) return mark.error();
    mark->BindText(1, tenant);
    mark->BindInt(2, before);
    mark->BindInt(3, std::max<int64_t>(now, 1));
    if (Status s = mark->Run("mark purged runs"); !s.ok()) return s.error();
  }
  // Then the items of every marked run, this call's and any a stopped purge left, in
  // batches: each DELETE is its own short write transaction.
  Result<Statement> pending =
      db_.Prepare("SELECT id FROM runs WHERE tenant = ?1 AND purge_pending <> 0 ORDER BY id");
  if (!pending.ok()) return pending.error();
  pending->BindText(1, tenant);
  std::vector<int64_t> ids;
  Status listed = ForEachRow(*pending, "list purged runs", [&](const Statement& row) -> Status {
    ids.push_back(row.ColumnInt(0));
    return Ok();
  });
  if (!listed.ok()) return listed.error();
  const int64_t limit = static_cast<int64_t>(std::max<size_t>(batch, 1));
  for (const int64_t id : ids) {
    for (const char* sql :
         {"DELETE FROM run_items WHERE run_id = ?1 AND seq IN "
          "(SELECT seq FROM run_items WHERE run_id = ?1 ORDER BY seq LIMIT ?2)",
          "DELETE FROM run_departments WHERE run_id = ?1 AND seq IN "
          "(SELECT seq FROM run_departments WHERE run_id = ?1 ORDER BY seq LIMIT ?2)"}) {
      Result<Statement> erase = db_.Prepare(sql, true);
      if (!erase.ok()) return erase.error();
      for (;;) {
        erase->BindInt(1, id);
        erase->BindInt(2, limit);
        if (Status s = erase->Run("purge run items"); !s.ok()) return s.error();
        const int64_t deleted = db_.Changes();
        out.items += static_cast<size_t>(deleted);
        if (deleted < limit) break;
      }
    }
    Result<Statement> done = db_.Prepare("UPDATE runs SET purge_pending = 0 WHERE id = ?1");
    if (!done.ok()) return done.error();
    done->BindInt(1, id);
    if (Status s = done->Run("finish run purge"); !s.ok()) return s.error();
    ++out.runs;
  }
  return out;
}

Result<std::optional<PbxUser>> SqliteStore::FindUser(const std::string& tenant,
                                                     const std::string& name) {
  // An empty name would match every user without an e-mail.
  if (name.empty()) return std::optional<PbxUser>();
  // A username match wins over an e-mail match (someone's username may be another
  // user's e-mail address).
  Result<Statement> stmt = db_.Prepare(SelectUsersSql(
      "WHERE tenant = ?1 AND (lower(username) = lower(?2) OR lower(email) = lower(?2)) "
      "ORDER BY lower(username) = lower(?2) DESC, id LIMIT 1"));
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, name);
  Result<std::vector<PbxUser>> users = ReadUsers(*stmt, 1);
  if (!users.ok()) return users.error();
  if (users->empty()) return std::optional<PbxUser>();
  return std::optional<PbxUser>(std::move(users->front()));
}

Result<std::vector<PbxUser>> SqliteStore::ListUsers(const std::string& tenant, size_t limit,
                                                    size_t offset) {
  Result<Statement> stmt = db_.Prepare(
      SelectUsersSql("WHERE tenant = ?1 ORDER BY lower(username), id LIMIT ?2 OFFSET ?3"));
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindInt(2, limit == 0 ? -1 : static_cast<int64_t>(limit));
  stmt->BindInt(3, static_cast<int64_t>(offset));
  return ReadUsers(*stmt, limit == 0 ? 0 : std::min<size_t>(limit, 10000));
}

Result<size_t> SqliteStore::CountUsers(const std::string& tenant) {
  Result<Statement> stmt = db_.Prepare("SELECT count(*) FROM users WHERE tenant = ?1");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  if (const int rc = stmt->Step(); rc != SQLITE_ROW) return stmt->LastError(rc, "count users");
  return static_cast<size_t>(stmt->ColumnInt(0));
}

Result<std::vector<std::string>> SqliteStore::ListPendingDeleteKeys(const std::string& tenant,
                                                                    const std::string& profile) {
  Result<Statement> stmt = db_.Prepare(
      "SELECT source_key FROM users WHERE tenant = ?1 AND profile = ?2 "
      "AND state = 'pending_delete' AND source_key <> ''");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  std::vector<std::string> keys;
  int rc;
  while ((rc = stmt->Step()) == SQLITE_ROW) keys.emplace_back(stmt->ColumnText(0));
  if (rc != SQLITE_DONE) return stmt->LastError(rc, "list pending deletes");
  return keys;
}

Result<std::vector<std::string>> SqliteStore::ListWaitingKeys(const std::string& tenant,
                                                              const std::string& profile) {
  Result<Statement> stmt =
      db_.Prepare("SELECT source_key FROM plan_waiting WHERE tenant = ?1 AND profile = ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  std::vector<std::string> keys;
  int rc;
  while ((rc = stmt->Step()) == SQLITE_ROW) keys.emplace_back(stmt->ColumnText(0));
  if (rc != SQLITE_DONE) return stmt->LastError(rc, "list waiting users");
  return keys;
}

Status SqliteStore::SetWaitingKeys(const std::string& tenant, const std::string& profile,
                                   const std::vector<std::string>& keys,
                                   const std::unordered_set<std::string>* scope) {
  Result<Transaction> tx = Transaction::Begin(db_);
  if (!tx.ok()) return tx.error();
  auto run = [&](const char* sql, const std::string* key, const char* what) -> Status {
    Result<Statement> stmt = db_.Prepare(sql);
    if (!stmt.ok()) return stmt.error();
    stmt->BindText(1, tenant);
    stmt->BindText(2, profile);
    if (key != nullptr) stmt->BindText(3, *key);
    if (const int rc = stmt->Step(); rc != SQLITE_DONE) return stmt->LastError(rc, what);
    return Ok();
  };
  if (scope == nullptr) {
    Status s = run("DELETE FROM plan_waiting WHERE tenant = ?1 AND profile = ?2", nullptr,
                   "clear waiting users");
    if (!s.ok()) return s;
  } else {
    for (const std::string& key : *scope) {
      Status s =
          run("DELETE FROM plan_waiting WHERE tenant = ?1 AND profile = ?2 AND source_key = ?3",
              &key, "clear waiting users");
      if (!s.ok()) return s;
    }
  }
  for (const std::string& key : keys) {
    Status s =
        run("INSERT OR IGNORE INTO plan_waiting (tenant, profile, source_key) VALUES (?1, ?2, ?3)",
            &key, "record waiting users");
    if (!s.ok()) return s;
  }
  return tx->Commit();
}

Status SqliteStore::UnlinkUser(const std::string& tenant, int64_t user_id) {
  Result<Statement> stmt = db_.Prepare(
      "UPDATE users SET source_key = '', profile = '', updated_at = ?3 "
      "WHERE tenant = ?1 AND id = ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindInt(2, user_id);
  stmt->BindInt(3, NowSeconds());
  if (Status s = stmt->Run("unlink user"); !s.ok()) return s;
  if (db_.Changes() == 0) {
    return Error::NotFound("user " + std::to_string(user_id) + " not found");
  }
  return Ok();
}

Status SqliteStore::SetUserGroups(const std::string& tenant, int64_t user_id,
                                  const std::vector<std::string>& groups) {
  Result<Statement> stmt =
      db_.Prepare("UPDATE users SET groups = ?3, updated_at = ?4 WHERE tenant = ?1 AND id = ?2");
  if (!stmt.ok()) return stmt.error();
  const std::string text = GroupsJson(groups);
  stmt->BindText(1, tenant);
  stmt->BindInt(2, user_id);
  stmt->BindText(3, text);
  stmt->BindInt(4, NowSeconds());
  if (Status s = stmt->Run("set user groups"); !s.ok()) return s;
  if (db_.Changes() == 0) {
    return Error::NotFound("user " + std::to_string(user_id) + " not found");
  }
  return Ok();
}

Result<std::vector<Department>> SqliteStore::ListDepartments(const std::string& tenant) {
  Result<Statement> stmt = db_.Prepare(
      "SELECT id, profile, name, ring_group, members FROM departments WHERE tenant = ?1 "
      "ORDER BY profile, name");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  return ReadDepartments(*stmt);
}

Result<std::string> SqliteStore::GetCursor(const std::string& tenant, const std::string& profile) {
  Result<Statement> stmt =
      db_.Prepare("SELECT cursor FROM cursors WHERE tenant = ?1 AND profile = ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  const int rc = stmt->Step();
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) return stmt->LastError(rc, "get cursor");
  return std::string(stmt->ColumnText(0));
}

Status SqliteStore::SetCursor(const std::string& tenant, const std::string& profile,
                              const std::string& cursor) {
  Result<Statement> stmt = db_.Prepare(
      "INSERT INTO cursors (tenant, profile, cursor) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (tenant, profile) DO UPDATE SET cursor = excluded.cursor");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  stmt->BindText(3, cursor);
  return stmt->Run("set cursor");
}

Result<int64_t> SqliteStore::AddNotification(const NotificationRecord& r) {
  Result<Statement> stmt = db_.Prepare(
      "INSERT INTO notifications (tenant, profile, run_id, kind, recipients, subject, status, "
      "attempts, error, created_at, sent_at, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
      "?9, ?10, ?11, ?12)");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, r.tenant);
  stmt->BindText(2, r.profile);
  stmt->BindInt(3, r.run_id);
  stmt->BindText(4, r.kind);
  stmt->BindText(5, r.recipients);
  stmt->BindText(6, r.subject);
  stmt->BindText(7, r.status);
  stmt->BindInt(8, r.attempts);
  stmt->BindText(9, r.error);
  stmt->BindInt(10, r.created_at);
  stmt->BindInt(11, r.sent_at);
  stmt->BindText(12, r.message);
  if (Status s = stmt->Run("add notification"); !s.ok()) return s.error();
  return db_.LastInsertRowid();
}

Status SqliteStore::UpdateNotification(const NotificationRecord& r) {
  Result<Statement> stmt = db_.Prepare(
      "UPDATE notifications SET status = ?3, attempts = ?4, error = ?5, sent_at = ?6, "
      "message = ?7 WHERE id = ?1 AND tenant = ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->BindInt(1, r.id);
  stmt->BindText(2, r.tenant);
  stmt->BindText(3, r.status);
  stmt->BindInt(4, r.attempts);
  stmt->BindText(5, r.error);
  stmt->BindInt(6, r.sent_at);
  stmt->BindText(7, r.message);
  if (Status s = stmt->Run("update notification"); !s.ok()) return s;
  if (db_.Changes() == 0) return Error::NotFound("no notification " + std::to_string(r.id));
  return Ok();
}

Result<std::vector<NotificationRecord>> SqliteStore::ListNotifications(const std::string& tenant,
                                                                       int64_t run_id,
                                                                       bool failed_only) {
  Result<Statement> stmt = db_.Prepare(
      "SELECT id, tenant, profile, run_id, kind, recipients, subject, status, attempts, error, "
      "created_at, sent_at, message FROM notifications WHERE tenant = ?1 AND (?2 = 0 OR "
      "run_id = ?2) AND (?3 = 0 OR status = 'failed') ORDER BY id");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindInt(2, run_id);
  stmt->BindInt(3, failed_only ? 1 : 0);
  std::vector<NotificationRecord> out;
  Status read = ForEachRow(*stmt, "list notifications", [&](const Statement& row) {
    NotificationRecord r;
    r.id = row.ColumnInt(0);
    r.tenant = std::string(row.ColumnText(1));
    r.profile = std::string(row.ColumnText(2));
    r.run_id = row.ColumnInt(3);
    r.kind = std::string(row.ColumnText(4));
    r.recipients = std::string(row.ColumnText(5));
    r.subject = std::string(row.ColumnText(6));
    r.status = std::string(row.ColumnText(7));
    r.attempts = static_cast<int>(row.ColumnInt(8));
    r.error = std::string(row.ColumnText(9));
    r.created_at = row.ColumnInt(10);
    r.sent_at = row.ColumnInt(11);
    r.message = std::string(row.ColumnText(12));
    out.push_back(std::move(r));
  });
  if (!read.ok()) return read.error();
  return out;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteStoreOptions& options) {
  Result<Db> db = Db::Open(path, options.create);
  if (!db.ok()) return db.error();
  Result<int> version = MigrateSqliteStore(*db);
  if (!version.ok()) {
    Error error = version.error();
    if (error.context.empty()) error.context = path;
    return error;
  }
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(*db), *version, options));
}

}  // namespace telsync
