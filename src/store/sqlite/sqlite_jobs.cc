#include "store/sqlite/sqlite_jobs.h"

#include <string_view>
#include <utility>

namespace telsync::sqlite_detail {
namespace {

constexpr std::string_view kProfileColumns =
    "tenant, name, document, version, created_at, updated_at";

StoredProfile ReadProfile(const Statement& row) {
  StoredProfile p;
  p.tenant = std::string(row.ColumnText(0));
  p.name = std::string(row.ColumnText(1));
  p.document = std::string(row.ColumnText(2));
  p.version = row.ColumnInt(3);
  p.created_at = row.ColumnInt(4);
  p.updated_at = row.ColumnInt(5);
  return p;
}

constexpr std::string_view kJobColumns =
    "id, tenant, profile, kind, triggered_by, approve_run, state, worker, lease_until, "
    "attempts, run_id, exit_code, message, progress, created_at, started_at, finished_at, slot";

Result<JobRecord> ReadJob(const Statement& row) {
  JobRecord j;
  j.id = row.ColumnInt(0);
  j.tenant = std::string(row.ColumnText(1));
  j.profile = std::string(row.ColumnText(2));
  j.kind = std::string(row.ColumnText(3));
  j.trigger = std::string(row.ColumnText(4));
  j.approve_run = row.ColumnInt(5);
  std::optional<JobState> state = ParseJobState(row.ColumnText(6));
  if (!state) {
    return Error::Internal("job " + std::to_string(j.id) + " has an unknown state '" +
                           std::string(row.ColumnText(6)) + "'");
  }
  j.state = *state;
  j.worker = std::string(row.ColumnText(7));
  j.lease_until = row.ColumnInt(8);
  j.attempts = static_cast<int>(row.ColumnInt(9));
  j.run_id = row.ColumnInt(10);
  j.exit_code = static_cast<int>(row.ColumnInt(11));
  j.message = std::string(row.ColumnText(12));
  j.progress = std::string(row.ColumnText(13));
  j.created_at = row.ColumnInt(14);
  j.started_at = row.ColumnInt(15);
  j.finished_at = row.ColumnInt(16);
  j.slot = row.ColumnInt(17);
  return j;
}

Result<std::optional<JobRecord>> JobById(Db& db, int64_t id) {
  Result<Statement> stmt =
      db.Prepare("SELECT " + std::string(kJobColumns) + " FROM jobs WHERE id = ?1");
  if (!stmt.ok()) return stmt.error();
  stmt->BindInt(1, id);
  const int rc = stmt->Step();
  if (rc == SQLITE_DONE) return std::optional<JobRecord>();
  if (rc != SQLITE_ROW) return stmt->LastError(rc, "read job");
  Result<JobRecord> job = ReadJob(*stmt);
  if (!job.ok()) return job.error();
  return std::optional<JobRecord>(std::move(*job));
}

}  // namespace

Result<std::vector<StoredProfile>> ListSqliteStoredProfiles(Db& db, const std::string& tenant) {
  Result<Statement> stmt = db.Prepare("SELECT " + std::string(kProfileColumns) +
                                      " FROM stored_profiles WHERE ?1 = '' OR tenant = ?1 "
                                      "ORDER BY tenant, name");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  std::vector<StoredProfile> out;
  Status read = ForEachRow(*stmt, "list stored profiles",
                           [&](const Statement& row) { out.push_back(ReadProfile(row)); });
  if (!read.ok()) return read.error();
  return out;
}

Result<std::optional<StoredProfile>> GetSqliteStoredProfile(Db& db, const std::string& tenant,
                                                            const std::string& name) {
  Result<Statement> stmt = db.Prepare("SELECT " + std::string(kProfileColumns) +
                                      " FROM stored_profiles WHERE tenant = ?1 AND name = ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, name);
  const int rc = stmt->Step();
  if (rc == SQLITE_DONE) return std::optional<StoredProfile>();
  if (rc != SQLITE_ROW) return stmt->LastError(rc, "read stored profile");
  return std::optional<StoredProfile>(ReadProfile(*stmt));
}

Result<int64_t> PutSqliteStoredProfile(Db& db, const StoredProfile& profile,
                                       int64_t expected_version, int64_t now) {
  const std::string what = "profile " + profile.tenant + "/" + profile.name;
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx.ok()) return tx.error();
  Result<std::optional<StoredProfile>> current =
      GetSqliteStoredProfile(db, profile.tenant, profile.name);
  if (!current.ok()) return current.error();
  int64_t version = 1;
  if (expected_version == 0) {
    if (current->has_value()) return Error::Conflict(what + " already exists");
    Result<Statement> stmt = db.Prepare(
        "INSERT INTO stored_profiles (tenant, name, document, version, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, 1, ?4, ?4)");
    if (!stmt.ok()) return stmt.error();
    stmt->BindText(1, profile.tenant);
    stmt->BindText(2, profile.name);
    stmt->BindText(3, profile.document);
    stmt->BindInt(4, now);
    if (Status s = stmt->Run("create stored profile"); !s.ok()) return s.error();
  } else {
    if (!current->has_value()) return Error::NotFound(what + " does not exist");
    if ((*current)->version != expected_version) {
      return Error::Conflict(what + " is at version " + std::to_string((*current)->version) +
                             ", not " + std::to_string(expected_version));
    }
    version = expected_version + 1;
    Result<Statement> stmt = db.Prepare(
        "UPDATE stored_profiles SET document = ?3, version = ?4, updated_at = ?5 "
        "WHERE tenant = ?1 AND name = ?2");
    if (!stmt.ok()) return stmt.error();
    stmt->BindText(1, profile.tenant);
    stmt->BindText(2, profile.name);
    stmt->BindText(3, profile.document);
    stmt->BindInt(4, version);
    stmt->BindInt(5, now);
    if (Status s = stmt->Run("update stored profile"); !s.ok()) return s.error();
  }
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return version;
}

Status DeleteSqliteStoredProfile(Db& db, const std::string& tenant, const std::string& name) {
  Result<Statement> stmt =
      db.Prepare("DELETE FROM stored_profiles WHERE tenant = ?1 AND name = ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, name);
  if (Status s = stmt->Run("delete stored profile"); !s.ok()) return s;
  if (db.Changes() == 0) return Error::NotFound("no profile " + tenant + "/" + name);
  return Ok();
}

Result<int64_t> EnqueueSqliteJob(Db& db, const JobRecord& job) {
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx.ok()) return tx.error();
  {
    Result<Statement> active = db.Prepare(
        "SELECT id, state FROM jobs WHERE tenant = ?1 AND profile = ?2 "
        "AND state IN ('queued', 'running')");
    if (!active.ok()) return active.error();
    active->BindText(1, job.tenant);
    active->BindText(2, job.profile);
    const int rc = active->Step();
    if (rc == SQLITE_ROW) {
      return Error::Conflict("profile " + job.tenant + "/" + job.profile + " already has job " +
                             std::to_string(active->ColumnInt(0)) + " (" +
                             std::string(active->ColumnText(1)) + ")");
    }
    if (rc != SQLITE_DONE) return active->LastError(rc, "enqueue job");
  }
  if (job.slot > 0) {
    Result<Statement> same =
        db.Prepare("SELECT id FROM jobs WHERE tenant = ?1 AND profile = ?2 AND slot = ?3");
    if (!same.ok()) return same.error();
    same->BindText(1, job.tenant);
    same->BindText(2, job.profile);
    same->BindInt(3, job.slot);
    const int rc = same->Step();
    if (rc == SQLITE_ROW) {
      return Error::Conflict("the occurrence " + std::to_string(job.slot) + " of profile " +
                             job.tenant + "/" + job.profile + " is already job " +
                             std::to_string(same->ColumnInt(0)));
    }
    if (rc != SQLITE_DONE) return same->LastError(rc, "enqueue job");
  }
  Result<Statement> stmt = db.Prepare(
      "INSERT INTO jobs (tenant, profile, kind, triggered_by, approve_run, state, progress, "
      "created_at, slot) VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?8)");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, job.tenant);
  stmt->BindText(2, job.profile);
  stmt->BindText(3, job.kind);
  stmt->BindText(4, job.trigger);
  stmt->BindInt(5, job.approve_run);
  stmt->BindText(6, job.progress);
  stmt->BindInt(7, job.created_at);
  stmt->BindInt(8, job.slot);
  if (Status s = stmt->Run("enqueue job"); !s.ok()) return s.error();
  const int64_t id = db.LastInsertRowid();
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return id;
}

