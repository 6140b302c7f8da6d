#include "store/postgres/postgres_mirror.h"

#include <nlohmann/json.hpp>
#include <unordered_map>
#include <utility>

#include "store/detail/columns.h"
#include "util/text.h"

namespace telsync::pg_detail {
namespace {

using json = nlohmann::json;

// The data column is encoded as in the SQLite store (store/detail/columns.h), so a mirror
// moves between backends unchanged.
using store_detail::DecodeMirrorData;
using store_detail::EncodeMirrorData;

using store_detail::EntryHash;
// The name key is lowered in C++ with AsciiLower, as the SQLite store does: both backends
// then agree on which names collide, whatever the database's locale.

int KindCode(ObjectKind kind) { return kind == ObjectKind::kUser ? 0 : 1; }

constexpr const char* kEntryColumns =
    "kind, id, name, external_id, enabled, data, payload, version, created_at, updated_at";

Result<MirrorEntry> ReadEntry(const PgResult& r, int row) {
  auto object = DecodeMirrorData(r.Text(row, 5));
  if (!object.ok()) return object.error();
  MirrorEntry entry;
  entry.object = std::move(*object);
  entry.object.kind = r.Int(row, 0) == 0 ? ObjectKind::kUser : ObjectKind::kGroup;
  entry.object.id = r.String(row, 1);
  entry.object.enabled = r.Int(row, 4) != 0;
  entry.name = r.String(row, 2);
  entry.external_id = r.String(row, 3);
  entry.payload = r.String(row, 6);
  entry.version = r.Int(row, 7);
  entry.created_at = r.Int(row, 8);
  entry.updated_at = r.Int(row, 9);
  return entry;
}

Result<std::optional<MirrorEntry>> QueryOne(Result<PgResult> r) {
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return std::optional<MirrorEntry>();
  auto entry = ReadEntry(*r, 0);
  if (!entry.ok()) return entry.error();
  return std::optional<MirrorEntry>(std::move(*entry));
}

// One round trip per Put. Columns: the version written (NULL when nothing was), the
// stored version and hash (NULL when there is no entry), another entry holding the name.
constexpr const char* kPutSql = R"sql(
WITH owner AS (
  SELECT id FROM mirror WHERE tenant = $1 AND profile = $2 AND kind = $3::integer
    AND name_key = $6::text AND $6::text <> '' AND id <> $4 LIMIT 1),
cur AS (
  SELECT hash, version FROM mirror
  WHERE tenant = $1 AND profile = $2 AND kind = $3::integer AND id = $4),
up AS (
  INSERT INTO mirror AS m (tenant, profile, kind, id, name, name_key, external_id, enabled, data,
                           payload, hash, version, created_at, updated_at)
  SELECT $1::text, $2::text, $3::integer, $4::text, $5::text, $6::text, $7::text, $8::integer,
         $9::text, $10::text, $11::bigint, 1, $12::bigint, $12::bigint
  WHERE NOT EXISTS (SELECT 1 FROM owner)
    AND ($13::bigint = 0 OR EXISTS (SELECT 1 FROM cur WHERE version = $13::bigint))
    AND NOT EXISTS (SELECT 1 FROM cur WHERE hash = $11::bigint)
  ON CONFLICT (tenant, profile, kind, id) DO UPDATE SET name = excluded.name,
    name_key = excluded.name_key, external_id = excluded.external_id, enabled = excluded.enabled,
    data = excluded.data, payload = excluded.payload, hash = excluded.hash,
    version = m.version + 1, updated_at = excluded.updated_at
  RETURNING version)
SELECT (SELECT version FROM up), (SELECT version FROM cur), (SELECT hash FROM cur),
       (SELECT id FROM owner))sql";

// What a kReplace writer knows of a stored entry: loaded once at the start, so that an
// unchanged object costs no round trip and the sweep needs no scan.
struct Known {
  int64_t hash = 0;
  int64_t version = 0;
  bool seen = false;     // Put by this writer
  bool pending = false;  // in the staging buffer, not yet merged
};

std::string KnownKey(int kind, std::string_view id) {
  std::string key(1, static_cast<char>('0' + kind));
  key += id;
  return key;
}

class PostgresMirrorWriter final : public MirrorWriter {
 public:
  PostgresMirrorWriter(Conn& conn, Transaction txn, std::string tenant, std::string profile,
                       MirrorWriteMode mode, int64_t now)
      : conn_(conn),
        txn_(std::move(txn)),
        tenant_(std::move(tenant)),
        profile_(std::move(profile)),
        mode_(mode),
        now_(now) {}

