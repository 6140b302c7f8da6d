// telsync check-config: every problem of a config, with file, line, field path, reason.
#include <iostream>

#include "cli/context.h"
#include "config/loader.h"
#include "mapping/user_mapping.h"

namespace telsync::cli {

void AddCheckConfigCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("check-config", "validate the config and list every problem");
  cmd->callback([&ctx]() {
    if (ctx.config_path.empty()) {
      const char* env = std::getenv("TELSYNC_CONFIG");
      ctx.config_path = env != nullptr && *env != '\0' ? env : "telsync.yaml";
    }
    auto checker = [](const std::map<std::string, std::string>& mapping,
                      const std::string& source_type) -> std::string {
      auto compiled = UserMapping::Compile(mapping, source_type);
      return compiled.ok() ? std::string() : compiled.error().message;
    };
    const auto problems = CheckConfig(ctx.config_path, checker);
    for (const auto& p : problems) std::cout << p.ToString() << "\n";
    if (!problems.empty()) {
      throw Exit{kExitUsage, std::to_string(problems.size()) + " problem" +
                                 (problems.size() == 1 ? "" : "s") + " in " + ctx.config_path};
    }
    const Config& config = ctx.LoadConfig();
    size_t profiles = 0;
    for (const auto& t : config.tenants) profiles += t.profiles.size();
    std::cout << ctx.config_path << ": OK (" << config.tenants.size() << " tenant"
              << (config.tenants.size() == 1 ? "" : "s") << ", " << profiles << " profile"
              << (profiles == 1 ? "" : "s") << ")\n";
  });
}

}  // namespace telsync::cli