Result<std::optional<JobRecord>> ClaimSqliteJob(Db& db, const std::string& worker, int64_t now,
                                                int64_t lease_seconds, size_t per_tenant_cap) {
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx.ok()) return tx.error();
  Result<Statement> pick = db.Prepare(
      "WITH live AS (SELECT tenant, COUNT(*) AS n FROM jobs "
      "              WHERE state = 'running' AND lease_until >= ?1 GROUP BY tenant) "
      "SELECT j.id FROM jobs j LEFT JOIN live l ON l.tenant = j.tenant "
      "WHERE j.state IN ('queued', 'running') "
      "  AND (j.state = 'queued' OR j.lease_until < ?1) "
      "  AND (?2 = 0 OR COALESCE(l.n, 0) < ?2) "
      "ORDER BY COALESCE(l.n, 0), j.id LIMIT 1");
  if (!pick.ok()) return pick.error();
  pick->BindInt(1, now);
  pick->BindInt(2, static_cast<int64_t>(per_tenant_cap));
  const int rc = pick->Step();
  if (rc == SQLITE_DONE) return std::optional<JobRecord>();
  if (rc != SQLITE_ROW) return pick->LastError(rc, "claim job");
  const int64_t id = pick->ColumnInt(0);
  pick->Reset();

  Result<Statement> claim = db.Prepare(
      "UPDATE jobs SET state = 'running', worker = ?2, lease_until = ?3, "
      "attempts = attempts + 1, started_at = ?4 WHERE id = ?1");
  if (!claim.ok()) return claim.error();
  claim->BindInt(1, id);
  claim->BindText(2, worker);
  claim->BindInt(3, now + lease_seconds);
  claim->BindInt(4, now);
  if (Status s = claim->Run("claim job"); !s.ok()) return s.error();
  Result<std::optional<JobRecord>> job = JobById(db, id);
  if (!job.ok()) return job.error();
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return job;
}

