#include "admin/plan_items.h"

#include <algorithm>
#include <string_view>

namespace telsync::admin {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// True when `haystack` contains `needle` (already lower case), ASCII case ignored.
bool Contains(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return Lower(a) == b; });
  return it != haystack.end();
}

bool TextMatches(const PlanItem& item, std::string_view needle) {
  if (Contains(item.username, needle) || Contains(item.key, needle) ||
      Contains(item.reason, needle))
    return true;
  // A create carries its values in its target, not in changes: EffectiveChanges has both.
  for (const FieldChange& c : EffectiveChanges(item)) {
    if (Contains(c.old_value, needle) || Contains(c.new_value, needle)) return true;
  }
  return false;
}

}  // namespace

Status CheckPlanItemQuery(const PlanItemQuery& query) {
  if (query.text.size() > kMaxPlanQuery)
    return Error::Invalid("the search is over " + std::to_string(kMaxPlanQuery) + " characters")
        .WithField("q");
  return Ok();
}

namespace {
std::string Needle(const std::string& text) {
  std::string needle = text;
  std::transform(needle.begin(), needle.end(), needle.begin(), Lower);
  return needle;
}
}  // namespace

PlanItemPage PagePlanItems(Plan plan, const PlanItemQuery& query) {
  PlanItemPage page;
  page.summary = plan.Summary();
  const std::string needle = Needle(query.text);
  std::vector<PlanItem> kept;
  kept.reserve(std::min(query.limit, plan.items.size()));
  for (PlanItem& item : plan.items) {
    if (query.action && item.action != *query.action) continue;
    if (!needle.empty() && !TextMatches(item, needle)) continue;
    const size_t index = page.matched++;
    if (index >= query.offset && kept.size() < query.limit) kept.push_back(std::move(item));
  }
  plan.items = std::move(kept);
  page.plan = std::move(plan);
  return page;
}

RunItemsQuery ToRunItemsQuery(const PlanItemQuery& query) {
  RunItemsQuery q;
  q.action = query.action;
  q.needle = Needle(query.text);
  if (!q.needle.empty()) {
    q.matches = [needle = q.needle](const PlanItem& item) { return TextMatches(item, needle); };
  }
  q.offset = query.offset;
  q.limit = query.limit;
  return q;
}

}  // namespace telsync::admin
