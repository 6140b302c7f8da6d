#include "plan/revert.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "plan/detail/hold.h"
#include "plan/detail/keys.h"
#include "plan/detail/text.h"

namespace telsync {
namespace {

using plan_detail::kUniqueFields;
using plan_detail::Quote;

constexpr std::string_view kCustomPrefix = "custom.";

std::string JoinList(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ",") + v;
  return out;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t begin = 0;
  for (;;) {
    const size_t comma = text.find(',', begin);
    out.push_back(
        text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
    if (comma == std::string::npos) return out;
    begin = comma + 1;
  }
}

// Sets change field `field` of `user` to `value`, as FieldChange values spell it. A field
// the revert does not know is left alone.
void SetChangeField(PbxUser& user, const std::string& field, const std::string& value) {
  if (const std::optional<Field> f = FieldFromName(field)) {
    user.fields.Set(*f, value);
  } else if (field == "searchable") {
    user.searchable = value != "false";
  } else if (field == "state") {
    user.state = value == "pending_delete" ? UserState::kPendingDelete : UserState::kActive;
  } else if (field == "source_key") {
    user.source_key = value;
  } else if (field == "groups") {
    user.groups = SplitList(value);
  } else if (field.rfind(kCustomPrefix, 0) == 0) {
    const std::string name = field.substr(kCustomPrefix.size());
    auto it = std::lower_bound(user.custom.begin(), user.custom.end(), name,
                               [](const auto& kv, const std::string& n) { return kv.first < n; });
    const bool present = it != user.custom.end() && it->first == name;
    if (value.empty()) {
      if (present) user.custom.erase(it);
    } else if (present) {
      it->second = value;
    } else {
      user.custom.insert(it, {name, value});
    }
  }
}

// Who wrote what after the reverted run: the later runs' write items by user id and by
// source key, newest run first.
class LaterWrites {
 public:
  explicit LaterWrites(const std::vector<RecordedRun>& later) {
    for (auto run = later.rbegin(); run != later.rend(); ++run) {
      for (const PlanItem& item : run->items) {
        if (!IsWrite(item.action)) continue;
        if (item.user_id != 0) by_id_[item.user_id].push_back({run->run.id, &item});
        if (!item.key.empty()) by_key_[item.key].push_back({run->run.id, &item});
      }
    }
  }

  // The newest later run that wrote `field` of the user (any field when empty, or deleted
  // it); 0 when none did.
  int64_t ChangedBy(int64_t user_id, const std::string& key, const std::string& field) const {
    int64_t newest = 0;
    auto scan = [&](const std::vector<std::pair<int64_t, const PlanItem*>>& writes) {
      for (const auto& [run_id, item] : writes) {
        if (run_id <= newest) continue;
        bool wrote = field.empty() || item->action == Action::kDelete;
        for (const FieldChange& c : EffectiveChanges(*item)) wrote = wrote || c.field == field;
        if (wrote) newest = run_id;
      }
    };
    if (auto it = by_id_.find(user_id); user_id != 0 && it != by_id_.end()) scan(it->second);
    if (auto it = by_key_.find(key); !key.empty() && it != by_key_.end()) scan(it->second);
    return newest;
  }