Status HeartbeatSqliteJob(Db& db, int64_t id, const std::string& worker, int64_t lease_until,
                          int64_t run_id, const std::string& progress) {
  Result<Statement> stmt = db.Prepare(
      "UPDATE jobs SET lease_until = ?3, "
      "run_id = CASE WHEN ?4 > 0 THEN ?4 ELSE run_id END, "
      "progress = CASE WHEN ?5 <> '' THEN ?5 ELSE progress END "
      "WHERE id = ?1 AND worker = ?2 AND state = 'running'");
  if (!stmt.ok()) return stmt.error();
  stmt->BindInt(1, id);
  stmt->BindText(2, worker);
  stmt->BindInt(3, lease_until);
  stmt->BindInt(4, run_id);
  stmt->BindText(5, progress);
  if (Status s = stmt->Run("job heartbeat"); !s.ok()) return s;
  if (db.Changes() == 0) {
    return Error::Conflict("job " + std::to_string(id) + " is no longer held by " + worker);
  }
  return Ok();
}

Status FinishSqliteJob(Db& db, const JobRecord& job) {
  if (job.state != JobState::kDone && job.state != JobState::kFailed) {
    return Error::Invalid("a job finishes as done or failed, not " +
                          std::string(JobStateName(job.state)));
  }
  Result<Statement> stmt = db.Prepare(
      "UPDATE jobs SET state = ?3, run_id = CASE WHEN ?4 > 0 THEN ?4 ELSE run_id END, "
      "exit_code = ?5, message = ?6, finished_at = ?7, lease_until = 0, "
      "progress = CASE WHEN ?8 <> '' THEN ?8 ELSE progress END "
      "WHERE id = ?1 AND worker = ?2 AND state = 'running'");
  if (!stmt.ok()) return stmt.error();
  stmt->BindInt(1, job.id);
  stmt->BindText(2, job.worker);
  stmt->BindText(3, JobStateName(job.state));
  stmt->BindInt(4, job.run_id);
  stmt->BindInt(5, job.exit_code);
  stmt->BindText(6, job.message);
  stmt->BindInt(7, job.finished_at);
  stmt->BindText(8, job.progress);
  if (Status s = stmt->Run("finish job"); !s.ok()) return s;
  if (db.Changes() == 0) {
    return Error::Conflict("job " + std::to_string(job.id) + " is no longer held by " + job.worker);
  }
  return Ok();
}

Result<JobRecord> GetSqliteJob(Db& db, const std::string& tenant, int64_t id) {
  Result<std::optional<JobRecord>> job = JobById(db, id);
  if (!job.ok()) return job.error();
  if (!job->has_value() || (*job)->tenant != tenant) {
    return Error::NotFound("no job " + std::to_string(id));
  }
  return std::move(**job);
}

Result<std::vector<JobRecord>> ListSqliteJobs(Db& db, const std::string& tenant,
                                              const std::string& profile, size_t limit) {
  Result<Statement> stmt = db.Prepare("SELECT " + std::string(kJobColumns) +
                                      " FROM jobs WHERE (?1 = '' OR tenant = ?1) "
                                      "AND (?2 = '' OR profile = ?2) ORDER BY id DESC LIMIT ?3");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  stmt->BindInt(3, limit == 0 ? -1 : static_cast<int64_t>(limit));
  std::vector<JobRecord> out;
  Status read = ForEachRow(*stmt, "list jobs", [&](const Statement& row) -> Status {
    Result<JobRecord> job = ReadJob(row);
    if (!job.ok()) return job.error();
    out.push_back(std::move(*job));
    return Ok();
  });
  if (!read.ok()) return read.error();
  return out;
}

}  // namespace telsync::sqlite_detail
