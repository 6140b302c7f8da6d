#include "plan/planner.h"

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "plan/detail/flat_index.h"
#include "plan/detail/rules.h"
#include "plan/detail/text.h"

namespace telsync {
namespace {

using plan_detail::AsciiLower;
using plan_detail::EqualsIgnoreCase;
using plan_detail::HasUpper;

constexpr int64_t kNone = -1;
constexpr int64_t kSecondsPerDay = 86400;

// Fields that must be unique across the tenant (F8). E-mail and username compare
// case-insensitively; numbers are E.164 and extensions digits, so they compare exactly.
constexpr std::array<Field, 5> kUniqueFields = {Field::kEmail, Field::kUsername, Field::kExtension,
                                                Field::kLandline, Field::kMobile};
constexpr bool FoldsCase(size_t u) { return u < 2; }

// The fields a mapping always sets (an empty value clears the stored one).
constexpr std::array<Field, 12> kMappedFields = {
    Field::kUsername,   Field::kFirstName, Field::kLastName, Field::kDisplayName,
    Field::kEmail,      Field::kExtension, Field::kLandline, Field::kMobile,
    Field::kDepartment, Field::kJobTitle,  Field::kCity,     Field::kCountry};

std::optional<size_t> UniqueIndex(Field f) {
  for (size_t u = 0; u < kUniqueFields.size(); ++u) {
    if (kUniqueFields[u] == f) return u;
  }
  return std::nullopt;
}

// Who holds a unique value. `owner` is the holder in the state reached by applying the
// items planned so far, in order: a stored user's index, or stored.size() + desired
// index for a user this plan creates. `claimant` is the one desired user that may have
// the value when several ask for it; the others are conflicts. The claimant is the user
// who holds it now (the desired user linked to, or adopting, the stored holder), else
// the one with the smallest source id: never the order the source returned them in
// (issue 14 item 5), so a delta read and a full read decide alike.
// The same rule, never the source's order, decides which of two desired users adopts one
// unlinked stored user and the order extensions of a range are given out in (both by
// source id). Consequence, by design: a value moving from a user later in source order to
// an earlier one is a conflict in this run and applied in the next, so no state between
// two applied items ever holds a duplicate (the end state does not depend on the order). Values of
// users deleted in this plan are released before the desired users are planned (the store applies
// deletions first).
struct Claim {
  int32_t owner = kNone;  // 32 bits: the index is the planner's hottest memory (P1)
  int32_t claimant = kNone;
};
using ClaimMap = plan_detail::FlatIndex<Claim>;

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
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
        rules_(profile.rules) {}

  Plan Build() {
    plan_.tenant = profile_.tenant;
    plan_.profile = profile_.name;
    plan_.source = input_.source;
    IndexStored();
    complete_ = input_.complete;
    if (!input_.complete) {
      incomplete_reason_ = "source read incomplete: no deletion";
    } else if (input_.desired.empty() && input_.rejected.empty() && linked_count_ > 0 &&
               options_.only_keys.empty()) {
      // R1: an empty answer from a source that used to have users is far more likely a
      // broken scope or filter than a company that fired everyone. (A scoped plan of
      // deleted objects is empty by design: its keys say what it is about.)
      complete_ = false;
      incomplete_reason_ = "source returned no users while " + std::to_string(linked_count_) +
                           " are stored: treated as incomplete";
    }
    plan_.complete = complete_;
    FindRelinks();
    IndexDesired();
    // Deletions are decided first, so that the values a deleted user frees can be taken by
    // a desired user in the same plan (the store applies deletions first): one run
    // converges. Their items still come last in the plan, as the report reads them.
    std::vector<std::pair<PlanItem, int64_t>> deletions = PlanDeletions(Presence());
    PreallocateExtensions();  // after the deletions have released their values
    // One allocation for every item: growing a vector of a million items would move them
    // all and touch twice the memory (P1).
    plan_.items.reserve(input_.desired.size() + input_.rejected.size() + deletions.size());
    item_stored_.reserve(plan_.items.capacity());
    for (size_t i = 0; i < input_.desired.size(); ++i) PlanDesired(i);
    for (const RejectedUser& r : input_.rejected) PlanRejected(r);
    for (auto& [item, index] : deletions) Push(std::move(item), index);
    if (profile_.departments.enabled && !options_.only_user && options_.only_keys.empty()) {
      PlanDepartments();
    }
    if (options_.only_user) KeepOnlyUser(*options_.only_user);
    if (!options_.only_keys.empty()) KeepOnlyKeys();
    Hold();
    return std::move(plan_);
  }

 private:
  // ---- indexes ------------------------------------------------------------------------

