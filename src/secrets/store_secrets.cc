#include "secrets/store_secrets.h"

#include <filesystem>
#include <string_view>
#include <utility>

#include "secrets/profile_secrets.h"

namespace telsync {

namespace fs = std::filesystem;

std::string DefaultSecretKeyPath(const std::string& store_spec, const std::string& config_dir) {
  std::string_view path = store_spec;
  const bool postgres = path.starts_with("postgres://") || path.starts_with("postgresql://");
  if (!postgres) {
    if (path.starts_with("sqlite:")) path.remove_prefix(7);
    if (!path.empty() && path != ":memory:") return std::string(path) + ".key";
  }
  return (fs::path(config_dir.empty() ? "." : config_dir) / "telsync.key").string();
}

Result<SecretKey> LoadStoreKey(ProfileStore& store, const std::string& key_path, int64_t now) {
  Result<SecretKey> key = SecretKey::LoadFile(key_path);
  if (!key.ok()) return key.error();
  Result<std::string> recorded = store.RecordSecretKey(key->id(), now);
  if (!recorded.ok()) return recorded.error();
  if (*recorded != key->id()) {
    return Error::Invalid("the store's secrets are sealed with key " + *recorded +
                          ", but the secret key file " + key_path + " holds key " + key->id() +
                          ": give the store's key file (--secret-key-file)");
  }
  return key;
}

Result<ServiceSecrets> PrepareServiceSecrets(ProfileStore& store, const std::string& key_path,
                                             int64_t now) {
  Result<std::string> recorded = store.RecordSecretKey("", now);
  if (!recorded.ok()) return recorded.error();
  bool created = false;
  std::error_code ec;
  if (!fs::exists(key_path, ec)) {
    if (!recorded->empty()) {
      return Error::Invalid("the store's secrets are sealed with key " + *recorded +
                            ", and its key file " + key_path +
                            " does not exist: give it with --secret-key-file or "
                            "TELSYNC_SECRET_KEY_FILE (telsync never reads them without it)");
    }
    Result<SecretKey> made = SecretKey::CreateFile(key_path);
    // Another process may have made it a moment ago: then load that one.
    if (!made.ok() && made.error().code != ErrorCode::kConflict) return made.error();
    created = made.ok();
  }
  Result<SecretKey> key = LoadStoreKey(store, key_path, now);
  if (!key.ok()) return key.error();
  ServiceSecrets out{std::move(*key), created, 0};
  const SecretKey& k = out.key;
  Result<int> sealed = store.RewriteSecrets(
      k.id(), k.id(),
      [&k](const StoredProfile& p) -> Result<std::optional<std::string>> {
        bool changed = false;
        Result<std::string> doc =
            SealPlainProfileSecrets(p.document, p.tenant, p.name, k, &changed);
        // A document that does not parse holds no field we could seal; the catalog reports it.
        if (!doc.ok() || !changed) return std::optional<std::string>();
        return std::optional<std::string>(std::move(*doc));
      },
      now);
  if (!sealed.ok()) return sealed.error();
  out.sealed = *sealed;
  return out;
}

Result<int> RotateSecretKey(ProfileStore& store, const SecretKey& current, const SecretKey& next,
                            int64_t now) {
  return store.RewriteSecrets(
      current.id(), next.id(),
      [&](const StoredProfile& p) -> Result<std::optional<std::string>> {
        SecretCounts counts;
        CountProfileSecrets(p.document, counts);
        if (counts.plain == 0 && counts.sealed_by_key.empty()) return std::optional<std::string>();
        Result<std::string> plain = OpenProfileDocument(p.document, p.tenant, p.name, &current);
        if (!plain.ok()) {
          Error e = plain.error();
          e.message = "profile " + p.tenant + "/" + p.name + " " + e.context + ": " + e.message;
          return e;
        }
        Result<std::string> sealed = SealProfileDocument(*plain, p.tenant, p.name, next);
        if (!sealed.ok()) return sealed.error();
        return std::optional<std::string>(std::move(*sealed));
      },
      now);
}

Result<SecretsStatus> ReadSecretsStatus(ProfileStore& store) {
  SecretsStatus status;
  Result<std::string> recorded = store.RecordSecretKey("", 0);
  if (!recorded.ok()) return recorded.error();
  status.recorded_key = *recorded;
  Result<std::vector<StoredProfile>> profiles = store.ListStoredProfiles("");
  if (!profiles.ok()) return profiles.error();
  for (const StoredProfile& p : *profiles) {
    ++status.profiles;
    SecretCounts counts;
    CountProfileSecrets(p.document, counts);
    if (counts.plain > 0 || !counts.sealed_by_key.empty()) ++status.profiles_with_secrets;
    status.plain += counts.plain;
    for (const auto& [id, n] : counts.sealed_by_key) status.sealed_by_key[id] += n;
  }
  return status;
}

}  // namespace telsync
