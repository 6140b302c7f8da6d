#include "store/sqlite/sqlite_mirror.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace telsync::sqlite_detail {
namespace {

using json = nlohmann::json;

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// FNV-1a over the fields a Put can change, with a separator between them so that moving
// bytes from one field to the next changes the hash.
int64_t EntryHash(const MirrorEntry& entry, std::string_view data) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::string_view text) {
    for (const char c : text) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  };
  mix(data);
  mix(entry.name);
  mix(entry.external_id);
  mix(entry.payload);
  mix(entry.object.enabled ? "1" : "0");
  return static_cast<int64_t>(h);
}

int KindCode(ObjectKind kind) { return kind == ObjectKind::kUser ? 0 : 1; }

constexpr const char* kEntryColumns =
    "kind, id, name, external_id, enabled, data, payload, version, created_at, updated_at";

Result<MirrorEntry> ReadEntry(const Statement& stmt) {
  auto object = DecodeMirrorData(stmt.ColumnText(5));
  if (!object.ok()) return object.error();
  MirrorEntry entry;
  entry.object = std::move(*object);
  entry.object.kind = stmt.ColumnInt(0) == 0 ? ObjectKind::kUser : ObjectKind::kGroup;
  entry.object.id = std::string(stmt.ColumnText(1));
  entry.object.enabled = stmt.ColumnInt(4) != 0;
  entry.name = std::string(stmt.ColumnText(2));
  entry.external_id = std::string(stmt.ColumnText(3));
  entry.payload = std::string(stmt.ColumnText(6));
  entry.version = stmt.ColumnInt(7);
  entry.created_at = stmt.ColumnInt(8);
  entry.updated_at = stmt.ColumnInt(9);
  return entry;
}

Result<std::optional<MirrorEntry>> QueryOne(Statement& stmt, std::string_view what) {
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) return std::optional<MirrorEntry>();
  if (rc != SQLITE_ROW) return stmt.LastError(rc, what);
  auto entry = ReadEntry(stmt);
  if (!entry.ok()) return entry.error();
  return std::optional<MirrorEntry>(std::move(*entry));
}

class SqliteMirrorWriter final : public MirrorWriter {
 public:
  SqliteMirrorWriter(Db& db, Transaction txn, std::string tenant, std::string profile,
                     MirrorWriteMode mode, int64_t now)
      : db_(db),
        txn_(std::move(txn)),
        tenant_(std::move(tenant)),
        profile_(std::move(profile)),
        mode_(mode),
        now_(now) {}

  Status Prepare() {
    auto find = db_.Prepare(
        "SELECT hash, version, created_at FROM mirror "
        "WHERE tenant = ?1 AND profile = ?2 AND kind = ?3 AND id = ?4");
    if (!find.ok()) return find.error();
    find_ = std::move(*find);
    auto owner = db_.Prepare(
        "SELECT id FROM mirror WHERE tenant = ?1 AND profile = ?2 AND kind = ?3 AND "
        "name_key = ?4 AND name_key <> ''");
    if (!owner.ok()) return owner.error();
    owner_ = std::move(*owner);
    auto upsert = db_.Prepare(
        "INSERT INTO mirror (tenant, profile, kind, id, name, name_key, external_id, enabled, "
        "data, payload, hash, version, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
        "ON CONFLICT (tenant, profile, kind, id) DO UPDATE SET name = excluded.name, "
        "name_key = excluded.name_key, external_id = excluded.external_id, "
        "enabled = excluded.enabled, data = excluded.data, payload = excluded.payload, "
        "hash = excluded.hash, version = excluded.version, updated_at = excluded.updated_at");
    if (!upsert.ok()) return upsert.error();
    upsert_ = std::move(*upsert);
    auto remove = db_.Prepare(
        "DELETE FROM mirror WHERE tenant = ?1 AND profile = ?2 AND kind = ?3 AND id = ?4");
    if (!remove.ok()) return remove.error();
    remove_ = std::move(*remove);
    if (mode_ == MirrorWriteMode::kReplace) {
      if (Status s = db_.Exec("CREATE TEMP TABLE IF NOT EXISTS mirror_seen (kind INTEGER, id "
                              "TEXT, PRIMARY KEY (kind, id)) WITHOUT ROWID");
          !s.ok()) {
        return s;
      }
      if (Status s = db_.Exec("DELETE FROM temp.mirror_seen"); !s.ok()) return s;
      auto seen = db_.Prepare("INSERT OR IGNORE INTO temp.mirror_seen (kind, id) VALUES (?1, ?2)");
      if (!seen.ok()) return seen.error();
      seen_ = std::move(*seen);
    }
    return Ok();
  }

