#include "report/xlsx_report.h"

#include <unistd.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <vector>

#include "report/detail/report_text.h"
#include "report/report.h"
#include "util/text.h"

namespace telsync {
namespace {

using report_detail::ActionLabel;
using report_detail::ChangesText;
using report_detail::CleanText;
using report_detail::FormatUtc;

// Excel's limit on the characters of one cell; libxlsxwriter refuses longer strings.
constexpr size_t kMaxCellBytes = 32767;
// Column widths in characters: wide enough for the header and its filter button, never
// wider than a reasonable share of a screen.
constexpr double kMinWidth = 8;
constexpr double kMaxWidth = 60;

struct Cell {
  Cell(std::string t) : text(std::move(t)) {}  // NOLINT(google-explicit-constructor)
  Cell(const char* t) : text(t) {}             // NOLINT(google-explicit-constructor)
  Cell(size_t n) : numeric(true), number(static_cast<double>(n)) {}  // NOLINT
  std::string text;
  bool numeric = false;
  double number = 0;
};

// The display width of text: its longest line, in code points.
size_t TextWidth(std::string_view text) {
  size_t widest = 0;
  while (true) {
    const size_t nl = text.find('\n');
    widest = std::max(widest, DisplayWidth(text.substr(0, nl)));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return widest;
}

// Cuts UTF-8 text to at most `max` bytes without splitting a character.
std::string Cut(std::string text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;
  text.resize(end);
  return text;
}

// One worksheet written top to bottom (constant-memory mode allows nothing else): the
// header row at construction, then rows; Finish() sets the widths, the frozen header and
// the autofilter, which libxlsxwriter keeps until the workbook is closed.
class Sheet {
 public:
  Sheet(lxw_workbook* workbook, const char* name, std::vector<std::string> headers,
        lxw_format* header_format, lxw_format* wrap_format)
      : sheet_(workbook_add_worksheet(workbook, name)),
        columns_(headers.size()),
        wrap_format_(wrap_format) {
    widths_.resize(columns_, 0);
    if (sheet_ == nullptr) {
      error_ = LXW_ERROR_MEMORY_MALLOC_FAILED;
      return;
    }
    for (size_t c = 0; c < columns_; ++c) {
      Check(worksheet_write_string(sheet_, 0, static_cast<lxw_col_t>(c), headers[c].c_str(),
                                   header_format));
      // The header's filter button takes about two characters.
      widths_[c] = TextWidth(headers[c]) + 2;
    }
  }

  void Row(const std::vector<Cell>& cells) {
    if (sheet_ == nullptr) return;
    for (size_t c = 0; c < cells.size() && c < columns_; ++c) {
      const auto col = static_cast<lxw_col_t>(c);
      if (cells[c].numeric) {
        Check(worksheet_write_number(sheet_, row_, col, cells[c].number, nullptr));
        widths_[c] =
            std::max(widths_[c], std::to_string(static_cast<long long>(cells[c].number)).size());
        continue;
      }
      if (cells[c].text.empty()) continue;
      const std::string text = Cut(CleanText(cells[c].text), kMaxCellBytes);
      const bool multiline = text.find('\n') != std::string::npos;
      Check(worksheet_write_string(sheet_, row_, col, text.c_str(),
                                   multiline ? wrap_format_ : nullptr));
      widths_[c] = std::max(widths_[c], TextWidth(text));
    }
    ++row_;
  }

  lxw_error Finish() {
    if (sheet_ == nullptr) return error_;
    for (size_t c = 0; c < columns_; ++c) {
      const double width = std::clamp(static_cast<double>(widths_[c]) + 1, kMinWidth, kMaxWidth);
      const auto col = static_cast<lxw_col_t>(c);
      Check(worksheet_set_column(sheet_, col, col, width, nullptr));
    }
    worksheet_freeze_panes(sheet_, 1, 0);
    Check(worksheet_autofilter(sheet_, 0, 0, row_ - 1, static_cast<lxw_col_t>(columns_ - 1)));
    return error_;
  }

 private:
  void Check(lxw_error e) {
    if (error_ == LXW_NO_ERROR && e != LXW_NO_ERROR) error_ = e;
  }

  lxw_worksheet* sheet_;
  size_t columns_;
  lxw_format* wrap_format_;
  lxw_row_t row_ = 1;
  std::vector<size_t> widths_;
  lxw_error error_ = LXW_NO_ERROR;
};

std::string Other(const PlanItem& item) {
  std::string out;
  for (const auto& c : EffectiveChanges(item)) {
    if (FieldFromName(c.field)) continue;
    if (!out.empty()) out += "; ";
    out += c.field + "=" + c.new_value;
  }
  return out;
}

}  // namespace

Status WriteXlsx(const std::string& path, const Plan& plan, const Run* run) {
  lxw_workbook_options options{};
  options.constant_memory = LXW_TRUE;
  lxw_workbook* workbook = workbook_new_opt(path.c_str(), &options);
  if (workbook == nullptr) {
    return Error::Unavailable("cannot create the workbook " + path);
  }
  lxw_format* header = workbook_add_format(workbook);
  format_set_bold(header);
  format_set_bg_color(header, 0xDDE4EE);
  format_set_bottom(header, LXW_BORDER_THIN);
  lxw_format* wrap = workbook_add_format(workbook);
  format_set_text_wrap(wrap);
  format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);