 private:
  std::unordered_map<int64_t, std::vector<std::pair<int64_t, const PlanItem*>>> by_id_;
  std::unordered_map<std::string, std::vector<std::pair<int64_t, const PlanItem*>>> by_key_;
};

// Who holds each unique value (F8) in the state the revert plan reaches so far.
class Holders {
 public:
  explicit Holders(const StoreSnapshot& current) {
    for (const PbxUser& u : current.users) Move(u.id, nullptr, &u.fields);
    for (const PbxUser& u : current.users) names_[u.id] = plan_detail::StoredName(u);
  }
  // The holder of value `value` of unique field u other than `self`; 0 when none.
  int64_t Other(size_t u, std::string_view value, int64_t self) const {
    if (value.empty()) return 0;
    auto it = held_[u].find(Key(u, value));
    return it == held_[u].end() || it->second == self ? 0 : it->second;
  }
  std::string Name(int64_t id) const {
    auto it = names_.find(id);
    return it == names_.end() ? "user " + std::to_string(id) : it->second;
  }
  void Move(int64_t self, const FieldSet* from, const FieldSet* to) {
    for (size_t u = 0; u < kUniqueFields.size(); ++u) {
      if (from != nullptr) {
        auto it = held_[u].find(Key(u, from->Get(kUniqueFields[u])));
        if (it != held_[u].end() && it->second == self) held_[u].erase(it);
      }
      if (to != nullptr && !to->Get(kUniqueFields[u]).empty()) {
        held_[u].emplace(Key(u, to->Get(kUniqueFields[u])), self);
      }
    }
  }
  // Why `fields` cannot be held by `self`: "e-mail \"a@b.se\" is also used by bert".
  std::optional<std::string> Clash(int64_t self, const FieldSet& fields, size_t u) const {
    const std::string_view value = fields.Get(kUniqueFields[u]);
    const int64_t other = Other(u, value, self);
    if (other == 0) return std::nullopt;
    return std::string(FieldName(kUniqueFields[u])) + " " + Quote(value) + " is also used by " +
           Name(other);
  }

 private:
  static std::string Key(size_t u, std::string_view v) {
    return plan_detail::FoldsCase(u) ? AsciiLower(v) : std::string(v);
  }
  std::array<std::unordered_map<std::string, int64_t>, kUniqueFields.size()> held_;
  std::unordered_map<int64_t, std::string> names_;
};

Action ActionOf(const PbxUser& before, const PbxUser& after) {
  if (before.state == UserState::kActive && after.state == UserState::kPendingDelete) {
    return Action::kPendingDelete;
  }
  if (before.state == UserState::kPendingDelete && after.state == UserState::kActive) {
    return Action::kRestore;
  }
  if (before.searchable && !after.searchable) return Action::kUnsearchable;
  return Action::kUpdate;
}

class RevertPlanner {
 public:
  RevertPlanner(const RevertInput& input, const StoreSnapshot& current, const Profile& profile)
      : input_(input),
        current_(current),
        profile_(profile),
        later_(input.later),
        holders_(current),
        id_(std::to_string(input.reverted.run.id)) {
    for (size_t i = 0; i < current.users.size(); ++i) {
      const PbxUser& u = current.users[i];
      by_id_.emplace(u.id, i);
      if (u.profile == profile.name && !u.source_key.empty()) by_key_.emplace(u.source_key, i);
    }
  }

  Plan Make(bool approved) {
    Plan plan;
    plan.tenant = profile_.tenant;
    plan.profile = profile_.name;
    plan.source = "revert of run " + id_;
    plan.complete = true;
    // Deletions first: the values a deleted user frees may go back to another user.
    for (const PlanItem& item : input_.reverted.items) {
      if (item.action == Action::kCreate) UndoCreate(item, plan);
    }
    for (const PlanItem& item : input_.reverted.items) {
      switch (item.action) {
        case Action::kUpdate:
        case Action::kRelink:
        case Action::kRestore:
        case Action::kUnsearchable:
        case Action::kPendingDelete:
          UndoUpdate(item, plan);
          break;
        case Action::kDelete:
          UndoDelete(item, plan);
          break;
        default:
          break;
      }
    }
    UndoDepartments(plan);
    size_t linked = 0;
    for (const PbxUser& u : current_.users) {
      if (u.profile == profile_.name && !u.source_key.empty()) ++linked;
    }
    PlanOptions options;
    options.approved = approved;
    plan.hold_reason = plan_detail::HoldReason(plan, profile_.policy, linked, options);
    plan.held = !plan.hold_reason.empty();
    return plan;
  }

 private:
  std::string Since(int64_t by) const {
    return "changed since run " + id_ +
           (by != 0 ? " by run " + std::to_string(by) : std::string(" outside telsync"));
  }

  const PbxUser* Current(const PlanItem& item) const {
    if (item.user_id != 0) {
      auto it = by_id_.find(item.user_id);
      return it == by_id_.end() ? nullptr : &current_.users[it->second];
    }
    auto it = by_key_.find(item.key);
    return it == by_key_.end() ? nullptr : &current_.users[it->second];
  }

