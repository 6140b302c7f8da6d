// telsync: keeps a telephony platform's users in step with the company directory.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/context.h"

int main(int argc, char** argv) {
  using telsync::cli::Context;
  using telsync::cli::Exit;
  CLI::App app{
      "telsync: keeps a telephony platform's users in step with the company directory.\n"
      "Exit codes: 0 done; 1 run failed; 2 usage or configuration error; 3 held for\n"
      "approval; 4 finished with per-user errors or conflicts.",
      "telsync"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "telsync 0.1.0");
  Context ctx;
  app.add_option("-c,--config", ctx.config_path,
                 "config file or directory (default: $TELSYNC_CONFIG or ./telsync.yaml)");
  app.add_option("-p,--profile", ctx.profile_name, "profile as TENANT/PROFILE (or TENANT)");
  app.add_flag("-q,--quiet", ctx.quiet, "no progress output");
  app.add_option("--log-level", ctx.log_level,
                 "log events at this level or above on stderr: debug (with run phase timings), "
                 "info (default), warn, error");
  app.add_option("--log-format", ctx.log_format, "logfmt (default) or json");

  telsync::cli::AddCheckConfigCommand(app, ctx);
  telsync::cli::AddTestConnectionCommand(app, ctx);
  telsync::cli::AddPreviewAndSyncCommands(app, ctx);
  telsync::cli::AddUsersCommand(app, ctx);
  telsync::cli::AddRunsCommand(app, ctx);
  telsync::cli::AddDumpSourceCommand(app, ctx);
  telsync::cli::AddServeCommand(app, ctx);
  telsync::cli::AddScimCommand(app, ctx);
  telsync::cli::AddNotifyCommand(app, ctx);
  telsync::cli::AddAdminCommand(app, ctx);
  telsync::cli::AddJobsCommand(app, ctx);
  telsync::cli::AddMigrateCommand(app, ctx);
  telsync::cli::AddTenantCommand(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : telsync::kExitUsage;
  } catch (const Exit& e) {
    if (!e.message.empty()) std::cerr << "telsync: " << e.message << "\n";
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "telsync: internal error: " << e.what() << "\n";
    return telsync::kExitFailed;
  }
  return 0;
}