  // Sheets are created in their tab order; each is then written top to bottom. Items
  // are read once, each row going to its sheet, so the plan is walked a single time.
  Sheet summary(workbook, "Summary", {"Item", "Value"}, header, wrap);
  std::vector<std::string> added_headers = {"username", "key"};
  for (size_t f = 0; f < kFieldCount; ++f) {
    if (static_cast<Field>(f) == Field::kUsername) continue;
    added_headers.emplace_back(FieldName(static_cast<Field>(f)));
  }
  added_headers.emplace_back("other");
  Sheet added(workbook, "Added", added_headers, header, wrap);
  Sheet updated(workbook, "Updated", {"username", "key", "field", "old", "new"}, header, wrap);
  Sheet deleted(workbook, "Deleted", {"username", "key", "reason"}, header, wrap);
  Sheet pending(workbook, "Pending", {"action", "username", "key", "changes", "reason"}, header,
                wrap);
  Sheet errors(workbook, "Errors", {"action", "username", "key", "reason"}, header, wrap);

  summary.Row({"Tenant", plan.tenant});
  summary.Row({"Profile", plan.profile});
  summary.Row({"Source", plan.source});
  summary.Row({"Source read complete", plan.complete ? "yes" : "no (nothing deleted)"});
  if (run != nullptr) {
    summary.Row({"Run", static_cast<size_t>(run->id)});
    summary.Row({"Kind", RunKindName(run->kind)});
    summary.Row({"Status", RunStatusName(run->status)});
    summary.Row({"Trigger", run->trigger});
    summary.Row({"Started", FormatUtc(run->started_at)});
    summary.Row({"Finished", FormatUtc(run->finished_at)});
    if (!run->message.empty()) summary.Row({"Message", run->message});
  }
  if (plan.held) summary.Row({"Held", plan.hold_reason});
  // A purged run lists no item: each sheet says so, and the counts are the run's own.
  const bool purged = run != nullptr && run->purged_at != 0;
  if (purged) {
    const std::string note = PurgedNote(*run);
    summary.Row({"Purged", note});
    for (Sheet* s : {&added, &updated, &deleted, &pending, &errors}) s->Row({note});
  }
  const auto counts = purged ? run->summary : plan.Summary();
  for (size_t a = 0; a < kActionCount; ++a) {
    summary.Row({std::string(ActionLabel(static_cast<Action>(a))), counts[a]});
  }

