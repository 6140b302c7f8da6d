// TenantStore: the tenants created over the REST API or `telsync tenant create` (issue 7),
// and their deletion with everything they own (one role of store/store.h).
//
// Ownership: results are values the caller owns.
// Absence: a tenant that is not stored is std::nullopt (GetTenant) or kNotFound
// (UpdateTenant, DeleteTenant). The config file's tenants are not stored; they exist while
// the file names them, and cannot be deleted here.
// Errors: besides those, kConflict as each method says, kUnavailable when the database
// cannot be reached or stays locked too long, kInternal otherwise.
// Thread safety: as the Store that implements it (store.h): a store from OpenStore or
// Database may be called from several threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace telsync {

// One customer company of a provider, with its own profiles, users, runs and tokens.
struct TenantRecord {
  std::string name;          // [a-z0-9][a-z0-9_-]*, as a config tenant's name
  std::string display_name;  // free text for people ("Contoso Ltd")
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// What DeleteTenant removed, by kind.
struct TenantDeletion {
  int64_t users = 0;
  int64_t departments = 0;
  int64_t runs = 0;  // with their items
  int64_t mirror_entries = 0;
  int64_t tokens = 0;
  int64_t profiles = 0;  // stored profiles
  int64_t jobs = 0;
  int64_t notifications = 0;
};

class TenantStore {
 public:
  virtual ~TenantStore() = default;

  // Every stored tenant, by name.
  virtual Result<std::vector<TenantRecord>> ListTenants() = 0;
  // std::nullopt when no tenant of that name is stored.
  virtual Result<std::optional<TenantRecord>> GetTenant(const std::string& name) = 0;
  // kConflict when the name exists.
  virtual Status CreateTenant(const TenantRecord& tenant) = 0;
  // Writes display_name and updated_at. kNotFound when there is none.
  virtual Status UpdateTenant(const TenantRecord& tenant) = 0;
  // Removes the tenant record and every row the tenant owns (users, departments, runs and
  // their items, mirror, cursors, tokens, notifications, stored profiles, jobs) in one
  // transaction: all or nothing. kNotFound when there is no tenant record; kConflict,
  // removing nothing, while one of its jobs runs with a lease live at `now` (queued jobs
  // are removed with the rest).
  virtual Result<TenantDeletion> DeleteTenant(const std::string& name, int64_t now) = 0;
};

}  // namespace telsync