  std::string_view Stable(std::string s) { return arena_.emplace_back(std::move(s)); }

  std::string_view Key(size_t u, std::string_view v) {
    if (FoldsCase(u) && HasUpper(v)) return Stable(AsciiLower(v));
    return v;
  }

  bool IsLinked(const PbxUser& u) const {
    return !u.source_key.empty() && u.profile == profile_.name;
  }
  bool IsAdoptable(const PbxUser& u) const {
    return u.profile.empty() || (u.profile == profile_.name && u.source_key.empty());
  }

  void IndexStored() {
    const size_t n = stored_.users.size();
    seen_.assign(n, 0);
    excluded_.assign(n, 0);
    adopted_by_.assign(n, kNone);
    adopter_.assign(n, kNone);
    linked_.Reserve(n);
    // In a steady state stored and desired users share their values, so each index is
    // sized for the larger side's count of values it really holds: a field nobody has
    // (extensions from a range, say) costs nothing (P1, memory at a million users).
    std::array<size_t, kUniqueFields.size()> in_store{};
    std::array<size_t, kUniqueFields.size()> in_source{};
    auto count = [](const FieldSet& f, std::array<size_t, kUniqueFields.size()>& counts) {
      for (size_t k = 0; k < kUniqueFields.size(); ++k)
        counts[k] += !f.Get(kUniqueFields[k]).empty();
    };
    for (const PbxUser& u : stored_.users) count(u.fields, in_store);
    for (const DesiredUser& d : input_.desired) count(d.user.fields, in_source);
    for (size_t k = 0; k < kUniqueFields.size(); ++k) {
      claims_[k].Reserve(std::max(in_store[k], in_source[k]));
    }
    const std::string& exclusion = profile_.policy.exclusion_group;
    for (size_t s = 0; s < n; ++s) {
      const PbxUser& u = stored_.users[s];
      if (!exclusion.empty()) {
        for (const auto& g : u.groups) {
          if (EqualsIgnoreCase(g, exclusion)) excluded_[s] = 1;
        }
      }
      if (IsLinked(u)) {
        bool inserted = false;
        size_t& slot = linked_.FindOrInsert(u.source_key, &inserted);
        if (inserted) {
          slot = s;
          ++linked_count_;
        }
      } else if (IsAdoptable(u)) {
        const std::string_view email = u.fields.Get(Field::kEmail);
        if (!email.empty()) unlinked_email_.emplace(Key(0, email), s);
        const std::string_view username = u.fields.Get(Field::kUsername);
        if (!username.empty()) unlinked_username_.emplace(Key(1, username), s);
      }
      for (size_t k = 0; k < kUniqueFields.size(); ++k) {
        const std::string_view v = u.fields.Get(kUniqueFields[k]);
        if (v.empty()) continue;
        Claim& c = claims_[k].FindOrInsert(Key(k, v));
        // A store that already holds a duplicate keeps its first holder as the owner.
        if (c.owner == kNone) c.owner = static_cast<int32_t>(s);
      }
    }
  }

  // True when desired user a comes before b in the order that decides ties: by source id
  // (byte order), then by source position for a repeated id.
  bool IdBefore(size_t a, size_t b) const {
    const int c = input_.desired[a].user.source_key.compare(input_.desired[b].user.source_key);
    return c != 0 ? c < 0 : a < b;
  }

  // Relink (issue 14 item 6): a desired user with no stored user of its own, whose e-mail
  // or UPN is the e-mail of a linked stored user whose own source object this complete
  // read did not return, is that person under a new id (a directory moved from AD's
  // objectGUID to Entra's id, a restored tenant). It takes that stored user over in place
  // instead of a delete and a create. Ambiguous cases (two gone users with one e-mail) are
  // not relinked; of two desired users that match one gone user, the smaller id does.
  void FindRelinks() {
    if (!complete_ || options_.only_user || !options_.only_keys.empty()) return;
    std::vector<uint8_t> present(stored_.users.size(), 0);
    for (const DesiredUser& d : input_.desired) {
      if (const size_t* linked = linked_.Find(d.user.source_key)) present[*linked] = 1;
    }
    for (const RejectedUser& r : input_.rejected) {
      if (const size_t* linked = linked_.Find(r.key)) present[*linked] = 1;
    }
    std::unordered_map<std::string_view, int64_t> gone_by_email;  // kNone: ambiguous
    for (size_t s = 0; s < stored_.users.size(); ++s) {
      const PbxUser& u = stored_.users[s];
      if (!IsLinked(u) || present[s] || excluded_[s]) continue;
      const std::string_view email = u.fields.Get(Field::kEmail);
      if (email.empty()) continue;
      auto [it, fresh] = gone_by_email.emplace(Key(0, email), static_cast<int64_t>(s));
      if (!fresh) it->second = kNone;
    }
    if (gone_by_email.empty()) return;
    std::unordered_map<size_t, size_t> by_stored;  // gone stored user -> its relinker
    for (size_t i = 0; i < input_.desired.size(); ++i) {
      const DesiredUser& d = input_.desired[i];
      if (linked_.Find(d.user.source_key) != nullptr) continue;
      if (!d.enabled && profile_.policy.disabled == DisabledAction::kDelete) continue;
      for (const std::string_view key : {d.user.fields.Get(Field::kEmail), d.upn()}) {
        if (key.empty()) continue;
        auto it = gone_by_email.find(Key(0, key));
        if (it == gone_by_email.end() || it->second == kNone) continue;
        auto [slot, fresh] = by_stored.emplace(static_cast<size_t>(it->second), i);
        if (!fresh && IdBefore(i, slot->second)) slot->second = i;
        break;
      }
    }
    for (const auto& [stored, desired] : by_stored) {
      relink_.emplace(static_cast<uint32_t>(desired), stored);
    }
  }

