// telsync runs list | show ID: run history with items (F19); runs revert ID: the inverse of
// an applied run (issue 18), runs resume: lifts the pause a revert set.
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "admin/views.h"
#include "apply/revert.h"
#include "cli/context.h"
#include "report/html_report.h"
#include "report/report.h"
#include "report/xlsx_report.h"

namespace telsync::cli {

void AddRunsCommand(CLI::App& app, Context& ctx) {
  auto* runs = app.add_subcommand("runs", "run history");
  runs->require_subcommand(1);

  static size_t limit = 20;
  static std::string list_format = "table";
  auto* list = runs->add_subcommand("list", "newest runs first, and the last successful sync");
  list->add_option("--limit", limit, "at most this many (default 20)");
  list->add_option("-f,--format", list_format,
                   "table | json (the REST API's run objects, purged_at RFC 3339 or null)")
      ->check(CLI::IsMember({"table", "json"}));
  list->callback([&ctx]() {
    std::string tenant = ctx.SelectTenant();
    std::string profile;
    if (auto slash = ctx.profile_name.find('/'); slash != std::string::npos) {
      profile = ctx.profile_name.substr(slash + 1);
    }
    auto listed = ctx.OpenStore().ListRuns(tenant, profile, limit);
    if (!listed.ok()) throw Exit{kExitFailed, listed.error().ToString()};
    if (list_format == "json") {
      nlohmann::ordered_json runs_json = nlohmann::ordered_json::array();
      for (const auto& r : *listed) runs_json.push_back(admin::RunJson(r));
      std::cout << nlohmann::ordered_json{{"runs", std::move(runs_json)}}.dump(2) << "\n";
      return;
    }
    std::cout << std::left << std::setw(6) << "RUN" << std::setw(14) << "PROFILE" << std::setw(9)
              << "KIND" << std::setw(10) << "STATUS" << std::setw(22) << "STARTED"
              << "CREATE UPDATE DELETE PENDING ERRORS  MESSAGE\n";
    for (const auto& r : *listed) {
      auto n = [&](Action a) { return r.summary[static_cast<size_t>(a)]; };
      std::cout << std::left << std::setw(6) << r.id << std::setw(14) << r.profile << std::setw(9)
                << RunKindName(r.kind) << std::setw(10) << RunStatusName(r.status) << std::setw(22)
                << TableTime(r.started_at) << std::right << std::setw(6) << n(Action::kCreate)
                << std::setw(7) << n(Action::kUpdate) << std::setw(7) << n(Action::kDelete)
                << std::setw(8) << n(Action::kPendingDelete) << std::setw(7)
                << n(Action::kError) + n(Action::kConflict) << "  "
                << (r.purged_at != 0 ? "[items purged " + PurgedAtText(r).substr(0, 10) + "] "
                                     : std::string())
                << r.message << "\n";
    }
    if (!profile.empty() || ctx.LoadConfig().tenants.size() == 1) {
      for (const auto& t : ctx.LoadConfig().tenants) {
        if (t.name != tenant) continue;
        for (const auto& p : t.profiles) {
          if (!profile.empty() && p.name != profile) continue;
          auto last = ctx.OpenStore().LastSuccessfulSync(tenant, p.name);
          if (last.ok()) {
            std::cout << "last successful sync of " << tenant << "/" << p.name << ": "
                      << (last->has_value() ? TableTime((*last)->finished_at) + " (run " +
                                                  std::to_string((*last)->id) + ")"
                                            : std::string("never"))
                      << "\n";
          }
        }
      }
    }
  });

  static int64_t run_id = 0;
  static std::string format = "table";
  static std::string action;
  static std::string output;
  static bool all = false;
  auto* show = runs->add_subcommand("show", "one run with its items");
  show->add_option("id", run_id, "run id")->required();
  show->add_option("-f,--format", format, "table | json | csv | html | xlsx (xlsx needs -o)")
      ->check(CLI::IsMember({"table", "json", "csv", "html", "xlsx"}));
  show->add_option("--action", action, "only items of this action (create, update, ...)");
  show->add_option("-o,--output", output, "write to a file");
  show->add_flag("--all", all, "list unchanged users too (table)");
  show->callback([&ctx]() {
    const std::string tenant = ctx.SelectTenant();
    Store& store = ctx.OpenStore();
    auto run = store.GetRun(tenant, run_id);
    if (!run.ok()) throw Exit{kExitUsage, run.error().ToString()};
    std::optional<Action> filter;
    if (!action.empty()) {
      filter = ActionFromName(action);
      if (!filter) throw Exit{kExitUsage, "unknown action " + action};
    }
    auto items = store.GetRunItems(tenant, run_id, filter);
    if (!items.ok()) throw Exit{kExitFailed, items.error().ToString()};
    auto departments = store.GetRunDepartments(tenant, run_id);
    if (!departments.ok()) throw Exit{kExitFailed, departments.error().ToString()};
    const Plan plan = PlanFromRun(*run, std::move(items).value(), std::move(departments).value());
    if (format == "xlsx") {
      // A workbook is binary: to a file, or to stdout only when that is not a terminal.
      if (output.empty() || (output == "-" && isatty(STDOUT_FILENO))) {
        throw Exit{kExitUsage, "--format xlsx writes a binary file: give -o FILE.xlsx"};
      }
      if (output == "-") {
        auto bytes = XlsxBytes(plan, &*run);
        if (!bytes.ok()) throw Exit{kExitFailed, bytes.error().ToString()};
        std::cout.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
        return;
      }
      if (auto written = WriteXlsx(output, plan, &*run); !written.ok()) {
        throw Exit{kExitFailed, written.error().ToString()};
      }
      return;
    }
    std::ofstream file;
    if (!output.empty()) {
      file.open(output, std::ios::binary);
      if (!file) throw Exit{kExitFailed, "cannot write " + output};
    }
    std::ostream& out = output.empty() ? std::cout : file;
    if (format == "json") {
      WriteJson(out, plan, run->id, &*run);
    } else if (format == "html") {
      WriteHtml(out, plan, &*run);
    } else if (format == "csv") {
      WriteCsv(out, plan, &*run);
    } else {
      out << "Run " << run->id << " (" << RunKindName(run->kind) << ", " << run->trigger
          << "): " << RunStatusName(run->status) << ", started " << TableTime(run->started_at)
          << ", finished " << TableTime(run->finished_at) << "\n";
      if (!run->message.empty()) out << run->message << "\n";
      if (run->purged_at != 0) out << PurgedNote(*run) << "\n";
      TableOptions options;
      options.all = all;
      options.max_per_section = 0;
      WriteTable(out, plan, options);
    }
  });

  static bool apply = false;
  static bool pause = false;
  static bool approve = false;
  auto* revert = runs->add_subcommand(
      "revert", "the inverse of applied run ID: preview it, or --apply it as a run of kind revert");
  revert->add_option("id", run_id, "the run to revert")->required();
  revert->add_flag("--apply", apply, "apply the revert (default: preview only)");
  revert->add_flag("--pause", pause,
                   "with --apply: pause the profile in the same transaction, so the next sync "
                   "does not apply the directory again (telsync runs resume lifts it)");
  revert->add_flag("--approve", approve,
                   "with --apply: apply even when the deletion threshold holds the revert");
  revert->add_option("-f,--format", format, "table | json | csv | html | xlsx (xlsx needs -o)")
      ->check(CLI::IsMember({"table", "json", "csv", "html", "xlsx"}));
  revert->add_option("-o,--output", output, "write the report to a file");
  revert->callback([&ctx]() {
    if ((pause || approve) && !apply) throw Exit{kExitUsage, "--pause and --approve need --apply"};
    if (format == "xlsx" && output.empty()) {
      throw Exit{kExitUsage, "--format xlsx writes a binary file: give -o FILE.xlsx"};
    }
    const std::string tenant = ctx.SelectTenant();
    Store& store = ctx.OpenStore();
    auto recorded = store.GetRun(tenant, run_id);
    if (!recorded.ok()) throw Exit{kExitUsage, recorded.error().ToString()};
    const Profile* profile = ctx.LoadConfig().FindProfile(tenant + "/" + recorded->profile);
    if (profile == nullptr) {
      throw Exit{kExitUsage, "run " + std::to_string(run_id) + "'s profile " + tenant + "/" +
                                 recorded->profile + " is not in the config"};
    }
    RevertOptions options;
    options.run_id = run_id;
    options.apply = apply;
    options.pause = pause;
    options.approve = approve;
    options.keep_days = ctx.LoadConfig().history_keep_days;
    options.now = ctx.Now();
    options.clock = [&ctx]() { return ctx.Now(); };
    if (const Tenant* t = ctx.LoadConfig().FindTenant(tenant)) {
      options.targets = RoutesOf(t->targets);
    }
    auto outcome = ExecuteRevert(*profile, store, options);
    if (!outcome.ok()) throw Exit{ExitCodeOf(outcome.error().code), outcome.error().ToString()};
    const Run& run = outcome->run;
    const Run* shown = run.id != 0 ? &run : nullptr;
    if (format == "xlsx") {
      if (auto written = WriteXlsx(output, outcome->plan, shown); !written.ok()) {
        throw Exit{kExitFailed, written.error().ToString()};
      }
    } else {
      std::ofstream file;
      if (!output.empty()) {
        file.open(output, std::ios::binary);
        if (!file) throw Exit{kExitFailed, "cannot write " + output};
      }
      std::ostream& out = output.empty() ? std::cout : file;
      if (format == "json") {
        WriteJson(out, outcome->plan, run.id);
      } else if (format == "html") {
        WriteHtml(out, outcome->plan, shown);
      } else if (format == "csv") {
        WriteCsv(out, outcome->plan);
      } else {
        TableOptions table;
        table.max_per_section = 0;
        WriteTable(out, outcome->plan, table);
      }
    }
    std::ostream& note = format == "table" && output.empty() ? std::cout : std::cerr;
    if (!apply) {
      note << "\nPreview of the revert of run " << run_id
           << " (nothing applied): " << RunStatusName(run.status);
      if (!run.message.empty()) note << " — " << run.message;
      note << "\nApply it with `telsync runs revert " << run_id << " --apply`.\n";
    } else {
      note << "\nRevert run " << run.id << " of run " << run_id << ": "
           << RunStatusName(run.status);
      if (!run.message.empty()) note << " — " << run.message;
      note << "\n";
      if (run.status != RunStatus::kHeld && run.status != RunStatus::kFailed) {
        note << "Applied: " << outcome->applied.users_written << " user rows, "
             << outcome->applied.departments_written << " departments written.\n";
        if (pause)
          note << "Profile " << tenant << "/" << run.profile << " paused by run " << run.id
               << "; `telsync runs resume` lifts the pause.\n";
        PublishAfterSync(ctx, tenant);
      }
    }
    if (!outcome->next_sync_note.empty()) note << "Note: " << outcome->next_sync_note << ".\n";
    if (outcome->exit_code != kExitOk) throw Exit{outcome->exit_code, ""};
  });

  auto* resume = runs->add_subcommand(
      "resume", "lift the pause of `runs revert --pause`: the profile's syncs apply again");
  resume->callback([&ctx]() {
    const Profile& profile = ctx.SelectProfile();
    Store& store = ctx.OpenStore();
    auto pause = store.GetProfilePause(profile.tenant, profile.name);
    if (!pause.ok()) throw Exit{kExitFailed, pause.error().ToString()};
    if (!pause->has_value()) {
      std::cout << "profile " << profile.tenant << "/" << profile.name
                << " is not paused by a revert\n";
      return;
    }
    if (Status s = store.ClearProfilePause(profile.tenant, profile.name); !s.ok()) {
      throw Exit{kExitFailed, s.error().ToString()};
    }
    std::cout << "profile " << profile.tenant << "/" << profile.name
              << " resumed (it was paused by revert run " << **pause << ")\n";
  });
}

}  // namespace telsync::cli
