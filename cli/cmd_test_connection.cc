// telsync test-connection: can the profile's source be read, in plain words (F5).
#include <iostream>

#include "cli/context.h"
#include "sources/source.h"

namespace telsync::cli {

void AddTestConnectionCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("test-connection",
                                 "check that the source can be read; list its attributes");
  cmd->callback([&ctx]() {
    const Profile& profile = ctx.SelectProfile();
    auto source = MakeSource(profile.source, ctx.BaseDir());
    if (!source.ok()) throw Exit{kExitUsage, source.error().ToString()};
    const ConnectionReport report = (*source)->TestConnection();
    std::cout << (report.ok ? "OK: " : "FAILED: ") << report.message << "\n";
    if (!report.attributes.empty()) {
      std::cout << "attributes:";
      for (const auto& a : report.attributes) std::cout << " " << a;
      std::cout << "\n";
    }
    for (const auto& s : report.sample) std::cout << "  " << s << "\n";
    if (!report.ok) throw Exit{kExitFailed, ""};
  });
}

}  // namespace telsync::cli
