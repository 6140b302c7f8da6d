// One run of a profile from its configuration: the choice between the two engine entry
// points (engine.h) that the CLI, the REST preview and the job worker all make.
//
//   source.type scim ──► SyncMirror on the profile's mirror (DESIGN §1: Entra pushes to
//                        `telsync serve`, the mirror is the source of truth)
//   any other type   ──► MakeSource(source, base_dir) ──► ExecuteRun
//
// PreparedRun splits the two halves so a caller can check the source configuration before
// it opens its store (the CLI does) and tell a source that cannot be made (a bad profile)
// from a run that failed; RunProfile does both at once.
//
// Not thread-safe, like the engine: one run per Store at a time.
#pragma once

#include <memory>
#include <string>

#include "apply/engine.h"
#include "config/profile.h"
#include "sources/source.h"
#include "store/store.h"
#include "util/result.h"

namespace telsync {

class PreparedRun {
 public:
  // Makes what a run of `profile` reads. A scim profile needs nothing here (its mirror is
  // read from the store when it runs). Any other profile gets MakeSource(profile.source,
  // base_dir), base_dir being what relative source paths resolve against; its errors
  // (Invalid, naming the source field: "a file source needs source.path") are returned
  // as they are. Nothing is read or connected to yet.
  // `profile` is borrowed: it must outlive the PreparedRun.
  static Result<PreparedRun> Make(const Profile& profile, const std::string& base_dir);

  // Runs the profile once on `store` with `options`: SyncMirror over the whole mirror for
  // a scim profile, else ExecuteRun on the source made above. Errors and outcome exactly
  // as those (engine.h). Each call is a new run; the source may be run again.
  Result<RunOutcome> Run(Store& store, const EngineOptions& options);

  // True for a scim profile: the run plans on the mirror, there is no source to read.
  bool OnMirror() const { return source_ == nullptr; }

 private:
  PreparedRun(const Profile& profile, std::unique_ptr<Source> source)
      : profile_(&profile), source_(std::move(source)) {}

  const Profile* profile_;
  std::unique_ptr<Source> source_;  // null for a scim profile
};

// PreparedRun::Make(profile, base_dir) then Run(store, options): an error is either the
// source's (Invalid) or the run's, as above.
Result<RunOutcome> RunProfile(const Profile& profile, Store& store, const EngineOptions& options,
                              const std::string& base_dir);

}  // namespace telsync