  Status Prepare() {
    // One writer per mirror at a time, as SQLite's single writer gives: the versions a
    // kReplace writer loaded stay exact until it commits.
    Params lock;
    lock.Add(tenant_ + "\n" + profile_);
    if (auto r = conn_.Exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", lock,
                            "mirror: lock");
        !r.ok()) {
      return r.error();
    }
    if (mode_ != MirrorWriteMode::kReplace) return Ok();
    // ON COMMIT DELETE ROWS: empty at the start of every transaction.
    if (auto r = conn_.Exec(
            "CREATE TEMP TABLE IF NOT EXISTS mirror_stage (kind INTEGER NOT NULL, id TEXT NOT "
            "NULL, external_id TEXT NOT NULL, enabled INTEGER NOT NULL, data TEXT NOT NULL, "
            "payload TEXT NOT NULL, hash BIGINT NOT NULL) ON COMMIT DELETE ROWS",
            "mirror: prepare the full read");
        !r.ok()) {
      return r.error();
    }
    // Keys and hashes only, in pages: a million entries never sit in one result.
    constexpr int kPage = 20000;
    int64_t after_kind = -1;
    std::string after_id;
    for (;;) {
      Params p;
      p.Add(tenant_).Add(profile_).Add(after_kind).Add(after_id).Add(kPage);
      auto r = conn_.ExecPrepared(
          "telsync_mirror_known",
          "SELECT kind, id, hash, version FROM mirror WHERE tenant = $1 AND profile = $2 AND "
          "(kind, id COLLATE \"C\") > ($3::integer, $4::text COLLATE \"C\") ORDER BY kind, id "
          "COLLATE \"C\" LIMIT $5::integer",
          p, "mirror: load the stored entries");
      if (!r.ok()) return r.error();
      for (int i = 0; i < r->rows(); ++i) {
        after_kind = r->Int(i, 0);
        after_id = r->String(i, 1);
        known_.emplace(KnownKey(static_cast<int>(after_kind), after_id),
                       Known{r->Int(i, 2), r->Int(i, 3), false, false});
      }
      if (r->rows() < kPage) return Ok();
    }
  }

  Result<int64_t> Put(const MirrorEntry& entry, int64_t expected_version) override {
    if (committed_) return Error::Internal("mirror writer used after Commit");
    if (entry.object.id.empty()) return Error::Invalid("a mirror entry needs an id");
    const int kind = KindCode(entry.object.kind);
    const std::string data = EncodeMirrorData(entry.object);
    const int64_t hash = EntryHash(entry, data);
    // A full read (the engine) Puts nameless entries without a version check: those are
    // answered from what was loaded and written in batches.
    if (mode_ == MirrorWriteMode::kReplace && expected_version == 0 && entry.name.empty()) {
      Known& known = known_[KnownKey(kind, entry.object.id)];
      known.seen = true;
      if (known.version > 0 && known.hash == hash) return known.version;
      if (known.pending) {  // the same id twice in one batch: merge the first one first
        if (Status s = FlushStage(); !s.ok()) return s.error();
      }
      stage_.Int(kind);
      stage_.Field(entry.object.id);
      stage_.Field(entry.external_id);
      stage_.Int(entry.object.enabled ? 1 : 0);
      stage_.Field(data);
      stage_.Field(entry.payload);
      stage_.Int(hash);
      stage_.EndRow();
      pending_.push_back(&known);
      known.pending = true;
      known.hash = hash;
      known.version += 1;
      ++changed_;
      if (stage_.size() >= (4u << 20)) {
        if (Status s = FlushStage(); !s.ok()) return s.error();
      }
      return known.version;
    }

    if (Status s = FlushStage(); !s.ok()) return s.error();
    Params p;
    p.Add(tenant_).Add(profile_).Add(kind).Add(entry.object.id).Add(entry.name);
    p.Add(AsciiLower(entry.name)).Add(entry.external_id).Add(entry.object.enabled ? 1 : 0);
    p.Add(data).Add(entry.payload).Add(hash).Add(now_).Add(expected_version);
    Known* known = nullptr;
    if (mode_ == MirrorWriteMode::kReplace) {
      known = &known_[KnownKey(kind, entry.object.id)];
      known->seen = true;  // as in SQLite: seen even when the Put is refused
    }
    auto r = conn_.ExecPrepared("telsync_mirror_put", kPutSql, p, "mirror: write entry");
    if (!r.ok()) return r.error();
    const bool exists = !r->IsNull(0, 1);
    const int64_t version = r->Int(0, 1);
    if (expected_version > 0) {
      if (!exists) return Error::NotFound("no such object: " + entry.object.id);
      if (version != expected_version) {
        return Error::Conflict("version " + std::to_string(expected_version) +
                               " is not the current version " + std::to_string(version) + " of " +
                               entry.object.id);
      }
    }
    if (exists && r->Int(0, 2) == hash) return version;
    if (!r->IsNull(0, 3)) {
      return Error::Conflict("'" + entry.name + "' is already used by " + r->String(0, 3));
    }
    if (r->IsNull(0, 0))
      return Error::Internal("mirror: entry " + entry.object.id + " not written");
    ++changed_;
    if (known != nullptr) {
      known->hash = hash;
      known->version = r->Int(0, 0);
    }
    return r->Int(0, 0);
  }

