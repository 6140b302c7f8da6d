#include "admin/targets.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "admin/users.h"
#include "targets/sip_credentials.h"
#include "targets/tenant_publish.h"

namespace telsync::admin {
namespace {

using Json = nlohmann::ordered_json;

Result<const TargetConfig*> Find(const std::vector<TargetConfig>& targets,
                                 const std::string& tenant, const std::string& name) {
  for (const TargetConfig& t : targets) {
    if (t.name == name) return &t;
  }
  return Error::NotFound("no target " + name.substr(0, 100) + " in tenant " + tenant)
      .WithField("target");
}

// The target's lock (one publisher over every process) and the target, made.
struct Held {
  std::unique_ptr<RunLock> lock;
  std::unique_ptr<Target> target;
};
Result<Held> Take(Store& store, const std::string& tenant, const TargetConfig& config,
                  const SecretKey& key, int64_t now) {
  Result<std::unique_ptr<RunLock>> lock =
      store.LockProfileRuns(tenant, TargetLockName(config.name), false, now);
  if (!lock.ok()) {
    if (lock.error().code != ErrorCode::kConflict) return lock.error();
    return Error::Conflict("target " + config.name + " is being published now (" +
                           lock.error().message + "); try again when it is done")
        .WithField("target");
  }
  Result<std::unique_ptr<Target>> target = MakeTarget(config, tenant, store, key);
  if (!target.ok()) return target.error();
  return Held{std::move(*lock), std::move(*target)};
}

}  // namespace

Result<std::vector<TargetStatus>> TargetStatuses(Store& store, const std::string& tenant,
                                                 const std::vector<TargetConfig>& targets) {
  Result<int64_t> newest = store.LastOutboxSeq(tenant);
  if (!newest.ok()) return newest.error();
  std::vector<TargetStatus> out;
  for (const TargetConfig& t : targets) {
    TargetStatus s;
    s.name = t.name;
    s.type = t.type;
    s.newest = *newest;
    Result<std::optional<TargetCursor>> cursor = store.GetTargetCursor(tenant, t.name);
    if (!cursor.ok()) return cursor.error();
    // Published once it reconciled: a first attempt that failed leaves a cursor (opened
    // before the reconcile read the users) but the next publish still reconciles.
    s.published = cursor->has_value() && (*cursor)->last_success_at > 0;
    s.cursor = cursor->value_or(TargetCursor{});
    Result<int64_t> lag = store.CountOutbox(tenant, s.cursor.last_seq);
    if (!lag.ok()) return lag.error();
    s.lag = *lag;
    Result<std::vector<DeadEvent>> dead = store.ListDeadEvents(tenant, t.name);
    if (!dead.ok()) return dead.error();
    s.dead = std::move(*dead);
    out.push_back(std::move(s));
  }
  return out;
}

Json TargetStatusJson(const TargetStatus& s) {
  return Json{{"name", s.name},
              {"type", s.type},
              {"published", s.published},
              {"cursor", s.cursor.last_seq},
              {"newest", s.newest},
              {"lag", s.lag},
              {"delivered", s.cursor.delivered},
              {"last_success_at", s.cursor.last_success_at},
              {"last_error", s.cursor.last_error},
              {"attempts", s.cursor.attempts},
              {"failing_since", s.cursor.failing_since},
              {"backoff_until", s.cursor.next_attempt_at},
              {"dead", s.dead.size()}};
}

Result<DeadEventPage> ListDeadEvents(Store& store, const std::string& tenant,
                                     const std::vector<TargetConfig>& targets,
                                     const std::string& name, size_t limit, size_t offset) {
  Result<const TargetConfig*> config = Find(targets, tenant, name);
  if (!config.ok()) return config.error();
  Result<std::vector<DeadEvent>> dead = store.ListDeadEvents(tenant, name);
  if (!dead.ok()) return dead.error();
  DeadEventPage page;
  page.total = dead->size();
  for (size_t i = offset; i < dead->size() && page.events.size() < limit; ++i) {
    page.events.push_back(std::move((*dead)[i]));
  }
  return page;
}

Json DeadEventJson(const DeadEvent& d) {
  return Json{{"seq", d.event.seq},
              {"kind", d.event.kind},
              {"object", d.event.object_key},
              {"error", d.error},
              {"dead_at", d.dead_at}};
}

Result<PublishReport> PublishNow(Store& store, const std::string& tenant,
                                 const std::vector<TargetConfig>& targets, const std::string& name,
                                 const SecretKey& key, const PublishNowOptions& options) {
  if (options.dry_run && !options.full)
    return Error::Invalid("dry_run needs full").WithField("dry_run");
  Result<const TargetConfig*> config = Find(targets, tenant, name);
  if (!config.ok()) return config.error();
  Result<Held> held = Take(store, tenant, **config, key, options.now);
  if (!held.ok()) return held.error();
  PublishOptions publish;
  publish.now = options.now;
  publish.full = options.full;
  publish.dry_run = options.dry_run;
  publish.ignore_backoff = true;
  Result<PublishReport> report = PublishTarget(store, *held->target, tenant, publish);
  if (!report.ok()) return report.error();
  if (!options.dry_run) {
    if (Result<int64_t> c = CompactDeliveredEvents(store, tenant, targets); !c.ok())
      return c.error();
  }
  return report;
}

Json PublishReportJson(const PublishReport& r, bool dry_run) {
  Json steps = Json::array();
  for (const ReconcileStep& s : r.reconcile.steps) {
    steps.push_back(
        Json{{"action", s.action}, {"type", s.type}, {"key", s.key}, {"detail", s.detail}});
  }
  Json j{{"target", r.target}, {"dry_run", dry_run}, {"reconciled", r.reconciled}};
  if (r.reconciled) j["reconcile"] = Json{{"applied", r.reconcile.applied}, {"steps", steps}};
  j["delivered"] = r.delivered;
  j["dead"] = r.dead;
  j["pending"] = r.pending;
  j["backing_off"] = r.backing_off;
  j["backoff_until"] = r.cursor.next_attempt_at;
  j["error"] = r.error;
  j["cursor"] = r.cursor.last_seq;
  return j;
}

Result<RetryReport> RetryTarget(Store& store, const std::string& tenant,
                                const std::vector<TargetConfig>& targets, const std::string& name,
                                const SecretKey& key, int64_t now) {
  Result<const TargetConfig*> config = Find(targets, tenant, name);
  if (!config.ok()) return config.error();
  Result<Held> held = Take(store, tenant, **config, key, now);
  if (!held.ok()) return held.error();
  return RetryDeadEvents(store, *held->target, tenant, now);
}

Result<SipReset> ResetSipCredentials(Store& store, const std::string& tenant,
                                     const std::vector<TargetConfig>& targets,
                                     const std::string& name, const SecretKey& key, int64_t now) {
  Result<PbxUser> user = GetUser(store, tenant, name);
  if (!user.ok()) return user.error();
  Result<std::string> password = ResetSipPassword(store, key, tenant, user->id, now);
  if (!password.ok()) return password.error();
  SipReset reset;
  reset.username = std::string(user->fields.Get(Field::kUsername));
  reset.password = std::move(*password);
  // The targets hold digests of the old password until they are told.
  PublishNowOptions options;
  options.now = now;
  options.full = true;
  for (const TargetConfig& config : targets) {
    reset.domains.emplace_back(config.name, config.domain);
    Result<PublishReport> report = PublishNow(store, tenant, targets, config.name, key, options);
    if (!report.ok()) {
      reset.not_updated.emplace_back(config.name, report.error().ToString());
    } else if (!report->error.empty()) {
      reset.not_updated.emplace_back(config.name, report->error);
    }
  }
  return reset;
}

}  // namespace telsync::admin
