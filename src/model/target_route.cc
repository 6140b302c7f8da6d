#include "model/target_route.h"

#include <optional>

#include "model/fields.h"
#include "model/plan.h"

namespace telsync {
namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The rule field's value after the item (`after`) and before it.
struct RuleValues {
  std::string before;
  std::string after;
  bool changed = false;
};

RuleValues ValuesOf(const PlanItem& item, const std::string& field) {
  RuleValues v;
  if (field.empty()) return v;
  if (std::optional<Field> f = FieldFromName(field)) {
    v.after = std::string(item.target->fields.Get(*f));
  }
  v.before = v.after;
  for (const FieldChange& c : item.changes) {
    if (c.field != field) continue;
    v.before = c.old_value;
    v.after = c.new_value;
    v.changed = v.before != v.after;
  }
  return v;
}

}  // namespace

bool RuleRoutes(const TargetRule& rule, std::string_view value) {
  if (rule.field.empty()) return true;
  for (const std::string& v : rule.values) {
    if (EqualsIgnoringCase(v, value)) return true;
  }
  return false;
}

std::vector<TargetStep> TargetSteps(const PlanItem& item, const std::vector<TargetRoute>& routes) {
  std::vector<TargetStep> steps;
  if (routes.empty() || !IsWrite(item.action)) return steps;
  const bool existed = item.action != Action::kCreate;
  const bool exists = item.action != Action::kDelete;
  // Where the user was and will be, per route.
  std::vector<bool> was(routes.size());
  std::vector<bool> will(routes.size());
  std::vector<RuleValues> values(routes.size());
  for (size_t i = 0; i < routes.size(); ++i) {
    values[i] = ValuesOf(item, routes[i].rule.field);
    was[i] = existed && RuleRoutes(routes[i].rule, values[i].before);
    will[i] = exists && RuleRoutes(routes[i].rule, values[i].after);
  }
  auto move_text = [&](const char* direction, size_t other, size_t self) {
    const RuleValues& v = values[self];
    return std::string(direction) + " " + routes[other].name + " (" + routes[self].rule.field +
           ": " + (v.before.empty() ? "(empty)" : v.before) + " -> " +
           (v.after.empty() ? "(empty)" : v.after) + ")";
  };
  for (size_t i = 0; i < routes.size(); ++i) {
    if (!was[i] && !will[i]) continue;
    TargetStep step{routes[i].name, "update", ""};
    if (!was[i]) {
      step.action = "create";
      if (existed) {
        step.detail = "now routed here (" + routes[i].rule.field + ": " +
                      (values[i].before.empty() ? "(empty)" : values[i].before) + " -> " +
                      values[i].after + ")";
        for (size_t j = 0; j < routes.size(); ++j) {
          if (j != i && was[j] && !will[j]) step.detail = move_text("moved from", j, i);
        }
      }
    } else if (!will[i]) {
      step.action = "delete";
      if (exists) {
        step.detail = "no longer routed here (" + routes[i].rule.field + ": " + values[i].before +
                      " -> " + (values[i].after.empty() ? "(empty)" : values[i].after) + ")";
        for (size_t j = 0; j < routes.size(); ++j) {
          if (j != i && !was[j] && will[j]) step.detail = move_text("moved to", j, i);
        }
      }
    } else if (item.changes.empty() && item.action == Action::kRelink) {
      continue;
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

std::vector<TargetSummary> SummarizeTargets(const Plan& plan) {
  std::vector<TargetSummary> out(plan.targets.size());
  for (size_t i = 0; i < out.size(); ++i) out[i].route = &plan.targets[i];
  if (out.empty()) return out;
  for (const PlanItem& item : plan.items) {
    for (TargetStep& step : TargetSteps(item, plan.targets)) {
      for (TargetSummary& summary : out) {
        if (summary.route->name != step.target) continue;
        if (step.action == "create") ++summary.create;
        if (step.action == "update") ++summary.update;
        if (step.action == "delete") ++summary.remove;
        if (!step.detail.empty()) summary.moves.emplace_back(&item, std::move(step));
        break;
      }
    }
  }
  return out;
}

std::string RuleText(const TargetRule& rule) {
  if (rule.field.empty()) return "every user";
  std::string text = rule.field + " in [";
  for (size_t i = 0; i < rule.values.size(); ++i) text += (i ? ", " : "") + rule.values[i];
  return text + "]";
}

}  // namespace telsync
