#include "plan/planner.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "plan/detail/claims.h"
#include "plan/detail/deletions.h"
#include "plan/detail/departments.h"
#include "plan/detail/flat_index.h"
#include "plan/detail/hold.h"
#include "plan/detail/keys.h"
#include "plan/detail/link.h"
#include "plan/detail/rules.h"
#include "plan/detail/switches.h"
#include "plan/detail/text.h"

// The orchestration of the planner: the order of its stages and the assembly of the plan.
// The stages live in plan/detail/: link.h (identity), claims.h (uniqueness, extensions),
// deletions.h (disabled users, grace period, threshold), departments.h, hold.h.

namespace telsync {
namespace {

using plan_detail::DesiredName;
using plan_detail::EqualsIgnoreCase;
using plan_detail::kExtensionIndex;
using plan_detail::kNone;
using plan_detail::kSeen;
using plan_detail::kSeenDisabled;
using plan_detail::kUniqueFields;
using plan_detail::kUnseen;
using plan_detail::Quote;
using plan_detail::StoredName;
using plan_detail::UniqueIndex;
using plan_detail::UniqueValues;

// The fields a mapping always sets (an empty value clears the stored one).
constexpr std::array<Field, 12> kMappedFields = {
    Field::kUsername,   Field::kFirstName, Field::kLastName, Field::kDisplayName,
    Field::kEmail,      Field::kExtension, Field::kLandline, Field::kMobile,
    Field::kDepartment, Field::kJobTitle,  Field::kCity,     Field::kCountry};

std::string_view SyncModeName(SyncMode mode) {
  switch (mode) {
    case SyncMode::kPaused:
      return "paused";
    case SyncMode::kNewOnly:
      return "new_only";
    case SyncMode::kReview:
      return "review";
    case SyncMode::kFull:
      break;
  }
  return "full";
}

class PlanBuilder {
 public:
  PlanBuilder(const PlanInput& input, const StoreSnapshot& stored, const Profile& profile,
              int64_t now, const PlanOptions& options)
      : input_(input),
        stored_(stored),
        profile_(profile),
        now_(now),
        options_(options),
        rules_(profile.rules),
        links_(stored, input.desired, profile),
        claims_(stored, input.desired) {}

  Plan Build() {
    plan_.tenant = profile_.tenant;
    plan_.profile = profile_.name;
    plan_.source = input_.source;
    seen_.assign(stored_.users.size(), kUnseen);
    completeness_ =
        plan_detail::JudgeCompleteness(input_, links_.linked_count(), !options_.only_keys.empty());
    plan_.complete = completeness_.complete;
    if (options_.explain != nullptr) {
      for (Explanation& tr : options_.explain->users()) {
        tr.policy.push_back({"policy.mode", std::string(SyncModeName(profile_.policy.mode)),
                             profile_.policy.mode == SyncMode::kPaused
                                 ? "paused: a sync applies nothing"
                                 : "the mode the plan is made under"});
      }
    }
    if (completeness_.complete && !options_.only_user) {
      if (options_.only_keys.empty()) {
        links_.FindRelinks(input_.rejected);
      } else {
        links_.FindRelinks(input_.rejected, &options_.only_keys, &options_.gone_keys);
      }
    }
    const std::vector<int32_t> match = links_.Matches();
    links_.ChooseAdopters(match);
    claims_.AddClaimants(match, profile_.policy);
    // Deletions are decided first, so that the values a deleted user frees can be taken by
    // a desired user in the same plan (the store applies deletions first): one run
    // converges. Their items still come last in the plan, as the report reads them.
    std::vector<plan_detail::Deletion> deletions = plan_detail::PlanDeletions(
        stored_, links_,
        plan_detail::FindPresence(input_, stored_.users.size(), links_, profile_.policy), profile_,
        options_.only_keys, completeness_, now_, options_.explain);
    for (const auto& deletion : deletions) {
      if (deletion.item.action == Action::kDelete) claims_.Release(deletion.stored);
    }
    // After the deletions have released their values.
    claims_.PreallocateExtensions(profile_.extensions, profile_.policy, links_);
    // One allocation for every item: growing a vector of a million items would move them
    // all and touch twice the memory (P1).
    plan_.items.reserve(input_.desired.size() + input_.rejected.size() + deletions.size());
    item_stored_.reserve(plan_.items.capacity());
    for (size_t i = 0; i < input_.desired.size(); ++i) PlanDesired(i);
    for (const RejectedUser& r : input_.rejected) PlanRejected(r);
    for (auto& deletion : deletions) {
      Push(std::move(deletion.item), static_cast<int64_t>(deletion.stored));
    }
    if (profile_.departments.enabled && !options_.only_user) {
      plan_.departments =
          plan_detail::PlanDepartments(plan_.items, item_stored_, stored_, profile_,
                                       completeness_.complete, !options_.only_keys.empty());
    }
    if (options_.only_user) KeepOnlyUser(*options_.only_user);
    if (!options_.only_keys.empty()) KeepOnlyKeys();
    std::string hold =
        plan_detail::HoldReason(plan_, profile_.policy, links_.linked_count(), options_);
    if (!hold.empty()) {
      plan_.held = true;
      plan_.hold_reason = std::move(hold);
    }
    if (options_.explain != nullptr) {
      for (Explanation& tr : options_.explain->users()) TraceWholePlan(tr);
    }
    return std::move(plan_);
  }