  void IndexDesired() {
    // The stored user each desired user is (linked) or would become (adopted): the values
    // that user holds are its own already.
    std::vector<int32_t> match(input_.desired.size(), kNone);
    for (size_t i = 0; i < input_.desired.size(); ++i) {
      const DesiredUser& d = input_.desired[i];
      if (const size_t* linked = linked_.Find(d.user.source_key)) {
        match[i] = static_cast<int32_t>(*linked);
      } else if (auto relink = relink_.find(static_cast<uint32_t>(i)); relink != relink_.end()) {
        match[i] = static_cast<int32_t>(relink->second);
      } else if (!unlinked_email_.empty() || !unlinked_username_.empty()) {
        if (auto candidate = FindCandidate(d)) match[i] = static_cast<int32_t>(candidate->first);
      }
    }
    // Who adopts an unlinked stored user that several desired users match: the smallest id.
    for (size_t i = 0; i < input_.desired.size(); ++i) {
      const int32_t s = match[i];
      if (s == kNone || IsLinked(stored_.users[static_cast<size_t>(s)])) continue;
      if (adopter_[s] == kNone || IdBefore(i, static_cast<size_t>(adopter_[s]))) {
        adopter_[s] = static_cast<int64_t>(i);
      }
    }
    // The holder claims; among the others the smallest id. Decided by comparing, never by
    // the source's order. A repeated source id of the holder is a conflict of its own.
    auto holds = [&](int32_t i, const Claim& c) {
      return match[i] != kNone && c.owner == match[i];
    };
    for (size_t i = 0; i < input_.desired.size(); ++i) {
      const DesiredUser& d = input_.desired[i];
      // A disabled user that is skipped or deleted is never written: it claims nothing
      // (what it holds in the store stays its own through the owner).
      if (!d.enabled && profile_.policy.disabled != DisabledAction::kUnsearchable) continue;
      const FieldSet& f = d.user.fields;
      for (size_t k = 0; k < kUniqueFields.size(); ++k) {
        const std::string_view v = f.Get(kUniqueFields[k]);
        if (v.empty()) continue;
        Claim& c = claims_[k].FindOrInsert(Key(k, v));
        const auto self = static_cast<int32_t>(i);
        if (c.claimant == kNone) {
          c.claimant = self;
          continue;
        }
        const bool mine = holds(self, c);
        const bool theirs = holds(c.claimant, c);
        if ((mine && !theirs) || (mine == theirs && IdBefore(i, static_cast<size_t>(c.claimant)))) {
          c.claimant = self;
        }
      }
    }
  }

  // ---- names for reasons ----------------------------------------------------------------

  std::string StoredName(size_t s) const {
    const PbxUser& u = stored_.users[s];
    const std::string_view name = u.fields.Get(Field::kUsername);
    if (!name.empty()) return std::string(name);
    return "user:" + std::to_string(u.id);
  }
  std::string DesiredName(size_t i) const {
    const PbxUser& u = input_.desired[i].user;
    const std::string_view name = u.fields.Get(Field::kUsername);
    if (!name.empty()) return std::string(name);
    return u.source_key;
  }
  std::string OwnerName(int64_t owner) const {
    const auto n = static_cast<int64_t>(stored_.users.size());
    return owner < n ? StoredName(static_cast<size_t>(owner))
                     : DesiredName(static_cast<size_t>(owner - n));
  }

  // ---- templates and extensions --------------------------------------------------------

