#include "store/sqlite/migrations.h"

#include <array>
#include <string>

namespace telsync {
namespace {

// Step N (1-based) brings the schema from version N-1 to N. Never edit a released step:
// append a new one.
constexpr std::array<const char*, 14> kSteps = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  tenant        TEXT    NOT NULL,
  profile       TEXT    NOT NULL DEFAULT '',   -- '' = not adopted by any profile
  source_key    TEXT    NOT NULL DEFAULT '',   -- '' = not linked to a source object
  username      TEXT    NOT NULL DEFAULT '',
  first_name    TEXT    NOT NULL DEFAULT '',
  last_name     TEXT    NOT NULL DEFAULT '',
  display_name  TEXT    NOT NULL DEFAULT '',
  email         TEXT    NOT NULL DEFAULT '',
  extension     TEXT    NOT NULL DEFAULT '',
  landline      TEXT    NOT NULL DEFAULT '',
  mobile        TEXT    NOT NULL DEFAULT '',
  department    TEXT    NOT NULL DEFAULT '',
  job_title     TEXT    NOT NULL DEFAULT '',
  city          TEXT    NOT NULL DEFAULT '',
  country       TEXT    NOT NULL DEFAULT '',
  caller_id     TEXT    NOT NULL DEFAULT '',
  template      TEXT    NOT NULL DEFAULT '',
  searchable    INTEGER NOT NULL DEFAULT 1,
  state         TEXT    NOT NULL DEFAULT 'active',  -- 'active' | 'pending_delete'
  pending_since INTEGER NOT NULL DEFAULT 0,
  groups        TEXT    NOT NULL DEFAULT '[]',      -- JSON array of strings
  custom        TEXT    NOT NULL DEFAULT '{}',      -- JSON object name -> value
  subscription  TEXT    NOT NULL DEFAULT '',        -- operator-owned, never synced (F16)
  created_at    INTEGER NOT NULL DEFAULT 0,
  updated_at    INTEGER NOT NULL DEFAULT 0
);
-- The link to the source object is unique per profile (F7); creates upsert on it (R2).
CREATE UNIQUE INDEX users_source ON users (tenant, profile, source_key) WHERE source_key <> '';
-- FindUser and adoption match username / e-mail case-insensitively.
CREATE INDEX users_username ON users (tenant, lower(username));
CREATE INDEX users_email ON users (tenant, lower(email));

CREATE TABLE departments (
  id          INTEGER PRIMARY KEY,
  tenant      TEXT NOT NULL,
  profile     TEXT NOT NULL,
  name        TEXT NOT NULL,
  ring_group  TEXT NOT NULL DEFAULT '',
  members     TEXT NOT NULL DEFAULT '[]',  -- JSON array of usernames, sorted
  UNIQUE (tenant, profile, name)
);

CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  tenant        TEXT    NOT NULL,
  profile       TEXT    NOT NULL,
  kind          TEXT    NOT NULL,  -- 'preview' | 'sync'
  triggered_by  TEXT    NOT NULL DEFAULT '',
  status        TEXT    NOT NULL,
  started_at    INTEGER NOT NULL DEFAULT 0,
  finished_at   INTEGER NOT NULL DEFAULT 0,
  complete      INTEGER NOT NULL DEFAULT 0,
  source        TEXT    NOT NULL DEFAULT '',
  message       TEXT    NOT NULL DEFAULT '',
  summary       TEXT    NOT NULL DEFAULT '{}',  -- JSON object: summary key -> count
  approved_run  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_tenant_profile ON runs (tenant, profile, id);

-- Items keep what a report shows, not the full target user: a run of a million users
-- would otherwise store the directory again.
CREATE TABLE run_items (
  run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  seq       INTEGER NOT NULL,  -- plan order
  action    TEXT    NOT NULL,
  key       TEXT    NOT NULL DEFAULT '',
  username  TEXT    NOT NULL DEFAULT '',
  changes   TEXT    NOT NULL DEFAULT '[]',  -- JSON array of [field, old, new]
  reason    TEXT    NOT NULL DEFAULT '',
  user_id   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE run_departments (
  run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,
  action      TEXT    NOT NULL,
  name        TEXT    NOT NULL,
  profile     TEXT    NOT NULL DEFAULT '',
  ring_group  TEXT    NOT NULL DEFAULT '',
  members     TEXT    NOT NULL DEFAULT '[]',
  changes     TEXT    NOT NULL DEFAULT '[]',
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE cursors (
  tenant   TEXT NOT NULL,
  profile  TEXT NOT NULL,
  cursor   TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (tenant, profile)
) WITHOUT ROWID;
)sql",
    // 2: source mirrors (DESIGN §1) and API tokens (SCIM, admin).
    R"sql(
CREATE TABLE mirror (
  tenant       TEXT    NOT NULL,
  profile      TEXT    NOT NULL,
  kind         INTEGER NOT NULL,  -- 0 user, 1 group
  id           TEXT    NOT NULL,
  name         TEXT    NOT NULL DEFAULT '',
  name_key     TEXT    NOT NULL DEFAULT '',  -- lower-case name: unique when set
  external_id  TEXT    NOT NULL DEFAULT '',
  enabled      INTEGER NOT NULL DEFAULT 1,
  data         TEXT    NOT NULL DEFAULT '{}',  -- JSON: {"a": [[name, [values]]...], "g": [groups]}
  payload      TEXT    NOT NULL DEFAULT '',
  hash         INTEGER NOT NULL DEFAULT 0,     -- of everything above but the keys: skips no-op writes
  version      INTEGER NOT NULL DEFAULT 1,
  created_at   INTEGER NOT NULL DEFAULT 0,
  updated_at   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, profile, kind, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX mirror_name ON mirror (tenant, profile, kind, name_key) WHERE name_key <> '';
CREATE INDEX mirror_external_id ON mirror (tenant, profile, kind, external_id) WHERE external_id <> '';

CREATE TABLE api_tokens (
  id          INTEGER PRIMARY KEY,
  tenant      TEXT    NOT NULL,
  kind        TEXT    NOT NULL,  -- 'scim' | 'admin'
  label       TEXT    NOT NULL DEFAULT '',
  hash        TEXT    NOT NULL UNIQUE,  -- SHA-256 hex of the token; the token is never kept
  created_at  INTEGER NOT NULL DEFAULT 0,
  revoked_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant, kind);
)sql",
    // 3: notifications (F20): every mail sent or tried.
    R"sql(
CREATE TABLE notifications (
  id          INTEGER PRIMARY KEY,
  tenant      TEXT    NOT NULL,
  profile     TEXT    NOT NULL DEFAULT '',
  run_id      INTEGER NOT NULL DEFAULT 0,
  kind        TEXT    NOT NULL,
  recipients  TEXT    NOT NULL DEFAULT '',
  subject     TEXT    NOT NULL DEFAULT '',
  status      TEXT    NOT NULL,  -- 'sent' | 'failed'
  attempts    INTEGER NOT NULL DEFAULT 0,
  error       TEXT    NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL DEFAULT 0,
  sent_at     INTEGER NOT NULL DEFAULT 0,
  message     TEXT    NOT NULL DEFAULT ''  -- kept while failed, for a resend
);
CREATE INDEX notifications_run ON notifications (tenant, run_id);
CREATE INDEX notifications_failed ON notifications (tenant, status) WHERE status = 'failed';
)sql",
    // 4: profiles created over the REST API, and the job queue that workers claim.
    R"sql(
CREATE TABLE stored_profiles (
  tenant      TEXT    NOT NULL,
  name        TEXT    NOT NULL,
  document    TEXT    NOT NULL,
  version     INTEGER NOT NULL DEFAULT 1,
  created_at  INTEGER NOT NULL DEFAULT 0,
  updated_at  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, name)
) WITHOUT ROWID;

