// Where a plan's changes go beyond the PBX directory (issue 17): the tenant's targets as the
// preview sees them, and what each target would receive for one plan item.
//
// A target routes a user when its rule matches the user's field (TargetRule; no rule routes
// every user). The Kamailio target and the preview both ask RuleRoutes, so the preview
// shows what the publisher does: a user whose rule field changes from one target's values
// to another's is deleted on the first and created on the second (a move), and both steps
// are shown.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace telsync {

struct Plan;
struct PlanItem;

// Routes users to a target by one of their fields (a tenant with several PBX systems).
struct TargetRule {
  std::string field;                // a PBX field name (FieldName); "" = no rule
  std::vector<std::string> values;  // matched case-insensitively
};

// True when a user whose `field` is `value` belongs on a target with `rule`.
bool RuleRoutes(const TargetRule& rule, std::string_view value);

// A target as a plan shows it: no connection details, no secrets.
struct TargetRoute {
  std::string name;
  std::string type;  // "kamailio", "webhook", ...
  TargetRule rule;
};

// What one target would receive for one plan item.
struct TargetStep {
  std::string target;
  std::string action;  // "create" | "update" | "delete"
  std::string detail;  // a move: "moved from sip-old (city: Stockholm -> Uppsala)"; else ""
};

// The steps of `item` on each of `routes`, in the routes' order: none for an item that
// writes nothing (IsWrite false) or whose user stays off a target. A delete reaches the
// targets that held the user; a user whose rule field moves it between targets is a
// delete on one and a create on the other.
std::vector<TargetStep> TargetSteps(const PlanItem& item, const std::vector<TargetRoute>& routes);

// One target's share of a plan: the counts of its steps, and the items that move a user
// onto or off it (a step with a detail), in plan order.
struct TargetSummary {
  const TargetRoute* route = nullptr;  // into plan.targets
  size_t create = 0;
  size_t update = 0;
  size_t remove = 0;  // "delete" steps
  std::vector<std::pair<const PlanItem*, TargetStep>> moves;
};

// One summary per plan.targets entry, in order (empty for a plan without targets).
std::vector<TargetSummary> SummarizeTargets(const Plan& plan);

// "city in [Stockholm, Uppsala]", or "every user" for no rule.
std::string RuleText(const TargetRule& rule);

}  // namespace telsync
