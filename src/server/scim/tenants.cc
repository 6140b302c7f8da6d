#include "server/scim/tenants.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "apply/engine.h"

namespace telsync::scim {

ScimTenants::ScimTenants(Store& store, const ProfileCatalog& catalog, ScimTenantsOptions options)
    : store_(store), catalog_(catalog), options_(std::move(options)) {}

std::shared_ptr<MirrorApplier> ScimTenants::MakeApplier(std::shared_ptr<const Profile> profile) {
  constexpr size_t kPage = 5000;  // ids per run
  auto store = std::make_shared<std::unique_ptr<Store>>();
  const std::string spec = options_.store_spec;
  const auto clock = options_.clock;
  const auto log = options_.log;
  auto say = [log](const std::string& line) {
    if (log) log(line);
  };
  // The preview of a push shows the tenant's targets (the config's: fixed while serving).
  const std::vector<TargetRoute> routes = catalog_.TargetRoutes(profile->tenant);
  return std::make_shared<MirrorApplier>(
      [store, spec, profile, clock, say, routes]() -> ApplyPass {
        const std::string who = "scim " + profile->tenant + "/" + profile->name;
        if (!*store) {
          auto opened = OpenStore(spec, StoreOpen::kMustExist);
          if (!opened.ok()) {
            say(who + ": store: " + opened.error().message + " (retrying)");
            return ApplyPass::kFailed;
          }
          *store = std::move(opened).value();
        }
        auto pending = (*store)->ListMirrorPending(profile->tenant, profile->name, kPage);
        if (!pending.ok()) {
          say(who + ": store: " + pending.error().message + " (retrying)");
          store->reset();  // a fresh connection next time
          return ApplyPass::kFailed;
        }
        if (pending->empty()) return ApplyPass::kDone;
        std::vector<std::string> ids;
        std::vector<int64_t> seqs;
        for (const MirrorPending& p : *pending) {
          ids.push_back(p.id);
          seqs.push_back(p.seq);
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        EngineOptions options;
        options.kind = RunKind::kSync;
        options.trigger = "scim";
        options.now = clock();
        options.clock = clock;
        options.threads = 1;
        options.targets = routes;
        auto outcome = SyncMirror(*profile, **store, ids, options);
        if (!outcome.ok()) {
          say(who + ": run failed: " + outcome.error().ToString() + " (retrying)");
          store->reset();
          return ApplyPass::kFailed;
        }
        if (Status s = (*store)->ClearMirrorPending(profile->tenant, profile->name, seqs);
            !s.ok()) {
          // Applied, not cleared: the next pass applies the same ids again (a no-op plan).
          say(who + ": store: " + s.error().message + " (retrying)");
          store->reset();
          return ApplyPass::kFailed;
        }
        say(who + ": run " + std::to_string(outcome->run.id) + " for " +
            std::to_string(ids.size()) + " touched object(s), exit " +
            std::to_string(outcome->exit_code));
        return pending->size() == kPage ? ApplyPass::kMore : ApplyPass::kDone;
      },
      options_.applier);
}

std::shared_ptr<const Profile> ScimTenants::ProfileOf(const std::string& tenant) const {
  std::shared_ptr<const Profile> first;
  for (const auto& p : catalog_.List(tenant)) {
    if (p->source.type() != "scim") continue;
    if (catalog_.FromConfig(tenant, p->name)) return p;
    if (!first) first = p;
  }
  return first;
}

std::shared_ptr<ScimService> ScimTenants::Get(const std::string& tenant) {
  std::shared_ptr<const Profile> profile = ProfileOf(tenant);
  std::shared_ptr<MirrorApplier> retired;
  std::shared_ptr<ScimService> service;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(tenant);
    if (it != entries_.end() && it->second.profile == profile) return it->second.service;
    if (it != entries_.end()) {
      retired = std::move(it->second.applier);
      entries_.erase(it);
    }
    if (profile) {
      Entry entry;
      entry.profile = profile;
      entry.applier = MakeApplier(profile);
      ScimServiceOptions options;
      options.tenant = tenant;
      options.profile = profile->name;
      options.clock = options_.clock;
      std::weak_ptr<MirrorApplier> applier = entry.applier;
      options.on_touched = [applier](const std::vector<std::string>& ids) {
        if (auto a = applier.lock()) a->Touch(ids);
      };
      entry.service = std::make_shared<ScimService>(store_, options);
      service = entry.service;
      entries_[tenant] = std::move(entry);
      Log("serve: SCIM endpoint /scim/v2/" + tenant + " serves profile " + profile->name);
    }
  }
  if (retired) retired->Stop();  // applies what the old profile's endpoint took
  return service;
}

bool ScimTenants::Has(std::string_view tenant) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.count(std::string(tenant)) != 0;
}

void ScimTenants::StopAll() {
  std::map<std::string, Entry> entries;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    entries.swap(entries_);
  }
  for (auto& [tenant, entry] : entries) entry.applier->Stop();
}

}  // namespace telsync::scim