  for (const auto& item : plan.items) {
    switch (item.action) {
      case Action::kCreate: {
        std::vector<Cell> row = {item.username, item.key};
        // A recorded create has its values as changes; a fresh one in its target.
        const auto changes = EffectiveChanges(item);
        for (size_t f = 0; f < kFieldCount; ++f) {
          const auto field = static_cast<Field>(f);
          if (field == Field::kUsername) continue;
          std::string value;
          for (const auto& c : changes) {
            if (c.field == FieldName(field)) value = c.new_value;
          }
          row.emplace_back(std::move(value));
        }
        row.emplace_back(Other(item));
        added.Row(row);
        break;
      }
      case Action::kUpdate:
      case Action::kRelink:
        if (item.changes.empty()) updated.Row({item.username, item.key, "", "", ""});
        for (const auto& c : item.changes) {
          updated.Row({item.username, item.key, c.field, c.old_value, c.new_value});
        }
        break;
      case Action::kDelete:
        deleted.Row({item.username, item.key, item.reason});
        break;
      case Action::kPendingDelete:
      case Action::kRestore:
      case Action::kUnsearchable:
        pending.Row({std::string(ActionName(item.action)), item.username, item.key,
                     ChangesText(item.changes), item.reason});
        break;
      case Action::kError:
      case Action::kConflict:
      case Action::kSkip:
      case Action::kBlocked:
        errors.Row({std::string(ActionName(item.action)), item.username, item.key, item.reason});
        break;
      case Action::kUnchanged:
      case Action::kCount:
        break;
    }
  }

  lxw_error error = LXW_NO_ERROR;
  for (Sheet* s : {&summary, &added, &updated, &deleted, &pending, &errors}) {
    const lxw_error e = s->Finish();
    if (error == LXW_NO_ERROR) error = e;
  }
  bool has_departments = false;
  for (const auto& d : plan.departments) has_departments |= d.action != Action::kUnchanged;
  if (has_departments) {
    Sheet departments(workbook, "Departments",
                      {"action", "name", "ring_group", "members", "changes"}, header, wrap);
    for (const auto& d : plan.departments) {
      if (d.action == Action::kUnchanged) continue;
      departments.Row({std::string(ActionName(d.action)), d.target.name, d.target.ring_group,
                       d.target.members.size(), ChangesText(d.changes)});
    }
    const lxw_error e = departments.Finish();
    if (error == LXW_NO_ERROR) error = e;
  }
  if (!plan.targets.empty()) {
    // What each target would receive (issue 17): its counts, then the users it gains or
    // loses by its rule (moves between targets).
    Sheet targets(workbook, "Targets",
                  {"target", "type", "users", "create", "update", "delete", "moves"}, header, wrap);
    Sheet moves(workbook, "Target moves", {"target", "action", "username", "key", "why"}, header,
                wrap);
    for (const TargetSummary& t : SummarizeTargets(plan)) {
      targets.Row({t.route->name, t.route->type, RuleText(t.route->rule), t.create, t.update,
                   t.remove, t.moves.size()});
      for (const auto& [item, step] : t.moves) {
        moves.Row({step.target, step.action, item->username, item->key, step.detail});
      }
    }
    for (Sheet* s : {&targets, &moves}) {
      const lxw_error e = s->Finish();
      if (error == LXW_NO_ERROR) error = e;
    }
  }
  const lxw_error closed = workbook_close(workbook);
  if (error == LXW_NO_ERROR) error = closed;
  if (error != LXW_NO_ERROR) {
    return Error::Unavailable("cannot write the workbook " + path + ": " + lxw_strerror(error));
  }
  return Ok();
}

Result<std::string> XlsxBytes(const Plan& plan, const Run* run) {
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
  if (ec) return Error::Unavailable("no temporary directory: " + ec.message());
  std::string path = (dir / "telsync-report-XXXXXX").string();
  const int fd = mkstemp(path.data());
  if (fd < 0) return Error::Unavailable("cannot create a temporary file in " + dir.string());
  close(fd);
  Status written = WriteXlsx(path, plan, run);
  std::string bytes;
  if (written.ok()) {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
    if (!in.good() && !in.eof()) written = Error::Unavailable("cannot read back " + path);
  }
  std::filesystem::remove(path, ec);
  if (!written.ok()) return written.error();
  return bytes;
}

}  // namespace telsync
