// The signed webhook target (issue 17 §3): every outbox event becomes one JSON POST to the
// target's `url` (webhook_event.h), signed per Standard Webhooks (webhook_signature.h) with
// the headers webhook-id (stable across retries), webhook-timestamp and webhook-signature.
//
//   - Delivery: one request per event, in the outbox's order; the batch stops at the first
//     event that must be retried, so a user's events arrive in order. 2xx is delivered;
//     429, 408, 5xx and a connection failure are retried by the publisher with back-off, at
//     least as long as Retry-After asks; any other status refuses the event (dead, with the
//     status and an excerpt of the answer; `targets retry` re-sends it).
//   - A target rule (`rule`) sends only the events of the users it routes here; department
//     events always go.
//   - Reconcile: a webhook holds nothing telsync could compare, so a full reconcile (the
//     first publish of a new target, `targets publish --full`) sends the current state of
//     every routed user as one user.snapshot event; the dry run lists them.
//   - The secret is resolved from the config (${env:..} / ${file:..}), held in memory only,
//     and never appears in a message, a log or a report.
// Not thread-safe.
#pragma once

#include <memory>
#include <string>

#include "targets/target.h"
#include "util/result.h"

namespace telsync {

// kInvalid (naming the target, never the secret) when the secret is not a Standard
// Webhooks secret.
Result<std::unique_ptr<Target>> MakeWebhookTarget(const TargetConfig& config,
                                                  const std::string& tenant);

}  // namespace telsync