CREATE TABLE jobs (
  id           INTEGER PRIMARY KEY,
  tenant       TEXT    NOT NULL,
  profile      TEXT    NOT NULL,
  kind         TEXT    NOT NULL DEFAULT 'sync',  -- 'sync' | 'approve'
  triggered_by TEXT    NOT NULL DEFAULT '',
  approve_run  INTEGER NOT NULL DEFAULT 0,
  slot         INTEGER NOT NULL DEFAULT 0,  -- scheduled occurrence (unix seconds); 0 = none
  state        TEXT    NOT NULL DEFAULT 'queued',  -- 'queued' | 'running' | 'done' | 'failed'
  worker       TEXT    NOT NULL DEFAULT '',
  lease_until  INTEGER NOT NULL DEFAULT 0,
  attempts     INTEGER NOT NULL DEFAULT 0,
  run_id       INTEGER NOT NULL DEFAULT 0,
  exit_code    INTEGER NOT NULL DEFAULT 0,
  message      TEXT    NOT NULL DEFAULT '',
  progress     TEXT    NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL DEFAULT 0,
  started_at   INTEGER NOT NULL DEFAULT 0,
  finished_at  INTEGER NOT NULL DEFAULT 0
);
-- One unfinished job per profile: enqueueing a second one is a conflict.
CREATE UNIQUE INDEX jobs_active ON jobs (tenant, profile) WHERE state IN ('queued', 'running');
-- Claims scan only unfinished jobs, oldest first.
CREATE INDEX jobs_ready ON jobs (state, id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_tenant ON jobs (tenant, profile, id);
-- Each scheduled occurrence of a profile is queued once, whichever process queues it.
CREATE UNIQUE INDEX jobs_slot ON jobs (tenant, profile, slot) WHERE slot > 0;
)sql",
    // 5: tenants created over the REST API (the config file's are not stored).
    R"sql(
