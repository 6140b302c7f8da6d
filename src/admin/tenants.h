// Tenant list, create, rename and delete (issue 16 item 1): the rules the CLI
// (`telsync tenant`) and the REST API (/api/v1/tenants) share, as functions returning
// Result<T>. The adapters parse, call and render; they add only what belongs to them (REST:
// the operator-token check, the profile catalog and the token cache).
//
// Errors name the field at fault in Error::field:
//   "name"    the new tenant's name is not a valid name, or is a config tenant's (kInvalid,
//             kConflict), or the store refused it (its code, e.g. kConflict: it exists);
//   "tenant"  the tenant to delete is a config tenant's (kConflict) or the store failed;
//   "confirm" the confirmation does not repeat the tenant's name (kInvalid).
// A token minting error after the tenant was stored keeps its own field (see tokens.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "admin/tokens.h"
#include "config/loader.h"
#include "schedule/catalog.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync::admin {

// Where a tenant's name is already known, as far as the caller can tell: the config file's
// tenants are read-only here (changed in the file, never by these functions).
enum class TenantOrigin {
  kUnknown,  // not a config tenant; the store decides whether it exists
  kConfig,   // a tenant of the config file
  kStore,    // a tenant kept in the store (created over the API or with the CLI)
};

// Ok, or kInvalid (field "name") with the reason: a tenant name starts with a lower-case
// letter or digit, holds only a-z, 0-9, '_' and '-', and has at most 64 characters.
Status CheckTenantName(const std::string& name);

struct CreateTenantOptions {
  // Also mint an admin token for the new tenant, labelled "created with the tenant", and
  // return it. The REST API passes true (its answer carries the token once); the CLI
  // passes false and tells the operator to run `telsync admin token create`.
  bool with_admin_token = false;
};

struct CreatedTenant {
  TenantRecord record;                     // as stored
  std::optional<MintedToken> admin_token;  // set with with_admin_token
};

// Creates tenant `name` in the store, created_at = updated_at = now. `origin` is what the
// caller knows of the name: kConfig and kStore are refused with kConflict before the store
// is touched. The caller holds the store's lock, if it has one.
Result<CreatedTenant> CreateTenant(Store& store, const std::string& name,
                                   const std::string& display_name, TenantOrigin origin,
                                   const CreateTenantOptions& options, int64_t now);

// Deletes a stored tenant and everything it owns (users, departments, runs, mirror
// entries, tokens, profiles, jobs, notifications) in one transaction, and says what went.
// Refused: a config tenant (`origin` kConfig, kConflict), a `confirm` that does not repeat
// the name (kInvalid; `confirm_how` says how to, in the caller's syntax: "?confirm=acme",
// "--confirm acme"), and whatever the store refuses (kConflict while a job of the tenant
// runs, kNotFound when there is no such tenant).
Result<TenantDeletion> DeleteTenant(Store& store, const std::string& name, TenantOrigin origin,
                                    const std::string& confirm, const std::string& confirm_how,
                                    int64_t now);

// Changes a stored tenant's display name; updated_at = now. Refused: a config tenant
// (`origin` kConfig: kConflict, field "tenant"), a tenant the store does not have (kNotFound,
// field "tenant", "no tenant NAME in the store"); the store's error as it is. Returns the
// record as stored. The caller holds the store's lock, if it has one.
Result<TenantRecord> RenameTenant(Store& store, const std::string& name,
                                  const std::string& display_name, TenantOrigin origin,
                                  int64_t now);

// Every tenant as `telsync tenant list` shows them: the config file's first (in file order,
// origin "config", no display name or times), then the store's that the config does not
// have (origin "store"). The store's error when it cannot list them.
Result<std::vector<TenantInfo>> ListTenants(Store& store, const Config& config);

// The tenants the catalog knows that a caller of `tenant` may see: every one for "" (an
// operator), else that tenant's own. A tenant known only by its admin token (created before
// tenants were stored) is shown as {tenant, "", "token"}. Never empty for a tenant.
std::vector<TenantInfo> VisibleTenants(const ProfileCatalog& catalog, const std::string& tenant);

}  // namespace telsync::admin
