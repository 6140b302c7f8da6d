#include "store/sqlite/sqlite_mirror.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>

#include "util/text.h"

namespace telsync::sqlite_detail {
namespace {

using json = nlohmann::json;

using store_detail::EntryHash;

int KindCode(ObjectKind kind) { return kind == ObjectKind::kUser ? 0 : 1; }

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

// Steps a cached statement once and resets it on every path.
Result<std::optional<MirrorEntry>> QueryOne(Statement& stmt, std::string_view what) {
  const int rc = stmt.Step();
  Result<std::optional<MirrorEntry>> out = std::optional<MirrorEntry>();
  if (rc == SQLITE_ROW) {
    auto entry = ReadEntry(stmt);
    if (entry.ok()) {
      out = std::optional<MirrorEntry>(std::move(*entry));
    } else {
      out = entry.error();
    }
  } else if (rc != SQLITE_DONE) {
    out = stmt.LastError(rc, what);
  }
  stmt.Reset();
  return out;
}

const char* SlotSql(SqliteMirror::Slot slot) {
  switch (slot) {
    case SqliteMirror::kBegin:
      return "BEGIN IMMEDIATE";
    case SqliteMirror::kCommit:
      return "COMMIT";
    case SqliteMirror::kRollback:
      return "ROLLBACK";
    case SqliteMirror::kSavepoint:
      return "SAVEPOINT mirror_write";
    case SqliteMirror::kRelease:
      return "RELEASE mirror_write";
    case SqliteMirror::kRollbackTo:
      return "ROLLBACK TO mirror_write";
    case SqliteMirror::kFind:
      return "SELECT hash, version, created_at, name_key FROM mirror "
             "WHERE tenant = ?1 AND profile = ?2 AND kind = ?3 AND id = ?4";
    case SqliteMirror::kOwner:
      return "SELECT id FROM mirror WHERE tenant = ?1 AND profile = ?2 AND kind = ?3 AND "
             "name_key = ?4 AND name_key <> ''";
    case SqliteMirror::kUpsert:
      return "INSERT INTO mirror (tenant, profile, kind, id, name, name_key, external_id, "
             "enabled, data, payload, hash, version, created_at, updated_at) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
             "ON CONFLICT (tenant, profile, kind, id) DO UPDATE SET name = excluded.name, "
             "name_key = excluded.name_key, external_id = excluded.external_id, "
             "enabled = excluded.enabled, data = excluded.data, payload = excluded.payload, "
             "hash = excluded.hash, version = excluded.version, updated_at = excluded.updated_at";
    case SqliteMirror::kRemove:
      return "DELETE FROM mirror WHERE tenant = ?1 AND profile = ?2 AND kind = ?3 AND id = ?4";
    case SqliteMirror::kGet:
      return "SELECT kind, id, name, external_id, enabled, data, payload, version, created_at, "
             "updated_at FROM mirror WHERE tenant = ?1 AND profile = ?2 AND kind = ?3 AND "
             "id = ?4";
    case SqliteMirror::kByName:
      return "SELECT kind, id, name, external_id, enabled, data, payload, version, created_at, "
             "updated_at FROM mirror WHERE tenant = ?1 AND profile = ?2 AND kind = ?3 AND "
             "name_key = ?4 AND name_key <> ''";
    case SqliteMirror::kCount:
      return "SELECT count(*) FROM mirror WHERE tenant = ?1 AND profile = ?2 AND kind = ?3";
    case SqliteMirror::kScan:
      return "SELECT kind, id, name, external_id, enabled, data, payload, version, created_at, "
             "updated_at FROM mirror WHERE tenant = ?1 AND profile = ?2 ORDER BY kind, id";
    case SqliteMirror::kScanPage:
      return "SELECT kind, id, name, external_id, enabled, data, payload, version, created_at, "
             "updated_at FROM mirror WHERE tenant = ?1 AND profile = ?2 AND kind = ?3 "
             "ORDER BY id LIMIT ?4 OFFSET ?5";
    case SqliteMirror::kDataVersion:
      return "PRAGMA data_version";
    case SqliteMirror::kMarkPending:
      return "INSERT INTO mirror_pending (tenant, profile, id) VALUES (?1, ?2, ?3)";
    case SqliteMirror::kSlotCount:
      break;
  }
  return "";
}

// Runs one of the cached transaction-control statements.
Status RunCached(SqliteMirror& mirror, SqliteMirror::Slot slot) {
  auto stmt = mirror.Cached(slot);
  if (!stmt.ok()) return stmt.error();
  return (*stmt)->Run(SlotSql(slot));
}

class SqliteMirrorWriter final : public MirrorWriter {
 public:
  SqliteMirrorWriter(SqliteMirror& mirror, bool nested, std::string tenant, std::string profile,
                     MirrorWriteMode mode, int64_t now)
      : mirror_(mirror),
        nested_(nested),
        tenant_(std::move(tenant)),
        profile_(std::move(profile)),
        mode_(mode),
        now_(now) {}

