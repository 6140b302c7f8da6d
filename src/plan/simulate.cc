#include "plan/simulate.h"

#include <algorithm>
#include <unordered_map>

namespace telsync {

void SimulatedStore::Apply(const Plan& plan) {
  std::unordered_map<int64_t, size_t> by_id;
  for (size_t i = 0; i < snapshot.users.size(); ++i) {
    by_id.emplace(snapshot.users[i].id, i);
    next_id = std::max(next_id, snapshot.users[i].id + 1);
  }
  std::vector<uint8_t> removed(snapshot.users.size(), 0);
  for (const PlanItem& item : plan.items) {
    switch (item.action) {
      case Action::kCreate: {
        PbxUser user = *item.target;
        // A create that restores a deleted user keeps its id (`runs revert`, issue 18).
        user.id = item.user_id != 0 ? item.user_id : next_id++;
        snapshot.users.push_back(std::move(user));
        break;
      }
      case Action::kUpdate:
      case Action::kRelink:
      case Action::kRestore:
      case Action::kUnsearchable:
      case Action::kPendingDelete: {
        const auto it = by_id.find(item.user_id);
        if (it == by_id.end()) break;
        PbxUser& user = snapshot.users[it->second];
        user = *item.target;
        user.id = item.user_id;
        break;
      }
      case Action::kDelete: {
        const auto it = by_id.find(item.user_id);
        if (it != by_id.end()) removed[it->second] = 1;
        break;
      }
      default:
        break;
    }
  }
  std::vector<PbxUser> kept;
  kept.reserve(snapshot.users.size());
  for (size_t i = 0; i < snapshot.users.size(); ++i) {
    if (i < removed.size() && removed[i]) continue;
    kept.push_back(std::move(snapshot.users[i]));
  }
  snapshot.users = std::move(kept);

  for (const DepartmentChange& change : plan.departments) {
    auto it = std::find_if(snapshot.departments.begin(), snapshot.departments.end(),
                           [&](const Department& d) { return d.name == change.target.name; });
    switch (change.action) {
      case Action::kCreate: {
        Department d = change.target;
        d.id = next_id++;
        snapshot.departments.push_back(std::move(d));
        break;
      }
      case Action::kUpdate:
        if (it != snapshot.departments.end()) {
          const int64_t id = it->id;
          *it = change.target;
          it->id = id;
        }
        break;
      case Action::kDelete:
        if (it != snapshot.departments.end()) snapshot.departments.erase(it);
        break;
      default:
        break;
    }
  }
}

}  // namespace telsync
