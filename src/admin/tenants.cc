#include "admin/tenants.h"

#include <utility>

#include "config/loader.h"

namespace telsync::admin {
namespace {

Error WithContext(Error e, const char* context) {
  e.context = context;
  return e;
}

}  // namespace

Status CheckTenantName(const std::string& name) {
  if (!IsValidName(name) || name.size() > 64) {
    return Error::Invalid(
        "must start with a lower-case letter or digit and contain only a-z, 0-9, '_' and '-' "
        "(at most 64)",
        "name");
  }
  return Ok();
}

Result<CreatedTenant> CreateTenant(Store& store, const std::string& name,
                                   const std::string& display_name, TenantOrigin origin,
                                   const CreateTenantOptions& options, int64_t now) {
  if (Status s = CheckTenantName(name); !s.ok()) return s.error();
  if (origin == TenantOrigin::kConfig)
    return Error::Conflict("tenant " + name + " is in the config file already", "name");
  if (origin == TenantOrigin::kStore)
    return Error::Conflict("tenant " + name + " already exists", "name");
  CreatedTenant created;
  created.record = TenantRecord{name, display_name, now, now};
  if (Status s = store.CreateTenant(created.record); !s.ok()) return WithContext(s.error(), "name");
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
    return Error::Conflict("tenant " + name + " is defined in the config file; remove it there",
                           "tenant");
  if (confirm != name) {
    return Error::Invalid(
        "deleting a tenant removes its users, runs, profiles and tokens; confirm with " +
            confirm_how,
        "confirm");
  }
  Result<TenantDeletion> deleted = store.DeleteTenant(name, now);
  if (!deleted.ok()) return WithContext(deleted.error(), "tenant");
  return deleted;
}

}  // namespace telsync::admin