 private:
  const TemplateConfig* FindTemplate(std::string_view name) const {
    for (const auto& t : profile_.templates) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }

  std::string RangeText() const {
    return std::to_string(profile_.extensions.first) + "-" +
           std::to_string(profile_.extensions.last);
  }

  // `stored_index`: the stored user the item is about, or kNone.
  void Push(PlanItem item, int64_t stored_index) {
    if (options_.explain != nullptr) TraceResult(item, stored_index);
    plan_.items.push_back(std::move(item));
    item_stored_.push_back(stored_index);
  }

  // The explanation to record the decisions about source id `key` in, or nullptr: always
  // nullptr in a normal run (PlanOptions::explain), so the hot loop pays one test.
  Explanation* Traced(std::string_view key) const {
    if (options_.explain == nullptr) return nullptr;
    return options_.explain->ByKey(key);
  }

  static std::string StoredText(const PbxUser& s) {
    return StoredName(s) + " (id " + std::to_string(s.id) + ")";
  }

  void PlanDesired(size_t i) {
    const DesiredUser& d = input_.desired[i];
    const PbxUser& du = d.user;
    Explanation* const tr = Traced(du.source_key);
    PlanItem item;
    item.key = du.source_key;
    item.username = std::string(du.fields.Get(Field::kUsername));

    int64_t m = kNone;
    if (const size_t* linked = links_.Linked(du.source_key)) {
      m = static_cast<int64_t>(*linked);
      if (seen_[*linked]) {
        item.action = Action::kConflict;
        item.reason = "source id " + Quote(du.source_key) + " appears twice in the source";
        item.target = du;
        if (tr != nullptr) tr->identity.push_back({"link", "conflict", item.reason});
        return Push(std::move(item), m);
      }
      seen_[*linked] = kSeen;
      if (tr != nullptr) {
        tr->identity.push_back(
            {"link", "linked", "by source id to stored user " + StoredText(stored_.users[m])});
      }
    } else if (bool inserted = false;
               created_keys_.FindOrInsert(du.source_key, &inserted), !inserted) {
      item.action = Action::kConflict;
      item.reason = "source id " + Quote(du.source_key) + " appears twice in the source";
      item.target = du;
      if (tr != nullptr) tr->identity.push_back({"link", "conflict", item.reason});
      return Push(std::move(item), m);
    }

    if (!plan_detail::IsWritten(d, profile_.policy)) {
      if (plan_detail::TakesDeletionPath(d, profile_.policy) && m != kNone) {
        // Handled by the deletion pass, with all its protections.
        seen_[m] = kSeenDisabled;
        if (tr != nullptr) {
          tr->policy.push_back({"disabled handling", "delete",
                                "disabled in the directory and policy.disabled is delete: the "
                                "deletion pass decides (below)"});
        }
        return;
      }
      item.action = Action::kSkip;
      item.reason = plan_detail::DisabledSkipReason(profile_.policy);
      if (m != kNone) item.user_id = stored_.users[m].id;
      item.target = m != kNone ? stored_.users[m] : du;
      if (tr != nullptr) tr->policy.push_back({"disabled handling", "skip", item.reason});
      return Push(std::move(item), m);
    }
    if (tr != nullptr) {
      tr->policy.push_back(
          {"disabled handling", "pass",
           d.enabled ? "enabled in the directory"
                     : "disabled in the directory; policy.disabled is unsearchable: kept, hidden "
                       "from search"});
    }

    bool adopting = false;
    bool relinking = false;
    bool late_extension = false;
    if (auto relink = m == kNone ? links_.Relink(i) : std::nullopt) {
      m = static_cast<int64_t>(*relink);
      seen_[*relink] = kSeen;
      relinking = true;
      if (tr != nullptr) {
        tr->identity.push_back({"link", "relinked",
                                "its e-mail or UPN is the e-mail of stored user " +
                                    StoredText(stored_.users[m]) + ", linked to source id " +
                                    Quote(stored_.users[m].source_key) +
                                    " that this complete read did not return: the same person "
                                    "under a new id"});
      }
    }
    if (m == kNone) {
      if (auto candidate = links_.FindCandidate(d)) {
        const size_t s = candidate->first;
        const plan_detail::Links::Adoption adoption = links_.Adopt(s, i);
        if (!adoption.adopted) {
          item.action = Action::kConflict;
          item.reason = candidate->second + " also matches user " + StoredName(stored_.users[s]) +
                        " adopted by " +
                        DesiredName(input_.desired[static_cast<size_t>(adoption.adopter)].user);
          item.target = du;
          if (tr != nullptr) tr->identity.push_back({"link", "conflict", item.reason});
          return Push(std::move(item), m);
        }
        m = static_cast<int64_t>(s);
        adopting = true;
        if (tr != nullptr) {
          tr->identity.push_back({"link", "adopted",
                                  "by " + candidate->second + ": unlinked stored user " +
                                      StoredText(stored_.users[s]) +
                                      " (of no profile, or of this one without a source id)"});
        }
      } else if (tr != nullptr) {
        tr->identity.push_back(
            {"link", "new",
             "no stored user carries source id " + Quote(du.source_key) +
                 ", and no unlinked stored user matches its e-mail, UPN or username"});
      }
    }

    if (m != kNone && links_.Excluded(static_cast<size_t>(m))) {
      item.action = Action::kSkip;
      item.reason = "in group " + Quote(profile_.policy.exclusion_group);
      item.user_id = stored_.users[m].id;
      item.target = stored_.users[m];
      if (tr != nullptr) tr->policy.push_back({"exclusion group", "skip", item.reason});
      return Push(std::move(item), m);
    }
    if (tr != nullptr) {
      tr->policy.push_back({"exclusion group", "pass",
                            profile_.policy.exclusion_group.empty()
                                ? "no policy.exclusion_group"
                                : "not in group " + Quote(profile_.policy.exclusion_group)});
    }

    const bool searchable = d.enabled;
    // The origin of each unique value of the target, stable for the plan's lifetime.
    UniqueValues new_values{};
    UniqueValues old_values{};

    if (m != kNone) {
      const PbxUser& s = stored_.users[m];
      item.user_id = s.id;
      // Compare first, copy the stored user only when something changes: most users of a
      // daily run are unchanged, and an unchanged item carries no target (P1).
      std::array<std::pair<Field, std::string_view>, kFieldCount> sets;
      size_t set_count = 0;
      if (adopting) item.changes.push_back({"source_key", "", du.source_key});
      if (relinking) item.changes.push_back({"source_key", s.source_key, du.source_key});
      for (const Field f : kMappedFields) {
        std::string_view want = du.fields.Get(f);
        const std::string_view have = s.fields.Get(f);
        if (f == Field::kExtension && want.empty() && !profile_.extensions.empty()) {
          if (!have.empty()) {
            want = have;  // F14: an allocated extension is stable across runs
            if (tr != nullptr) {
              tr->rules.push_back({"extension", std::string(have),
                                   "no mapped extension: the one allocated before is kept "
                                   "(allocated extensions are stable)"});
            }
          } else if (auto pre = claims_.Preallocated(i); !pre) {
            late_extension = true;  // given after the conflict check (see below)
          } else if (!pre->empty()) {
            want = *pre;
            if (tr != nullptr) TraceAllocated(*tr, *pre);
          } else {
            item.action = Action::kError;
            item.reason = "no free extension in " + RangeText();
            item.target = s;
            if (tr != nullptr) tr->rules.push_back({"extension", "error", item.reason});
            return Push(std::move(item), m);
          }
        } else if (f == Field::kExtension && tr != nullptr) {
          TraceMappedExtension(*tr, want);
        }
        if (const auto u = UniqueIndex(f)) {
          new_values[*u] = want;
          old_values[*u] = have;
        }
        if (want != have) {
          item.changes.push_back({std::string(FieldName(f)), std::string(have), std::string(want)});
          sets[set_count++] = {f, want};
        }
      }
      for (const Field f : {Field::kCallerId, Field::kTemplate}) {
        const std::string_view want = du.fields.Get(f);
        const std::string_view have = s.fields.Get(f);
        if (!want.empty() && want != have) {
          item.changes.push_back({std::string(FieldName(f)), std::string(have), std::string(want)});
          sets[set_count++] = {f, want};
        }
      }
      std::vector<std::pair<std::string, std::string>> custom;
      const bool custom_mapped = !du.custom.empty();
      if (custom_mapped) {
        custom = s.custom;
        MergeCustom(du.custom, custom, item.changes);
      }
      if (s.searchable != searchable) {
        item.changes.push_back(
            {"searchable", s.searchable ? "true" : "false", searchable ? "true" : "false"});
      }
      const bool restore = s.state == UserState::kPendingDelete;
      if (restore) item.changes.push_back({"state", "pending_delete", "active"});
      if (!item.changes.empty()) {
        item.target = s;
        PbxUser& t = *item.target;
        for (size_t k = 0; k < set_count; ++k) t.fields.Set(sets[k].first, sets[k].second);
        if (custom_mapped) t.custom = std::move(custom);
        t.searchable = searchable;
        if (adopting || relinking) {
          t.source_key = du.source_key;
          t.profile = profile_.name;
        }
        if (restore) {
          t.state = UserState::kActive;
          t.pending_since = 0;
        }
      }
      if (tr != nullptr) {
        tr->rules.push_back({"template", std::string(s.fields.Get(Field::kTemplate)),
                             "the template is given at creation only; a stored user keeps its "
                             "own"});
      }
      if (relinking) {
        item.action = Action::kRelink;
      } else if (restore) {
        item.action = Action::kRestore;
      } else if (s.searchable && !searchable) {
        item.action = Action::kUnsearchable;
      } else {
        item.action = item.changes.empty() ? Action::kUnchanged : Action::kUpdate;
      }
    } else {
      item.target = du;
      PbxUser& t = *item.target;
      t.id = 0;
      t.profile = profile_.name;
      t.searchable = searchable;
      t.state = UserState::kActive;
      t.pending_since = 0;
      t.subscription.clear();
      t.custom.erase(std::remove_if(t.custom.begin(), t.custom.end(),
                                    [](const auto& kv) { return kv.second.empty(); }),
                     t.custom.end());
      new_values = plan_detail::UniqueValuesOf(du.fields);
      if (du.fields.Get(Field::kExtension).empty() && !profile_.extensions.empty()) {
        if (auto pre = claims_.Preallocated(i); !pre) {
          late_extension = true;  // given after the conflict check (see below)
        } else if (!pre->empty()) {
          new_values[kExtensionIndex] = *pre;
          t.fields.Set(Field::kExtension, *pre);
          if (tr != nullptr) TraceAllocated(*tr, *pre);
        } else {
          item.action = Action::kError;
          item.reason = "no free extension in " + RangeText();
          if (tr != nullptr) tr->rules.push_back({"extension", "error", item.reason});
          return Push(std::move(item), m);
        }
      } else if (tr != nullptr) {
        TraceMappedExtension(*tr, du.fields.Get(Field::kExtension));
      }
      // F13: the template is create-time only; a mapped template or caller ID wins.
      std::string_view template_name = du.fields.Get(Field::kTemplate);
      if (template_name.empty()) template_name = rules_.TemplateFor(d, profile_.default_template);
      if (tr != nullptr) TraceTemplate(*tr, d, template_name);
      const TemplateConfig* tmpl = FindTemplate(template_name);
      if (!template_name.empty()) t.fields.Set(Field::kTemplate, template_name);
      if (tmpl != nullptr) t.groups = tmpl->groups;
      if (du.fields.Get(Field::kCallerId).empty()) {
        const std::string& caller_id = tmpl != nullptr && !tmpl->caller_id.empty()
                                           ? tmpl->caller_id
                                           : profile_.default_caller_id;
        if (!caller_id.empty()) t.fields.Set(Field::kCallerId, caller_id);
      }
      item.action = Action::kCreate;
    }

    const int64_t self = m != kNone ? m : static_cast<int64_t>(stored_.users.size() + i);
    if (tr != nullptr) {
      for (ExplainStep& step : claims_.Describe(i, self, new_values)) {
        tr->uniqueness.push_back(std::move(step));
      }
    }
    if (auto reason = claims_.FindConflict(i, self, new_values)) {
      item.action = Action::kConflict;
      item.reason = std::move(*reason);
      if (tr != nullptr) tr->uniqueness.push_back({"unique values", "conflict", item.reason});
      return Push(std::move(item), m);
    }
    if (tr != nullptr) {
      tr->uniqueness.push_back(
          {"unique values", "pass", "no other user holds or claims a value this user would have"});
    }
    if (late_extension) {
      // A user PreallocateExtensions expected to be a conflict (a value that another user
      // frees earlier in this plan): the next free number, now that it is known to need one.
      auto ext = claims_.AllocateExtension(profile_.extensions);
      if (!ext) {
        item.action = Action::kError;
        item.reason = "no free extension in " + RangeText();
        if (m != kNone && !item.target.has_value()) item.target = stored_.users[m];
        if (tr != nullptr) tr->rules.push_back({"extension", "error", item.reason});
        return Push(std::move(item), m);
      }
      if (tr != nullptr) {
        tr->rules.push_back({"extension", std::string(*ext),
                             "allocated after the conflict check: the lowest number of " +
                                 RangeText() +
                                 " that no stored or desired user holds (a value "
                                 "another user frees in this plan was expected)"});
      }
      new_values[kExtensionIndex] = *ext;
      item.changes.push_back({"extension", "", std::string(*ext)});
      if (!item.target.has_value()) item.target = stored_.users[m];  // only a stored one lacks it
      item.target->fields.Set(Field::kExtension, *ext);
      if (item.action == Action::kUnchanged) item.action = Action::kUpdate;
    }
    if (tr != nullptr) TraceSwitches(*tr, item.action);
    plan_detail::ApplySwitches(item, profile_.policy);
    // The holders change as the executor applies this item, in plan order.
    if (IsWrite(item.action)) claims_.Move(self, old_values, new_values);
    Push(std::move(item), m);
  }

