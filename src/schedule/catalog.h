// ProfileCatalog: the profiles a running service knows, from two places.
//
//   - The config file's profiles: fixed for the life of the process, read-only over the
//     REST API (an admin edits the file).
//   - Stored profiles (Store::*StoredProfile), created and changed over the REST API and
//     shared by every `serve` process on one store. Refresh() rereads them; a document
//     that no longer loads (e.g. after an upgrade tightened a check) is left out and its
//     problem kept in Problems(), never fatal to the service. Their secrets are sealed in
//     the store (src/secrets) and opened here with the service's key: a document whose
//     secrets do not open (another node rotated the key) keeps the version loaded before,
//     with the problem kept too.
//
// Tenants likewise: the config file's, and those created over the REST API
// (Store::CreateTenant), reread by Refresh(). A tenant of both is the config's.
//
// A name is unique per tenant across both places: the config's profile wins, and the
// REST API refuses to create a stored profile with a config profile's name.
// Profiles are handed out as shared_ptr<const Profile>: a run keeps its profile alive
// while an update replaces it in the catalog. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/profile.h"
#include "secrets/secret_box.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync {

// A tenant as the REST API shows it.
struct TenantInfo {
  std::string name;
  std::string display_name;
  std::string origin;  // "config" | "api"
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

class ProfileCatalog {
 public:
  // `config` must outlive the catalog; `base_dir` resolves the config profiles' paths.
  ProfileCatalog(const Config& config, MappingChecker checker = {});

  // The key that opens the stored profiles' secrets; none = a sealed secret makes its
  // profile a problem. Set before the first Refresh.
  void SetSecretKey(std::shared_ptr<const SecretKey> key) { key_ = std::move(key); }
  const SecretKey* secret_key() const { return key_.get(); }
  std::shared_ptr<const SecretKey> shared_secret_key() const { return key_; }

  // Rereads the stored tenants and every tenant's stored profiles.
  Status Refresh(Store& store);
  // Loads one stored profile's document (what the REST API validates before storing).
  Result<Profile> Load(const std::string& tenant, const std::string& document) const;
  // Replaces or removes (nullptr) one stored profile without a full Refresh.
  void Set(const std::string& tenant, const std::string& name,
           std::shared_ptr<const Profile> profile);

  std::shared_ptr<const Profile> Find(const std::string& tenant, const std::string& name) const;
  // Config profiles first (in file order), then stored ones by name. "" = every tenant.
  std::vector<std::shared_ptr<const Profile>> List(const std::string& tenant) const;
  bool FromConfig(const std::string& tenant, const std::string& name) const;
  // A tenant of the config, a stored tenant, or one with stored profiles.
  bool HasTenant(const std::string& tenant) const;
  // Config tenants first (in file order), then stored ones by name.
  std::vector<TenantInfo> Tenants() const;
  std::optional<TenantInfo> FindTenant(const std::string& name) const;
  // Adds or replaces a stored tenant without a full Refresh.
  void SetTenant(const TenantRecord& tenant);
  // Forgets a stored tenant and its stored profiles (after Store::DeleteTenant).
  void RemoveTenant(const std::string& name);
  // "tenant/profile: reason" for stored profiles left out by the last Refresh.
  std::vector<std::string> Problems() const;

  const Config& config() const { return config_; }
  // The tenant's targets as a plan shows them (EngineOptions::targets); none for a tenant
  // the config does not declare (targets live only in the config).
  std::vector<TargetRoute> TargetRoutes(const std::string& tenant) const {
    const Tenant* t = config_.FindTenant(tenant);
    return t == nullptr ? std::vector<TargetRoute>{} : RoutesOf(t->targets);
  }

 private:
  const Config& config_;
  MappingChecker checker_;
  std::shared_ptr<const SecretKey> key_;
  mutable std::mutex mutex_;
  // tenant -> name -> profile
  std::map<std::string, std::map<std::string, std::shared_ptr<const Profile>>> stored_;
  std::map<std::string, TenantRecord> tenants_;  // stored tenants by name
  std::vector<std::string> problems_;
};

}  // namespace telsync
