#include "report/explain_report.h"

#include <ctime>
#include <string>
#include <vector>

#include "util/json_out.h"
#include "util/text.h"

namespace telsync {
namespace {

using Json = nlohmann::ordered_json;

Json ValuesJson(const std::vector<ExplainValues>& values) {
  Json j = Json::object();
  for (const auto& v : values) j[v.name] = v.values;
  return j;
}

Json StepsJson(const std::vector<ExplainStep>& steps) {
  Json j = Json::array();
  for (const auto& s : steps) {
    j.push_back(Json{{"what", s.what}, {"outcome", s.outcome}, {"detail", s.detail}});
  }
  return j;
}

std::string Joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

void Section(std::ostream& out, int number, const char* title) {
  out << "\n" << number << ". " << title << "\n";
}

void Steps(std::ostream& out, const std::vector<ExplainStep>& steps) {
  if (steps.empty()) out << "   (nothing recorded: the planner did not reach this step)\n";
  for (const auto& s : steps) {
    out << "   " << s.what << ": " << s.outcome;
    if (!s.detail.empty()) out << " — " << s.detail;
    out << "\n";
  }
}

}  // namespace

Json ExplanationJson(const Explanation& e) {
  Json j;
  j["query"] = e.query;
  j["key"] = e.key;
  j["username"] = e.username;
  j["in_source"] = e.in_source;
  j["in_store"] = e.in_store;
  j["out_of_scope"] = e.out_of_scope;
  j["stored_id"] = e.stored_id;
  j["source"] = Json{{"source", e.source},
                     {"read_from", e.read_from},
                     {"read_at", Rfc3339Utc(e.read_at)},
                     {"enabled", e.enabled},
                     {"attributes", ValuesJson(e.attributes)},
                     {"groups", e.groups}};
  j["scope"] = StepsJson(e.scope);
  Json mapping = Json::array();
  for (const auto& m : e.mapping) {
    mapping.push_back(Json{{"field", m.field},
                           {"expression", m.expression},
                           {"inputs", ValuesJson(m.inputs)},
                           {"value", m.value},
                           {"note", m.note}});
  }
  j["mapping"] = std::move(mapping);
  j["validation"] = StepsJson(e.validation);
  j["identity"] = StepsJson(e.identity);
  j["uniqueness"] = StepsJson(e.uniqueness);
  j["policy"] = StepsJson(e.policy);
  j["rules"] = StepsJson(e.rules);
  Json changes = Json::array();
  for (const auto& c : e.changes) {
    changes.push_back(Json{{"field", c.field}, {"old", c.old_value}, {"new", c.new_value}});
  }
  j["result"] = Json{{"planned", e.planned},
                     {"action", e.planned ? std::string(ActionName(e.action)) : ""},
                     {"changes", std::move(changes)},
                     {"reason", e.reason},
                     {"held", e.held},
                     {"hold_reason", e.hold_reason}};
  Json targets = Json::array();
  for (const auto& t : e.targets) {
    Json steps = Json::array();
    for (const auto& s : t.steps) steps.push_back(Json{{"action", s.action}, {"detail", s.detail}});
    targets.push_back(Json{{"name", t.name},
                           {"type", t.type},
                           {"rule", t.rule},
                           {"steps", std::move(steps)},
                           {"holds", t.holds},
                           {"cursor_seq", t.cursor_seq},
                           {"last_event", t.last_event},
                           {"last_error", t.last_error}});
  }
  j["targets"] = std::move(targets);
  return j;
}

void WriteExplainJson(std::ostream& out, const Explanation& e) {
  out << DumpJson(ExplanationJson(e), 2) << "\n";
}

void WriteExplainTable(std::ostream& out, const Explanation& e) {
  out << "Explain " << e.query << ": " << (e.username.empty() ? e.key : e.username) << " (key "
      << e.key << ")\n";

  Section(out, 1, "Source");
  out << "   " << e.source << ": " << e.read_from << ", read " << Rfc3339Utc(e.read_at) << "\n";
  if (e.out_of_scope) {
    out << "   read from the source and left out of the scope (step 2 says why)\n";
  } else if (!e.in_source) {
    out << "   not returned by the source\n";
  } else {
    for (const auto& a : e.attributes) out << "   " << a.name << ": " << Joined(a.values) << "\n";
    if (!e.groups.empty()) out << "   groups: " << Joined(e.groups) << "\n";
  }

  Section(out, 2, "Scope");
  Steps(out, e.scope);

  Section(out, 3, "Mapping");
  if (e.mapping.empty()) out << "   (not mapped: the source did not return the user)\n";
  for (const auto& m : e.mapping) {
    out << "   " << m.field << " = " << (m.value.empty() ? "(empty)" : "\"" + m.value + "\"")
        << "   <- " << m.expression;
    std::string inputs;
    for (const auto& in : m.inputs) {
      inputs += (inputs.empty() ? "" : "; ") + in.name + "=" +
                (in.values.empty() ? "(absent)" : Joined(in.values));
    }
    if (!inputs.empty()) out << "   [" << inputs << "]";
    out << "\n";
    if (!m.note.empty()) out << "      ! " << m.note << "\n";
  }

  Section(out, 4, "Validation");
  if (e.in_source) {
    Steps(out, e.validation);
  } else {
    out << "   (not validated: the source did not return the user)\n";
  }
  Section(out, 5, "Identity");
  Steps(out, e.identity);
  Section(out, 6, "Uniqueness");
  Steps(out, e.uniqueness);
  Section(out, 7, "Policy");
  Steps(out, e.policy);
  Section(out, 8, "Template and rules");
  Steps(out, e.rules);

  Section(out, 9, "Result");
  if (!e.planned) {
    out << "   no item: the plan leaves this user alone\n";
  } else {
    out << "   " << ActionName(e.action);
    if (!e.reason.empty()) out << " — " << e.reason;
    out << "\n";
    for (const auto& c : e.changes) {
      out << "   " << c.field << ": \"" << c.old_value << "\" -> \"" << c.new_value << "\"\n";
    }
  }
  if (e.held) out << "   the whole plan is held: " << e.hold_reason << "\n";
  for (const auto& t : e.targets) {
    out << "   target " << t.name << " (" << t.type << ", " << t.rule << "): ";
    if (t.steps.empty()) {
      out << "receives nothing";
    } else {
      for (size_t k = 0; k < t.steps.size(); ++k) {
        out << (k == 0 ? "receives " : ", then ") << t.steps[k].action;
        if (!t.steps[k].detail.empty()) out << " (" << t.steps[k].detail << ")";
      }
    }
    out << "\n      holds: " << t.holds;
    if (!t.last_event.empty()) out << "; last delivered event " << t.last_event;
    if (!t.last_error.empty()) out << "; last error: " << t.last_error;
    out << "\n";
  }
}

}  // namespace telsync