  // ---- the trace of `telsync explain` (only ever called for the traced user) ---------

  void TraceAllocated(Explanation& tr, std::string_view ext) const {
    tr.rules.push_back({"extension", std::string(ext),
                        "no mapped extension: allocated from the range " + RangeText() +
                            ", the lowest number no stored or desired user holds, given out "
                            "in source id order before planning"});
  }

  void TraceMappedExtension(Explanation& tr, std::string_view want) const {
    tr.rules.push_back({"extension", want.empty() ? "none" : std::string(want),
                        want.empty() ? "the mapping gives none and no extension range is set"
                                     : "from the mapping (a source attribute)"});
  }

  void TraceTemplate(Explanation& tr, const DesiredUser& d, std::string_view chosen) const {
    if (!d.user.fields.Get(Field::kTemplate).empty()) {
      tr.rules.push_back({"template", std::string(chosen), "mapped (the mapping sets template)"});
      return;
    }
    if (const auto k = rules_.FirstMatch(d)) {
      const RuleConfig& r = profile_.rules[*k];
      tr.rules.push_back(
          {"template", std::string(chosen),
           "rule " + std::to_string(*k + 1) + " matched: " + r.field +
               (r.equals.empty() ? " matches " + Quote(r.matches) : " equals " + Quote(r.equals))});
      return;
    }
    tr.rules.push_back({"template", chosen.empty() ? "none" : std::string(chosen),
                        profile_.rules.empty() ? "no rules: the profile's default template"
                                               : "no rule matched: the profile's default "
                                                 "template"});
  }

