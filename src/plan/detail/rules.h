// Template rules (F13) compiled once per plan: which template a created user gets.
//
// A rule names a field (a PBX field, a custom field, or "group" for the source groups)
// and either `equals` (case-insensitive) or `matches` (an ECMAScript regex that must
// match the whole value). The first matching rule wins. A rule whose regex does not
// compile never matches (check-config reports it). Thread-safe after construction.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/profile.h"
#include "plan/validate.h"

namespace telsync::plan_detail {

class RuleSet {
 public:
  explicit RuleSet(const std::vector<RuleConfig>& rules);
  ~RuleSet();
  RuleSet(RuleSet&&) noexcept;
  RuleSet& operator=(RuleSet&&) noexcept;

  // The template name of the first rule matching the user, or `fallback`.
  const std::string& TemplateFor(const DesiredUser& user, const std::string& fallback) const;
  // The index in the profile's rules of the first rule matching the user, or nullopt.
  std::optional<size_t> FirstMatch(const DesiredUser& user) const;

 private:
  struct Compiled;
  std::vector<std::unique_ptr<Compiled>> rules_;
};

}  // namespace telsync::plan_detail
