#include "report/report.h"

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "util/text.h"

namespace telsync {
namespace {

using nlohmann::ordered_json;

ordered_json ItemJson(const PlanItem& item, const std::vector<TargetRoute>& routes) {
  ordered_json j;
  j["action"] = ActionName(item.action);
  j["key"] = item.key;
  j["username"] = item.username;
  ordered_json changes = ordered_json::array();
  for (const auto& c : EffectiveChanges(item)) {
    changes.push_back({{"field", c.field}, {"old", c.old_value}, {"new", c.new_value}});
  }
  j["changes"] = std::move(changes);
  j["reason"] = item.reason;
  if (!routes.empty()) {
    ordered_json targets = ordered_json::array();
    for (const TargetStep& step : TargetSteps(item, routes)) {
      targets.push_back(
          {{"target", step.target}, {"action", step.action}, {"detail", step.detail}});
    }
    j["targets"] = std::move(targets);
  }
  return j;
}

std::string Dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string CsvCell(std::string_view v) {
  std::string s(v);
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) {
    // A leading '+' is also every E.164 number; quoting with ' keeps spreadsheets from
    // evaluating the cell (CSV injection) while the value stays readable.
    s.insert(s.begin(), '\'');
  }
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  q += '"';
  return q;
}

// Terminal-safe text: control characters from directory data are shown as '?', so a
// crafted display name cannot move the cursor or recolour the terminal.
std::string Safe(std::string_view v) {
  std::string s(v);
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return s;
}

std::vector<std::string_view> SplitList(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const size_t comma = s.find(',');
    out.push_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// A member list change as "+added -removed": the whole lists would drown the change.
std::string MemberDiff(std::string_view old_list, std::string_view new_list) {
  auto old_members = SplitList(old_list);
  auto new_members = SplitList(new_list);
  std::sort(old_members.begin(), old_members.end());
  std::sort(new_members.begin(), new_members.end());
  std::string out;
  for (auto m : new_members) {
    if (!std::binary_search(old_members.begin(), old_members.end(), m)) {
      out += (out.empty() ? "+" : " +") + std::string(m);
    }
  }
  for (auto m : old_members) {
    if (!std::binary_search(new_members.begin(), new_members.end(), m)) {
      out += (out.empty() ? "-" : " -") + std::string(m);
    }
  }
  return out;
}

struct Section {
  const char* title;
  std::vector<Action> actions;
};

void WriteTargetsTable(std::ostream& out, const Plan& plan, const TableOptions& options) {
  if (plan.targets.empty()) return;
  auto bold = [&](const std::string& s) { return options.color ? "\033[1m" + s + "\033[0m" : s; };
  out << "\n" << bold("Targets (" + std::to_string(plan.targets.size()) + ")") << "\n";
  for (const TargetSummary& t : SummarizeTargets(plan)) {
    out << "  " << Safe(t.route->name) << " (" << Safe(t.route->type) << ", "
        << Safe(RuleText(t.route->rule)) << "): " << t.create << " to create, " << t.update
        << " to update, " << t.remove << " to delete\n";
    size_t shown = 0;
    for (const auto& [item, step] : t.moves) {
      if (options.max_per_section != 0 && shown == options.max_per_section) {
        out << "      ... and " << (t.moves.size() - shown) << " more moves\n";
        break;
      }
      ++shown;
      out << "      " << std::left << std::setw(7) << step.action << std::right << " "
          << Safe(item->username.empty() ? item->key : item->username) << "  — "
          << Safe(step.detail) << "\n";
    }
  }
}

}  // namespace

std::string PurgedAtText(const Run& run) {
  if (run.purged_at == 0) return "";
  return Rfc3339Utc(run.purged_at);
}

std::string PurgedNote(const Run& run) {
  if (run.purged_at == 0) return "";
  return "The items of run " + std::to_string(run.id) + " were purged on " +
         PurgedAtText(run).substr(0, 10) +
         " after history.keep_days: the run and its counts stay in the history, what it did to "
         "each user is no longer listed, and it can no longer be reverted.";
}

void WriteJson(std::ostream& out, const Plan& plan, int64_t run_id, const Run* run) {
  ordered_json head;
  if (run_id != 0) head["run"] = run_id;
  if (run != nullptr) {
    head["purged_at"] = run->purged_at != 0 ? ordered_json(PurgedAtText(*run)) : nullptr;
    if (run->purged_at != 0) head["purged"] = PurgedNote(*run);
  }
  head["tenant"] = plan.tenant;
  head["profile"] = plan.profile;
  head["source"] = plan.source;
  head["complete"] = plan.complete;
  head["held"] = plan.held;
  head["hold_reason"] = plan.hold_reason;
  ordered_json summary;
  const auto counts = plan.Summary();
  for (size_t i = 0; i < kActionCount; ++i) {
    summary[std::string(SummaryKey(static_cast<Action>(i)))] = counts[i];
  }
  head["summary"] = std::move(summary);
  ordered_json departments = ordered_json::array();
  for (const auto& d : plan.departments) {
    ordered_json dj;
    dj["action"] = ActionName(d.action);
    dj["name"] = d.target.name;
    dj["ring_group"] = d.target.ring_group;
    dj["members"] = d.target.members.size();
    ordered_json changes = ordered_json::array();
    for (const auto& c : d.changes) {
      changes.push_back({{"field", c.field}, {"old", c.old_value}, {"new", c.new_value}});
    }
    dj["changes"] = std::move(changes);
    departments.push_back(std::move(dj));
  }
  head["departments"] = std::move(departments);
  if (!plan.targets.empty()) {
    ordered_json targets = ordered_json::array();
    for (const TargetSummary& t : SummarizeTargets(plan)) {
      targets.push_back({{"name", t.route->name},
                         {"type", t.route->type},
                         {"rule", RuleText(t.route->rule)},
                         {"create", t.create},
                         {"update", t.update},
                         {"delete", t.remove},
                         {"moves", t.moves.size()}});
    }
    head["targets"] = std::move(targets);
  }
  // Stream the items: the head is written without its closing brace, then each item.
  std::string h = Dump(head);
  h.pop_back();
  out << h << ",\"items\":[";
  bool first = true;
  for (const auto& item : plan.items) {
    if (!first) out << ',';
    first = false;
    out << '\n' << Dump(ItemJson(item, plan.targets));
  }
  out << "\n]}\n";
}

void WriteCsv(std::ostream& out, const Plan& plan, const Run* run) {
  out << "action,key,username,field,old,new,reason\r\n";
  // A purged run lists no item: one row says why, so an empty file never reads as "nothing
  // happened".
  if (run != nullptr && run->purged_at != 0) {
    out << "purged,,,,,," << CsvCell(PurgedNote(*run)) << "\r\n";
  }
  for (const auto& item : plan.items) {
    const std::string prefix = std::string(ActionName(item.action)) + "," + CsvCell(item.key) +
                               "," + CsvCell(item.username) + ",";
    const std::vector<FieldChange> changes = EffectiveChanges(item);
    if (changes.empty()) {
      out << prefix << ",,," << CsvCell(item.reason) << "\r\n";
      continue;
    }
    for (const auto& c : changes) {
      out << prefix << CsvCell(c.field) << "," << CsvCell(c.old_value) << ","
          << CsvCell(c.new_value) << "," << CsvCell(item.reason) << "\r\n";
    }
  }
}

void WriteTable(std::ostream& out, const Plan& plan, const TableOptions& options) {
  const auto counts = plan.Summary();
  auto bold = [&](const std::string& s) { return options.color ? "\033[1m" + s + "\033[0m" : s; };
  out << bold("Profile " + plan.tenant + "/" + plan.profile) << "  source " << Safe(plan.source)
      << (plan.complete ? "" : "  (read INCOMPLETE: no deletions)") << "\n";
  if (plan.held) out << bold("HELD: " + plan.hold_reason) << "\n";
  out << "\n";
  static const std::pair<Action, const char*> kSummary[] = {
      {Action::kCreate, "missing users (to create)"},
      {Action::kUpdate, "updated users"},
      {Action::kDelete, "users to delete"},
      {Action::kPendingDelete, "users gone (pending delete)"},
      {Action::kRestore, "users restored"},
      {Action::kUnsearchable, "disabled (not searchable)"},
      {Action::kRelink, "relinked (new source id, same user)"},
      {Action::kUnchanged, "existing users (unchanged)"},
      {Action::kSkip, "skipped"},
      {Action::kConflict, "conflicts"},
      {Action::kError, "errors"},
      {Action::kBlocked, "deletions blocked"},
  };
  for (const auto& [action, label] : kSummary) {
    out << "  " << std::setw(9) << counts[static_cast<size_t>(action)] << "  " << label << "\n";
  }
  std::vector<Section> sections = {
      {"Missing users (to create)", {Action::kCreate}},
      {"Users to delete", {Action::kDelete, Action::kPendingDelete, Action::kBlocked}},
      {"Updated users",
       {Action::kUpdate, Action::kRelink, Action::kRestore, Action::kUnsearchable}},
      {"Conflicts and errors", {Action::kConflict, Action::kError}},
      {"Skipped", {Action::kSkip}},
  };
  if (options.all) sections.push_back({"Existing users", {Action::kUnchanged}});
  for (const auto& section : sections) {
    size_t total = 0;
    for (Action a : section.actions) total += counts[static_cast<size_t>(a)];
    if (total == 0) continue;
    out << "\n" << bold(std::string(section.title) + " (" + std::to_string(total) + ")") << "\n";
    size_t shown = 0;
    for (const auto& item : plan.items) {
      if (std::find(section.actions.begin(), section.actions.end(), item.action) ==
          section.actions.end()) {
        continue;
      }
      if (options.max_per_section != 0 && shown == options.max_per_section) {
        out << "  ... and " << (total - shown) << " more (use --format json or csv for all)\n";
        break;
      }
      ++shown;
      const std::string who = item.username.empty() ? item.key : item.username;
      out << "  " << std::left << std::setw(15) << ActionName(item.action) << std::right << " "
          << Safe(who);
      if (item.action == Action::kCreate) {
        const auto& f = item.target->fields;
        out << "  " << Safe(f.Get(Field::kDisplayName)) << " <" << Safe(f.Get(Field::kEmail))
            << ">";
        if (!f.Get(Field::kExtension).empty()) out << " ext " << Safe(f.Get(Field::kExtension));
      }
      if (!item.reason.empty()) out << "  — " << Safe(item.reason);
      out << "\n";
      for (const auto& c : item.changes) {
        out << "      " << Safe(c.field) << ": "
            << (c.old_value.empty() ? "(empty)" : Safe(c.old_value)) << " -> "
            << (c.new_value.empty() ? "(empty)" : Safe(c.new_value)) << "\n";
      }
    }
  }
  size_t dept_changes = 0;
  for (const auto& d : plan.departments) dept_changes += d.action != Action::kUnchanged;
  if (!plan.departments.empty()) {
    out << "\n"
        << bold("Departments (" + std::to_string(plan.departments.size()) + ", " +
                std::to_string(dept_changes) + " changing)")
        << "\n";
    for (const auto& d : plan.departments) {
      if (d.action == Action::kUnchanged && !options.all) continue;
      out << "  " << std::left << std::setw(15) << ActionName(d.action) << std::right << " "
          << Safe(d.target.name) << "  ring group "
          << (d.target.ring_group.empty() ? "(none)" : d.target.ring_group) << ", "
          << d.target.members.size() << " members\n";
      for (const auto& c : d.changes) {
        if (c.field == "members") {
          out << "      members: " << Safe(MemberDiff(c.old_value, c.new_value)) << "\n";
        } else {
          out << "      " << c.field << ": " << Safe(c.old_value) << " -> " << Safe(c.new_value)
              << "\n";
        }
      }
    }
  }
  WriteTargetsTable(out, plan, options);
}

Plan PlanFromRun(const Run& run, std::vector<PlanItem> items,
                 std::vector<DepartmentChange> departments) {
  Plan plan;
  plan.tenant = run.tenant;
  plan.profile = run.profile;
  plan.source = run.source;
  plan.complete = run.complete;
  plan.held = run.status == RunStatus::kHeld;
  if (plan.held) plan.hold_reason = run.message;
  plan.items = std::move(items);
  plan.departments = std::move(departments);
  return plan;
}

}  // namespace telsync