  Status Remove(ObjectKind kind, const std::string& id) override {
    if (committed_) return Error::Internal("mirror writer used after Commit");
    if (Status s = FlushStage(); !s.ok()) return s;
    Params p;
    p.Add(tenant_).Add(profile_).Add(KindCode(kind)).Add(id);
    auto r = conn_.ExecPrepared("telsync_mirror_remove",
                                "DELETE FROM mirror WHERE tenant = $1 AND profile = $2 AND "
                                "kind = $3::integer AND id = $4",
                                p, "mirror: remove entry");
    if (!r.ok()) return r.error();
    if (r->Affected() == 0) return Error::NotFound("no such object: " + id);
    known_.erase(KnownKey(KindCode(kind), id));
    ++removed_;
    return Ok();
  }

  size_t changed() const override { return changed_; }
  size_t removed() const override { return removed_; }

  Status MarkPending(const std::vector<std::string>& user_ids) override {
    if (committed_) return Error::Internal("mirror writer used after Commit");
    if (user_ids.empty()) return Ok();
    Params p;
    p.Add(tenant_).Add(profile_).Add(TextArrayLiteral(user_ids));
    auto r = conn_.ExecPrepared("telsync_mirror_mark_pending",
                                "INSERT INTO mirror_pending (tenant, profile, id) "
                                "SELECT $1, $2, unnest($3::text[])",
                                p, "mirror: mark pending");
    return r.ok() ? Ok() : Status(r.error());
  }

  Status Commit() override {
    if (committed_) return Error::Internal("mirror writer committed twice");
    if (mode_ == MirrorWriteMode::kReplace) {
      if (Status s = FlushStage(); !s.ok()) return s;
      // The sweep: every loaded entry this full read did not Put, one DELETE per kind.
      for (int kind : {0, 1}) {
        std::vector<std::string> gone;
        for (const auto& [key, known] : known_) {
          if (!known.seen && key[0] == static_cast<char>('0' + kind) && known.version > 0) {
            gone.push_back(key.substr(1));
          }
        }
        if (gone.empty()) continue;
        Params p;
        p.Add(tenant_).Add(profile_).Add(kind).Add(TextArrayLiteral(gone));
        auto r = conn_.Exec(
            "DELETE FROM mirror WHERE tenant = $1 AND profile = $2 AND kind = $3::integer AND "
            "id = ANY($4::text[])",
            p, "mirror: remove objects the full read did not return");
        if (!r.ok()) return r.error();
        removed_ += static_cast<size_t>(r->Affected());
      }
    }
    committed_ = true;
    return txn_.Commit();
  }

