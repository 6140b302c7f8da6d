// The JSON a webhook target sends for one outbox event or one snapshot of a user
// (docs/targets.md "Webhook events"). Pure: no I/O, no clock.
//
//   {"type": "user.updated", "timestamp": "2026-12-07T10:00:00Z", "tenant": "acme",
//    "data": {"user_id": 12, "action": "update",
//             "user": {"username": ..., every non-empty PBX field, "profile", "source_key",
//                      "searchable", "state", "groups"},
//             "changes": [{"field": "mobile", "old": "...", "new": "..."}]}}
//
//   - type: user.created | user.updated | user.unsearchable | user.deleted |
//     department.changed | department.deleted (the outbox kinds with a dot), and
//     user.snapshot for a full reconcile. `changes` only on user.updated / unsearchable.
//     A department's data is {"department": {"name", "profile", "ring_group", "members"}}.
//   - timestamp: when the change was applied (RFC 3339, UTC); a snapshot's is `now`.
//   - The id (the webhook-id header) is "evt_<tenant>_<seq>" for an event: the same on every
//     retry, so a receiver drops a delivery it already has. A snapshot's is
//     "snap_<tenant>_<user id>_<digest of its data>": the same while the user is unchanged.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "model/pbx.h"
#include "store/outbox.h"

namespace telsync {

struct WebhookMessage {
  std::string id;    // the webhook-id header
  std::string type;  // "user.created"
  std::string body;  // the JSON above
  bool is_user = false;
  std::map<std::string, std::string> fields;  // the user's string fields (for target rules)
};

WebhookMessage WebhookFromEvent(const OutboxEvent& event);
WebhookMessage WebhookSnapshot(const PbxUser& user, const std::string& tenant, int64_t now);

}  // namespace telsync