  ~SqliteMirrorWriter() override {
    if (committed_ || !open_ || !mirror_.db().InTransaction()) return;
    if (nested_) {
      // Undo this writer's statements, keep the outer transaction's.
      (void)RunCached(mirror_, SqliteMirror::kRollbackTo);
      (void)RunCached(mirror_, SqliteMirror::kRelease);
    } else {
      (void)RunCached(mirror_, SqliteMirror::kRollback);
    }
  }

  Status Open() {
    if (!nested_) {
      if (Status s = mirror_.db().CheckFile(); !s.ok()) return s;
    }
    if (Status s = RunCached(mirror_, nested_ ? SqliteMirror::kSavepoint : SqliteMirror::kBegin);
        !s.ok()) {
      return s;
    }
    open_ = true;
    if (mode_ == MirrorWriteMode::kReplace) {
      Db& db = mirror_.db();
      if (Status s = db.Exec("CREATE TEMP TABLE IF NOT EXISTS mirror_seen (kind INTEGER, id "
                             "TEXT, PRIMARY KEY (kind, id)) WITHOUT ROWID");
          !s.ok()) {
        return s;
      }
      if (Status s = db.Exec("DELETE FROM temp.mirror_seen"); !s.ok()) return s;
      auto seen = db.Prepare("INSERT OR IGNORE INTO temp.mirror_seen (kind, id) VALUES (?1, ?2)");
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
    const std::string name_key = AsciiLower(entry.name);

    auto find = mirror_.Cached(SqliteMirror::kFind);
    if (!find.ok()) return find.error();
    Statement& find_ = **find;
    find_.BindText(1, tenant_);
    find_.BindText(2, profile_);
    find_.BindInt(3, kind);
    find_.BindText(4, entry.object.id);
    int rc = find_.Step();
    std::optional<int64_t> stored_hash;
    int64_t version = 0;
    int64_t created_at = now_;
    bool same_name = false;
    if (rc == SQLITE_ROW) {
      stored_hash = find_.ColumnInt(0);
      version = find_.ColumnInt(1);
      created_at = find_.ColumnInt(2);
      same_name = find_.ColumnText(3) == name_key;
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

    // The unique index would refuse a taken name too, but as a bare constraint error;
    // this names the holder. An entry keeping its own name needs no look.
    if (!name_key.empty() && !same_name) {
      auto owner_stmt = mirror_.Cached(SqliteMirror::kOwner);
      if (!owner_stmt.ok()) return owner_stmt.error();
      Statement& owner_ = **owner_stmt;
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

    auto upsert = mirror_.Cached(SqliteMirror::kUpsert);
    if (!upsert.ok()) return upsert.error();
    Statement& upsert_ = **upsert;
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
    auto remove = mirror_.Cached(SqliteMirror::kRemove);
    if (!remove.ok()) return remove.error();
    Statement& remove_ = **remove;
    remove_.BindText(1, tenant_);
    remove_.BindText(2, profile_);
    remove_.BindInt(3, KindCode(kind));
    remove_.BindText(4, id);
    if (Status s = remove_.Run("mirror: remove entry"); !s.ok()) return s;
    if (mirror_.db().Changes() == 0) return Error::NotFound("no such object: " + id);
    ++removed_;
    return Ok();
  }

  size_t changed() const override { return changed_; }
  size_t removed() const override { return removed_; }

  Status MarkPending(const std::vector<std::string>& user_ids) override {
    if (committed_) return Error::Internal("mirror writer used after Commit");
    if (user_ids.empty()) return Ok();
    auto mark = mirror_.Cached(SqliteMirror::kMarkPending);
    if (!mark.ok()) return mark.error();
    Statement& stmt = **mark;
    for (const std::string& id : user_ids) {
      stmt.BindText(1, tenant_);
      stmt.BindText(2, profile_);
      stmt.BindText(3, id);
      if (Status s = stmt.Run("mirror: mark pending"); !s.ok()) return s;
    }
    return Ok();
  }

  Status Commit() override {
    if (committed_) return Error::Internal("mirror writer committed twice");
    Db& db = mirror_.db();
    if (seen_.has_value()) {
      auto sweep = db.Prepare(
          "DELETE FROM mirror WHERE tenant = ?1 AND profile = ?2 AND NOT EXISTS (SELECT 1 "
          "FROM temp.mirror_seen s WHERE s.kind = mirror.kind AND s.id = mirror.id)");
      if (!sweep.ok()) return sweep.error();
      sweep->BindText(1, tenant_);
      sweep->BindText(2, profile_);
      if (Status s = sweep->Run("mirror: remove objects the full read did not return"); !s.ok()) {
        return s;
      }
      removed_ += static_cast<size_t>(db.Changes());
      if (Status s = db.Exec("DELETE FROM temp.mirror_seen"); !s.ok()) return s;
    }
    if (Status s = RunCached(mirror_, nested_ ? SqliteMirror::kRelease : SqliteMirror::kCommit);
        !s.ok()) {
      return s;  // the destructor rolls back what is still open
    }
    committed_ = true;
    return Ok();
  }

 private:
  SqliteMirror& mirror_;
  const bool nested_;
  const std::string tenant_;
  const std::string profile_;
  const MirrorWriteMode mode_;
  const int64_t now_;
  std::optional<Statement> seen_;
  size_t changed_ = 0;
  size_t removed_ = 0;
  bool open_ = false;
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

Result<Statement*> SqliteMirror::Cached(Slot slot) {
  if (!ready_[slot]) {
    auto stmt = db_.Prepare(SlotSql(slot), /*persistent=*/true);
    if (!stmt.ok()) return stmt.error();
    statements_[slot] = std::move(*stmt);
    ready_[slot] = true;
    ++prepared_;
  }
  return &statements_[slot];
}

Result<Statement> SqliteMirror::Take(Slot slot) {
  if (ready_[slot]) {
    ready_[slot] = false;
    return std::move(statements_[slot]);
  }
  auto stmt = db_.Prepare(SlotSql(slot), /*persistent=*/true);
  if (!stmt.ok()) return stmt.error();
  ++prepared_;
  return std::move(*stmt);
}

void SqliteMirror::Give(Slot slot, Statement stmt) {
  stmt.Reset();
  if (ready_[slot]) return;  // a nested scan put its own back first: drop this one
  statements_[slot] = std::move(stmt);
  ready_[slot] = true;
}

Result<std::unique_ptr<MirrorWriter>> SqliteMirror::BeginWrite(const std::string& tenant,
                                                               const std::string& profile,
                                                               MirrorWriteMode mode, int64_t now) {
  const bool nested = db_.InTransaction();
  if (nested && mode == MirrorWriteMode::kReplace) {
    return Error::Internal("a full mirror write cannot nest in another transaction");
  }
  auto writer = std::make_unique<SqliteMirrorWriter>(*this, nested, tenant, profile, mode, now);
  if (Status s = writer->Open(); !s.ok()) return s.error();
  return std::unique_ptr<MirrorWriter>(std::move(writer));
}

namespace {

// Steps `stmt` (bound) through its rows into `fn`; the statement is Given back after.
Status ScanRows(SqliteMirror& mirror, SqliteMirror::Slot slot, Statement stmt,
                const std::function<bool(MirrorEntry&&)>& fn) {
  Status out = Ok();
  for (;;) {
    const int rc = stmt.Step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      out = stmt.LastError(rc, "mirror: scan");
      break;
    }
    auto entry = ReadEntry(stmt);
    if (!entry.ok()) {
      out = entry.error();
      break;
    }
    if (!fn(std::move(*entry))) break;
  }
  mirror.Give(slot, std::move(stmt));
  return out;
}

}  // namespace

Status SqliteMirror::Scan(const std::string& tenant, const std::string& profile,
                          const std::function<bool(MirrorEntry&&)>& fn) {
  auto stmt = Take(kScan);
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  return ScanRows(*this, kScan, std::move(*stmt), fn);
}

Status SqliteMirror::ScanPage(const std::string& tenant, const std::string& profile,
                              ObjectKind kind, size_t offset, size_t limit,
                              const std::function<bool(MirrorEntry&&)>& fn) {
  if (limit == 0) return Ok();
  auto stmt = Take(kScanPage);
  if (!stmt.ok()) return stmt.error();
  constexpr size_t kMax = static_cast<size_t>(INT64_MAX);
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  stmt->BindInt(3, KindCode(kind));
  stmt->BindInt(4, static_cast<int64_t>(std::min(limit, kMax)));
  stmt->BindInt(5, static_cast<int64_t>(std::min(offset, kMax)));
  return ScanRows(*this, kScanPage, std::move(*stmt), fn);
}

Result<std::optional<MirrorEntry>> SqliteMirror::Get(const std::string& tenant,
                                                     const std::string& profile, ObjectKind kind,
                                                     const std::string& id) {
  auto stmt = Cached(kGet);
  if (!stmt.ok()) return stmt.error();
  (*stmt)->BindText(1, tenant);
  (*stmt)->BindText(2, profile);
  (*stmt)->BindInt(3, KindCode(kind));
  (*stmt)->BindText(4, id);
  return QueryOne(**stmt, "mirror: get entry");
}

Result<std::optional<MirrorEntry>> SqliteMirror::FindByName(const std::string& tenant,
                                                            const std::string& profile,
                                                            ObjectKind kind,
                                                            const std::string& name) {
  if (name.empty()) return std::optional<MirrorEntry>();
  auto stmt = Cached(kByName);
  if (!stmt.ok()) return stmt.error();
  const std::string key = AsciiLower(name);
  (*stmt)->BindText(1, tenant);
  (*stmt)->BindText(2, profile);
  (*stmt)->BindInt(3, KindCode(kind));
  (*stmt)->BindText(4, key);
  return QueryOne(**stmt, "mirror: find by name");
}

Result<size_t> SqliteMirror::Count(const std::string& tenant, const std::string& profile,
                                   ObjectKind kind) {
  // Inside a transaction the count may include writes a rollback undoes: not remembered.
  const bool cacheable = !db_.InTransaction();
  int64_t data_version = -1;
  int64_t total_changes = -1;
  if (cacheable) {
    auto version = Cached(kDataVersion);
    if (!version.ok()) return version.error();
    const int rc = (*version)->Step();
    if (rc == SQLITE_ROW) data_version = (*version)->ColumnInt(0);
    (*version)->Reset();
    total_changes = sqlite3_total_changes64(db_.handle());
    for (const CachedCount& c : counts_) {
      if (c.kind == kind && c.tenant == tenant && c.profile == profile &&
          c.data_version == data_version && c.total_changes == total_changes && data_version >= 0) {
        return c.count;
      }
    }
  }
  auto cached = Cached(kCount);
  if (!cached.ok()) return cached.error();
  Statement& stmt = **cached;
  stmt.BindText(1, tenant);
  stmt.BindText(2, profile);
  stmt.BindInt(3, KindCode(kind));
  const int rc = stmt.Step();
  Result<size_t> out = size_t{0};
  if (rc == SQLITE_ROW) {
    out = static_cast<size_t>(stmt.ColumnInt(0));
  } else {
    out = stmt.LastError(rc, "mirror: count");
  }
  stmt.Reset();
  if (cacheable && out.ok() && data_version >= 0) {
    // Entries of an older state of the database are useless: drop them.
    std::erase_if(counts_, [&](const CachedCount& c) {
      return c.data_version != data_version || c.total_changes != total_changes ||
             (c.kind == kind && c.tenant == tenant && c.profile == profile);
    });
    if (counts_.size() < 64) {
      counts_.push_back(CachedCount{tenant, profile, kind, *out, data_version, total_changes});
    }
  }
  return out;
}

Result<int64_t> AddSqliteToken(Db& db, const ApiToken& token) {
  // Operator tokens (the provider's) have no tenant; every other token has one.
  if (token.kind.empty() || token.hash.empty() ||
      token.tenant.empty() != (token.kind == "operator")) {
    return Error::Invalid("a token needs a kind, a hash and a tenant (none for an operator)");
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
  Status read = ForEachRow(*stmt, "list tokens",
                           [&](const Statement& row) { out.push_back(ReadToken(row)); });
  if (!read.ok()) return read.error();
  return out;
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

Result<std::vector<MirrorPending>> SqliteMirror::ListPending(const std::string& tenant,
                                                             const std::string& profile,
                                                             size_t limit) {
  auto stmt = db_.Prepare(
      "SELECT seq, id FROM mirror_pending WHERE tenant = ?1 AND profile = ?2 ORDER BY seq "
      "LIMIT ?3");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, tenant);
  stmt->BindText(2, profile);
  stmt->BindInt(3, static_cast<int64_t>(limit));
  std::vector<MirrorPending> out;
  Status read = ForEachRow(*stmt, "mirror: list pending", [&](const Statement& row) {
    out.push_back({row.ColumnInt(0), std::string(row.ColumnText(1))});
  });
  if (!read.ok()) return read.error();
  return out;
}

Status SqliteMirror::ClearPending(const std::string& tenant, const std::string& profile,
                                  const std::vector<int64_t>& seqs) {
  if (seqs.empty()) return Ok();
  auto tx = Transaction::Begin(db_);
  if (!tx.ok()) return tx.error();
  auto stmt =
      db_.Prepare("DELETE FROM mirror_pending WHERE tenant = ?1 AND profile = ?2 AND seq = ?3");
  if (!stmt.ok()) return stmt.error();
  for (const int64_t seq : seqs) {
    stmt->BindText(1, tenant);
    stmt->BindText(2, profile);
    stmt->BindInt(3, seq);
    if (Status s = stmt->Run("mirror: clear pending"); !s.ok()) return s;
  }
  return tx->Commit();
}

}  // namespace telsync::sqlite_detail
