// `telsync explain USER` (issue 18 §1, SPEC F26): why one user is planned the way it is.
//
// ExplainUsers runs the profile exactly as `preview` does (PreparedRun: the source, or the
// mirror of a scim profile), with EngineOptions::explain set: mapping, validation and the
// planner record their decisions about the named users while they make the plan, so the
// explanation's result is the preview's item for the user (model/explanation.h). No run is
// recorded and nothing is applied. It then adds, per target of the tenant, what the target
// would receive for the item (TargetSteps) and the user's last event it delivered.
//
// A user is named by username, e-mail, UPN or source id (case-insensitive), or
// "user:<id>" for a stored user. A user only in the store (pending delete, unlinked, of
// another profile) is explained from the store: what the source no longer says and when
// its grace period ends.
//
// Not thread-safe, like the engine: one run per Store at a time (it takes the profile's run
// lock like a preview).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/profile.h"
#include "model/explanation.h"
#include "model/target_route.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync {

struct ExplainOptions {
  int64_t now = 0;                   // unix seconds; never read from a clock here
  std::string base_dir = ".";        // relative source paths
  std::vector<TargetRoute> targets;  // the tenant's targets (as preview gets them)
  int lock_wait_seconds = 0;         // as EngineOptions::lock_wait_seconds
  unsigned threads = 0;              // map + validate workers; 0 = hardware threads
  // `--fresh`: a user that would come from the source mirror (or a delta's change) is read
  // from the source now, alone (Source::ReadOne: Graph GET /users/{id} and source.filter
  // asked for that id; LDAP a search by entryUUID / objectGUID scoped as a full read scopes
  // it). A source without a mirror (a file,
  // a Graph group scope) is read in full anyway; a SCIM profile has no source to ask.
  bool fresh = false;
};

// The explanations of `users`, in that order. Errors: Invalid when the profile's source
// or mapping is wrong; Unavailable when a run of the profile is in progress; NotFound
// ("no user anna in the source or the PBX directory of acme/main ...") when one of the
// names is neither in the source nor in the store; store errors as they are.
Result<std::vector<Explanation>> ExplainUsers(const Profile& profile, Store& store,
                                              const std::vector<std::string>& users,
                                              const ExplainOptions& options);

// One user: ExplainUsers({user}).
Result<Explanation> ExplainUser(const Profile& profile, Store& store, const std::string& user,
                                const ExplainOptions& options);

}  // namespace telsync
