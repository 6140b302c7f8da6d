// telsync explain USER: why one user is planned the way it is (issue 18 §1, SPEC F26).
//
// A thin adapter over ExplainUser (apply/explain.h): the same run as `preview`, traced for
// one user, rendered by report/explain_report.h. Records no run, changes nothing.
#include <iostream>

#include "apply/explain.h"
#include "apply/run_profile.h"
#include "cli/context.h"
#include "report/explain_report.h"
#include "targets/target_config.h"

namespace telsync::cli {

void AddExplainCommand(CLI::App& app, Context& ctx) {
  static std::string user;
  static std::string format = "table";
  static bool wait = false;
  static bool fresh = false;
  auto* cmd = app.add_subcommand(
      "explain",
      "why a user is planned the way it is: source, scope, mapping, validation, identity, "
      "uniqueness, policy, rules and the preview's result, step by step; changes nothing");
  cmd->add_option("USER", user, "username, e-mail, UPN, source id, or user:<id>")->required();
  cmd->add_option("-f,--format", format, "table | json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_flag("--fresh", fresh,
                "read the user from the source now, alone, instead of from the source mirror "
                "(Graph; a file is read in full anyway; not for a scim profile)");
  cmd->add_flag("--wait", wait,
                "when a run of the profile is in progress, wait for it (default: exit 1)");
  cmd->callback([&ctx]() {
    const Profile& profile = ctx.SelectProfile();
    // The source is checked before the store is opened, as preview does.
    if (auto prepared = PreparedRun::Make(profile, ctx.BaseDir()); !prepared.ok()) {
      throw Exit{kExitUsage, prepared.error().ToString()};
    }
    Store& store = ctx.OpenStore();
    ExplainOptions options;
    options.now = ctx.Now();
    options.base_dir = ctx.BaseDir();
    options.lock_wait_seconds = wait ? -1 : 0;
    options.fresh = fresh;
    if (fresh && profile.source.type() == "scim") {
      throw Exit{kExitUsage,
                 "explain --fresh: profile " + profile.name +
                     " is fed by SCIM pushes: there is no source to read from, its mirror is the "
                     "source of truth"};
    }
    if (const Tenant* tenant = ctx.LoadConfig().FindTenant(profile.tenant)) {
      options.targets = RoutesOf(tenant->targets);
    }
    auto explained = ExplainUser(profile, store, user, options);
    if (!explained.ok()) {
      throw Exit{ExitCodeOf(explained.error().code), explained.error().ToString()};
    }
    if (format == "json") {
      WriteExplainJson(std::cout, *explained);
    } else {
      WriteExplainTable(std::cout, *explained);
    }
  });
}

}  // namespace telsync::cli