  void TraceSwitches(Explanation& tr, Action action) const {
    if (auto off = plan_detail::SwitchedOff(action, profile_.policy)) {
      tr.policy.push_back({"operation switches", "skip", std::string(*off)});
    } else if (IsWrite(action)) {
      tr.policy.push_back(
          {"operation switches", "pass", std::string(ActionName(action)) + " is switched on"});
    }
  }

  // The item planned for a traced user: the result of its explanation (the first item of
  // a repeated source id speaks for it).
  void TraceResult(const PlanItem& item, int64_t stored_index) {
    Explanation* tr = Traced(item.key);
    if (tr == nullptr || tr->planned) return;
    // An unchanged item carries no target: its department is the stored user's.
    const PbxUser* user = item.target.has_value() ? &*item.target
                          : stored_index != kNone ? &stored_.users[stored_index]
                                                  : nullptr;
    if (user != nullptr) {
      traced_departments_[tr] = std::string(user->fields.Get(Field::kDepartment));
    }
    tr->planned = true;
    tr->action = item.action;
    tr->changes = EffectiveChanges(item);
    tr->reason = item.reason;
    if (item.user_id != 0) {
      tr->in_store = true;
      tr->stored_id = item.user_id;
    }
  }

  // After the plan is made: the policy that holds the whole plan, and the department.
  void TraceWholePlan(Explanation& tr) const {
    const PolicyConfig& p = profile_.policy;
    tr.held = plan_.held;
    tr.hold_reason = plan_.hold_reason;
    char percent[32];
    std::snprintf(percent, sizeof percent, "%g", p.max_delete_percent);
    tr.policy.push_back({"deletion threshold", plan_.held ? "held" : "pass",
                         plan_.held ? plan_.hold_reason
                                    : "max_deletes " + std::to_string(p.max_deletes) +
                                          ", max_delete_percent " + percent +
                                          ": not exceeded (-1: no limit)"});
    const auto found = traced_departments_.find(&tr);
    if (found == traced_departments_.end()) return;
    const std::string& dept = found->second;
    if (!profile_.departments.enabled) {
      tr.rules.push_back({"department", dept.empty() ? "none" : dept,
                          "departments are off for this profile (departments.enabled)"});
      return;
    }
    if (dept.empty()) {
      tr.rules.push_back({"department", "none", "the user has no department"});
      return;
    }
    std::string detail = "the department of the user";
    std::string ring_group;
    for (const Department& stored : stored_.departments) {
      if (EqualsIgnoreCase(stored.name, dept)) ring_group = stored.ring_group;
    }
    for (const DepartmentChange& c : plan_.departments) {  // few: one per department
      if (!EqualsIgnoreCase(c.target.name, dept)) continue;
      if (c.action != Action::kUnchanged) {
        std::string fields;
        for (const FieldChange& f : c.changes) fields += (fields.empty() ? "" : ", ") + f.field;
        detail += "; the plan makes a department " + std::string(ActionName(c.action)) +
                  (fields.empty() ? "" : " (" + fields + ")");
      }
      ring_group = c.target.ring_group;
    }
    tr.rules.push_back({"department", dept, detail});
    if (!ring_group.empty()) {
      tr.rules.push_back({"ring group", ring_group, "the ring group of department " + Quote(dept)});
    }
  }

