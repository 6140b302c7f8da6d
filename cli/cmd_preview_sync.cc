// telsync preview | sync: the AD report, and applying it (F17, F18).
//
// Both run the same engine; a preview simply does not apply the plan.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "apply/engine.h"
#include "apply/run_profile.h"
#include "cli/context.h"
#include "notify/notifier.h"
#include "report/html_report.h"
#include "report/report.h"
#include "report/xlsx_report.h"

namespace telsync::cli {
namespace {

struct RunArgs {
  std::string format = "table";
  std::string output;
  bool all = false;
  std::string user;
  int64_t approve = 0;
  bool wait = false;
  std::string progress = "auto";  // --progress
};

void WritePlan(const Plan& plan, int64_t run_id, const Run* run, const RunArgs& args,
               std::ostream& out, bool summary_only) {
  if (args.format == "json") {
    WriteJson(out, plan, run_id);
  } else if (args.format == "html") {
    WriteHtml(out, plan, run);
  } else if (args.format == "csv") {
    WriteCsv(out, plan);
  } else {
    TableOptions options;
    options.all = args.all;
    options.color = args.output.empty() && isatty(STDOUT_FILENO);
    if (summary_only) options.max_per_section = 10;
    WriteTable(out, plan, options);
  }
}

void Execute(Context& ctx, const RunArgs& args, RunKind kind) {
  // Checked before the run: a sync must not apply and then fail to report.
  if (args.format == "xlsx" && args.output.empty()) {
    throw Exit{kExitUsage, "--format xlsx writes a binary file: give -o FILE.xlsx"};
  }
  const Profile& profile = ctx.SelectProfile();
  // A scim profile's source is its mirror, fed by `telsync serve` (DESIGN §1). The source
  // is checked before the store is opened.
  auto prepared = PreparedRun::Make(profile, ctx.BaseDir());
  if (!prepared.ok()) throw Exit{kExitUsage, prepared.error().ToString()};
  Store& store = ctx.OpenStore();

  EngineOptions options;
  options.kind = kind;
  options.trigger = args.approve != 0    ? "approve:" + std::to_string(args.approve)
                    : !args.user.empty() ? "user:" + args.user
                                         : "cli";
  if (!args.user.empty()) options.only_user = args.user;
  options.approve_run = args.approve;
  options.lock_wait_seconds = args.wait ? -1 : 0;
  options.now = ctx.Now();
  options.clock = [&ctx]() { return ctx.Now(); };
  options.history_keep_days = ctx.LoadConfig().history_keep_days;
  // Progress goes to stderr and ends its line before the report is written to stdout.
  std::unique_ptr<ProgressRenderer> progress = ctx.MakeProgress(args.progress);
  options.on_progress = [&progress](const Progress& p) { progress->Update(p); };
  if (const Tenant* tenant = ctx.LoadConfig().FindTenant(profile.tenant)) {
    options.targets = RoutesOf(tenant->targets);
  }
  auto outcome = prepared->Run(store, options);
  progress->Finish();
  if (!outcome.ok()) {
    throw Exit{ExitCodeOf(outcome.error().code), outcome.error().ToString()};
  }
  const Run& run = outcome->run;

  if (args.format == "xlsx") {
    if (auto written = WriteXlsx(args.output, outcome->plan, &run); !written.ok()) {
      throw Exit{kExitFailed, written.error().ToString()};
    }
  } else if (args.output.empty()) {
    WritePlan(outcome->plan, run.id, &run, args, std::cout, kind == RunKind::kSync);
  } else {
    std::ofstream file(args.output, std::ios::binary);
    if (!file) throw Exit{kExitFailed, "cannot write " + args.output};
    WritePlan(outcome->plan, run.id, &run, args, file, false);
  }

  for (size_t i = 0; i < outcome->source_problems.size() && i < 20; ++i) {
    std::cerr << "source: " << outcome->source_problems[i] << "\n";
  }
  std::ostream& note = args.format == "table" && args.output.empty() ? std::cout : std::cerr;
  note << "\n"
       << (kind == RunKind::kSync ? "Sync" : "Preview") << " run " << run.id << ": "
       << RunStatusName(run.status);
  if (!run.message.empty()) note << " — " << run.message;
  note << "\n";
  if (run.status == RunStatus::kHeld) {
    note << "Nothing was applied. Review it with `telsync runs show " << run.id
         << "` and apply it with `telsync sync --approve " << run.id << "`.\n";
  } else if (kind == RunKind::kSync && profile.policy.mode != SyncMode::kPaused &&
             run.status != RunStatus::kFailed) {
    note << "Applied: " << outcome->applied.users_written << " user rows, "
         << outcome->applied.departments_written << " departments written.\n";
  }
  // Issue 17: the applied changes go on to the tenant's targets (never fails the sync).
  if (kind == RunKind::kSync && run.status != RunStatus::kHeld) {
    PublishAfterSync(ctx, profile.tenant, options.on_progress);
    progress->Finish();
  }
  if (kind == RunKind::kSync) {
    Notifier notifier(ctx.LoadConfig().smtp, store);
    EnableWelcomeSipLogins(ctx, profile, notifier);
    std::map<std::string, std::pair<size_t, size_t>> mails;  // kind -> sent, failed
    for (const auto& r : notifier.AfterRun(profile, *outcome, ctx.Now())) {
      auto& [sent, failed] = mails[r.kind];
      ++(r.status == "sent" ? sent : failed);
      if (r.status != "sent" && failed <= 3) {
        std::cerr << "telsync: " << r.kind << " mail to " << r.recipients
                  << " not sent: " << r.error << "\n";
      }
    }
    for (const auto& [mail_kind, counts] : mails) {
      note << "Mail " << mail_kind << ": " << counts.first << " sent";
      if (counts.second != 0) {
        note << ", " << counts.second << " failed (kept; resend with `telsync notify retry`)";
      }
      note << "\n";
    }
  }
  if (outcome->exit_code != kExitOk) throw Exit{outcome->exit_code, ""};
}

void AddRunOptions(CLI::App* cmd, RunArgs& args) {
  cmd->add_option("-f,--format", args.format, "table | json | csv | html | xlsx (xlsx needs -o)")
      ->check(CLI::IsMember({"table", "json", "csv", "html", "xlsx"}));
  cmd->add_option("-o,--output", args.output, "write the report to a file");
  cmd->add_flag("--all", args.all, "list unchanged users too (table)");
  cmd->add_option("--user", args.user, "only this user (username, e-mail or source id)");
  cmd->add_flag("--wait", args.wait,
                "when a run of the profile is in progress, wait for it (default: exit 1)");
  cmd->add_option("--progress", args.progress,
                  "progress on stderr: auto (a bar on a terminal, else a plain line every few "
                  "seconds), bar, plain, none (-q: none)")
      ->check(CLI::IsMember({"auto", "bar", "plain", "none"}));
}

}  // namespace

void AddPreviewAndSyncCommands(CLI::App& app, Context& ctx) {
  static RunArgs preview_args;
  auto* preview = app.add_subcommand(
      "preview", "show what a sync would change (the AD report); changes nothing");
  AddRunOptions(preview, preview_args);
  preview->callback([&ctx]() { Execute(ctx, preview_args, RunKind::kPreview); });

  static RunArgs sync_args;
  auto* sync =
      app.add_subcommand("sync", "apply the directory to the PBX (the same plan as preview)");
  AddRunOptions(sync, sync_args);
  sync->add_option("--approve", sync_args.approve,
                   "apply a run held by a deletion threshold or review mode");
  sync->callback([&ctx]() { Execute(ctx, sync_args, RunKind::kSync); });
}

}  // namespace telsync::cli