  Result<int64_t> Put(const MirrorEntry& entry, int64_t expected_version) override {
    if (committed_) return Error::Internal("mirror writer used after Commit");
    if (entry.object.id.empty()) return Error::Invalid("a mirror entry needs an id");
    const int kind = KindCode(entry.object.kind);
    if (seen_.has_value()) {
      seen_->BindInt(1, kind);
      seen_->BindText(2, entry.object.id);
      if (Status s = seen_->Run("mirror: mark seen"); !s.ok()) return s.error();
    }
    const std::string data = EncodeMirrorData(entry.object);
    const int64_t hash = EntryHash(entry, data);

    find_.BindText(1, tenant_);
    find_.BindText(2, profile_);
    find_.BindInt(3, kind);
    find_.BindText(4, entry.object.id);
    int rc = find_.Step();
    std::optional<int64_t> stored_hash;
    int64_t version = 0;
    int64_t created_at = now_;
    if (rc == SQLITE_ROW) {
      stored_hash = find_.ColumnInt(0);
      version = find_.ColumnInt(1);
      created_at = find_.ColumnInt(2);
    } else if (rc != SQLITE_DONE) {
      Error error = find_.LastError(rc, "mirror: find entry");
      find_.Reset();
      return error;
    }
    find_.Reset();

    if (expected_version > 0) {
      if (!stored_hash) return Error::NotFound("no such object: " + entry.object.id);
      if (version != expected_version) {
        return Error::Conflict("version " + std::to_string(expected_version) +
                               " is not the current version " + std::to_string(version) + " of " +
                               entry.object.id);
      }
    }
    if (stored_hash && *stored_hash == hash) return version;

    const std::string name_key = LowerAscii(entry.name);
    if (!name_key.empty()) {
      owner_.BindText(1, tenant_);
      owner_.BindText(2, profile_);
      owner_.BindInt(3, kind);
      owner_.BindText(4, name_key);
      rc = owner_.Step();
      std::string owner;
      if (rc == SQLITE_ROW) owner = std::string(owner_.ColumnText(0));
      const bool failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
      Error error = failed ? owner_.LastError(rc, "mirror: find name") : Error{};
      owner_.Reset();
      if (failed) return error;
      if (!owner.empty() && owner != entry.object.id) {
        return Error::Conflict("'" + entry.name + "' is already used by " + owner);
      }
    }

    upsert_.BindText(1, tenant_);
    upsert_.BindText(2, profile_);
    upsert_.BindInt(3, kind);
    upsert_.BindText(4, entry.object.id);
    upsert_.BindText(5, entry.name);
    upsert_.BindText(6, name_key);
    upsert_.BindText(7, entry.external_id);
    upsert_.BindInt(8, entry.object.enabled ? 1 : 0);
    upsert_.BindText(9, data);
    upsert_.BindText(10, entry.payload);
    upsert_.BindInt(11, hash);
    upsert_.BindInt(12, version + 1);
    upsert_.BindInt(13, created_at);
    upsert_.BindInt(14, now_);
    if (Status s = upsert_.Run("mirror: write entry"); !s.ok()) return s.error();
    ++changed_;
    return version + 1;
  }

  Status Remove(ObjectKind kind, const std::string& id) override {
    if (committed_) return Error::Internal("mirror writer used after Commit");
    remove_.BindText(1, tenant_);
    remove_.BindText(2, profile_);
    remove_.BindInt(3, KindCode(kind));
    remove_.BindText(4, id);
    if (Status s = remove_.Run("mirror: remove entry"); !s.ok()) return s;
    if (db_.Changes() == 0) return Error::NotFound("no such object: " + id);
    ++removed_;
    return Ok();
  }

  size_t changed() const override { return changed_; }
  size_t removed() const override { return removed_; }

