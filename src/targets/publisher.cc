#include "targets/publisher.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "targets/kamailio/kamailio_target.h"
#include "targets/scim/scim_target.h"
#include "targets/webhook/webhook_target.h"

namespace telsync {
namespace {

bool Retryable(const Error& error) {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kThrottled;
}

std::string Describe(const Error& error) {
  return error.context.empty() ? error.message : error.context + ": " + error.message;
}

Result<std::vector<PbxUser>> AllUsers(Store& store, const std::string& tenant) {
  std::vector<PbxUser> users;
  constexpr size_t kPage = 50000;  // few pages: each one skips the ones before
  for (size_t offset = 0;; offset += kPage) {
    Result<std::vector<PbxUser>> page = store.ListUsers(tenant, kPage, offset);
    if (!page.ok()) return page.error();
    const size_t got = page->size();
    if (users.empty()) {
      users = std::move(*page);  // the first page is taken as it is
    } else {
      std::move(page->begin(), page->end(), std::back_inserter(users));
    }
    if (got < kPage) break;
  }
  return users;
}

void RecordFailure(TargetCursor& cursor, const std::string& error, int64_t now) {
  ++cursor.attempts;
  if (cursor.failing_since == 0) cursor.failing_since = now;
  cursor.last_error = error;
  cursor.last_attempt_at = now;
  cursor.next_attempt_at = now + BackoffSeconds(cursor.attempts);
}

void RecordSuccess(TargetCursor& cursor, int64_t now) {
  cursor.attempts = 0;
  cursor.failing_since = 0;
  cursor.next_attempt_at = 0;
  cursor.last_error.clear();
  cursor.last_attempt_at = now;
  cursor.last_success_at = now;
}

}  // namespace

int64_t BackoffSeconds(int attempts) {
  int64_t seconds = 5;
  for (int i = 1; i < attempts && seconds < 3600; ++i) seconds *= 2;
  return std::min<int64_t>(seconds, 3600);
}

Result<std::unique_ptr<Target>> MakeTarget(const TargetConfig& config, const std::string& tenant,
                                           Store& store, const SecretKey& key) {
  if (config.type == "kamailio") return MakeKamailioTarget(config, tenant, store, key);
  if (config.type == "webhook") return MakeWebhookTarget(config, tenant);
  if (config.type == "scim") return MakeScimTarget(config, tenant, store);
  return Error::Invalid("target " + config.name + ": unknown type \"" + config.type + "\"");
}

Result<PublishReport> PublishTarget(Store& store, Target& target, const std::string& tenant,
                                    const PublishOptions& options) {
  const TargetConfig& config = target.config();
  const int64_t now = options.now;
  PublishReport report;
  report.target = config.name;
  Result<std::optional<TargetCursor>> stored = store.GetTargetCursor(tenant, config.name);
  if (!stored.ok()) return stored.error();
  TargetCursor cursor;
  if (*stored) {
    cursor = **stored;
  } else {
    cursor.tenant = tenant;
    cursor.target = config.name;
  }
  auto finish = [&]() -> Result<PublishReport> {
    Result<int64_t> pending = store.CountOutbox(tenant, cursor.last_seq);
    if (!pending.ok()) return pending.error();
    report.pending = *pending;
    report.cursor = cursor;
    return std::move(report);  // not a copy: a first publish's report lists every object
  };

  // A target that never succeeded (new, or down since it was added) has not been
  // reconciled: the events before its cursor may be compacted away already.
  if (!*stored || cursor.last_success_at == 0 || options.full) {
    // Apply writes events only once the tenant has a cursor: open it before the users are
    // read, so a change is either in what the reconcile reads or in an event after it.
    if (!*stored && !options.dry_run) {
      if (Status s = store.OpenTargetCursor(tenant, config.name); !s.ok()) return s.error();
    }
    // The newest event before the users are read: every later change is delivered after.
    Result<int64_t> last = store.LastOutboxSeq(tenant);
    if (!last.ok()) return last.error();
    const std::optional<std::vector<Field>> fields = target.reconcile_fields();
    Result<std::vector<PbxUser>> users =
        fields ? store.ListUsersFields(tenant, *fields) : AllUsers(store, tenant);
    if (!users.ok()) return users.error();
    Result<ReconcileReport> reconciled = target.Reconcile(*users, options.dry_run, now);
    if (!reconciled.ok()) {
      report.error = Describe(reconciled.error());
      if (options.dry_run) return finish();
      RecordFailure(cursor, report.error, now);
      cursor.next_attempt_at = std::max(cursor.next_attempt_at, now + target.retry_after_seconds());
      if (Status s = store.PutTargetCursor(cursor); !s.ok()) return s.error();
      return finish();
    }
    report.reconciled = true;
    report.reconcile = std::move(*reconciled);
    if (options.dry_run) return finish();
    cursor.last_seq = std::max(cursor.last_seq, *last);
    RecordSuccess(cursor, now);
    if (Status s = store.PutTargetCursor(cursor); !s.ok()) return s.error();
  }
  if (options.dry_run) return finish();
  if (!options.ignore_backoff && cursor.next_attempt_at > now) {
    report.backing_off = true;
    report.error = cursor.last_error;
    return finish();
  }

  const size_t batch = std::max<size_t>(config.batch_size, 1);
  for (;;) {
    Result<std::vector<OutboxEvent>> events = store.ListOutbox(tenant, cursor.last_seq, batch);
    if (!events.ok()) return events.error();
    if (events->empty()) break;
    Result<std::vector<Status>> results = target.Publish(*events, now);
    std::string failure;
    size_t done = 0;  // events handled (delivered or dead), from the front
    if (!results.ok()) {
      failure = Describe(results.error());
    } else {
      for (; done < events->size(); ++done) {
        const OutboxEvent& event = (*events)[done];
        const Status& result = done < results->size()
                                   ? (*results)[done]
                                   : Status(Error::Internal("the target gave no result"));
        if (result.ok()) {
          ++cursor.delivered;
          ++report.delivered;
        } else if (Retryable(result.error())) {
          failure = Describe(result.error());
          break;
        } else {
          // Refused as it is: retrying the same state cannot help.
          DeadEvent dead{config.name, event, Describe(result.error()), now};
          if (Status s = store.AddDeadEvent(dead); !s.ok()) return s.error();
          ++cursor.dead;
          ++report.dead;
          cursor.last_error = dead.error;
        }
        cursor.last_seq = event.seq;
      }
    }
    if (failure.empty()) {
      const std::string refused = report.dead > 0 ? cursor.last_error : "";
      RecordSuccess(cursor, now);
      cursor.last_error = refused;
      if (Status s = store.PutTargetCursor(cursor); !s.ok()) return s.error();
      if (options.on_batch) options.on_batch(report.delivered + report.dead);
      continue;
    }
    report.error = failure;
    RecordFailure(cursor, failure, now);
    cursor.next_attempt_at = std::max(cursor.next_attempt_at, now + target.retry_after_seconds());
    if (now - cursor.failing_since >= config.dead_after_seconds) {
      // Failing for longer than the bound: the waiting batch is given up on.
      for (size_t i = done; i < events->size(); ++i) {
        DeadEvent dead{
            config.name, (*events)[i],
            "undeliverable for " + std::to_string(now - cursor.failing_since) + " s: " + failure,
            now};
        if (Status s = store.AddDeadEvent(dead); !s.ok()) return s.error();
        ++cursor.dead;
        ++report.dead;
        cursor.last_seq = (*events)[i].seq;
      }
      cursor.attempts = 0;
      cursor.failing_since = 0;
      cursor.next_attempt_at = 0;
    }
    if (Status s = store.PutTargetCursor(cursor); !s.ok()) return s.error();
    break;
  }
  return finish();
}

Result<RetryReport> RetryDeadEvents(OutboxStore& store, Target& target, const std::string& tenant,
                                    int64_t now) {
  RetryReport report;
  const std::string& name = target.config().name;
  Result<std::vector<DeadEvent>> dead = store.ListDeadEvents(tenant, name);
  if (!dead.ok()) return dead.error();
  std::vector<OutboxEvent> current;
  for (const DeadEvent& d : *dead) {
    Result<bool> is_current = store.IsCurrentEvent(d.event);
    if (!is_current.ok()) return is_current.error();
    if (*is_current) {
      current.push_back(d.event);
      continue;
    }
    if (Status s = store.RemoveDeadEvent(tenant, name, d.event.seq); !s.ok()) return s.error();
    ++report.superseded;
  }
  if (current.empty()) return report;
  Result<std::vector<Status>> results = target.Publish(current, now);
  if (!results.ok()) {
    report.error = Describe(results.error());
    report.still_dead = static_cast<int64_t>(current.size());
    return report;
  }
  for (size_t i = 0; i < current.size(); ++i) {
    const bool ok = i < results->size() && (*results)[i].ok();
    if (!ok) {
      ++report.still_dead;
      DeadEvent again{name, current[i],
                      i < results->size() ? Describe((*results)[i].error()) : "no result", now};
      if (Status s = store.AddDeadEvent(again); !s.ok()) return s.error();
      continue;
    }
    if (Status s = store.RemoveDeadEvent(tenant, name, current[i].seq); !s.ok()) return s.error();
    ++report.delivered;
  }
  return report;
}

Result<int64_t> CompactDeliveredEvents(OutboxStore& store, const std::string& tenant,
                                       const std::vector<TargetConfig>& targets) {
  Result<int64_t> up_to = store.LastOutboxSeq(tenant);
  if (!up_to.ok()) return up_to.error();
  int64_t limit = *up_to;
  for (const TargetConfig& t : targets) {
    Result<std::optional<TargetCursor>> cursor = store.GetTargetCursor(tenant, t.name);
    if (!cursor.ok()) return cursor.error();
    // A target that never published starts with a full reconcile: it needs no event.
    if (*cursor) limit = std::min(limit, (*cursor)->last_seq);
  }
  if (limit <= 0) return int64_t{0};
  return store.CompactOutbox(tenant, limit);
}

}  // namespace telsync
