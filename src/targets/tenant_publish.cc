#include "targets/tenant_publish.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <utility>

namespace telsync {
namespace {

// Whether the periodic pass has anything to do for the target now.
Result<bool> Due(Store& store, const std::string& tenant, const TargetConfig& config, int64_t now) {
  Result<std::optional<TargetCursor>> cursor = store.GetTargetCursor(tenant, config.name);
  if (!cursor.ok()) return cursor.error();
  if (!*cursor) return true;  // never published: the first publish reconciles
  const TargetCursor& c = **cursor;
  if (c.next_attempt_at > now) return false;  // backing off
  if (c.last_success_at == 0) return true;    // never reconciled yet, and its back-off ended
  Result<int64_t> pending = store.CountOutbox(tenant, c.last_seq);
  if (!pending.ok()) return pending.error();
  return *pending > 0;
}

// The events waiting for a target a publish now delivers: 0 for one that was never
// reconciled (its first publish reconciles the users) or is backing off (not tried).
Result<int64_t> WaitingEvents(Store& store, const std::string& tenant, const TargetConfig& config,
                              int64_t now) {
  Result<std::optional<TargetCursor>> cursor = store.GetTargetCursor(tenant, config.name);
  if (!cursor.ok()) return cursor.error();
  if (!*cursor || (*cursor)->last_success_at == 0 || (*cursor)->next_attempt_at > now) return 0;
  return store.CountOutbox(tenant, (*cursor)->last_seq);
}

TargetPublishOutcome PublishOne(Store& store, const std::string& tenant, const TargetConfig& config,
                                const SecretKey& key, const TenantPublishOptions& options,
                                const std::function<void(int64_t handled)>& on_batch) {
  TargetPublishOutcome outcome;
  outcome.target = config.name;
  if (options.only_due) {
    Result<bool> due = Due(store, tenant, config, options.now);
    if (!due.ok()) {
      outcome.error = due.error().ToString();
      return outcome;
    }
    if (!*due) {
      outcome.not_due = true;
      return outcome;
    }
  }
  Result<std::unique_ptr<RunLock>> lock =
      store.LockProfileRuns(tenant, TargetLockName(config.name), false, options.now);
  if (!lock.ok()) {
    if (lock.error().code == ErrorCode::kConflict) {
      outcome.busy = true;
      outcome.busy_note = lock.error().message;
    } else {
      outcome.error = lock.error().ToString();
    }
    return outcome;
  }
  Result<std::unique_ptr<Target>> target = MakeTarget(config, tenant, store, key);
  if (!target.ok()) {
    outcome.error = target.error().ToString();
    return outcome;
  }
  PublishOptions publish;
  publish.now = options.now;
  publish.on_batch = on_batch;
  Result<PublishReport> report = PublishTarget(store, **target, tenant, publish);
  if (!report.ok()) {
    outcome.error = report.error().ToString();
    return outcome;
  }
  outcome.report = std::move(*report);
  return outcome;
}

}  // namespace

std::string TargetLockName(const std::string& name) { return "target:" + name; }

TenantPublishReport PublishTenantTargets(Store& store, const std::string& tenant,
                                         const std::vector<TargetConfig>& targets,
                                         const SecretKey& key,
                                         const TenantPublishOptions& options) {
  TenantPublishReport report;
  bool published = false;
  int64_t delivered = 0;
  // Events: the total waiting, and those handled by the targets done and the current one.
  int64_t events_total = 0;
  int64_t events_before = 0;
  std::function<void(int64_t)> on_batch;
  if (options.on_events) {
    for (const TargetConfig& config : targets) {
      // Unknown (the store failed): the target adds nothing; its publish reports the error.
      Result<int64_t> waiting = WaitingEvents(store, tenant, config, options.now);
      if (waiting.ok()) events_total += *waiting;
    }
    options.on_events(0, events_total);
    on_batch = [&](int64_t handled) {
      const int64_t done = events_before + handled;
      events_total = std::max(events_total, done);
      options.on_events(done, events_total);
    };
  }
  for (const TargetConfig& config : targets) {
    report.targets.push_back(PublishOne(store, tenant, config, key, options, on_batch));
    if (const auto& r = report.targets.back().report) events_before += r->delivered + r->dead;
    published = published || report.targets.back().report.has_value();
    if (options.on_progress) {
      if (report.targets.back().report) delivered += report.targets.back().report->delivered;
      options.on_progress(report.targets.size(), targets.size(), delivered);
    }
  }
  if (options.on_events) options.on_events(events_before, std::max(events_total, events_before));
  // The periodic pass compacts only after it moved a cursor: an idle pass writes nothing.
  if (!options.only_due || published) {
    if (Result<int64_t> c = CompactDeliveredEvents(store, tenant, targets); !c.ok()) {
      report.compact_error = c.error().ToString();
    }
  }
  return report;
}

}  // namespace telsync