  const TemplateConfig* FindTemplate(std::string_view name) const {
    for (const auto& t : profile_.templates) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }

  // The lowest number of the range no stored or desired user holds (F14). The cursor only
  // moves up: a number freed during this plan is reused by the next run.
  std::optional<std::string_view> AllocateExtension() {
    const RangeConfig& range = profile_.extensions;
    if (next_extension_ < range.first) next_extension_ = range.first;
    for (; next_extension_ <= range.last; ++next_extension_) {
      std::string candidate = std::to_string(next_extension_);
      ClaimMap& claims = claims_[2];
      if (claims.Find(candidate) != nullptr) continue;
      const std::string_view v = Stable(std::move(candidate));
      claims.FindOrInsert(v);  // reserved: later desired users cannot get it
      ++next_extension_;
      return v;
    }
    return std::nullopt;
  }

  // Extensions from the range for the desired users that will need one, given out by
  // source id (not source order) before planning, so the numbers do not depend on the order
  // a source returns users in. A user planned otherwise after all (a conflict) leaves its
  // number unused in this run; the next run gives it out again.
  void PreallocateExtensions() {
    if (profile_.extensions.empty()) return;
    std::vector<uint32_t> wanting;
    std::unordered_set<std::string_view> keys;  // a repeated source id: the first is planned
    for (size_t i = 0; i < input_.desired.size(); ++i) {
      const DesiredUser& d = input_.desired[i];
      if (!keys.insert(d.user.source_key).second) continue;
      if (!d.user.fields.Get(Field::kExtension).empty()) continue;
      if (!d.enabled && profile_.policy.disabled != DisabledAction::kUnsearchable) continue;
      int64_t m = kNone;
      if (const size_t* linked = linked_.Find(d.user.source_key)) {
        m = static_cast<int64_t>(*linked);
      } else if (auto relink = relink_.find(static_cast<uint32_t>(i)); relink != relink_.end()) {
        m = static_cast<int64_t>(relink->second);
      } else if (auto candidate = FindCandidate(d)) {
        if (adopter_[candidate->first] != static_cast<int64_t>(i)) continue;  // a conflict
        m = static_cast<int64_t>(candidate->first);
      }
      if (m != kNone && (excluded_[m] || !stored_.users[m].fields.Get(Field::kExtension).empty())) {
        continue;
      }
      // A user that will be a conflict gets no number: it would stay unused in this run.
      const int64_t self = m != kNone ? m : static_cast<int64_t>(stored_.users.size() + i);
      std::array<std::string_view, kUniqueFields.size()> values{};
      for (size_t u = 0; u < kUniqueFields.size(); ++u) {
        values[u] = d.user.fields.Get(kUniqueFields[u]);
      }
      if (FindConflict(i, self, values)) continue;
      wanting.push_back(static_cast<uint32_t>(i));
    }
    std::sort(wanting.begin(), wanting.end(),
              [this](uint32_t a, uint32_t b) { return IdBefore(a, b); });
    for (const uint32_t i : wanting) {
      auto ext = AllocateExtension();
      preallocated_.emplace(i, ext ? *ext : std::string_view());
    }
  }

  std::string RangeText() const {
    return std::to_string(profile_.extensions.first) + "-" +
           std::to_string(profile_.extensions.last);
  }

  // ---- policy ---------------------------------------------------------------------------

  void ApplySwitches(PlanItem& item) const {
    const Action a = item.action;
    if (!IsWrite(a)) return;
    const PolicyConfig& p = profile_.policy;
    const char* reason = nullptr;
    if (p.mode == SyncMode::kNewOnly && a != Action::kCreate) {
      reason = "new_only mode: existing users are not changed";
    } else if (a == Action::kCreate && !p.create) {
      reason = "creates are switched off";
    } else if ((a == Action::kUpdate || a == Action::kRestore || a == Action::kUnsearchable ||
                a == Action::kRelink) &&
               !p.update) {
      reason = "updates are switched off";
    } else if ((a == Action::kDelete || a == Action::kPendingDelete) && !p.del) {
      reason = "deletes are switched off";
    }
    if (reason != nullptr) {
      item.action = Action::kSkip;
      item.reason = reason;
    }
  }

  // ---- desired users --------------------------------------------------------------------