  // Mapped custom fields are set; an empty mapped value removes the stored one. Custom
  // fields the mapping does not produce are left alone (an admin or another tool set them).
  static void MergeCustom(const std::vector<std::pair<std::string, std::string>>& want,
                          std::vector<std::pair<std::string, std::string>>& custom,
                          std::vector<FieldChange>& changes) {
    for (const auto& [name, value] : want) {
      auto it = std::lower_bound(custom.begin(), custom.end(), name,
                                 [](const auto& kv, const std::string& n) { return kv.first < n; });
      const bool present = it != custom.end() && it->first == name;
      const std::string old_value = present ? it->second : std::string();
      if (old_value == value) continue;
      changes.push_back({"custom." + name, old_value, value});
      if (value.empty()) {
        custom.erase(it);
      } else if (present) {
        it->second = value;
      } else {
        custom.insert(it, {name, value});
      }
    }
  }

  void PlanRejected(const RejectedUser& r) {
    if (Explanation* tr = Traced(r.key)) {
      const size_t* linked = links_.Linked(r.key);
      tr->identity.push_back(
          {"link", linked != nullptr ? "linked" : "none",
           linked != nullptr ? "by source id to stored user " + StoredText(stored_.users[*linked]) +
                                   ": kept as it is while the source data is invalid (R1)"
                             : "invalid source data: not matched to a stored user"});
    }
    PlanItem item;
    item.action = Action::kError;
    item.key = r.key;
    item.username = r.username;
    item.reason = r.reason;
    // R1: the user is in the source, only invalid; its stored twin must not be deleted.
    int64_t index = kNone;
    if (const size_t* linked = links_.Linked(r.key)) {
      index = static_cast<int64_t>(*linked);
      if (seen_[*linked] == kUnseen) seen_[*linked] = kSeen;
      item.user_id = stored_.users[*linked].id;
      item.target = stored_.users[*linked];
    }
    Push(std::move(item), index);
  }