 private:
  // Merges the staged rows: COPY, then one upsert that bumps each version by one (the
  // versions Put returned: the advisory lock keeps other writers out meanwhile).
  Status FlushStage() {
    if (pending_.empty()) return Ok();
    if (Status s = conn_.CopyIn(
            "COPY mirror_stage (kind, id, external_id, enabled, data, payload, hash) FROM STDIN",
            stage_, "mirror: stage entries");
        !s.ok()) {
      return s;
    }
    stage_.Clear();
    Params p;
    p.Add(tenant_).Add(profile_).Add(now_);
    auto r = conn_.ExecPrepared(
        "telsync_mirror_merge",
        "INSERT INTO mirror AS m (tenant, profile, kind, id, name, name_key, external_id, "
        "enabled, data, payload, hash, version, created_at, updated_at) "
        "SELECT $1::text, $2::text, kind, id, '', '', external_id, enabled, data, payload, hash, "
        "1, $3::bigint, $3::bigint FROM mirror_stage "
        "ON CONFLICT (tenant, profile, kind, id) DO UPDATE SET name = '', name_key = '', "
        "external_id = excluded.external_id, enabled = excluded.enabled, data = excluded.data, "
        "payload = excluded.payload, hash = excluded.hash, version = m.version + 1, "
        "updated_at = excluded.updated_at",
        p, "mirror: write entries");
    if (!r.ok()) return r.error();
    if (auto t = conn_.Exec("TRUNCATE mirror_stage", "mirror: clear the stage"); !t.ok()) {
      return t.error();
    }
    for (Known* known : pending_) known->pending = false;
    pending_.clear();
    return Ok();
  }

  Conn& conn_;
  Transaction txn_;
  const std::string tenant_;
  const std::string profile_;
  const MirrorWriteMode mode_;
  const int64_t now_;
  // kReplace only: the stored entries by kind and id (node-based: pointers stay valid).
  std::unordered_map<std::string, Known> known_;
  CopyBuffer stage_;
  std::vector<Known*> pending_;
  size_t changed_ = 0;
  size_t removed_ = 0;
  bool committed_ = false;
};

constexpr const char* kTokenColumns = "id, tenant, kind, label, hash, created_at, revoked_at";

ApiToken ReadToken(const PgResult& r, int row) {
  ApiToken token;
  token.id = r.Int(row, 0);
  token.tenant = r.String(row, 1);
  token.kind = r.String(row, 2);
  token.label = r.String(row, 3);
  token.hash = r.String(row, 4);
  token.created_at = r.Int(row, 5);
  token.revoked_at = r.Int(row, 6);
  return token;
}

}  // namespace

Result<std::unique_ptr<MirrorWriter>> BeginPostgresMirrorWrite(Conn& conn,
                                                               const std::string& tenant,
                                                               const std::string& profile,
                                                               MirrorWriteMode mode, int64_t now) {
  auto txn = Transaction::Begin(conn);
  if (!txn.ok()) return txn.error();
  auto writer =
      std::make_unique<PostgresMirrorWriter>(conn, std::move(*txn), tenant, profile, mode, now);
  if (Status s = writer->Prepare(); !s.ok()) return s.error();
  return std::unique_ptr<MirrorWriter>(std::move(writer));
}

Status ScanPostgresMirror(Conn& conn, const std::string& tenant, const std::string& profile,
                          const std::function<bool(MirrorEntry&&)>& fn) {
  // Pages by key so a million entries never sit in one result. COLLATE "C": id order is
  // byte order, as in SQLite, whatever the database's locale.
  constexpr int kPage = 5000;
  int64_t after_kind = -1;
  std::string after_id;
  for (;;) {
    Params p;
    p.Add(tenant).Add(profile).Add(after_kind).Add(after_id).Add(kPage);
    auto r = conn.ExecPrepared(
        "telsync_mirror_scan",
        std::string("SELECT ") + kEntryColumns +
            " FROM mirror WHERE tenant = $1 AND profile = $2 AND (kind, id COLLATE \"C\") > "
            "($3::integer, $4::text COLLATE \"C\") ORDER BY kind, id COLLATE \"C\" LIMIT "
            "$5::integer",
        p, "mirror: scan");
    if (!r.ok()) return r.error();
    for (int i = 0; i < r->rows(); ++i) {
      auto entry = ReadEntry(*r, i);
      if (!entry.ok()) return entry.error();
      after_kind = KindCode(entry->object.kind);
      after_id = entry->object.id;
      if (!fn(std::move(*entry))) return Ok();
    }
    if (r->rows() < kPage) return Ok();
  }
}