  std::optional<std::pair<size_t, std::string>> FindCandidate(const DesiredUser& d) {
    auto lookup = [](const std::unordered_map<std::string_view, size_t>& index,
                     std::string_view key) -> std::optional<size_t> {
      if (key.empty()) return std::nullopt;
      const auto it = index.find(key);
      if (it == index.end()) return std::nullopt;
      return it->second;
    };
    const std::string_view email = d.user.fields.Get(Field::kEmail);
    if (auto s = lookup(unlinked_email_, Key(0, email)))
      return std::pair(*s, "e-mail " + Quote(email));
    if (auto s = lookup(unlinked_email_, Key(0, d.upn())))
      return std::pair(*s, "upn " + Quote(d.upn()));
    const std::string_view username = d.user.fields.Get(Field::kUsername);
    if (auto s = lookup(unlinked_username_, Key(1, username))) {
      return std::pair(*s, "username " + Quote(username));
    }
    return std::nullopt;
  }

  // `stored_index`: the stored user the item is about, or kNone.
  void Push(PlanItem item, int64_t stored_index) {
    plan_.items.push_back(std::move(item));
    item_stored_.push_back(stored_index);
  }

  void PlanDesired(size_t i) {
    const DesiredUser& d = input_.desired[i];
    const PbxUser& du = d.user;
    PlanItem item;
    item.key = du.source_key;
    item.username = std::string(du.fields.Get(Field::kUsername));

    int64_t m = kNone;
    if (const size_t* linked = linked_.Find(du.source_key)) {
      m = static_cast<int64_t>(*linked);
      if (seen_[*linked]) {
        item.action = Action::kConflict;
        item.reason = "source id " + Quote(du.source_key) + " appears twice in the source";
        item.target = du;
        return Push(std::move(item), m);
      }
      seen_[*linked] = kSeen;
    } else if (bool inserted = false;
               created_keys_.FindOrInsert(du.source_key, &inserted), !inserted) {
      item.action = Action::kConflict;
      item.reason = "source id " + Quote(du.source_key) + " appears twice in the source";
      item.target = du;
      return Push(std::move(item), m);
    }

    if (!d.enabled && profile_.policy.disabled != DisabledAction::kUnsearchable) {
      if (profile_.policy.disabled == DisabledAction::kDelete && m != kNone) {
        // Handled by the deletion pass, with all its protections.
        seen_[m] = kSeenDisabled;
        return;
      }
      item.action = Action::kSkip;
      item.reason = profile_.policy.disabled == DisabledAction::kSkip
                        ? "disabled in the directory"
                        : "disabled in the directory (policy.disabled: delete)";
      if (m != kNone) item.user_id = stored_.users[m].id;
      item.target = m != kNone ? stored_.users[m] : du;
      return Push(std::move(item), m);
    }

    bool adopting = false;
    bool relinking = false;
    bool late_extension = false;
    if (auto relink = relink_.find(static_cast<uint32_t>(i));
        m == kNone && relink != relink_.end()) {
      m = static_cast<int64_t>(relink->second);
      seen_[relink->second] = kSeen;
      relinking = true;
    }
    if (m == kNone) {
      if (auto candidate = FindCandidate(d)) {
        const size_t s = candidate->first;
        const int64_t adopter = adopter_[s] != kNone ? adopter_[s] : static_cast<int64_t>(i);
        if (adopted_by_[s] != kNone || adopter != static_cast<int64_t>(i)) {
          item.action = Action::kConflict;
          item.reason = candidate->second + " also matches user " + StoredName(s) + " adopted by " +
                        DesiredName(static_cast<size_t>(adopter));
          item.target = du;
          return Push(std::move(item), m);
        }
        adopted_by_[s] = static_cast<int64_t>(i);
        m = static_cast<int64_t>(s);
        adopting = true;
      }
    }

    if (m != kNone && excluded_[m]) {
      item.action = Action::kSkip;
      item.reason = "in group " + Quote(profile_.policy.exclusion_group);
      item.user_id = stored_.users[m].id;
      item.target = stored_.users[m];
      return Push(std::move(item), m);
    }

    const bool searchable = d.enabled;
    // The origin of each unique value of the target, stable for the plan's lifetime.
    std::array<std::string_view, kUniqueFields.size()> new_values{};
    std::array<std::string_view, kUniqueFields.size()> old_values{};

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
          } else if (auto pre = preallocated_.find(static_cast<uint32_t>(i));
                     pre == preallocated_.end()) {
            late_extension = true;  // given after the conflict check (see below)
          } else if (!pre->second.empty()) {
            want = pre->second;
          } else {
            item.action = Action::kError;
            item.reason = "no free extension in " + RangeText();
            item.target = s;
            return Push(std::move(item), m);
          }
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
      for (size_t u = 0; u < kUniqueFields.size(); ++u)
        new_values[u] = du.fields.Get(kUniqueFields[u]);
      if (du.fields.Get(Field::kExtension).empty() && !profile_.extensions.empty()) {
        if (auto pre = preallocated_.find(static_cast<uint32_t>(i)); pre == preallocated_.end()) {
          late_extension = true;  // given after the conflict check (see below)
        } else if (!pre->second.empty()) {
          new_values[2] = pre->second;
          t.fields.Set(Field::kExtension, pre->second);
        } else {
          item.action = Action::kError;
          item.reason = "no free extension in " + RangeText();
          return Push(std::move(item), m);
        }
      }
      // F13: the template is create-time only; a mapped template or caller ID wins.
      std::string_view template_name = du.fields.Get(Field::kTemplate);
      if (template_name.empty()) template_name = rules_.TemplateFor(d, profile_.default_template);
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
    if (auto reason = FindConflict(i, self, new_values)) {
      item.action = Action::kConflict;
      item.reason = std::move(*reason);
      return Push(std::move(item), m);
    }
    if (late_extension) {
      // A user PreallocateExtensions expected to be a conflict (a value that another user
      // frees earlier in this plan): the next free number, now that it is known to need one.
      auto ext = AllocateExtension();
      if (!ext) {
        item.action = Action::kError;
        item.reason = "no free extension in " + RangeText();
        if (m != kNone && !item.target.has_value()) item.target = stored_.users[m];
        return Push(std::move(item), m);
      }
      new_values[2] = *ext;
      item.changes.push_back({"extension", "", std::string(*ext)});
      if (!item.target.has_value()) item.target = stored_.users[m];  // only a stored one lacks it
      item.target->fields.Set(Field::kExtension, *ext);
      if (item.action == Action::kUnchanged) item.action = Action::kUpdate;
    }
    ApplySwitches(item);
    if (IsWrite(item.action)) {
      // The holders change as the executor applies this item, in plan order.
      for (size_t u = 0; u < kUniqueFields.size(); ++u) {
        if (old_values[u] == new_values[u]) continue;
        if (!old_values[u].empty()) {
          Claim* c = claims_[u].Find(Key(u, old_values[u]));
          if (c != nullptr && c->owner == self) c->owner = kNone;
        }
        if (!new_values[u].empty())
          claims_[u].FindOrInsert(Key(u, new_values[u])).owner = static_cast<int32_t>(self);
      }
    }
    Push(std::move(item), m);
  }

