#include "plan/detail/deletions.h"

#include <cstdio>

#include "plan/detail/keys.h"
#include "plan/detail/switches.h"
#include "plan/detail/text.h"

namespace telsync::plan_detail {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

// The deletion pass's decisions about stored user `u`, in the order PlanDeletions makes
// them (the trace of `telsync explain`).
void TraceDeletion(const PbxUser& u, uint8_t presence, bool excluded,
                   const Completeness& completeness, const PolicyConfig& p, int64_t now,
                   Explanation& tr) {
  tr.identity.push_back(
      {"link", presence == kSeenDisabled ? "disabled" : "gone",
       "stored user " + StoredName(u) + " (id " + std::to_string(u.id) +
           ") is linked to source id " + Quote(u.source_key) +
           (presence == kSeenDisabled
                ? "; the source returned it disabled (policy.disabled: delete)"
                : "; the source did not return it (deleted, disabled out of scope, or moved "
                  "out of the scope's groups)")});
  tr.policy.push_back({"complete read (R1)", completeness.complete ? "pass" : "skip",
                       completeness.complete ? "the read was complete: deletions are allowed"
                                             : completeness.reason});
  if (!completeness.complete) return;
  tr.policy.push_back({"exclusion group", excluded ? "skip" : "pass",
                       p.exclusion_group.empty() ? "no policy.exclusion_group"
                       : excluded ? "in group " + Quote(p.exclusion_group) + ": never deleted"
                                  : "not in group " + Quote(p.exclusion_group)});
  if (excluded) return;
  if (p.grace_days <= 0) {
    tr.policy.push_back({"grace period", "none", "policy.grace_days is 0: deleted at once"});
  } else if (u.state == UserState::kActive) {
    tr.policy.push_back({"grace period", "starts",
                         "marked pending delete now; deleted after " +
                             std::to_string(p.grace_days) + " days, on " +
                             IsoDate(now + p.grace_days * kSecondsPerDay)});
  } else {
    const int64_t ends = u.pending_since + p.grace_days * kSecondsPerDay;
    const int64_t left = ends > now ? (ends - now + kSecondsPerDay - 1) / kSecondsPerDay : 0;
    tr.policy.push_back({"grace period", left > 0 ? "running" : "over",
                         "pending delete since " + IsoDate(u.pending_since) +
                             "; the grace period of " + std::to_string(p.grace_days) +
                             " days ends " + IsoDate(ends) + " (" + std::to_string(left) +
                             " days left)"});
  }
  // protect_mobile guards the delete itself: while the grace period runs it waits.
  const bool waits = p.grace_days > 0 && (u.state == UserState::kActive ||
                                          now - u.pending_since < p.grace_days * kSecondsPerDay);
  if (p.protect_mobile) {
    const std::string_view mobile = u.fields.Get(Field::kMobile);
    if (mobile.empty()) {
      tr.policy.push_back({"protect_mobile", "pass", "holds no mobile"});
    } else {
      tr.policy.push_back({"protect_mobile", waits ? "later" : "blocks",
                           "holds mobile " + std::string(mobile) +
                               (waits ? ": it will block the delete when the grace period ends"
                                      : ": the delete is blocked")});
    }
  } else {
    tr.policy.push_back({"protect_mobile", "off", "policy.protect_mobile is false"});
  }
}

}  // namespace

std::string DisabledSkipReason(const PolicyConfig& policy) {
  return policy.disabled == DisabledAction::kSkip
             ? "disabled in the directory"
             : "disabled in the directory (policy.disabled: delete)";
}

Completeness JudgeCompleteness(const PlanInput& input, size_t linked_count, bool scoped_to_keys) {
  Completeness out;
  out.complete = input.complete;
  if (!input.complete) {
    out.reason = "source read incomplete: no deletion";
  } else if (input.desired.empty() && input.rejected.empty() && linked_count > 0 &&
             !scoped_to_keys) {
    out.complete = false;
    out.reason = "source returned no users while " + std::to_string(linked_count) +
                 " are stored: treated as incomplete";
  }
  return out;
}

std::vector<uint8_t> FindPresence(const PlanInput& input, size_t stored_count, const Links& links,
                                  const PolicyConfig& policy) {
  std::vector<uint8_t> presence(stored_count, kUnseen);
  for (const DesiredUser& d : input.desired) {
    const size_t* linked = links.Linked(d.user.source_key);
    if (linked == nullptr || presence[*linked] != kUnseen) continue;
    presence[*linked] = TakesDeletionPath(d, policy) ? kSeenDisabled : kSeen;
  }
  for (const RejectedUser& r : input.rejected) {
    const size_t* linked = links.Linked(r.key);
    if (linked != nullptr && presence[*linked] == kUnseen) presence[*linked] = kSeen;
  }
  for (const auto& [desired, stored] : links.relinks()) presence[stored] = kSeen;
  return presence;
}

