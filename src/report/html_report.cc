#include "report/html_report.h"

#include <string>
#include <string_view>

#include "report/detail/report_text.h"
#include "report/report.h"

namespace telsync {
namespace {

using report_detail::ActionLabel;
using report_detail::CleanText;
using report_detail::FormatUtc;

// Escaped, cleaned text: the only way a value reaches the page.
std::string E(std::string_view text) { return HtmlEscape(CleanText(text)); }

constexpr std::string_view kStyle = R"css(
:root { --fg: #1f2933; --muted: #616e7c; --line: #d9e2ec; --head: #f0f4f8; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI",
       Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h2 .n { color: var(--muted); font-weight: normal; }
.meta { color: var(--muted); margin: 0 0 16px; }
.meta span { margin-right: 18px; }
.banner { padding: 10px 14px; border-radius: 6px; margin: 12px 0; font-weight: 600; }
.banner.held { background: #fff4e5; border: 1px solid #f0b429; }
.banner.incomplete { background: #ffe3e3; border: 1px solid #e12d39; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: #fff; }
.card .count { font-size: 22px; font-weight: 700; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.card.zero { opacity: .55; }
.card.create { border-left: 4px solid #3ebd93; }
.card.update, .card.restore { border-left: 4px solid #2186eb; }
.card.delete, .card.pending_delete { border-left: 4px solid #e12d39; }
.card.error, .card.conflict, .card.blocked { border-left: 4px solid #f0b429; }
table { border-collapse: collapse; width: 100%; margin-top: 4px; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid var(--line); }
th { background: var(--head); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.user { font-weight: 600; white-space: nowrap; }
td.key { color: var(--muted); font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
ul.changes { list-style: none; margin: 0; padding: 0; }
ul.changes li { margin: 1px 0; }
.field { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; color: var(--muted); margin-right: 6px; }
.old { color: #a61b1b; text-decoration: line-through; }
.new { color: #0c6b58; }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
)css";

void Value(std::ostream& out, const char* cls, const std::string& v) {
  if (v.empty()) {
    out << "<span class=\"empty\">(empty)</span>";
  } else {
    out << "<span class=\"" << cls << "\">" << E(v) << "</span>";
  }
}

void Changes(std::ostream& out, const std::vector<FieldChange>& changes, bool create) {
  if (changes.empty()) return;
  out << "<ul class=\"changes\">";
  for (const auto& c : changes) {
    out << "<li><span class=\"field\">" << E(c.field) << "</span>";
    if (!create) {
      Value(out, "old", c.old_value);
      out << " &rarr; ";
    }
    Value(out, "new", c.new_value);
    out << "</li>";
  }
  out << "</ul>";
}

// What each target would receive (issue 17), and the users moving between targets.
void Targets(std::ostream& out, const Plan& plan) {
  if (plan.targets.empty()) return;
  const std::vector<TargetSummary> summaries = SummarizeTargets(plan);
  out << "<h2 id=\"targets\">Targets <span class=\"n\">(" << summaries.size()
      << ")</span></h2>\n<table>\n<thead><tr><th>Target</th><th>Type</th><th>Users</th>"
         "<th>Create</th><th>Update</th><th>Delete</th></tr></thead>\n<tbody>\n";
  size_t moves = 0;
  for (const TargetSummary& t : summaries) {
    out << "<tr><td class=\"user\">" << E(t.route->name) << "</td><td>" << E(t.route->type)
        << "</td><td>" << E(RuleText(t.route->rule)) << "</td><td>" << t.create << "</td><td>"
        << t.update << "</td><td>" << t.remove << "</td></tr>\n";
    moves += t.moves.size();
  }
  out << "</tbody>\n</table>\n";
  if (moves == 0) return;
  out << "<h2 id=\"target-moves\">Moves between targets <span class=\"n\">(" << moves
      << ")</span></h2>\n<table>\n<thead><tr><th>User</th><th>Target</th><th>Step</th>"
         "<th>Why</th></tr></thead>\n<tbody>\n";
  for (const TargetSummary& t : summaries) {
    for (const auto& [item, step] : t.moves) {
      out << "<tr><td class=\"user\">" << E(item->username) << "</td><td>" << E(step.target)
          << "</td><td>" << E(step.action) << "</td><td>" << E(step.detail) << "</td></tr>\n";
    }
  }
  out << "</tbody>\n</table>\n";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void WriteHtml(std::ostream& out, const Plan& plan, const Run* run) {
  const std::string title = "telsync report: " + plan.tenant + "/" + plan.profile +
                            (run != nullptr ? " run " + std::to_string(run->id) : "");
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      // No scripts, no outside resources: a strict policy makes that true even if a value
      // ever escaped its escaping.
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'\">\n"
      << "<title>" << E(title) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  out << "<h1>" << E(title) << "</h1>\n<p class=\"meta\"><span>Source: " << E(plan.source)
      << "</span>";
  if (run != nullptr) {
    out << "<span>" << RunKindName(run->kind) << ", " << RunStatusName(run->status)
        << "</span><span>Trigger: " << E(run->trigger) << "</span><span>Started "
        << FormatUtc(run->started_at) << "</span><span>Finished " << FormatUtc(run->finished_at)
        << "</span>";
  }
  out << "</p>\n";
  if (plan.held) {
    out << "<div class=\"banner held\">Held, nothing applied: " << E(plan.hold_reason)
        << "</div>\n";
  } else if (run != nullptr && !run->message.empty()) {
    out << "<div class=\"banner held\">" << E(run->message) << "</div>\n";
  }
  if (!plan.complete) {
    out << "<div class=\"banner incomplete\">The source read was incomplete: nothing was "
           "deleted.</div>\n";
  }

  // A purged run lists no item: say so, and show the counts the run recorded.
  const bool purged = run != nullptr && run->purged_at != 0;
  if (purged) {
    out << "<div class=\"banner held purged\">" << E(PurgedNote(*run)) << "</div>\n";
  }
  const auto counts = purged ? run->summary : plan.Summary();
  static constexpr Action kOrder[] = {
      Action::kCreate,        Action::kUpdate,  Action::kRelink,       Action::kDelete,
      Action::kPendingDelete, Action::kRestore, Action::kUnsearchable, Action::kError,
      Action::kConflict,      Action::kBlocked, Action::kSkip,         Action::kUnchanged,
  };
  out << "<h2>Summary" << (purged ? " (as the run recorded it)" : "")
      << "</h2>\n<div class=\"cards\">\n";
  for (Action a : kOrder) {
    const size_t n = counts[static_cast<size_t>(a)];
    out << "<div class=\"card " << ActionName(a) << (n == 0 ? " zero" : "")
        << "\"><div class=\"count\">" << n << "</div><div class=\"label\">" << ActionLabel(a)
        << "</div></div>\n";
  }
  out << "</div>\n";

  for (Action a : kOrder) {
    const size_t n = counts[static_cast<size_t>(a)];
    if (purged || n == 0 || a == Action::kUnchanged) continue;
    const bool reasons = a != Action::kCreate && a != Action::kUpdate;
    out << "<h2 id=\"" << ActionName(a) << "\">" << ActionLabel(a) << " <span class=\"n\">(" << n
        << ")</span></h2>\n<table>\n<thead><tr><th>User</th><th>Key</th><th>Changes</th>"
        << (reasons ? "<th>Reason</th>" : "") << "</tr></thead>\n<tbody>\n";
    for (const auto& item : plan.items) {
      if (item.action != a) continue;
      out << "<tr><td class=\"user\">" << E(item.username) << "</td><td class=\"key\">"
          << E(item.key) << "</td><td>";
      Changes(out, EffectiveChanges(item), a == Action::kCreate);
      out << "</td>";
      if (reasons) out << "<td>" << E(item.reason) << "</td>";
      out << "</tr>\n";
    }
    out << "</tbody>\n</table>\n";
  }

  size_t changed_departments = 0;
  for (const auto& d : plan.departments) changed_departments += d.action != Action::kUnchanged;
  if (changed_departments != 0) {
    out << "<h2 id=\"departments\">Departments <span class=\"n\">(" << changed_departments
        << ")</span></h2>\n<table>\n<thead><tr><th>Department</th><th>Action</th><th>Ring "
           "group</th><th>Members</th><th>Changes</th></tr></thead>\n<tbody>\n";
    for (const auto& d : plan.departments) {
      if (d.action == Action::kUnchanged) continue;
      out << "<tr><td class=\"user\">" << E(d.target.name) << "</td><td>" << ActionName(d.action)
          << "</td><td>" << E(d.target.ring_group) << "</td><td>" << d.target.members.size()
          << "</td><td>";
      Changes(out, d.changes, false);
      out << "</td></tr>\n";
    }
    out << "</tbody>\n</table>\n";
  }
  Targets(out, plan);
  out << "<footer>Generated by telsync. Phone numbers are shown as stored (E.164).</footer>\n"
      << "</body>\n</html>\n";
}

}  // namespace telsync