CREATE TABLE tenants (
  name         TEXT    NOT NULL PRIMARY KEY,
  display_name TEXT    NOT NULL DEFAULT '',
  created_at   INTEGER  NOT NULL DEFAULT 0,
  updated_at   INTEGER  NOT NULL DEFAULT 0
) WITHOUT ROWID;
)sql",
    // 6: immutable ids that are GUIDs in one form, lower-case without braces (issue 14
    // item 6; CanonicalSourceId). A row whose canonical id is taken already keeps its
    // old one: it is a second user, and the next full read sees it gone.
    R"sql(
UPDATE users SET source_key = lower(CASE WHEN length(source_key) = 38 THEN substr(source_key, 2, 36) ELSE source_key END)
 WHERE (source_key GLOB '[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]' OR source_key GLOB '{[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]}')
   AND source_key <> lower(CASE WHEN length(source_key) = 38 THEN substr(source_key, 2, 36) ELSE source_key END)
   AND NOT EXISTS (SELECT 1 FROM users o WHERE o.tenant = users.tenant AND o.profile = users.profile
                   AND o.source_key = lower(CASE WHEN length(users.source_key) = 38 THEN substr(users.source_key, 2, 36) ELSE users.source_key END));
UPDATE mirror SET id = lower(CASE WHEN length(id) = 38 THEN substr(id, 2, 36) ELSE id END)
 WHERE (id GLOB '[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]' OR id GLOB '{[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]}')
   AND id <> lower(CASE WHEN length(id) = 38 THEN substr(id, 2, 36) ELSE id END)
   AND NOT EXISTS (SELECT 1 FROM mirror o WHERE o.tenant = mirror.tenant AND o.profile = mirror.profile
                   AND o.kind = mirror.kind AND o.id = lower(CASE WHEN length(mirror.id) = 38 THEN substr(mirror.id, 2, 36) ELSE mirror.id END));
DELETE FROM mirror WHERE (id GLOB '[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]' OR id GLOB '{[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]}') AND id <> lower(CASE WHEN length(id) = 38 THEN substr(id, 2, 36) ELSE id END);
)sql",
    // 7: SCIM writes not yet applied to the PBX directory (issue 14 item 1), written in
    // the transaction of the mirror write and cleared by the applier once applied.
    R"sql(
CREATE TABLE mirror_pending (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant  TEXT NOT NULL,
  profile TEXT NOT NULL,
  id      TEXT NOT NULL
);
CREATE INDEX mirror_pending_profile ON mirror_pending (tenant, profile, seq);
)sql",
    // 8: the id of the key that seals the store's secrets (src/secrets, issue 15 item 1):
    // recorded by the first process that holds a key, so a node with another key refuses
    // to start instead of sealing with it.
    R"sql(
CREATE TABLE secret_key (
  one_row INTEGER PRIMARY KEY CHECK (one_row = 1),
  key_id      TEXT NOT NULL,
  recorded_at INTEGER NOT NULL
);
)sql",
    // 9: the targets' outbox (issue 17, store/outbox.h): every change Apply makes, written in
    // its transaction; the digest of each object's last published state (a write that
    // changes nothing writes no event); each target's cursor, dead events and the objects
    // telsync created on it; the users' sealed SIP passwords.
    R"sql(