  static PlanItem Start(const PlanItem& item, Action action) {
    PlanItem out;
    out.action = action;
    out.key = item.key;
    out.username = item.username;
    return out;
  }

  // A user the run created is deleted, if it still holds what the run gave it.
  void UndoCreate(const PlanItem& item, Plan& plan) {
    const PbxUser* u = Current(item);
    if (u == nullptr) {
      PlanItem out = Start(item, Action::kSkip);
      const int64_t by = later_.ChangedBy(item.user_id, item.key, "");
      out.reason = "created by run " + id_ + ", not in the directory any more" +
                   (by != 0 ? " (run " + std::to_string(by) + ")" : "");
      plan.items.push_back(std::move(out));
      return;
    }
    // What the run created, field by field; every other field was empty.
    std::map<std::string, std::string> created;
    for (const FieldChange& c : EffectiveChanges(item)) created[c.field] = c.new_value;
    std::vector<std::string> fields;
    for (size_t f = 0; f < kFieldCount; ++f) fields.emplace_back(FieldName(static_cast<Field>(f)));
    fields.insert(fields.end(), {"searchable", "groups"});
    for (const auto& [name, value] : u->custom) fields.push_back(std::string(kCustomPrefix) + name);
    for (const auto& [field, value] : created) {
      if (field.rfind(kCustomPrefix, 0) == 0 &&
          std::find(fields.begin(), fields.end(), field) == fields.end()) {
        fields.push_back(field);
      }
    }
    PlanItem conflict = Start(item, Action::kConflict);
    std::string reasons;
    for (const std::string& field : fields) {
      auto it = created.find(field);
      const std::string was = it != created.end()     ? it->second
                              : field == "searchable" ? "true"
                                                      : "";
      const std::string now = ChangeFieldValue(*u, field);
      if (now == was) continue;
      conflict.changes.push_back({field, now, was});
      reasons += (reasons.empty() ? "" : "; ") + field + " " +
                 Since(later_.ChangedBy(u->id, item.key, field));
    }
    if (!conflict.changes.empty()) {
      conflict.user_id = u->id;
      conflict.reason = "created by run " + id_ + ", not deleted: " + reasons;
      plan.items.push_back(std::move(conflict));
      return;
    }
    PlanItem out = Start(item, Action::kDelete);
    out.user_id = u->id;
    out.target = *u;
    if (profile_.policy.protect_mobile && !u->fields.Get(Field::kMobile).empty()) {
      out.action = Action::kBlocked;
      out.reason = "holds mobile " + std::string(u->fields.Get(Field::kMobile)) +
                   ": port or cancel the number first (protect_mobile)";
    } else {
      out.reason = "created by run " + id_;
      holders_.Move(u->id, &u->fields, nullptr);
      freed_ids_.insert(u->id);  // the store applies deletions first
    }
    plan.items.push_back(std::move(out));
  }

  // Fields the run updated get their old value back, where they still hold its new one.
  void UndoUpdate(const PlanItem& item, Plan& plan) {
    const PbxUser* u = Current(item);
    if (u == nullptr) {
      PlanItem out = Start(item, Action::kConflict);
      out.user_id = item.user_id;
      out.changes = item.changes;
      const int64_t by = later_.ChangedBy(item.user_id, item.key, "");
      out.reason = "deleted since run " + id_ +
                   (by != 0 ? " by run " + std::to_string(by) : std::string(" outside telsync"));
      plan.items.push_back(std::move(out));
      return;
    }
    PbxUser target = *u;
    PlanItem conflict = Start(item, Action::kConflict);
    conflict.user_id = u->id;
    std::vector<FieldChange> back;
    std::string reasons;
    auto refuse = [&](const FieldChange& c, const std::string& now, std::string why) {
      conflict.changes.push_back({c.field, now, c.old_value});
      reasons += (reasons.empty() ? "" : "; ") + c.field + " " + why;
    };
    for (const FieldChange& c : item.changes) {
      const std::string now = ChangeFieldValue(*u, c.field);
      if (now != c.new_value) {
        refuse(c, now, Since(later_.ChangedBy(u->id, item.key, c.field)));
        continue;
      }
      if (const std::optional<Field> f = FieldFromName(c.field)) {
        if (const auto unique = plan_detail::UniqueIndex(*f)) {
          const int64_t other = holders_.Other(*unique, c.old_value, u->id);
          if (other != 0) {
            refuse(c, now, Quote(c.old_value) + " is also used by " + holders_.Name(other));
            continue;
          }
        }
      }
      SetChangeField(target, c.field, c.old_value);
      if (c.field == "source_key" && c.old_value.empty()) target.profile.clear();  // unadopt
      if (c.field == "state") {
        target.pending_since =
            target.state == UserState::kPendingDelete ? input_.reverted.run.started_at : 0;
      }
      back.push_back({c.field, now, c.old_value});
    }
    if (!back.empty()) {
      PlanItem out = Start(item, ActionOf(*u, target));
      out.user_id = u->id;
      out.changes = std::move(back);
      out.reason = std::string(ActionName(item.action)) + " of run " + id_ + " undone";
      holders_.Move(u->id, &u->fields, &target.fields);
      out.target = std::move(target);
      plan.items.push_back(std::move(out));
    }
    if (!conflict.changes.empty()) {
      conflict.reason = reasons;
      plan.items.push_back(std::move(conflict));
    }
  }