  std::optional<std::string> FindConflict(
      size_t i, int64_t self,
      const std::array<std::string_view, kUniqueFields.size()>& new_values) {
    const FieldSet& f = input_.desired[i].user.fields;
    for (size_t u = 0; u < kUniqueFields.size(); ++u) {
      const std::string_view asked = f.Get(kUniqueFields[u]);
      const Claim* asked_claim = nullptr;
      if (!asked.empty()) {
        asked_claim = claims_[u].Find(Key(u, asked));
        if (asked_claim != nullptr && asked_claim->claimant != kNone &&
            asked_claim->claimant != static_cast<int64_t>(i)) {
          return std::string(FieldName(kUniqueFields[u])) + " " + Quote(asked) +
                 " is also used by " + DesiredName(static_cast<size_t>(asked_claim->claimant));
        }
      }
      const std::string_view v = new_values[u];
      if (v.empty()) continue;
      // Usually the target keeps the asked value: one lookup serves both checks (P1).
      const Claim* c = v == asked ? asked_claim : claims_[u].Find(Key(u, v));
      if (c != nullptr && c->owner != kNone && c->owner != self) {
        return std::string(FieldName(kUniqueFields[u])) + " " + Quote(v) + " is also used by " +
               OwnerName(c->owner);
      }
    }
    return std::nullopt;
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
    PlanItem item;
    item.action = Action::kError;
    item.key = r.key;
    item.username = r.username;
    item.reason = r.reason;
    // R1: the user is in the source, only invalid; its stored twin must not be deleted.
    int64_t index = kNone;
    if (const size_t* linked = linked_.Find(r.key)) {
      index = static_cast<int64_t>(*linked);
      if (seen_[*linked] == kUnseen) seen_[*linked] = kSeen;
      item.user_id = stored_.users[*linked].id;
      item.target = stored_.users[*linked];
    }
    Push(std::move(item), index);
  }

  // ---- deletions (F12) ------------------------------------------------------------------

