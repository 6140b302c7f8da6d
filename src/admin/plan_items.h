// A page of a plan's items for the admin page and the REST API (issue 19): the preview and a
// run's items filtered by action and text and cut into pages on the server, so a 100,000-user
// preview never goes to the browser whole.
//
// Pure functions over model values: no store, no I/O, thread-compatible.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>

#include "model/plan.h"
#include "store/run_store.h"
#include "util/result.h"

namespace telsync::admin {

inline constexpr size_t kMaxPlanQuery = 200;  // characters of a text filter

struct PlanItemQuery {
  std::optional<Action> action;  // only items of this action; nullopt: every action
  // Only items whose username, key, reason or a changed value (old or new, a create's
  // values included) contains this, ASCII case ignored. Empty: every item.
  std::string text;
  size_t offset = 0;  // matching items skipped
  size_t limit = 50;  // at most this many items on the page
};

struct PlanItemPage {
  // The plan with only the page's items, in plan order; everything else as it was.
  Plan plan;
  // The counts per action of the whole plan, before the filter (the report's summary).
  std::array<size_t, kActionCount> summary{};
  size_t matched = 0;  // items that pass the filter, on every page
};

// kInvalid (field "q") for a text over kMaxPlanQuery characters.
Status CheckPlanItemQuery(const PlanItemQuery& query);

// The page of `plan`'s items that `query` asks for. An offset past the matches gives an
// empty page with the right `matched`.
PlanItemPage PagePlanItems(Plan plan, const PlanItemQuery& query);

// The same query for a stored run's items (RunStore::GetRunItemsPage): the store pages them,
// and this module's text rule decides each row its prefilter keeps.
RunItemsQuery ToRunItemsQuery(const PlanItemQuery& query);

}  // namespace telsync::admin
