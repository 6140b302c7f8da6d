#include "admin/tenants.h"

#include <utility>

#include "config/loader.h"

namespace telsync::admin {
namespace {

Error WithField(const Error& e, const char* field) { return e.WithField(field); }

}  // namespace

Status CheckTenantName(const std::string& name) {
  if (!IsValidName(name) || name.size() > 64) {
    return Error::Invalid(
               "must start with a lower-case letter or digit and contain only a-z, 0-9, '_' and "
               "'-' "
               "(at most 64)")
        .WithField("name");
  }
  return Ok();
}

Result<CreatedTenant> CreateTenant(Store& store, const std::string& name,
                                   const std::string& display_name, TenantOrigin origin,
                                   const CreateTenantOptions& options, int64_t now) {
  if (Status s = CheckTenantName(name); !s.ok()) return s.error();
  if (origin == TenantOrigin::kConfig)
    return Error::Conflict("tenant " + name + " is in the config file already").WithField("name");
  if (origin == TenantOrigin::kStore)
    return Error::Conflict("tenant " + name + " already exists").WithField("name");
  CreatedTenant created;
  created.record = TenantRecord{name, display_name, now, now};
  if (Status s = store.CreateTenant(created.record); !s.ok()) return WithField(s.error(), "name");
  if (options.with_admin_token) {
    Result<MintedToken> token = MintToken(store, name, "admin", "created with the tenant", now);
    if (!token.ok()) return token.error();
    created.admin_token = std::move(*token);
  }
  return created;
}

Result<TenantDeletion> DeleteTenant(Store& store, const std::string& name, TenantOrigin origin,
                                    const std::string& confirm, const std::string& confirm_how,
                                    int64_t now) {
  if (origin == TenantOrigin::kConfig)
    return Error::Conflict("tenant " + name + " is defined in the config file; remove it there")
        .WithField("tenant");
  if (confirm != name) {
    return Error::Invalid(
               "deleting a tenant removes its users, runs, profiles and tokens; confirm with " +
               confirm_how)
        .WithField("confirm");
  }
  Result<TenantDeletion> deleted = store.DeleteTenant(name, now);
  if (!deleted.ok()) return WithField(deleted.error(), "tenant");
  return deleted;
}

Result<TenantRecord> RenameTenant(Store& store, const std::string& name,
                                  const std::string& display_name, TenantOrigin origin,
                                  int64_t now) {
  if (origin == TenantOrigin::kConfig)
    return Error::Conflict("tenant " + name + " is defined in the config file; change it there")
        .WithField("tenant");
  Result<std::optional<TenantRecord>> found = store.GetTenant(name);
  if (!found.ok()) return found.error();
  if (!found->has_value())
    return Error::NotFound("no tenant " + name + " in the store").WithField("tenant");
  TenantRecord record = **found;
  record.display_name = display_name;
  record.updated_at = now;
  if (Status s = store.UpdateTenant(record); !s.ok()) return s.error();
  return record;
}

Result<std::vector<TenantInfo>> ListTenants(Store& store, const Config& config) {
  Result<std::vector<TenantRecord>> stored = store.ListTenants();
  if (!stored.ok()) return stored.error();
  std::vector<TenantInfo> tenants;
  for (const Tenant& t : config.tenants) tenants.push_back({t.name, "", "config", 0, 0});
  for (const TenantRecord& t : *stored) {
    if (config.FindTenant(t.name) != nullptr) continue;
    tenants.push_back({t.name, t.display_name, "store", t.created_at, t.updated_at});
  }
  return tenants;
}

std::vector<TenantInfo> VisibleTenants(const ProfileCatalog& catalog, const std::string& tenant) {
  std::vector<TenantInfo> tenants;
  for (const TenantInfo& t : catalog.Tenants()) {
    if (tenant.empty() || t.name == tenant) tenants.push_back(t);
  }
  if (!tenant.empty() && tenants.empty()) tenants.push_back({tenant, "", "token", 0, 0});
  return tenants;
}

}  // namespace telsync::admin