  // Which linked stored users the source returned, as PlanDesired and PlanRejected will
  // mark them: the first desired user of a source id decides (kSeenDisabled for a
  // disabled user under policy.disabled: delete); a rejected user counts as seen (R1).
  std::vector<uint8_t> Presence() {
    std::vector<uint8_t> presence(stored_.users.size(), kUnseen);
    for (const DesiredUser& d : input_.desired) {
      const size_t* linked = linked_.Find(d.user.source_key);
      if (linked == nullptr || presence[*linked] != kUnseen) continue;
      const bool disabled_delete =
          !d.enabled && profile_.policy.disabled == DisabledAction::kDelete;
      presence[*linked] = disabled_delete ? kSeenDisabled : kSeen;
    }
    for (const RejectedUser& r : input_.rejected) {
      const size_t* linked = linked_.Find(r.key);
      if (linked != nullptr && presence[*linked] == kUnseen) presence[*linked] = kSeen;
    }
    for (const auto& [desired, stored] : relink_) presence[stored] = kSeen;  // not gone
    return presence;
  }

  std::vector<std::pair<PlanItem, int64_t>> PlanDeletions(const std::vector<uint8_t>& seen) {
    const PolicyConfig& p = profile_.policy;
    std::vector<std::pair<PlanItem, int64_t>> out;
    for (size_t s = 0; s < stored_.users.size(); ++s) {
      const PbxUser& u = stored_.users[s];
      if (!IsLinked(u) || seen[s] == kSeen) continue;
      if (!options_.only_keys.empty() && !options_.only_keys.count(u.source_key)) continue;
      if (const size_t* linked = linked_.Find(u.source_key); linked == nullptr || *linked != s) {
        continue;  // a duplicate link in the store; the first holder speaks for it
      }
      PlanItem item;
      item.key = u.source_key;
      item.username = std::string(u.fields.Get(Field::kUsername));
      item.user_id = u.id;
      item.target = u;
      const std::string why =
          seen[s] == kSeenDisabled ? "disabled in the directory" : "gone from the source";
      if (!complete_) {
        item.action = Action::kSkip;
        item.reason = incomplete_reason_;
      } else if (excluded_[s]) {
        item.action = Action::kSkip;
        item.reason = "in group " + Quote(p.exclusion_group);
      } else if (u.state == UserState::kActive && p.grace_days > 0) {
        item.action = Action::kPendingDelete;
        item.target->state = UserState::kPendingDelete;
        item.target->pending_since = now_;
        item.changes.push_back({"state", "active", "pending_delete"});
        item.reason = why + "; deleted after " + std::to_string(p.grace_days) + " days";
      } else if (u.state == UserState::kPendingDelete && p.grace_days > 0 &&
                 now_ - u.pending_since < p.grace_days * kSecondsPerDay) {
        item.action = Action::kUnchanged;
        item.reason = "pending delete until " +
                      plan_detail::IsoDate(u.pending_since + p.grace_days * kSecondsPerDay);
      } else if (p.protect_mobile && !u.fields.Get(Field::kMobile).empty()) {
        item.action = Action::kBlocked;
        item.reason = "holds mobile " + std::string(u.fields.Get(Field::kMobile)) +
                      ": port or cancel the number first (protect_mobile)";
      } else {
        item.action = Action::kDelete;
        item.reason =
            p.grace_days > 0 ? why + " for " + std::to_string(p.grace_days) + " days" : why;
      }
      ApplySwitches(item);
      if (item.action == Action::kDelete) {
        // The user's values are free for the desired users planned after this.
        for (size_t k = 0; k < kUniqueFields.size(); ++k) {
          const std::string_view v = u.fields.Get(kUniqueFields[k]);
          if (v.empty()) continue;
          Claim* c = claims_[k].Find(Key(k, v));
          if (c != nullptr && c->owner == static_cast<int32_t>(s)) c->owner = kNone;
        }
      }
      out.emplace_back(std::move(item), static_cast<int64_t>(s));
    }
    return out;
  }

  // ---- departments (F15) ----------------------------------------------------------------

