// telsync migrate [--check]: upgrades the configured store's schema in place (issue 8).
//
// Opening a store migrates it anyway; this command makes the upgrade an explicit,
// reportable step for operators who roll out a new telsync before starting its services,
// and --check tells a deployment script whether one is due without changing anything.
// A store newer than this binary is refused with exit 2 (configuration problem: the
// binary is too old for the store), never touched.
#include <iostream>
#include <string>

#include "cli/context.h"

namespace telsync::cli {

void AddMigrateCommand(CLI::App& app, Context& ctx) {
  auto* migrate = app.add_subcommand(
      "migrate", "upgrade the store's schema in place (--check: only report whether one is due)");
  static bool check = false;
  migrate->add_flag("--check", check,
                    "change nothing; exit 1 when the store needs a migration, 0 when up to date");
  migrate->callback([&ctx]() {
    const std::string spec = ctx.LoadConfig().store;
    const std::string shown = RedactStoreSpec(spec);
    auto info = InspectStoreSchema(spec);
    if (!info.ok()) throw Exit{kExitFailed, "store " + shown + ": " + info.error().message};
    if (info->current > info->latest) {
      throw Exit{kExitUsage, "store " + shown + ": store schema version " +
                                 std::to_string(info->current) +
                                 " is newer than this telsync supports (" +
                                 std::to_string(info->latest) + "): upgrade telsync"};
    }
    if (info->current == info->latest) {
      std::cout << "store schema: up to date (version " << info->latest << ")\n";
      return;
    }
    if (check) {
      std::cout << "store schema: version " << info->current << " -> " << info->latest
                << " needed (run telsync migrate)\n";
      throw Exit{kExitFailed, ""};
    }
    auto opened = OpenStore(spec);  // migrates, under the backend's lock
    if (!opened.ok()) {
      const int code = ExitCodeOf(opened.error().code);
      throw Exit{code, "store " + shown + ": " + opened.error().message};
    }
    std::cout << "store schema: version " << info->current << " -> " << (*opened)->SchemaVersion()
              << "\n";
  });
}

}  // namespace telsync::cli
