#include "schedule/catalog.h"

#include <utility>

#include "secrets/profile_secrets.h"

namespace telsync {

ProfileCatalog::ProfileCatalog(const Config& config, MappingChecker checker)
    : config_(config), checker_(std::move(checker)) {}

Result<Profile> ProfileCatalog::Load(const std::string& tenant, const std::string& document) const {
  return LoadProfileDocument(tenant, document, config_.BaseDir(), checker_);
}

Status ProfileCatalog::Refresh(Store& store) {
  Result<std::vector<TenantRecord>> tenants = store.ListTenants();
  if (!tenants.ok()) return tenants.error();
  Result<std::vector<StoredProfile>> stored = store.ListStoredProfiles("");
  if (!stored.ok()) return stored.error();
  std::map<std::string, std::map<std::string, std::shared_ptr<const Profile>>> next;
  std::vector<std::string> problems;
  for (const StoredProfile& s : *stored) {
    if (FromConfig(s.tenant, s.name)) {
      problems.push_back(s.tenant + "/" + s.name +
                         ": the config file defines a profile of that name; it is used");
      continue;
    }
    Result<std::string> opened = OpenProfileDocument(s.document, s.tenant, s.name, key_.get());
    if (!opened.ok()) {
      problems.push_back(s.tenant + "/" + s.name + ": " + opened.error().ToString());
      // Keep what was loaded before: a profile does not vanish from a running service
      // because another node re-sealed its secrets with a key this one does not have.
      if (auto kept = Find(s.tenant, s.name)) next[s.tenant][s.name] = std::move(kept);
      continue;
    }
    Result<Profile> profile = Load(s.tenant, *opened);
    if (!profile.ok()) {
      problems.push_back(s.tenant + "/" + s.name + ": " + profile.error().message);
      continue;
    }
    next[s.tenant][s.name] = std::make_shared<const Profile>(std::move(*profile));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  stored_ = std::move(next);
  problems_ = std::move(problems);
  tenants_.clear();
  for (TenantRecord& t : *tenants) tenants_[t.name] = std::move(t);
  return Ok();
}

void ProfileCatalog::Set(const std::string& tenant, const std::string& name,
                         std::shared_ptr<const Profile> profile) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (profile) {
    stored_[tenant][name] = std::move(profile);
  } else if (auto it = stored_.find(tenant); it != stored_.end()) {
    it->second.erase(name);
    if (it->second.empty()) stored_.erase(it);
  }
}

std::shared_ptr<const Profile> ProfileCatalog::Find(const std::string& tenant,
                                                    const std::string& name) const {
  // Config profiles live as long as the config: an aliasing pointer owns nothing.
  if (const Profile* p = config_.FindProfile(tenant + "/" + name))
    return std::shared_ptr<const Profile>(std::shared_ptr<void>(), p);
  std::lock_guard<std::mutex> lock(mutex_);
  auto t = stored_.find(tenant);
  if (t == stored_.end()) return nullptr;
  auto p = t->second.find(name);
  return p == t->second.end() ? nullptr : p->second;
}

std::vector<std::shared_ptr<const Profile>> ProfileCatalog::List(const std::string& tenant) const {
  std::vector<std::shared_ptr<const Profile>> out;
  for (const Tenant& t : config_.tenants) {
    if (!tenant.empty() && t.name != tenant) continue;
    for (const Profile& p : t.profiles) {
      out.push_back(std::shared_ptr<const Profile>(std::shared_ptr<void>(), &p));
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [name, profiles] : stored_) {
    if (!tenant.empty() && name != tenant) continue;
    for (const auto& [profile_name, profile] : profiles) out.push_back(profile);
  }
  return out;
}

bool ProfileCatalog::FromConfig(const std::string& tenant, const std::string& name) const {
  return config_.FindProfile(tenant + "/" + name) != nullptr;
}

bool ProfileCatalog::HasTenant(const std::string& tenant) const {
  if (config_.FindTenant(tenant) != nullptr) return true;
  std::lock_guard<std::mutex> lock(mutex_);
  return stored_.count(tenant) != 0 || tenants_.count(tenant) != 0;
}

std::vector<TenantInfo> ProfileCatalog::Tenants() const {
  std::vector<TenantInfo> out;
  for (const Tenant& t : config_.tenants) out.push_back({t.name, "", "config", 0, 0});
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [name, t] : tenants_) {
    if (config_.FindTenant(name) != nullptr) continue;
    out.push_back({t.name, t.display_name, "api", t.created_at, t.updated_at});
  }
  return out;
}

std::optional<TenantInfo> ProfileCatalog::FindTenant(const std::string& name) const {
  for (const TenantInfo& t : Tenants())
    if (t.name == name) return t;
  return std::nullopt;
}

void ProfileCatalog::SetTenant(const TenantRecord& tenant) {
  std::lock_guard<std::mutex> lock(mutex_);
  tenants_[tenant.name] = tenant;
}

void ProfileCatalog::RemoveTenant(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  tenants_.erase(name);
  stored_.erase(name);
}

std::vector<std::string> ProfileCatalog::Problems() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return problems_;
}

}  // namespace telsync
