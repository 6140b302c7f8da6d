#include "store/postgres/postgres_jobs.h"

#include <string_view>
#include <utility>

namespace telsync::pg_detail {
namespace {

constexpr std::string_view kJobColumns =
    "id, tenant, profile, kind, triggered_by, approve_run, state, worker, lease_until, "
    "attempts, run_id, exit_code, message, progress, created_at, started_at, finished_at, slot";

Result<JobRecord> ReadJob(const PgResult& r, int row) {
  JobRecord j;
  j.id = r.Int(row, 0);
  j.tenant = r.String(row, 1);
  j.profile = r.String(row, 2);
  j.kind = r.String(row, 3);
  j.trigger = r.String(row, 4);
  j.approve_run = r.Int(row, 5);
  std::optional<JobState> state = ParseJobState(r.Text(row, 6));
  if (!state) {
    return Error::Internal("job " + std::to_string(j.id) + " has an unknown state '" +
                           r.String(row, 6) + "'");
  }
  j.state = *state;
  j.worker = r.String(row, 7);
  j.lease_until = r.Int(row, 8);
  j.attempts = static_cast<int>(r.Int(row, 9));
  j.run_id = r.Int(row, 10);
  j.exit_code = static_cast<int>(r.Int(row, 11));
  j.message = r.String(row, 12);
  j.progress = r.String(row, 13);
  j.created_at = r.Int(row, 14);
  j.started_at = r.Int(row, 15);
  j.finished_at = r.Int(row, 16);
  j.slot = r.Int(row, 17);
  return j;
}

}  // namespace

StoredProfile ReadStoredProfile(const PgResult& r, int row) {
  StoredProfile p;
  p.tenant = r.String(row, 0);
  p.name = r.String(row, 1);
  p.document = r.String(row, 2);
  p.version = r.Int(row, 3);
  p.created_at = r.Int(row, 4);
  p.updated_at = r.Int(row, 5);
  return p;
}

Result<std::vector<StoredProfile>> ListPostgresStoredProfiles(Conn& conn,
                                                              const std::string& tenant) {
  Params p;
  p.Add(tenant);
  auto r = conn.Exec("SELECT " + std::string(kStoredProfileColumns) +
                         " FROM stored_profiles WHERE $1 = '' OR tenant = $1 "
                         "ORDER BY tenant COLLATE \"C\", name COLLATE \"C\"",
                     p, "list stored profiles");
  if (!r.ok()) return r.error();
  std::vector<StoredProfile> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(ReadStoredProfile(*r, i));
  return out;
}

Result<std::optional<StoredProfile>> GetPostgresStoredProfile(Conn& conn, const std::string& tenant,
                                                              const std::string& name) {
  Params p;
  p.Add(tenant).Add(name);
  auto r = conn.Exec("SELECT " + std::string(kStoredProfileColumns) +
                         " FROM stored_profiles WHERE tenant = $1 AND name = $2",
                     p, "read stored profile");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return std::optional<StoredProfile>();
  return std::optional<StoredProfile>(ReadStoredProfile(*r, 0));
}

Result<int64_t> PutPostgresStoredProfile(Conn& conn, const StoredProfile& profile,
                                         int64_t expected_version, int64_t now) {
  const std::string what = "profile " + profile.tenant + "/" + profile.name;
  Params p;
  p.Add(profile.tenant).Add(profile.name).Add(profile.document).Add(now);
  if (expected_version == 0) {
    auto r = conn.Exec(
        "INSERT INTO stored_profiles (tenant, name, document, version, created_at, updated_at) "
        "VALUES ($1, $2, $3, 1, $4::bigint, $4::bigint) ON CONFLICT (tenant, name) DO NOTHING "
        "RETURNING version",
        p, "create stored profile");
    if (!r.ok()) return r.error();
    if (r->rows() == 0) return Error::Conflict(what + " already exists");
    return int64_t{1};
  }
  p.Add(expected_version);
  // One statement: the version check and the write cannot be split by another writer.
  auto r = conn.Exec(
      "WITH cur AS (SELECT version FROM stored_profiles WHERE tenant = $1 AND name = $2), "
      "up AS (UPDATE stored_profiles SET document = $3, version = version + 1, "
      "updated_at = $4::bigint WHERE tenant = $1 AND name = $2 AND version = $5::bigint "
      "RETURNING version) SELECT (SELECT version FROM up), (SELECT version FROM cur)",
      p, "update stored profile");
  if (!r.ok()) return r.error();
  if (!r->IsNull(0, 0)) return r->Int(0, 0);
  if (r->IsNull(0, 1)) return Error::NotFound(what + " does not exist");
  return Error::Conflict(what + " is at version " + r->String(0, 1) + ", not " +
                         std::to_string(expected_version));
}

Status DeletePostgresStoredProfile(Conn& conn, const std::string& tenant, const std::string& name) {
  Params p;
  p.Add(tenant).Add(name);
  auto r = conn.Exec("DELETE FROM stored_profiles WHERE tenant = $1 AND name = $2", p,
                     "delete stored profile");
  if (!r.ok()) return r.error();
  if (r->Affected() == 0) return Error::NotFound("no profile " + tenant + "/" + name);
  return Ok();
}

Result<int64_t> EnqueuePostgresJob(Conn& conn, const JobRecord& job) {
  // The partial unique indexes allow one unfinished job per profile (jobs_active) and one
  // job per scheduled occurrence (jobs_slot); a violation is the conflict, and the job
  // that holds the place is named. Two tries: the holder may finish between the failed
  // insert and the lookup.
  for (int attempt = 0; attempt < 2; ++attempt) {
    Params p;
    p.Add(job.tenant).Add(job.profile).Add(job.kind).Add(job.trigger).Add(job.approve_run);
    p.Add(job.progress).Add(job.created_at).Add(job.slot);
    auto r = conn.ExecPrepared(
        "telsync_enqueue_job",
        "INSERT INTO jobs (tenant, profile, kind, triggered_by, approve_run, state, progress, "
        "created_at, slot) VALUES ($1, $2, $3, $4, $5::bigint, 'queued', $6, $7::bigint, "
        "$8::bigint) ON CONFLICT DO NOTHING RETURNING id",
        p, "enqueue job");
    if (!r.ok()) return r.error();
    if (r->rows() == 1) return r->Int(0, 0);
    Params q;
    q.Add(job.tenant).Add(job.profile).Add(job.slot);
    auto held = conn.Exec(
        "SELECT id, state, 0 FROM jobs WHERE tenant = $1 AND profile = $2 "
        "AND state IN ('queued', 'running') UNION ALL "
        "SELECT id, state, 1 FROM jobs WHERE tenant = $1 AND profile = $2 "
        "AND $3::bigint > 0 AND slot = $3::bigint",
        q, "enqueue job");
    if (!held.ok()) return held.error();
    if (held->rows() > 0 && held->Int(0, 2) == 0) {
      return Error::Conflict("profile " + job.tenant + "/" + job.profile + " already has job " +
                             held->String(0, 0) + " (" + held->String(0, 1) + ")");
    }
    if (held->rows() > 0) {
      return Error::Conflict("the occurrence " + std::to_string(job.slot) + " of profile " +
                             job.tenant + "/" + job.profile + " is already job " +
                             held->String(0, 0));
    }
  }
  return Error::Unavailable("profile " + job.tenant + "/" + job.profile +
                            ": enqueue raced with another writer; try again");
}

Result<std::optional<JobRecord>> ClaimPostgresJob(Conn& conn, const std::string& worker,
                                                  int64_t now, int64_t lease_seconds,
                                                  size_t per_tenant_cap) {
  // Claims hold a transaction-level advisory lock: the per-tenant counts that fairness
  // and the cap read are then exact, which SKIP LOCKED alone cannot give (two claimers
  // would each count the other's tenant before either committed). SKIP LOCKED still keeps
  // a claim from waiting on a row that a heartbeat or finish is updating.
  auto tx = Transaction::Begin(conn);
  if (!tx.ok()) return tx.error();
  if (auto r = conn.Exec("SELECT pg_advisory_xact_lock(7308604897068083053)", "claim job");
      !r.ok()) {
    return r.error();
  }
  Params p;
  p.Add(now).Add(static_cast<int64_t>(per_tenant_cap)).Add(worker).Add(lease_seconds);
  std::string cols;
  for (std::string_view rest = kJobColumns; !rest.empty();) {
    const size_t comma = rest.find(", ");
    cols += (cols.empty() ? "jobs." : ", jobs.") + std::string(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
  }
  auto r = conn.ExecPrepared(
      "telsync_claim_job",
      "WITH live AS (SELECT tenant, count(*) AS n FROM jobs WHERE state = 'running' "
      "              AND lease_until >= $1::bigint GROUP BY tenant), "
      "pick AS (SELECT j.id FROM jobs j LEFT JOIN live l ON l.tenant = j.tenant "
      "         WHERE j.state IN ('queued', 'running') "
      "           AND (j.state = 'queued' OR j.lease_until < $1::bigint) "
      "           AND ($2::bigint = 0 OR COALESCE(l.n, 0) < $2::bigint) "
      "         ORDER BY COALESCE(l.n, 0), j.id LIMIT 1 FOR UPDATE OF j SKIP LOCKED) "
      "UPDATE jobs SET state = 'running', worker = $3, lease_until = $1::bigint + $4::bigint, "
      "attempts = attempts + 1, started_at = $1::bigint FROM pick WHERE jobs.id = pick.id "
      "RETURNING " +
          cols,
      p, "claim job");
  if (!r.ok()) return r.error();
  std::optional<JobRecord> out;
  if (r->rows() > 0) {
    auto job = ReadJob(*r, 0);
    if (!job.ok()) return job.error();
    out = std::move(*job);
  }
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return out;
}

Status HeartbeatPostgresJob(Conn& conn, int64_t id, const std::string& worker, int64_t lease_until,
                            int64_t run_id, const std::string& progress) {
  Params p;
  p.Add(id).Add(worker).Add(lease_until).Add(run_id).Add(progress);
  auto r = conn.ExecPrepared("telsync_heartbeat_job",
                             "UPDATE jobs SET lease_until = $3::bigint, "
                             "run_id = CASE WHEN $4::bigint > 0 THEN $4::bigint ELSE run_id END, "
                             "progress = CASE WHEN $5::text <> '' THEN $5::text ELSE progress END "
                             "WHERE id = $1::bigint AND worker = $2 AND state = 'running'",
                             p, "job heartbeat");
  if (!r.ok()) return r.error();
  if (r->Affected() == 0) {
    return Error::Conflict("job " + std::to_string(id) + " is no longer held by " + worker);
  }
  return Ok();
}

Status FinishPostgresJob(Conn& conn, const JobRecord& job) {
  if (job.state != JobState::kDone && job.state != JobState::kFailed) {
    return Error::Invalid("a job finishes as done or failed, not " +
                          std::string(JobStateName(job.state)));
  }
  Params p;
  p.Add(job.id).Add(job.worker).Add(JobStateName(job.state)).Add(job.run_id);
  p.Add(job.exit_code).Add(job.message).Add(job.finished_at).Add(job.progress);
  auto r = conn.ExecPrepared(
      "telsync_finish_job",
      "UPDATE jobs SET state = $3, run_id = CASE WHEN $4::bigint > 0 THEN $4::bigint ELSE "
      "run_id END, exit_code = $5::integer, message = $6, finished_at = $7::bigint, "
      "lease_until = 0, progress = CASE WHEN $8::text <> '' THEN $8::text ELSE progress END "
      "WHERE id = $1::bigint AND worker = $2 AND state = 'running'",
      p, "finish job");
  if (!r.ok()) return r.error();
  if (r->Affected() == 0) {
    return Error::Conflict("job " + std::to_string(job.id) + " is no longer held by " + job.worker);
  }
  return Ok();
}

Result<JobRecord> GetPostgresJob(Conn& conn, const std::string& tenant, int64_t id) {
  Params p;
  p.Add(tenant).Add(id);
  auto r = conn.ExecPrepared(
      "telsync_get_job",
      "SELECT " + std::string(kJobColumns) + " FROM jobs WHERE tenant = $1 AND id = $2::bigint", p,
      "read job");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return Error::NotFound("no job " + std::to_string(id));
  return ReadJob(*r, 0);
}

Result<std::vector<JobRecord>> ListPostgresJobs(Conn& conn, const std::string& tenant,
                                                const std::string& profile, size_t limit) {
  Params p;
  p.Add(tenant).Add(profile);
  AddLimit(p, limit);
  auto r = conn.ExecPrepared("telsync_list_jobs",
                             "SELECT " + std::string(kJobColumns) +
                                 " FROM jobs WHERE ($1 = '' OR tenant = $1) AND ($2 = '' OR "
                                 "profile = $2) ORDER BY id DESC LIMIT $3::bigint",
                             p, "list jobs");
  if (!r.ok()) return r.error();
  std::vector<JobRecord> out;
  for (int i = 0; i < r->rows(); ++i) {
    auto job = ReadJob(*r, i);
    if (!job.ok()) return job.error();
    out.push_back(std::move(*job));
  }
  return out;
}

}  // namespace telsync::pg_detail