Status ScanPostgresMirrorPage(Conn& conn, const std::string& tenant, const std::string& profile,
                              ObjectKind kind, size_t offset, size_t limit,
                              const std::function<bool(MirrorEntry&&)>& fn) {
  if (limit == 0) return Ok();
  Params p;
  p.Add(tenant).Add(profile).Add(KindCode(kind)).Add(offset).Add(limit);
  auto r = conn.ExecPrepared("telsync_mirror_page",
                             std::string("SELECT ") + kEntryColumns +
                                 " FROM mirror WHERE tenant = $1 AND profile = $2 AND kind = "
                                 "$3::integer ORDER BY id COLLATE \"C\" OFFSET $4::bigint "
                                 "LIMIT $5::bigint",
                             p, "mirror: page");
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->rows(); ++i) {
    auto entry = ReadEntry(*r, i);
    if (!entry.ok()) return entry.error();
    if (!fn(std::move(*entry))) return Ok();
  }
  return Ok();
}

Result<std::optional<MirrorEntry>> GetPostgresMirrorEntry(Conn& conn, const std::string& tenant,
                                                          const std::string& profile,
                                                          ObjectKind kind, const std::string& id) {
  Params p;
  p.Add(tenant).Add(profile).Add(KindCode(kind)).Add(id);
  return QueryOne(conn.ExecPrepared("telsync_mirror_get",
                                    std::string("SELECT ") + kEntryColumns +
                                        " FROM mirror WHERE tenant = $1 AND profile = $2 AND "
                                        "kind = $3::integer AND id = $4",
                                    p, "mirror: get entry"));
}

Result<std::optional<MirrorEntry>> FindPostgresMirrorEntryByName(Conn& conn,
                                                                 const std::string& tenant,
                                                                 const std::string& profile,
                                                                 ObjectKind kind,
                                                                 const std::string& name) {
  if (name.empty()) return std::optional<MirrorEntry>();
  Params p;
  p.Add(tenant).Add(profile).Add(KindCode(kind)).Add(AsciiLower(name));
  return QueryOne(conn.ExecPrepared("telsync_mirror_by_name",
                                    std::string("SELECT ") + kEntryColumns +
                                        " FROM mirror WHERE tenant = $1 AND profile = $2 AND "
                                        "kind = $3::integer AND name_key = $4 AND name_key <> ''",
                                    p, "mirror: find by name"));
}

Result<size_t> CountPostgresMirror(Conn& conn, const std::string& tenant,
                                   const std::string& profile, ObjectKind kind) {
  Params p;
  p.Add(tenant).Add(profile).Add(KindCode(kind));
  auto r = conn.ExecPrepared(
      "telsync_mirror_count",
      "SELECT count(*) FROM mirror WHERE tenant = $1 AND profile = $2 AND kind = $3::integer", p,
      "mirror: count");
  if (!r.ok()) return r.error();
  return static_cast<size_t>(r->Int(0, 0));
}

Result<std::vector<MirrorPending>> ListPostgresMirrorPending(Conn& conn, const std::string& tenant,
                                                             const std::string& profile,
                                                             size_t limit) {
  Params p;
  p.Add(tenant).Add(profile).Add(limit);
  auto r = conn.Exec(
      "SELECT seq, id FROM mirror_pending WHERE tenant = $1 AND profile = $2 ORDER BY seq "
      "LIMIT $3::bigint",
      p, "mirror: list pending");
  if (!r.ok()) return r.error();
  std::vector<MirrorPending> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int row = 0; row < r->rows(); ++row) out.push_back({r->Int(row, 0), r->String(row, 1)});
  return out;
}

