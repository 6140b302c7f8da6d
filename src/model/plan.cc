#include "model/plan.h"

namespace telsync {
namespace {

constexpr std::array<std::string_view, kActionCount> kNames = {
    "create", "update",    "delete", "pending_delete", "restore", "unsearchable",
    "unchanged", "skip", "conflict", "error",          "blocked",
};
constexpr std::array<std::string_view, kActionCount> kSummaryKeys = {
    "create", "update",  "delete",    "pending_delete", "restore", "unsearchable",
    "unchanged", "skipped", "conflicts", "errors",         "blocked",
};

}  // namespace

std::string_view ActionName(Action a) { return kNames[static_cast<size_t>(a)]; }
std::string_view SummaryKey(Action a) { return kSummaryKeys[static_cast<size_t>(a)]; }

std::optional<Action> ActionFromName(std::string_view name) {
  for (size_t i = 0; i < kActionCount; ++i) {
    if (kNames[i] == name) return static_cast<Action>(i);
  }
  return std::nullopt;
}

std::array<size_t, kActionCount> Plan::Summary() const {
  std::array<size_t, kActionCount> counts{};
  for (const auto& item : items) ++counts[static_cast<size_t>(item.action)];
  return counts;
}

bool Plan::IsNoop() const {
  for (const auto& item : items) {
    switch (item.action) {
      case Action::kCreate:
      case Action::kUpdate:
      case Action::kDelete:
      case Action::kPendingDelete:
      case Action::kRestore:
      case Action::kUnsearchable:
        return false;
      default:
        break;
    }
  }
  for (const auto& d : departments) {
    if (d.action != Action::kUnchanged) return false;
  }
  return true;
}

}  // namespace telsync
