// ProfileStore: the profiles kept in the store (created over the REST API, issue 7) and the
// id of the key that seals their secrets (src/secrets, SPEC R4; one role of
// store/store.h).
//
// Ownership: results are values the caller owns. The store keeps sealed secrets inside
// the documents and the id of the key that sealed them, never a key.
// Absence: a profile that does not exist is std::nullopt (GetStoredProfile) or kNotFound
// (DeleteStoredProfile, a version-checked Put); no key recorded yet is "".
// Errors: besides those, kConflict as each method says, kUnavailable when the database
// cannot be reached or stays locked too long, kInternal otherwise.
// Thread safety: as the Store that implements it (store.h): a store from OpenStore or
// Database may be called from several threads at once. RewriteSecrets' callback runs while
// the store is held: it may call the store from the same thread, but must not wait for
// another thread that does.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace telsync {

// A profile kept in the store (created over the REST API, issue 7), beside the profiles
// of the config file. `document` is the profile's YAML/JSON mapping as the admin sent it
// (validated by the config loader before it is stored); secrets in it may be literals or
// `${env:...}` / `${file:...}` references and are masked whenever it is shown.
struct StoredProfile {
  std::string tenant;
  std::string name;
  std::string document;
  int64_t version = 0;  // set by the store: 1 when created, +1 on each update
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

class ProfileStore {
 public:
  virtual ~ProfileStore() = default;

  // The tenant's stored profiles by name; tenant "" lists every tenant's (by tenant, name).
  virtual Result<std::vector<StoredProfile>> ListStoredProfiles(const std::string& tenant) = 0;
  // std::nullopt when the tenant has no such profile.
  virtual Result<std::optional<StoredProfile>> GetStoredProfile(const std::string& tenant,
                                                                const std::string& name) = 0;
  // expected_version 0 creates (kConflict when the name exists); > 0 replaces the document
  // when the stored version equals it (kConflict when it differs, kNotFound when there is
  // none). Returns the version after the write. `now` stamps created_at / updated_at.
  virtual Result<int64_t> PutStoredProfile(const StoredProfile& profile, int64_t expected_version,
                                           int64_t now) = 0;
  // kNotFound when there is no such profile.
  virtual Status DeleteStoredProfile(const std::string& tenant, const std::string& name) = 0;

  // Records `key_id` when no key id is recorded yet, and returns the recorded one either
  // way (so two processes racing with different keys see one winner); "" when none is
  // recorded. An empty `key_id` only reads.
  virtual Result<std::string> RecordSecretKey(const std::string& key_id, int64_t now) = 0;
  // One transaction: when the recorded key id is `expected_key_id` (kConflict otherwise),
  // hands every stored profile to `rewrite`; a returned document replaces the profile's
  // (its version is kept: the profile means the same), std::nullopt keeps it. Then records
  // `new_key_id`. An error from `rewrite` rolls everything back. When a document was
  // replaced, the store then compacts its files so no old copy of it is left behind
  // (SQLite: VACUUM, then a WAL checkpoint that truncates the WAL; PostgreSQL: VACUUM FULL
  // of the table). Returns how many documents were replaced.
  using SecretRewrite = std::function<Result<std::optional<std::string>>(const StoredProfile&)>;
  virtual Result<int> RewriteSecrets(const std::string& expected_key_id,
                                     const std::string& new_key_id, const SecretRewrite& rewrite,
                                     int64_t now) = 0;
};

}  // namespace telsync