  // A user the run deleted comes back with its old fields, extension and id.
  void UndoDelete(const PlanItem& item, Plan& plan) {
    const PbxUser& removed = *item.target;
    if (!item.target.has_value() || removed.id == 0) {
      PlanItem out = Start(item, Action::kError);
      out.user_id = item.user_id;
      out.reason = "run " + id_ + " did not keep this deleted user's row: it cannot be restored";
      plan.items.push_back(std::move(out));
      return;
    }
    PlanItem out = Start(item, Action::kCreate);
    if (auto it = by_key_.find(removed.source_key); it != by_key_.end()) {
      out.action = Action::kConflict;
      out.user_id = current_.users[it->second].id;
      const int64_t by = later_.ChangedBy(0, removed.source_key, "");
      out.reason = "deleted by run " + id_ + ", in the directory again since" +
                   (by != 0 ? " run " + std::to_string(by) : std::string(" (outside telsync)"));
      plan.items.push_back(std::move(out));
      return;
    }
    std::string clashes;
    for (size_t u = 0; u < kUniqueFields.size(); ++u) {
      if (auto clash = holders_.Clash(0, removed.fields, u)) {
        clashes += (clashes.empty() ? "" : "; ") + *clash;
      }
    }
    if (!clashes.empty()) {
      out.action = Action::kConflict;
      out.reason = "deleted by run " + id_ + ", not restored: " + clashes;
      out.target = removed;
      plan.items.push_back(std::move(out));
      return;
    }
    out.target = removed;
    out.reason = "deleted by run " + id_ + "; restored with its id " + std::to_string(removed.id);
    out.user_id = removed.id;
    if (by_id_.count(removed.id) != 0 && freed_ids_.count(removed.id) == 0) {
      // SQLite may give a deleted user's id to a later user: then a new one.
      out.user_id = 0;
      out.reason = "deleted by run " + id_ + "; its id " + std::to_string(removed.id) +
                   " is another user's now: restored with a new id";
    }
    out.target->id = out.user_id;
    // A user restored with a new id must not pass for the user that holds its old one.
    holders_.Move(out.user_id != 0 ? removed.id : -removed.id, nullptr, &removed.fields);
    plan.items.push_back(std::move(out));
  }

  // The members of each department once `plan` is applied, as the planner counts them:
  // the profile's users by department, pending deletes left out.
  std::map<std::string, std::vector<std::string>> MembersAfter(const Plan& plan) const {
    std::unordered_map<int64_t, const PbxUser*> users;
    for (const PbxUser& u : current_.users) {
      if (u.profile == profile_.name) users[u.id] = &u;
    }
    std::vector<const PbxUser*> created;
    for (const PlanItem& item : plan.items) {
      if (item.action == Action::kDelete) {
        users.erase(item.user_id);
      } else if (item.action == Action::kCreate) {
        created.push_back(&*item.target);
      } else if (IsWrite(item.action)) {
        users[item.user_id] = &*item.target;
      }
    }
    std::map<std::string, std::vector<std::string>> members;
    auto add = [&](const PbxUser* u) {
      if (u->profile != profile_.name || u->state == UserState::kPendingDelete) return;
      const std::string_view dept = u->fields.Get(Field::kDepartment);
      if (!dept.empty()) members[std::string(dept)].emplace_back(u->fields.Get(Field::kUsername));
    };
    for (const auto& [id, u] : users) add(u);
    for (const PbxUser* u : created) add(u);
    for (auto& [name, list] : members) {
      std::sort(list.begin(), list.end());
      list.erase(std::unique(list.begin(), list.end()), list.end());
    }
    return members;
  }

