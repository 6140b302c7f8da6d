// Database: an open store, handed out by role (issue 16).
//
// Open() opens the backend a spec names (store.h OpenStore: a SQLite path, ":memory:", or
// a PostgreSQL URL), migrates it, and makes it thread-safe; the accessors then give the
// roles a component needs, all backed by that one store:
//
//   Result<Database> db = Database::Open(spec);
//   TokenAuth auth(db->tokens());
//   Notifier notifier(smtp, db->mail());
//
// Ownership: the Database owns the store; every role reference is valid while the
// Database lives (and has not been given up by TakeStore). Absence and errors: as
// OpenStore. Thread safety: the roles may be used from several threads at once (store.h).
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "store/store.h"
#include "util/result.h"

namespace telsync {

class Database {
 public:
  // kUnavailable when the store cannot be opened (or, with kMustExist, is missing);
  // kInvalid for an empty path, a malformed URL or a schema newer than this binary.
  static Result<Database> Open(const std::string& spec,
                               StoreOpen mode = StoreOpen::kCreateIfMissing);

  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;

  DirectoryStore& directory() { return *store_; }
  RunStore& runs() { return *store_; }
  MirrorStore& mirror() { return *store_; }
  JobStore& jobs() { return *store_; }
  TokenStore& tokens() { return *store_; }
  TenantStore& tenants() { return *store_; }
  ProfileStore& profiles() { return *store_; }
  MailStore& mail() { return *store_; }
  OutboxStore& outbox() { return *store_; }
  TargetStateStore& target_state() { return *store_; }
  // Every role at once: for the engine, which reads and writes most of them in one run.
  Store& store() { return *store_; }
  int SchemaVersion() { return store_->SchemaVersion(); }

  // Gives up the store (what OpenStore returns); the Database is empty afterwards.
  std::unique_ptr<Store> TakeStore() && { return std::move(store_); }

 private:
  explicit Database(std::unique_ptr<Store> store) : store_(std::move(store)) {}

  std::unique_ptr<Store> store_;
};

}  // namespace telsync
