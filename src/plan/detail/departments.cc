#include "plan/detail/departments.h"

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <unordered_set>

namespace telsync::plan_detail {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

}  // namespace

std::vector<DepartmentChange> PlanDepartments(const std::vector<PlanItem>& items,
                                              const std::vector<int64_t>& item_stored,
                                              const StoreSnapshot& stored, const Profile& profile,
                                              bool complete, bool scoped) {
  std::vector<DepartmentChange> out;
  // Members of each department, from the users that will exist after this plan.
  std::map<std::string_view, std::vector<std::string>> wanted;
  // A stored user may appear in two items when the source repeats an id; the item that
  // changes it says what it becomes.
  std::vector<uint8_t> changed(stored.users.size(), 0);
  for (size_t k = 0; k < items.size(); ++k) {
    if (IsWrite(items[k].action) && item_stored[k] >= 0) changed[item_stored[k]] = 1;
  }
  if (scoped) {
    // The stored members stay, but for the users the items are about: the items below
    // say what those become.
    std::map<std::string_view, std::unordered_set<std::string_view>> leaving;
    for (size_t k = 0; k < items.size(); ++k) {
      if (item_stored[k] < 0) continue;
      const PbxUser& was = stored.users[static_cast<size_t>(item_stored[k])];
      const std::string_view dept = was.fields.Get(Field::kDepartment);
      if (!dept.empty()) leaving[dept].insert(was.fields.Get(Field::kUsername));
    }
    for (const Department& d : stored.departments) {
      const auto gone = leaving.find(d.name);
      std::vector<std::string>& members = wanted[d.name];
      for (const std::string& m : d.members) {
        if (gone == leaving.end() || !gone->second.count(m)) members.push_back(m);
      }
    }
  }
  for (size_t k = 0; k < items.size(); ++k) {
    const PlanItem& item = items[k];
    const int64_t index = item_stored[k];
    const PbxUser* user = nullptr;
    if (item.action == Action::kCreate || item.action == Action::kUpdate ||
        item.action == Action::kUnsearchable || item.action == Action::kRestore ||
        item.action == Action::kRelink) {
      user = &*item.target;
    } else if (!IsWrite(item.action) && index >= 0 && !changed[index]) {
      // Left as stored (unchanged, skipped, in conflict, invalid, blocked): it stays.
      user = &stored.users[index];
    }
    if (user == nullptr || user->state == UserState::kPendingDelete) continue;
    const std::string_view dept = user->fields.Get(Field::kDepartment);
    if (dept.empty()) continue;
    wanted[dept].emplace_back(user->fields.Get(Field::kUsername));
  }
  for (auto& [name, members] : wanted) {
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
  }

  const RangeConfig& range = profile.departments.ring_groups;
  std::unordered_set<std::string> used_numbers;
  for (const Department& d : stored.departments) {
    if (!d.ring_group.empty()) used_numbers.insert(d.ring_group);
  }
  int64_t next = range.first;
  auto allocate = [&]() -> std::string {
    if (range.empty()) return "";
    for (; next <= range.last; ++next) {
      std::string n = std::to_string(next);
      if (used_numbers.insert(n).second) {
        ++next;
        return n;
      }
    }
    return "";  // exhausted: created without a ring group, numbered once one frees up
  };

  const bool may_delete =
      profile.policy.del && profile.policy.mode != SyncMode::kNewOnly && complete;
  for (const Department& d : stored.departments) {
    DepartmentChange change;
    change.target = d;
    auto it = wanted.find(d.name);
    std::vector<std::string> members;
    if (it != wanted.end()) members = std::move(it->second);
    if (!complete) {
      // R1: a partial read must not shrink a ring group either.
      members.insert(members.end(), d.members.begin(), d.members.end());
      std::sort(members.begin(), members.end());
      members.erase(std::unique(members.begin(), members.end()), members.end());
    }
    if (members.empty()) {
      change.action = may_delete ? Action::kDelete : Action::kUnchanged;
    } else {
      if (members != d.members) {
        change.changes.push_back({"members", Join(d.members), Join(members)});
        change.target.members = std::move(members);
      }
      if (d.ring_group.empty() && !range.empty()) {
        change.target.ring_group = allocate();
        if (!change.target.ring_group.empty()) {
          change.changes.push_back({"ring_group", "", change.target.ring_group});
        }
      }
      change.action = change.changes.empty() ? Action::kUnchanged : Action::kUpdate;
    }
    if (it != wanted.end()) wanted.erase(it);
    out.push_back(std::move(change));
  }
  for (auto& [name, members] : wanted) {
    DepartmentChange change;
    change.action = Action::kCreate;
    change.target.name = std::string(name);
    change.target.profile = profile.name;
    change.target.ring_group = allocate();
    change.changes.push_back({"ring_group", "", change.target.ring_group});
    change.changes.push_back({"members", "", Join(members)});
    change.target.members = std::move(members);
    out.push_back(std::move(change));
  }
  return out;
}

}  // namespace telsync::plan_detail
