// GCC 12 reports a false -Wmaybe-uninitialized inside <regex> (std::function in the NFA)
// when optimising with sanitizers; it is in the library, not in this file.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "plan/detail/rules.h"

#include <algorithm>
#include <optional>
#include <regex>

#include "plan/detail/text.h"

namespace telsync::plan_detail {

struct RuleSet::Compiled {
  const RuleConfig* rule = nullptr;
  std::optional<Field> field;
  bool group = false;
  std::optional<std::regex> regex;
  bool usable = true;

  bool Test(std::string_view value) const {
    if (!rule->equals.empty()) return EqualsIgnoreCase(value, rule->equals);
    if (regex) return std::regex_match(value.begin(), value.end(), *regex);
    return false;
  }

  bool Matches(const DesiredUser& d) const {
    if (!usable) return false;
    if (group) {
      return std::any_of(d.source_groups().begin(), d.source_groups().end(),
                         [&](const std::string& g) { return Test(g); });
    }
    if (field) return Test(d.user.fields.Get(*field));
    for (const auto& [name, value] : d.user.custom) {
      if (name == rule->field) return Test(value);
    }
    return Test("");
  }
};

RuleSet::RuleSet(const std::vector<RuleConfig>& rules) {
  for (const RuleConfig& r : rules) {
    auto c = std::make_unique<Compiled>();
    c->rule = &r;
    c->group = r.field == "group";
    c->field = FieldFromName(r.field);
    if (r.equals.empty() && !r.matches.empty()) {
      try {
        c->regex.emplace(r.matches, std::regex::ECMAScript);
      } catch (const std::regex_error&) {
        c->usable = false;
      }
    }
    rules_.push_back(std::move(c));
  }
}

RuleSet::~RuleSet() = default;
RuleSet::RuleSet(RuleSet&&) noexcept = default;
RuleSet& RuleSet::operator=(RuleSet&&) noexcept = default;

const std::string& RuleSet::TemplateFor(const DesiredUser& user,
                                        const std::string& fallback) const {
  const auto k = FirstMatch(user);
  return k ? rules_[*k]->rule->template_name : fallback;
}

std::optional<size_t> RuleSet::FirstMatch(const DesiredUser& user) const {
  for (size_t k = 0; k < rules_.size(); ++k) {
    if (rules_[k]->Matches(user)) return k;
  }
  return std::nullopt;
}

}  // namespace telsync::plan_detail
