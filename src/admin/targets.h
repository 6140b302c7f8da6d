// A tenant's targets for the CLI (`telsync targets status|publish|retry`, `telsync users
// sip-credentials NAME --reset`) and the REST API (/api/v1/tenants/{t}/targets...,
// /users/{name}/sip-credentials), issue 17 "Visible": their status, dead events, a publish
// now, a retry of dead events and a SIP password reset. Functions returning Result<T>; the
// adapters render (TargetStatusJson, PublishReportJson, the CLI's text).
//
// `targets` is the tenant's config (Tenant::targets); a name not in it is kNotFound (field
// "target", "no target NAME in tenant T"). Publishing and retrying take the target's lock
// (targets/tenant_publish.h: one publisher per target over every process) without waiting:
// kConflict naming the holder while another publisher has it. A target that cannot be
// reached is not an error: the report says why (PublishReport::error, RetryReport::error).
// The store's errors are returned as they are. `key` is the store's secret key (SIP
// passwords are sealed with it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "secrets/secret_box.h"
#include "store/store.h"
#include "targets/publisher.h"
#include "targets/target_config.h"
#include "util/result.h"

namespace telsync::admin {

// Where one target stands (`targets status`).
struct TargetStatus {
  std::string name;
  std::string type;
  bool published = false;  // false: never reconciled (the next publish reconciles first)
  TargetCursor cursor;     // zero values when never published
  int64_t newest = 0;      // the tenant's newest outbox event
  int64_t lag = 0;         // events waiting after the cursor
  std::vector<DeadEvent> dead;
};

// Every configured target's status, in config order.
Result<std::vector<TargetStatus>> TargetStatuses(Store& store, const std::string& tenant,
                                                 const std::vector<TargetConfig>& targets);

// The REST view of a status: name, type, published, cursor, newest, lag, delivered,
// last_success_at (the last delivery), last_error, attempts, failing_since,
// backoff_until (cursor.next_attempt_at; 0 = none), dead (the count). Times: unix seconds.
nlohmann::ordered_json TargetStatusJson(const TargetStatus& status);

// A page of the target's dead events, oldest first, and how many there are.
struct DeadEventPage {
  std::vector<DeadEvent> events;
  size_t total = 0;
};
Result<DeadEventPage> ListDeadEvents(Store& store, const std::string& tenant,
                                     const std::vector<TargetConfig>& targets,
                                     const std::string& name, size_t limit, size_t offset);
nlohmann::ordered_json DeadEventJson(const DeadEvent& dead);

struct PublishNowOptions {
  int64_t now = 0;
  bool full = false;     // reconcile with the PBX directory first
  bool dry_run = false;  // with full: only the plan. kInvalid (field "dry_run") without full
};
// Publishes target `name` now, ignoring its back-off (`targets publish`), then compacts the
// outbox (not for a dry run).
Result<PublishReport> PublishNow(Store& store, const std::string& tenant,
                                 const std::vector<TargetConfig>& targets, const std::string& name,
                                 const SecretKey& key, const PublishNowOptions& options);
// target, reconciled, reconcile {applied, steps: [{action, type, key, detail}]}, delivered,
// dead, pending, backing_off, backoff_until, error, cursor.
nlohmann::ordered_json PublishReportJson(const PublishReport& report, bool dry_run);

// Re-sends target `name`'s dead events that are still current (targets/publisher.h).
Result<RetryReport> RetryTarget(Store& store, const std::string& tenant,
                                const std::vector<TargetConfig>& targets, const std::string& name,
                                const SecretKey& key, int64_t now);

// A new SIP password for user `name` (username or e-mail; kNotFound, field "name"), sealed
// in the store; then every target is published with a full reconcile, so that it holds the
// new digests. A target that could not be updated is listed in `not_updated` ("sip: why"):
// the password is made all the same, and the next publish carries it.
struct SipReset {
  std::string username;
  std::string password;  // shown once, never stored in plain text
  std::vector<std::pair<std::string, std::string>> domains;      // (target, domain)
  std::vector<std::pair<std::string, std::string>> not_updated;  // (target, why)
};
Result<SipReset> ResetSipCredentials(Store& store, const std::string& tenant,
                                     const std::vector<TargetConfig>& targets,
                                     const std::string& name, const SecretKey& key, int64_t now);

}  // namespace telsync::admin