Status ClearPostgresMirrorPending(Conn& conn, const std::string& tenant, const std::string& profile,
                                  const std::vector<int64_t>& seqs) {
  if (seqs.empty()) return Ok();
  std::vector<std::string> text;
  text.reserve(seqs.size());
  for (const int64_t seq : seqs) text.push_back(std::to_string(seq));
  Params p;
  p.Add(tenant).Add(profile).Add(TextArrayLiteral(text));
  auto r = conn.Exec(
      "DELETE FROM mirror_pending WHERE tenant = $1 AND profile = $2 AND "
      "seq = ANY($3::text[]::bigint[])",
      p, "mirror: clear pending");
  return r.ok() ? Ok() : Status(r.error());
}

Result<int64_t> AddPostgresToken(Conn& conn, const ApiToken& token) {
  // Operator tokens (the provider's) have no tenant; every other token has one.
  if (token.kind.empty() || token.hash.empty() ||
      token.tenant.empty() != (token.kind == "operator")) {
    return Error::Invalid("a token needs a kind, a hash and a tenant (none for an operator)");
  }
  Params p;
  p.Add(token.tenant).Add(token.kind).Add(token.label).Add(token.hash).Add(token.created_at);
  auto r = conn.Exec(
      "INSERT INTO api_tokens (tenant, kind, label, hash, created_at) "
      "VALUES ($1, $2, $3, $4, $5::bigint) RETURNING id",
      p, "add token");
  if (!r.ok()) return r.error();
  return r->Int(0, 0);
}

Result<std::vector<ApiToken>> ListPostgresTokens(Conn& conn, const std::string& tenant,
                                                 const std::string& kind) {
  Params p;
  p.Add(tenant).Add(kind);
  auto r = conn.Exec(std::string("SELECT ") + kTokenColumns +
                         " FROM api_tokens WHERE tenant = $1 AND kind = $2 ORDER BY id",
                     p, "list tokens");
  if (!r.ok()) return r.error();
  std::vector<ApiToken> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(ReadToken(*r, i));
  return out;
}

Status RevokePostgresToken(Conn& conn, const std::string& tenant, const std::string& kind,
                           int64_t id, int64_t now) {
  Params p;
  p.Add(tenant).Add(kind).Add(id).Add(now);
  auto r = conn.Exec(
      "UPDATE api_tokens SET revoked_at = $4::bigint WHERE tenant = $1 AND kind = $2 AND "
      "($3::bigint = 0 OR id = $3::bigint) AND revoked_at = 0",
      p, "revoke token");
  if (!r.ok()) return r.error();
  if (r->Affected() == 0) {
    return Error::NotFound(id == 0 ? "no valid " + kind + " token for tenant " + tenant
                                   : "no valid " + kind + " token " + std::to_string(id) +
                                         " for tenant " + tenant);
  }
  return Ok();
}

Result<std::optional<ApiToken>> FindPostgresToken(Conn& conn, const std::string& kind,
                                                  const std::string& hash) {
  Params p;
  p.Add(hash).Add(kind);
  auto r = conn.ExecPrepared("telsync_find_token",
                             std::string("SELECT ") + kTokenColumns +
                                 " FROM api_tokens WHERE hash = $1 AND kind = $2 AND "
                                 "revoked_at = 0",
                             p, "find token");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return std::optional<ApiToken>();
  return std::optional<ApiToken>(ReadToken(*r, 0));
}

Result<std::string> GetPostgresCursor(Conn& conn, const std::string& tenant,
                                      const std::string& profile) {
  Params p;
  p.Add(tenant).Add(profile);
  auto r = conn.ExecPrepared("telsync_get_cursor",
                             "SELECT cursor FROM cursors WHERE tenant = $1 AND profile = $2", p,
                             "get cursor");
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return std::string();
  return r->String(0, 0);
}

Status SetPostgresCursor(Conn& conn, const std::string& tenant, const std::string& profile,
                         const std::string& cursor) {
  Params p;
  p.Add(tenant).Add(profile).Add(cursor);
  auto r = conn.ExecPrepared("telsync_set_cursor",
                             "INSERT INTO cursors (tenant, profile, cursor) VALUES ($1, $2, $3) "
                             "ON CONFLICT (tenant, profile) DO UPDATE SET cursor = "
                             "excluded.cursor",
                             p, "set cursor");
  if (!r.ok()) return r.error();
  return Ok();
}

}  // namespace telsync::pg_detail
