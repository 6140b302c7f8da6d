// telsync: keeps a telephony platform's users in step with the company directory.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "cli/context.h"

namespace {

// Levenshtein distance, for "did you mean" (subcommand names are short).
size_t Distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The first word that is neither an option nor an option's value: the command. Empty when
// there is none (`telsync --help`).
std::string FirstCommand(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return "";
    if (arg.rfind('-', 0) == 0) {
      const bool takes_value = arg == "-c" || arg == "--config" || arg == "-p" ||
                               arg == "--profile" || arg == "--log-level" ||
                               arg == "--log-format" || arg == "--secret-key-file";
      if (takes_value) ++i;
      continue;
    }
    return arg;
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  using telsync::cli::Context;
  using telsync::cli::Exit;
  CLI::App app{
      "telsync: keeps a telephony platform's users in step with the company directory.\n"
      "Exit codes: 0 done; 1 run failed; 2 usage or configuration error; 3 held for\n"
      "approval; 4 finished with per-user errors or conflicts.",
      "telsync"};
  app.require_subcommand(1);
  // -c, -p, -q and the log options also after the command (`telsync jobs list -p acme`).
  app.fallthrough();
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
  app.add_option("--secret-key-file", ctx.secret_key_file,
                 "the key that seals the store's secrets (default: $TELSYNC_SECRET_KEY_FILE, "
                 "else beside the store)");

  telsync::cli::AddCheckConfigCommand(app, ctx);
  telsync::cli::AddTestConnectionCommand(app, ctx);
  telsync::cli::AddPreviewAndSyncCommands(app, ctx);
  telsync::cli::AddExplainCommand(app, ctx);
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
  telsync::cli::AddSecretsCommand(app, ctx);
  telsync::cli::AddTargetsCommand(app, ctx);

  // An unknown command is named, with the closest one, before CLI11's generic answer.
  if (const std::string command = FirstCommand(argc, argv); !command.empty()) {
    std::string closest;
    size_t best = SIZE_MAX;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      const std::string& name = sub->get_name();
      if (name == command) known = true;
      const size_t d = Distance(command, name);
      if (d < best) {
        best = d;
        closest = name;
      }
    }
    if (!known) {
      std::cerr << "telsync: unknown command '" << command << "'";
      if (best <= std::max<size_t>(2, command.size() / 3)) {
        std::cerr << "; did you mean '" << closest << "'?";
      }
      std::cerr << " (telsync --help lists the commands)\n";
      return telsync::kExitUsage;
    }
  }

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
