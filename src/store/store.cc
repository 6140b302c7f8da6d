#include "store/store.h"

#include <string_view>

#include "store/sqlite/sqlite_store.h"

namespace telsync {

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
  }
  return "queued";
}

std::optional<JobState> ParseJobState(std::string_view name) {
  for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kDone, JobState::kFailed}) {
    if (JobStateName(s) == name) return s;
  }
  return std::nullopt;
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& spec) {
  std::string_view path = spec;
  if (path.starts_with("postgres://") || path.starts_with("postgresql://")) {
    return Error::Invalid("the PostgreSQL store is not available in this build", "store");
  }
  // "sqlite:PATH" is accepted as an explicit spelling of a SQLite path.
  if (path.starts_with("sqlite:")) path.remove_prefix(7);
  if (path.empty()) return Error::Invalid("store path is empty", "store");
  return OpenSqliteStore(std::string(path));
}

}  // namespace telsync