  Status Commit() override {
    if (committed_) return Error::Internal("mirror writer committed twice");
    if (seen_.has_value()) {
      auto sweep = db_.Prepare(
          "DELETE FROM mirror WHERE tenant = ?1 AND profile = ?2 AND NOT EXISTS (SELECT 1 "
          "FROM temp.mirror_seen s WHERE s.kind = mirror.kind AND s.id = mirror.id)");
      if (!sweep.ok()) return sweep.error();
      sweep->BindText(1, tenant_);
      sweep->BindText(2, profile_);
      if (Status s = sweep->Run("mirror: remove objects the full read did not return"); !s.ok()) {
        return s;
      }
      removed_ += static_cast<size_t>(db_.Changes());
      if (Status s = db_.Exec("DELETE FROM temp.mirror_seen"); !s.ok()) return s;
    }
    committed_ = true;
    return txn_.Commit();
  }

 private:
  Db& db_;
  Transaction txn_;
  const std::string tenant_;
  const std::string profile_;
  const MirrorWriteMode mode_;
  const int64_t now_;
  Statement find_;
  Statement owner_;
  Statement upsert_;
  Statement remove_;
  std::optional<Statement> seen_;
  size_t changed_ = 0;
  size_t removed_ = 0;
  bool committed_ = false;
};

ApiToken ReadToken(const Statement& stmt) {
  ApiToken token;
  token.id = stmt.ColumnInt(0);
  token.tenant = std::string(stmt.ColumnText(1));
  token.kind = std::string(stmt.ColumnText(2));
  token.label = std::string(stmt.ColumnText(3));
  token.hash = std::string(stmt.ColumnText(4));
  token.created_at = stmt.ColumnInt(5);
  token.revoked_at = stmt.ColumnInt(6);
  return token;
}

constexpr const char* kTokenColumns = "id, tenant, kind, label, hash, created_at, revoked_at";

}  // namespace

std::string EncodeMirrorData(const SourceObject& object) {
  json attributes = json::array();
  for (const auto& [name, values] : object.attributes) attributes.push_back({name, values});
  json out = {{"a", std::move(attributes)}};
  if (!object.groups.empty()) out["g"] = object.groups;
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<SourceObject> DecodeMirrorData(std::string_view data) {
  const json parsed = json::parse(data, nullptr, /*allow_exceptions=*/false);
  auto corrupt = [] { return Error::Internal("store: corrupt mirror data column"); };
  if (!parsed.is_object()) return corrupt();
  SourceObject object;
  if (auto a = parsed.find("a"); a != parsed.end()) {
    if (!a->is_array()) return corrupt();
    object.attributes.reserve(a->size());
    for (const auto& pair : *a) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_array()) {
        return corrupt();
      }
      std::vector<std::string> values;
      values.reserve(pair[1].size());
      for (const auto& v : pair[1]) {
        if (!v.is_string()) return corrupt();
        values.push_back(v.get<std::string>());
      }
      object.attributes.emplace_back(pair[0].get<std::string>(), std::move(values));
    }
  }
  if (auto g = parsed.find("g"); g != parsed.end()) {
    if (!g->is_array()) return corrupt();
    for (const auto& v : *g) {
      if (!v.is_string()) return corrupt();
      object.groups.push_back(v.get<std::string>());
    }
  }
  return object;
}

Result<std::unique_ptr<MirrorWriter>> BeginSqliteMirrorWrite(Db& db, const std::string& tenant,
                                                             const std::string& profile,
                                                             MirrorWriteMode mode, int64_t now) {
  auto txn = Transaction::Begin(db);
  if (!txn.ok()) return txn.error();
  auto writer =
      std::make_unique<SqliteMirrorWriter>(db, std::move(*txn), tenant, profile, mode, now);
  if (Status s = writer->Prepare(); !s.ok()) return s.error();
  return std::unique_ptr<MirrorWriter>(std::move(writer));
}

Status ScanSqliteMirror(Db& db, const std::string& tenant, const std::string& profile,
                        const std::function<bool(MirrorEntry&&)>& fn) {
  auto stmt = db.Prepare(std::string("SELECT ") + kEntryColumns +
                         " FROM mirror WHERE tenant = ?1 AND profile = ?2 ORDER BY kind, id");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  for (;;) {
    const int rc = stmt->Step();
    if (rc == SQLITE_DONE) return Ok();
    if (rc != SQLITE_ROW) return stmt->LastError(rc, "mirror: scan");
    auto entry = ReadEntry(*stmt);
    if (!entry.ok()) return entry.error();
    if (!fn(std::move(*entry))) return Ok();
  }
}

