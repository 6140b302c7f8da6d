// The life of the store's secret key: where it is found, how a store is bound to it, the
// migration of plain secrets, rotation and status (issue 15 item 1; docs/secrets.md).
//
//   - The key file is named by --secret-key-file or TELSYNC_SECRET_KEY_FILE; else it is
//     DefaultSecretKeyPath: "<store file>.key" beside a SQLite store, "telsync.key" beside
//     the config for PostgreSQL (every node must then be given the same file).
//   - The store records the id of its key (ProfileStore::RecordSecretKey). A process whose key is
//     not the recorded one refuses to use the store's secrets, naming both ids; a store
//     holding sealed secrets is never read without its key, and never falls back to plain
//     text.
//   - PrepareServiceSecrets (serve): loads the key, creating it where it is looked for when
//     the store records none yet and the file does not exist (and says so), records it, and
//     seals every plain
//     secret left by an older telsync, then compacts the store (no plain copy is left).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "secrets/secret_box.h"
#include "store/profile_store.h"
#include "util/result.h"

namespace telsync {

// The key file used when none is named: beside a SQLite store file, or in `config_dir` for
// PostgreSQL and an in-memory SQLite store.
std::string DefaultSecretKeyPath(const std::string& store_spec, const std::string& config_dir);

struct ServiceSecrets {
  SecretKey key;
  bool created = false;  // the key file was made now
  int sealed = 0;        // plain secrets sealed now (documents rewritten)
};
// See the file comment: the key file is made when it is missing and the store records no
// key yet (a store that records one is never given a new key).
Result<ServiceSecrets> PrepareServiceSecrets(ProfileStore& store, const std::string& key_path,
                                             int64_t now);

// Loads `key_path` and checks that it is the store's key (kInvalid naming both ids when
// not). A store that records no key yet accepts it and records it.
Result<SecretKey> LoadStoreKey(ProfileStore& store, const std::string& key_path, int64_t now);

// Re-seals every secret (plain ones included) with `next`, in one transaction, and records
// it as the store's key; then compacts the store. Returns the documents rewritten.
Result<int> RotateSecretKey(ProfileStore& store, const SecretKey& current, const SecretKey& next,
                            int64_t now);

struct SecretsStatus {
  std::string recorded_key;                  // "" = none recorded
  std::map<std::string, int> sealed_by_key;  // key id -> secrets
  int plain = 0;                             // secrets not sealed (an old store)
  int profiles = 0;                          // stored profiles
  int profiles_with_secrets = 0;
};
Result<SecretsStatus> ReadSecretsStatus(ProfileStore& store);

}  // namespace telsync
