#include "apply/run_profile.h"

#include <utility>

namespace telsync {

Result<PreparedRun> PreparedRun::Make(const Profile& profile, const std::string& base_dir) {
  if (profile.source.type() == "scim") return PreparedRun(profile, nullptr);
  auto source = MakeSource(profile.source, base_dir);
  if (!source.ok()) return source.error();
  return PreparedRun(profile, std::move(*source));
}

Result<RunOutcome> PreparedRun::Run(Store& store, const EngineOptions& options) {
  if (source_ == nullptr) return SyncMirror(*profile_, store, {}, options);
  return ExecuteRun(*profile_, *source_, store, options);
}

Result<RunOutcome> RunProfile(const Profile& profile, Store& store, const EngineOptions& options,
                              const std::string& base_dir) {
  auto prepared = PreparedRun::Make(profile, base_dir);
  if (!prepared.ok()) return prepared.error();
  return prepared->Run(store, options);
}

}  // namespace telsync
