#include "model/plan.h"

namespace telsync {
namespace {

constexpr std::array<std::string_view, kActionCount> kNames = {
    "create", "update",    "delete", "pending_delete", "restore", "unsearchable",
    "relink", "unchanged", "skip",   "conflict",       "error",   "blocked",
};
constexpr std::array<std::string_view, kActionCount> kSummaryKeys = {
    "create", "update",    "delete",  "pending_delete", "restore", "unsearchable",
    "relink", "unchanged", "skipped", "conflicts",      "errors",  "blocked",
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

std::vector<FieldChange> EffectiveChanges(const PlanItem& item) {
  if (item.action != Action::kCreate || !item.changes.empty()) return item.changes;
  std::vector<FieldChange> out;
  const PbxUser& t = *item.target;
  for (size_t i = 0; i < kFieldCount; ++i) {
    const std::string_view v = t.fields.Get(static_cast<Field>(i));
    if (!v.empty())
      out.push_back({std::string(FieldName(static_cast<Field>(i))), "", std::string(v)});
  }
  if (!t.searchable) out.push_back({"searchable", "", "false"});
  if (!t.groups.empty()) {
    std::string groups;
    for (const auto& g : t.groups) groups += (groups.empty() ? "" : ",") + g;
    out.push_back({"groups", "", groups});
  }
  for (const auto& [name, value] : t.custom) out.push_back({"custom." + name, "", value});
  return out;
}

std::array<size_t, kActionCount> Plan::Summary() const {
  std::array<size_t, kActionCount> counts{};
  for (const auto& item : items) ++counts[static_cast<size_t>(item.action)];
  return counts;
}

bool IsWrite(Action a) {
  switch (a) {
    case Action::kCreate:
    case Action::kUpdate:
    case Action::kDelete:
    case Action::kPendingDelete:
    case Action::kRestore:
    case Action::kUnsearchable:
    case Action::kRelink:
      return true;
    default:
      return false;
  }
}

bool Plan::IsNoop() const {
  if (pause_run != 0) return false;
  for (const auto& item : items) {
    if (IsWrite(item.action)) return false;
  }
  for (const auto& d : departments) {
    if (d.action != Action::kUnchanged) return false;
  }
  return true;
}

}  // namespace telsync