CREATE TABLE outbox (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant     TEXT    NOT NULL,
  kind       TEXT    NOT NULL,
  object_key TEXT    NOT NULL,
  user_id    INTEGER NOT NULL DEFAULT 0,
  payload    TEXT    NOT NULL,
  state_hash TEXT    NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX outbox_tenant ON outbox (tenant, seq);
CREATE INDEX outbox_object ON outbox (tenant, object_key, seq);
CREATE TABLE outbox_state (
  tenant     TEXT NOT NULL,
  object_key TEXT NOT NULL,
  hash       TEXT NOT NULL,
  PRIMARY KEY (tenant, object_key)
) WITHOUT ROWID;
CREATE TABLE outbox_last (
  tenant TEXT    NOT NULL PRIMARY KEY,
  seq    INTEGER NOT NULL
);
CREATE TABLE target_cursors (
  tenant          TEXT    NOT NULL,
  target          TEXT    NOT NULL,
  last_seq        INTEGER NOT NULL DEFAULT 0,
  delivered       INTEGER NOT NULL DEFAULT 0,
  dead            INTEGER NOT NULL DEFAULT 0,
  attempts        INTEGER NOT NULL DEFAULT 0,
  failing_since   INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT    NOT NULL DEFAULT '',
  last_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_success_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, target)
);
CREATE TABLE target_dead (
  tenant     TEXT    NOT NULL,
  target     TEXT    NOT NULL,
  seq        INTEGER NOT NULL,
  kind       TEXT    NOT NULL,
  object_key TEXT    NOT NULL,
  user_id    INTEGER NOT NULL DEFAULT 0,
  payload    TEXT    NOT NULL,
  state_hash TEXT    NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  error      TEXT    NOT NULL,
  dead_at    INTEGER NOT NULL,
  PRIMARY KEY (tenant, target, seq)
);
CREATE TABLE target_objects (
  tenant  TEXT    NOT NULL,
  target  TEXT    NOT NULL,
  type    TEXT    NOT NULL,
  key     TEXT    NOT NULL,
  user_id INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, target, type, key)
);
CREATE TABLE sip_credentials (
  tenant     TEXT    NOT NULL,
  user_id    INTEGER NOT NULL,
  sealed     TEXT    NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, user_id)
);
)sql",
    // 10: a deleted user's SIP password goes with it. SQLite may give a new user the row id
    // of the user deleted last, who would otherwise hand that user a password its old
    // holder knows. Orphans an older telsync left are removed.
    R"sql(
DELETE FROM sip_credentials WHERE NOT EXISTS
  (SELECT 1 FROM users WHERE users.tenant = sip_credentials.tenant
                         AND users.id = sip_credentials.user_id);
CREATE TRIGGER users_delete_sip_credentials AFTER DELETE ON users BEGIN
  DELETE FROM sip_credentials WHERE tenant = old.tenant AND user_id = old.id;
END;
)sql",
    // 11: what `runs revert` needs (issue 18 part 2): the run a revert run reverted, the
    // stored row of each user a run deleted (JSON, store/detail/columns.h UserRowJson), and
    // the pause a revert sets so the next sync does not apply the directory again.
    R"sql(
ALTER TABLE runs ADD COLUMN reverted_run INTEGER NOT NULL DEFAULT 0;
ALTER TABLE run_items ADD COLUMN removed_user TEXT NOT NULL DEFAULT '';
CREATE TABLE profile_pauses (
  tenant     TEXT    NOT NULL,
  profile    TEXT    NOT NULL,
  run_id     INTEGER NOT NULL DEFAULT 0,
  paused_at  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, profile)
) WITHOUT ROWID;
)sql",
    // 12: history.keep_days (issue 18): a run's items are purged once it is older, the run
    // row stays. purged_at: when (0 = kept); purge_pending: marked, items not all deleted
    // yet. The partial indexes keep the purge's look-ups to the runs it still has to do.
    R"sql(
