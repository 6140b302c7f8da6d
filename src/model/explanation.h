// Explanation: why one user is planned the way it is (`telsync explain USER`, issue 18 §1).
//
// The explanation is recorded by the stages that make the plan, while they make it: the
// mapping (UserMapping::Apply), the validator (Validator::Validate) and the planner
// (PlanOptions::explain) each take an optional trace that is null in a normal run and,
// when set, append what they decided for the one traced user. Nothing here is computed a
// second time, so the explanation cannot disagree with the preview: its result is the
// plan's item for the user.
//
// A plain value: copied and rendered by report/explain_report.h. Each step is a line of
// the chain: what was checked, its outcome ("pass", "fail", "linked", "skip", ...) and
// why, in an admin's words.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/plan.h"

namespace telsync {

struct ExplainValues {
  std::string name;
  std::vector<std::string> values;
};

// One line of the chain.
struct ExplainStep {
  std::string what;     // "email unique", "policy.mode", "link"
  std::string outcome;  // "pass", "fail", "linked", "new", "skip", ...
  std::string detail;   // why, with the values
};

// One PBX field as the mapping computed it.
struct ExplainMapping {
  std::string field;                  // "mobile", "custom.cost_center"
  std::string expression;             // the expression text
  std::vector<ExplainValues> inputs;  // the attributes it read, with their values
  std::string value;                  // the value it gave ("" = unset)
  std::string note;                   // e.g. "e164() gave no value: not a valid number"
};

// What one target holds for the user and would receive.
struct ExplainTarget {
  std::string name;
  std::string type;
  std::string rule;               // "city in [Stockholm]" or "every user"
  std::vector<TargetStep> steps;  // what it would receive for the planned item
  std::string holds;              // what it holds: from its last delivered event
  int64_t cursor_seq = 0;         // the last event it delivered (0: none)
  std::string last_event;         // the user's last delivered event: "update (seq 42)"
  std::string last_error;
};

struct Explanation {
  std::string query;  // what the admin asked for: username, e-mail, UPN or source id
  // The traced user: its source id, or "user:<id>" for a stored user without one.
  std::string key;
  std::string username;
  bool in_source = false;  // the source read returned it (valid or not)
  // The source read it and left it out of the scope (a guest, not in the scope group):
  // `scope` says why.
  bool out_of_scope = false;
  bool in_store = false;  // the PBX directory holds it
  int64_t stored_id = 0;  // the stored user's row id; 0 when none

  // 1. Source: where the read came from and when, and the object as read.
  std::string source;     // "file:examples/directory.json", "scim mirror"
  std::string read_from;  // "a full read of the source", "the source mirror", ...
  int64_t read_at = 0;    // unix seconds
  bool enabled = true;
  std::vector<ExplainValues> attributes;  // the attributes the mapping used
  std::vector<std::string> groups;        // as the source gave them (transitive where it can)

  std::vector<ExplainStep> scope;       // 2
  std::vector<ExplainMapping> mapping;  // 3
  std::vector<ExplainStep> validation;  // 4
  std::vector<ExplainStep> identity;    // 5
  std::vector<ExplainStep> uniqueness;  // 6
  std::vector<ExplainStep> policy;      // 7, in the planner's order
  std::vector<ExplainStep> rules;       // 8: template, extension, department, ring group

  // 9. Result: the plan's item for the user, as preview shows it, recorded by the planner
  // as it pushes the item.
  bool planned = false;  // the plan has an item for the user
  Action action = Action::kUnchanged;
  std::vector<FieldChange> changes;  // EffectiveChanges of the item
  std::string reason;
  bool held = false;  // the whole plan is held (deletion threshold, review mode)
  std::string hold_reason;
  std::vector<ExplainTarget> targets;
};

// The users one plan explains (PlanOptions::explain, EngineOptions::explain): usually one
// (`telsync explain USER`), every user in the property test. Lookups are by the query
// (case-insensitive) while reading and by the traced key while planning. Not thread-safe
// for writes; QueryIndex may be called from several threads at once.
class ExplainSet {
 public:
  explicit ExplainSet(const std::vector<std::string>& queries);

  std::vector<Explanation>& users() { return users_; }
  const std::vector<Explanation>& users() const { return users_; }

  // The index of the explanation whose query is `name` (case-insensitive), or nullopt.
  std::optional<size_t> QueryIndex(std::string_view name) const;
  // Explanation `index` traces key `key` (a source id, or "user:<id>").
  void SetKey(size_t index, std::string key);

  // Why the source kept or left out the object explanation `index` names, as the source
  // decided it while reading (sources/source.h ScopeTrace); the engine moves these into the
  // explanation's `scope` once the read is done. `object_id`: the source id it was told
  // about. Called on the reading thread only.
  void AddSourceScope(size_t index, const std::string& object_id, ExplainStep step);
  struct SourceScope {
    std::string object_id;
    std::vector<ExplainStep> steps;
  };
  std::unordered_map<size_t, SourceScope>& source_scope() { return source_scope_; }
  // Where explanation `index`'s object came from when not from the read itself (a fresh
  // single-object read, or the mirror when that failed); the engine moves it into
  // `read_from`.
  std::unordered_map<size_t, std::string>& read_from() { return read_from_; }
  // The explanation tracing `key`, or nullptr.
  Explanation* ByKey(std::string_view key);

 private:
  std::vector<Explanation> users_;
  std::unordered_map<std::string, size_t> queries_;  // folded query -> index
  std::unordered_map<std::string, size_t> keys_;     // traced key -> index
  std::unordered_map<size_t, SourceScope> source_scope_;
  std::unordered_map<size_t, std::string> read_from_;
};

}  // namespace telsync