  // Department changes are undone: a department the run created goes (unless users are
  // still in it), one it deleted comes back with its ring group, a ring group it gave
  // is taken back. Members are those the users have once the revert is applied, which
  // is the old list when nothing is in conflict.
  void UndoDepartments(Plan& plan) {
    const auto members = MembersAfter(plan);
    auto wanted = [&](const std::string& name) {
      auto it = members.find(name);
      return it == members.end() ? std::vector<std::string>() : it->second;
    };
    auto find = [&](const std::string& name) -> const Department* {
      for (const Department& d : current_.departments) {
        if (d.name == name) return &d;
      }
      return nullptr;
    };
    for (const DepartmentChange& change : input_.reverted.departments) {
      const Department* now = find(change.target.name);
      const std::vector<std::string> want = wanted(change.target.name);
      DepartmentChange out;
      if (change.action == Action::kCreate) {
        if (now == nullptr) continue;
        out.target = *now;
        if (want.empty()) {
          out.action = Action::kDelete;
        } else {
          out.action = Action::kUpdate;  // users are in it still (conflicts): it stays
          out.target.members = want;
          if (out.target.members == now->members) continue;
          out.changes.push_back({"members", JoinList(now->members), JoinList(want)});
        }
      } else if (change.action == Action::kDelete) {
        if (now != nullptr || want.empty()) continue;
        out.action = Action::kCreate;
        out.target = change.target;
        out.target.id = 0;
        out.target.members = want;
        out.changes.push_back({"ring_group", "", out.target.ring_group});
        out.changes.push_back({"members", "", JoinList(want)});
      } else if (change.action == Action::kUpdate) {
        if (now == nullptr) continue;
        out.action = Action::kUpdate;
        out.target = *now;
        for (const FieldChange& c : change.changes) {
          if (c.field == "ring_group" && now->ring_group == c.new_value) {
            out.target.ring_group = c.old_value;
            out.changes.push_back({c.field, c.new_value, c.old_value});
          }
        }
        if (want != now->members) {
          out.changes.push_back({"members", JoinList(now->members), JoinList(want)});
          out.target.members = want;
        }
        if (out.changes.empty()) continue;
      } else {
        continue;
      }
      if (out.target.profile.empty()) out.target.profile = profile_.name;
      plan.departments.push_back(std::move(out));
    }
  }

  const RevertInput& input_;
  const StoreSnapshot& current_;
  const Profile& profile_;
  LaterWrites later_;
  Holders holders_;
  const std::string id_;
  std::unordered_map<int64_t, size_t> by_id_;
  std::unordered_map<std::string, size_t> by_key_;
  std::unordered_set<int64_t> freed_ids_;  // ids of users this plan deletes
};

}  // namespace

std::string ChangeFieldValue(const PbxUser& user, const std::string& field) {
  if (const std::optional<Field> f = FieldFromName(field)) return std::string(user.fields.Get(*f));
  if (field == "searchable") return user.searchable ? "true" : "false";
  if (field == "state")
    return user.state == UserState::kPendingDelete ? "pending_delete" : "active";
  if (field == "source_key") return user.source_key;
  if (field == "groups") return JoinList(user.groups);
  if (field.rfind(kCustomPrefix, 0) == 0) {
    const std::string name = field.substr(kCustomPrefix.size());
    for (const auto& [n, v] : user.custom) {
      if (n == name) return v;
    }
  }
  return "";
}

Plan MakeRevertPlan(const RevertInput& input, const StoreSnapshot& current, const Profile& profile,
                    bool approved) {
  return RevertPlanner(input, current, profile).Make(approved);
}

}  // namespace telsync