ALTER TABLE runs ADD COLUMN purged_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN purge_pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_kept ON runs (tenant, started_at) WHERE purged_at = 0;
CREATE INDEX runs_purging ON runs (tenant, id) WHERE purge_pending <> 0;
)sql",
    // 13: cheaper target bookkeeping (issue 17, numbers). No index on the outbox's object
    // key: no query reads events by object (an object's last state is in outbox_state), and
    // a first sync wrote an index entry per event for nothing. target_objects and
    // sip_credentials are kept in their primary key (WITHOUT ROWID): a first publish wrote
    // each row twice, in the table and in its key's index. (The trigger of step 10 names
    // sip_credentials: it is made again around the rebuild.)
    R"sql(
DROP INDEX IF EXISTS outbox_object;
CREATE TABLE target_objects_13 (
  tenant  TEXT    NOT NULL,
  target  TEXT    NOT NULL,
  type    TEXT    NOT NULL,
  key     TEXT    NOT NULL,
  user_id INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, target, type, key)
) WITHOUT ROWID;
INSERT INTO target_objects_13 (tenant, target, type, key, user_id)
  SELECT tenant, target, type, key, user_id FROM target_objects;
DROP TABLE target_objects;
ALTER TABLE target_objects_13 RENAME TO target_objects;
DROP TRIGGER users_delete_sip_credentials;
CREATE TABLE sip_credentials_13 (
  tenant     TEXT    NOT NULL,
  user_id    INTEGER NOT NULL,
  sealed     TEXT    NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, user_id)
) WITHOUT ROWID;
INSERT INTO sip_credentials_13 (tenant, user_id, sealed, updated_at)
  SELECT tenant, user_id, sealed, updated_at FROM sip_credentials;
DROP TABLE sip_credentials;
ALTER TABLE sip_credentials_13 RENAME TO sip_credentials;
CREATE TRIGGER users_delete_sip_credentials AFTER DELETE ON users BEGIN
  DELETE FROM sip_credentials WHERE tenant = old.tenant AND user_id = old.id;
END;
)sql",
    // 14: incremental runs (issue 20 §1): the users waiting out their grace period are
    // found by index, so a delta run ends a grace period without a scan of the directory;
    // plan_waiting holds the source ids whose last plan could not write them (a conflict
    // or invalid data), which a delta run plans again as a full run would.
    R"sql(
CREATE INDEX users_pending ON users (tenant, profile) WHERE state = 'pending_delete';
CREATE TABLE plan_waiting (
  tenant     TEXT NOT NULL,
  profile    TEXT NOT NULL,
  source_key TEXT NOT NULL,
  PRIMARY KEY (tenant, profile, source_key)
) WITHOUT ROWID;
)sql",
};

}  // namespace

int LatestSqliteSchemaVersion() { return static_cast<int>(kSteps.size()); }

Result<int> MigrateSqliteStore(sqlite_detail::Db& db) {
  const int latest = LatestSqliteSchemaVersion();
  // A store that is already current is the common case (every CLI command, every worker
  // connection): read its version without the write lock, so an open never waits for a
  // writer (a sync applying a large plan) and a read-only command never fails with
  // "database is locked" because the machine is slow.
  if (Result<int64_t> current = db.QueryInt("PRAGMA user_version");
      current.ok() && *current == latest) {
    return latest;
  }
  for (;;) {
    // Each step reads the version inside its own write transaction: a concurrent
    // opener that migrated first is seen, and the step is not run twice.
    Result<sqlite_detail::Transaction> tx = sqlite_detail::Transaction::Begin(db);
    if (!tx.ok()) return tx.error();
    Result<int64_t> current = db.QueryInt("PRAGMA user_version");
    if (!current.ok()) return current.error();
    const int64_t version = *current;
    if (version > latest) {
      return Error::Invalid("store schema version " + std::to_string(version) +
                            " is newer than this telsync supports (" + std::to_string(latest) +
                            "): upgrade telsync");
    }
    if (version == latest) {
      if (Status s = tx->Commit(); !s.ok()) return s.error();
      return latest;
    }
    if (Status s = db.Exec(kSteps[static_cast<size_t>(version)]); !s.ok()) {
      Error error = s.error();
      error.message =
          "store migration to version " + std::to_string(version + 1) + " failed: " + error.message;
      return error;
    }
    const std::string set_version = "PRAGMA user_version=" + std::to_string(version + 1);
    if (Status s = db.Exec(set_version.c_str()); !s.ok()) return s.error();
    if (Status s = tx->Commit(); !s.ok()) return s.error();
  }
}

}  // namespace telsync
