// ScimTenants: the SCIM endpoint of each tenant, following the profile catalog.
//
// A tenant's SCIM profile is its config file's profile with source.type scim, else its first
// stored one by name. A SCIM profile created over the REST API (on this node or another: the
// schedule loop refreshes the catalog) gets its service at the tenant's first request, a
// replaced one a new service, a deleted one none.
//
// Each service has a MirrorApplier (applier.h) on its own Store connection: it plans and
// applies the ids the store holds as pending for the profile, and clears them once applied,
// so a write answered 201 reaches the PBX directory even when the process dies before
// applying it. An applier keeps its profile alive: a profile replaced over the API retires
// the applier, whose last batch still runs with the profile it was made for.
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "schedule/catalog.h"
#include "server/scim/applier.h"
#include "server/scim/service.h"
#include "store/store.h"

namespace telsync::scim {

struct ScimTenantsOptions {
  std::string store_spec;          // the appliers open their own connections
  std::function<int64_t()> clock;  // unix seconds
  std::function<void(const std::string&)> log;
  MirrorApplierOptions applier;
};

class ScimTenants {
 public:
  // `store` (thread-safe, store/store.h) serves the SCIM requests; `catalog` outlives this.
  ScimTenants(Store& store, const ProfileCatalog& catalog, ScimTenantsOptions options);
  ~ScimTenants() { StopAll(); }
  ScimTenants(const ScimTenants&) = delete;
  ScimTenants& operator=(const ScimTenants&) = delete;

  // The tenant's SCIM profile, or nullptr.
  std::shared_ptr<const Profile> ProfileOf(const std::string& tenant) const;
  // The tenant's service (made or replaced as the catalog says), or nullptr: no SCIM profile.
  std::shared_ptr<ScimService> Get(const std::string& tenant);
  // Whether the tenant has a service now.
  bool Has(std::string_view tenant) const;
  // Applies what was pushed, then stops every applier (shutdown).
  void StopAll();

 private:
  struct Entry {
    std::shared_ptr<const Profile> profile;
    std::shared_ptr<MirrorApplier> applier;
    std::shared_ptr<ScimService> service;
  };
  std::shared_ptr<MirrorApplier> MakeApplier(std::shared_ptr<const Profile> profile);
  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  Store& store_;
  const ProfileCatalog& catalog_;
  ScimTenantsOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace telsync::scim