std::vector<Deletion> PlanDeletions(const StoreSnapshot& stored, const Links& links,
                                    const std::vector<uint8_t>& presence, const Profile& profile,
                                    const std::unordered_set<std::string>& only_keys,
                                    const Completeness& completeness, int64_t now,
                                    ExplainSet* explain) {
  const PolicyConfig& p = profile.policy;
  std::vector<Deletion> out;
  for (size_t s = 0; s < stored.users.size(); ++s) {
    const PbxUser& u = stored.users[s];
    if (!links.IsLinked(u) || presence[s] == kSeen) continue;
    if (!only_keys.empty() && !only_keys.count(u.source_key)) continue;
    if (const size_t* linked = links.Linked(u.source_key); linked == nullptr || *linked != s) {
      continue;  // a duplicate link in the store; the first holder speaks for it
    }
    Explanation* tr = explain != nullptr ? explain->ByKey(u.source_key) : nullptr;
    if (tr != nullptr) TraceDeletion(u, presence[s], links.Excluded(s), completeness, p, now, *tr);
    PlanItem item;
    item.key = u.source_key;
    item.username = std::string(u.fields.Get(Field::kUsername));
    item.user_id = u.id;
    item.target = u;
    const std::string why =
        presence[s] == kSeenDisabled ? "disabled in the directory" : "gone from the source";
    if (!completeness.complete) {
      item.action = Action::kSkip;
      item.reason = completeness.reason;
    } else if (links.Excluded(s)) {
      item.action = Action::kSkip;
      item.reason = "in group " + Quote(p.exclusion_group);
    } else if (u.state == UserState::kActive && p.grace_days > 0) {
      item.action = Action::kPendingDelete;
      item.target->state = UserState::kPendingDelete;
      item.target->pending_since = now;
      item.changes.push_back({"state", "active", "pending_delete"});
      item.reason = why + "; deleted after " + std::to_string(p.grace_days) + " days";
    } else if (u.state == UserState::kPendingDelete && p.grace_days > 0 &&
               now - u.pending_since < p.grace_days * kSecondsPerDay) {
      item.action = Action::kUnchanged;
      item.reason =
          "pending delete until " + IsoDate(u.pending_since + p.grace_days * kSecondsPerDay);
    } else if (p.protect_mobile && !u.fields.Get(Field::kMobile).empty()) {
      item.action = Action::kBlocked;
      item.reason = "holds mobile " + std::string(u.fields.Get(Field::kMobile)) +
                    ": port or cancel the number first (protect_mobile)";
    } else {
      item.action = Action::kDelete;
      item.reason = p.grace_days > 0 ? why + " for " + std::to_string(p.grace_days) + " days" : why;
    }
    if (tr != nullptr) {
      if (auto off = SwitchedOff(item.action, p)) {
        tr->policy.push_back({"operation switches", "skip", std::string(*off)});
      } else {
        tr->policy.push_back({"operation switches", "pass",
                              std::string(ActionName(item.action)) + " is switched on"});
      }
    }
    ApplySwitches(item, p);
    out.push_back({std::move(item), s});
  }
  return out;
}

std::vector<std::string> ThresholdReasons(const std::vector<PlanItem>& items, const PolicyConfig& p,
                                          size_t linked_count) {
  std::vector<std::string> reasons;
  size_t deletions = 0;
  for (const PlanItem& item : items) {
    if (item.action == Action::kDelete || item.action == Action::kPendingDelete) ++deletions;
  }
  if (p.max_deletes >= 0 && static_cast<int64_t>(deletions) > p.max_deletes) {
    reasons.push_back(std::to_string(deletions) + " deletions exceed max_deletes " +
                      std::to_string(p.max_deletes));
  }
  if (p.max_delete_percent >= 0 && linked_count > 0 &&
      static_cast<double>(deletions) * 100.0 >
          p.max_delete_percent * static_cast<double>(linked_count)) {
    char percent[32];
    std::snprintf(percent, sizeof percent, "%g", p.max_delete_percent);
    reasons.push_back(std::to_string(deletions) + " deletions exceed max_delete_percent " +
                      percent + "% of " + std::to_string(linked_count) + " users");
  }
  return reasons;
}

}  // namespace telsync::plan_detail