Result<std::optional<MirrorEntry>> GetSqliteMirrorEntry(Db& db, const std::string& tenant,
                                                        const std::string& profile, ObjectKind kind,
                                                        const std::string& id) {
  auto stmt = db.Prepare(std::string("SELECT ") + kEntryColumns +
                         " FROM mirror WHERE tenant = ?1 AND profile = ?2 AND kind = ?3 AND "
                         "id = ?4");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  stmt->BindInt(3, KindCode(kind));
  stmt->BindText(4, id);
  return QueryOne(*stmt, "mirror: get entry");
}

Result<std::optional<MirrorEntry>> FindSqliteMirrorEntryByName(Db& db, const std::string& tenant,
                                                               const std::string& profile,
                                                               ObjectKind kind,
                                                               const std::string& name) {
  if (name.empty()) return std::optional<MirrorEntry>();
  auto stmt = db.Prepare(std::string("SELECT ") + kEntryColumns +
                         " FROM mirror WHERE tenant = ?1 AND profile = ?2 AND kind = ?3 AND "
                         "name_key = ?4 AND name_key <> ''");
  if (!stmt.ok()) return stmt.error();
  const std::string key = LowerAscii(name);
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  stmt->BindInt(3, KindCode(kind));
  stmt->BindText(4, key);
  return QueryOne(*stmt, "mirror: find by name");
}

Result<size_t> CountSqliteMirror(Db& db, const std::string& tenant, const std::string& profile,
                                 ObjectKind kind) {
  auto stmt =
      db.Prepare("SELECT count(*) FROM mirror WHERE tenant = ?1 AND profile = ?2 AND kind = ?3");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  stmt->BindInt(3, KindCode(kind));
  const int rc = stmt->Step();
  if (rc != SQLITE_ROW) return stmt->LastError(rc, "mirror: count");
  return static_cast<size_t>(stmt->ColumnInt(0));
}

Result<int64_t> AddSqliteToken(Db& db, const ApiToken& token) {
  if (token.tenant.empty() || token.kind.empty() || token.hash.empty()) {
    return Error::Invalid("a token needs a tenant, a kind and a hash");
  }
  auto stmt = db.Prepare(
      "INSERT INTO api_tokens (tenant, kind, label, hash, created_at) VALUES (?1, ?2, ?3, ?4, "
      "?5)");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, token.tenant);
  stmt->BindText(2, token.kind);
  stmt->BindText(3, token.label);
  stmt->BindText(4, token.hash);
  stmt->BindInt(5, token.created_at);
  if (Status s = stmt->Run("add token"); !s.ok()) return s.error();
  return db.LastInsertRowid();
}

Result<std::vector<ApiToken>> ListSqliteTokens(Db& db, const std::string& tenant,
                                               const std::string& kind) {
  auto stmt = db.Prepare(std::string("SELECT ") + kTokenColumns +
                         " FROM api_tokens WHERE tenant = ?1 AND kind = ?2 ORDER BY id");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, kind);
  std::vector<ApiToken> out;
  for (;;) {
    const int rc = stmt->Step();
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return stmt->LastError(rc, "list tokens");
    out.push_back(ReadToken(*stmt));
  }
}

Status RevokeSqliteToken(Db& db, const std::string& tenant, const std::string& kind, int64_t id,
                         int64_t now) {
  auto stmt = db.Prepare(
      "UPDATE api_tokens SET revoked_at = ?4 WHERE tenant = ?1 AND kind = ?2 AND "
      "(?3 = 0 OR id = ?3) AND revoked_at = 0");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, kind);
  stmt->BindInt(3, id);
  stmt->BindInt(4, now);
  if (Status s = stmt->Run("revoke token"); !s.ok()) return s;
  if (db.Changes() == 0) {
    return Error::NotFound(id == 0 ? "no valid " + kind + " token for tenant " + tenant
                                   : "no valid " + kind + " token " + std::to_string(id) +
                                         " for tenant " + tenant);
  }
  return Ok();
}

Result<std::optional<ApiToken>> FindSqliteToken(Db& db, const std::string& kind,
                                                const std::string& hash) {
  auto stmt = db.Prepare(std::string("SELECT ") + kTokenColumns +
                         " FROM api_tokens WHERE hash = ?1 AND kind = ?2 AND revoked_at = 0");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, hash);
  stmt->BindText(2, kind);
  const int rc = stmt->Step();
  if (rc == SQLITE_DONE) return std::optional<ApiToken>();
  if (rc != SQLITE_ROW) return stmt->LastError(rc, "find token");
  return std::optional<ApiToken>(ReadToken(*stmt));
}

}  // namespace telsync::sqlite_detail