  void PlanDepartments() {
    // Members of each department, from the users that will exist after this plan.
    std::map<std::string_view, std::vector<std::string>> wanted;
    // A stored user may appear in two items when the source repeats an id; the item that
    // changes it says what it becomes.
    std::vector<uint8_t> changed(stored_.users.size(), 0);
    for (size_t k = 0; k < plan_.items.size(); ++k) {
      if (IsWrite(plan_.items[k].action) && item_stored_[k] != kNone) changed[item_stored_[k]] = 1;
    }
    for (size_t k = 0; k < plan_.items.size(); ++k) {
      const PlanItem& item = plan_.items[k];
      const int64_t index = item_stored_[k];
      const PbxUser* user = nullptr;
      if (item.action == Action::kCreate || item.action == Action::kUpdate ||
          item.action == Action::kUnsearchable || item.action == Action::kRestore ||
          item.action == Action::kRelink) {
        user = &*item.target;
      } else if (!IsWrite(item.action) && index != kNone && !changed[index]) {
        // Left as stored (unchanged, skipped, in conflict, invalid, blocked): it stays.
        user = &stored_.users[index];
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

    const RangeConfig& range = profile_.departments.ring_groups;
    std::unordered_set<std::string> used_numbers;
    for (const Department& d : stored_.departments) {
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
        profile_.policy.del && profile_.policy.mode != SyncMode::kNewOnly && complete_;
    for (const Department& d : stored_.departments) {
      DepartmentChange change;
      change.target = d;
      auto it = wanted.find(d.name);
      std::vector<std::string> members;
      if (it != wanted.end()) members = std::move(it->second);
      if (!complete_) {
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
      plan_.departments.push_back(std::move(change));
    }
    for (auto& [name, members] : wanted) {
      DepartmentChange change;
      change.action = Action::kCreate;
      change.target.name = std::string(name);
      change.target.profile = profile_.name;
      change.target.ring_group = allocate();
      change.changes.push_back({"ring_group", "", change.target.ring_group});
      change.changes.push_back({"members", "", Join(members)});
      change.target.members = std::move(members);
      plan_.departments.push_back(std::move(change));
    }
  }

  // ---- only_user and holds --------------------------------------------------------------

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

  void Hold() {
    if (options_.approved) return;
    std::vector<std::string> reasons;
    if (!options_.only_user) {
      size_t deletions = 0;
      for (const PlanItem& item : plan_.items) {
        if (item.action == Action::kDelete || item.action == Action::kPendingDelete) {
          ++deletions;
        }
      }
      const PolicyConfig& p = profile_.policy;
      if (p.max_deletes >= 0 && static_cast<int64_t>(deletions) > p.max_deletes) {
        reasons.push_back(std::to_string(deletions) + " deletions exceed max_deletes " +
                          std::to_string(p.max_deletes));
      }
      if (p.max_delete_percent >= 0 && linked_count_ > 0 &&
          static_cast<double>(deletions) * 100.0 >
              p.max_delete_percent * static_cast<double>(linked_count_)) {
        char percent[32];
        std::snprintf(percent, sizeof percent, "%g", p.max_delete_percent);
        reasons.push_back(std::to_string(deletions) + " deletions exceed max_delete_percent " +
                          percent + "% of " + std::to_string(linked_count_) + " users");
      }
    }
    if (profile_.policy.mode == SyncMode::kReview && !plan_.IsNoop()) {
      reasons.push_back("review mode: every run waits for approval");
    }
    if (reasons.empty()) return;
    plan_.held = true;
    for (const auto& r : reasons) {
      if (!plan_.hold_reason.empty()) plan_.hold_reason += "; ";
      plan_.hold_reason += r;
    }
  }

  const PlanInput& input_;
  const StoreSnapshot& stored_;
  const Profile& profile_;
  const int64_t now_;
  const PlanOptions& options_;

  Plan plan_;
  bool complete_ = false;
  std::string incomplete_reason_;
  std::deque<std::string> arena_;  // lower-cased and allocated values the indexes view
  std::unordered_map<uint32_t, std::string_view> preallocated_;  // desired -> extension
  std::unordered_map<uint32_t, size_t> relink_;  // desired index -> stored user (FindRelinks)
  plan_detail::FlatIndex<size_t> linked_;
  std::unordered_map<std::string_view, size_t> unlinked_email_;
  std::unordered_map<std::string_view, size_t> unlinked_username_;
  plan_detail::FlatIndex<bool> created_keys_;
  std::array<ClaimMap, kUniqueFields.size()> claims_;
  // Per stored user: kUnseen, kSeen (in the source), kSeenDisabled (in the source but
  // disabled, and policy.disabled is delete: it takes the deletion path).
  static constexpr uint8_t kUnseen = 0;
  static constexpr uint8_t kSeen = 1;
  static constexpr uint8_t kSeenDisabled = 2;
  std::vector<uint8_t> seen_;
  std::vector<int64_t> item_stored_;  // per plan item: its stored user's index or kNone
  std::vector<uint8_t> excluded_;
  std::vector<int64_t> adopted_by_;
  std::vector<int64_t> adopter_;  // per unlinked stored user: the desired user that adopts it
  plan_detail::RuleSet rules_;
  size_t linked_count_ = 0;
  int64_t next_extension_ = 0;
};

}  // namespace

Plan MakePlan(const PlanInput& input, const StoreSnapshot& stored, const Profile& profile,
              int64_t now, const PlanOptions& options) {
  return PlanBuilder(input, stored, profile, now, options).Build();
}

}  // namespace telsync
