// Renderings of an Explanation (`telsync explain USER -f table|json`, and the REST route
// GET .../profiles/{p}/explain?user=NAME, which answers the same JSON).
//
// JSON: {"query", "key", "username", "in_source", "in_store", "stored_id",
//        "source": {"source", "read_from", "read_at" (ISO 8601 UTC), "enabled",
//                   "attributes": {name: [values]}, "groups": [..]},
//        "scope" | "validation" | "identity" | "uniqueness" | "policy" | "rules":
//            [{"what", "outcome", "detail"}],
//        "mapping": [{"field", "expression", "inputs": {name: [values]}, "value", "note"}],
//        "result": {"planned", "action", "changes": [{"field","old","new"}], "reason",
//                   "held", "hold_reason"},
//        "targets": [{"name", "type", "rule", "steps": [{"action","detail"}], "holds",
//                     "cursor_seq", "last_event", "last_error"}]}
// The result's action and changes are the preview JSON's for the same user (DESIGN §4).
// The table is the same chain as numbered sections, for people. Pure; never fails.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "model/explanation.h"

namespace telsync {

nlohmann::ordered_json ExplanationJson(const Explanation& e);
void WriteExplainJson(std::ostream& out, const Explanation& e);
void WriteExplainTable(std::ostream& out, const Explanation& e);

}  // namespace telsync
