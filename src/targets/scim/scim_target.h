// The SCIM 2.0 client target (issue 17 §2): pushes the PBX directory's users to any SCIM
// service (RFC 7644) at `url` with the bearer `token`, as scim_mapping.h maps them.
//
//   - Ownership: the target records, per user, the SCIM id of the resource telsync created
//     or adopted (TargetStateStore target objects, type "scim_user", key = the SCIM id). A
//     server user telsync did not create or adopt is never changed or deleted.
//   - Adopt before create: a user telsync does not own yet is looked up by externalId (a
//     resource telsync created before its ownership was recorded), then by userName; one
//     found is adopted when its externalId is empty or telsync's, and is a conflict (the
//     event is dead, the server user left alone) when another system's externalId is on it.
//     Otherwise it is created with POST.
//   - Change: GET of the owned resource, then a PATCH of only the attributes that differ
//     (nothing is written when none does). A resource deleted on the server by hand is
//     created again.
//   - Delete: DELETE, or PATCH active=false when `on_delete: deactivate`. A user that is
//     disabled in the directory (unsearchable, pending deletion) is active=false. A user the
//     target's rule no longer routes here is deleted there.
//   - Faults: 429, 408, 5xx and a connection failure are retried by the publisher, at least
//     as long as Retry-After asks; another 4xx makes the event dead with the server's
//     `detail` (RFC 7644 §3.12).
//   - Reconcile lists the server's users (paged with startIndex / count) and repairs the
//     owned ones: created again when gone, patched when they drifted, removed when their
//     user is gone; it adopts matches as above. Departments are not published.
// The token is held in memory only and never appears in a message. Not thread-safe.
#pragma once

#include <memory>
#include <string>

#include "store/target_state.h"
#include "targets/target.h"
#include "util/result.h"

namespace telsync {

// `store` is borrowed and must outlive the target. kInvalid when the mapping is wrong.
Result<std::unique_ptr<Target>> MakeScimTarget(const TargetConfig& config,
                                               const std::string& tenant, TargetStateStore& store);

}  // namespace telsync
