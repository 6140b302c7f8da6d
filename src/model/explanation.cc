#include "model/explanation.h"

#include <cctype>
#include <utility>

namespace telsync {
namespace {

std::string Fold(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

ExplainSet::ExplainSet(const std::vector<std::string>& queries) {
  users_.reserve(queries.size());
  for (const std::string& q : queries) {
    queries_.emplace(Fold(q), users_.size());  // the first of a repeated query answers
    users_.emplace_back().query = q;
  }
}

std::optional<size_t> ExplainSet::QueryIndex(std::string_view name) const {
  if (name.empty()) return std::nullopt;
  const auto it = queries_.find(Fold(name));
  if (it == queries_.end()) return std::nullopt;
  return it->second;
}

void ExplainSet::SetKey(size_t index, std::string key) {
  users_[index].key = key;
  keys_[std::move(key)] = index;
}

void ExplainSet::AddSourceScope(size_t index, const std::string& object_id, ExplainStep step) {
  SourceScope& scope = source_scope_[index];
  // The first object the query names speaks (as for the pipeline's traces).
  if (scope.object_id.empty()) scope.object_id = object_id;
  if (scope.object_id != object_id) return;
  scope.steps.push_back(std::move(step));
}

Explanation* ExplainSet::ByKey(std::string_view key) {
  if (keys_.empty()) return nullptr;
  const auto it = keys_.find(std::string(key));
  return it == keys_.end() ? nullptr : &users_[it->second];
}

}  // namespace telsync
