// Fast encodings for the PostgreSQL store's bulk writes. A first sync of a million users
// records a million run items; building each item's changes through EffectiveChanges and
// a JSON tree (store/detail/columns.h ChangesJson) cost more than the COPY that sends
// them. These write the same bytes straight into the COPY buffer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/plan.h"

namespace telsync::pg_detail {

// Appends `value` as a JSON string exactly as store_detail::Dump writes it (nlohmann,
// ensure_ascii off: ", \ and control characters escaped, other bytes as they are).
// False, with `out` unchanged, when `value` is not valid UTF-8: Dump replaces such bytes
// and the caller must use it instead.
bool AppendJsonString(std::string& out, std::string_view value);

// Appends store_detail::ChangesJson(changes) / ChangesJson(EffectiveChanges(item)).
void AppendChangesJson(std::string& out, const std::vector<FieldChange>& changes);
void AppendItemChangesJson(std::string& out, const PlanItem& item);

}  // namespace telsync::pg_detail