  // ---- only_user and only_keys --------------------------------------------------------

  void KeepOnlyUser(const std::string& name) {
    auto matches = [&name](const PlanItem& item, const PbxUser* stored) {
      return EqualsIgnoreCase(item.key, name) || EqualsIgnoreCase(item.username, name) ||
             EqualsIgnoreCase(item.target->fields.Get(Field::kEmail), name) ||
             EqualsIgnoreCase(item.target->fields.Get(Field::kUsername), name) ||
             (stored != nullptr && (EqualsIgnoreCase(stored->fields.Get(Field::kEmail), name) ||
                                    EqualsIgnoreCase(stored->fields.Get(Field::kUsername), name)));
    };
    std::vector<PlanItem> kept;
    for (size_t k = 0; k < plan_.items.size(); ++k) {
      const int64_t index = item_stored_[k];
      const PbxUser* stored = index == kNone ? nullptr : &stored_.users[index];
      if (matches(plan_.items[k], stored)) kept.push_back(std::move(plan_.items[k]));
    }
    plan_.items = std::move(kept);
    plan_.departments.clear();
  }

  void KeepOnlyKeys() {
    std::erase_if(plan_.items,
                  [this](const PlanItem& item) { return !options_.only_keys.count(item.key); });
  }

  const PlanInput& input_;
  const StoreSnapshot& stored_;
  const Profile& profile_;
  const int64_t now_;
  const PlanOptions& options_;
  plan_detail::RuleSet rules_;
  plan_detail::Links links_;
  plan_detail::Claims claims_;

  Plan plan_;
  plan_detail::Completeness completeness_;
  plan_detail::FlatIndex<bool> created_keys_;  // source ids of the users this plan creates
  // Per stored user: kUnseen, kSeen (planned from the source), kSeenDisabled (disabled
  // under policy.disabled: delete, left to the deletion pass). A second desired user of
  // one source id is a conflict.
  std::vector<uint8_t> seen_;
  std::vector<int64_t> item_stored_;  // per plan item: its stored user's index or kNone
  // `explain`: the department of each traced user's item, for TraceWholePlan.
  std::unordered_map<const Explanation*, std::string> traced_departments_;
};

}  // namespace

Plan MakePlan(const PlanInput& input, const StoreSnapshot& stored, const Profile& profile,
              int64_t now, const PlanOptions& options) {
  return PlanBuilder(input, stored, profile, now, options).Build();
}

}  // namespace telsync
