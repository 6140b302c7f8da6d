// telsync tenant list|create|rename|delete: the tenants a provider keeps in the store
// (issue 7), beside those of the config file. The same records the REST API's
// /api/v1/tenants manages; a config tenant is changed in the file, never here.
//
// delete removes the tenant's users, runs, profiles, tokens and jobs in one transaction;
// it asks for --confirm with the tenant's name again and refuses while a job of the tenant
// runs.
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "admin/tenants.h"
#include "cli/context.h"
#include "config/loader.h"
#include "util/json_out.h"

namespace telsync::cli {
namespace {

bool InConfig(Context& ctx, const std::string& name) {
  return ctx.LoadConfig().FindTenant(name) != nullptr;
}

admin::TenantOrigin OriginOf(Context& ctx, const std::string& name) {
  return InConfig(ctx, name) ? admin::TenantOrigin::kConfig : admin::TenantOrigin::kUnknown;
}

}  // namespace

void AddTenantCommand(CLI::App& app, Context& ctx) {
  auto* tenant = app.add_subcommand("tenant", "tenants kept in the store (beside the config's)");
  tenant->require_subcommand(1);
  struct Args {
    std::string name;
    std::string display_name;
    std::string confirm;
    std::string format = "table";
  };
  auto args = std::make_shared<Args>();

  auto* list = tenant->add_subcommand("list", "every tenant: the config file's and the store's");
  list->add_option("-f,--format", args->format, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  list->callback([&ctx, args]() {
    auto tenants = admin::ListTenants(ctx.OpenStore(), ctx.LoadConfig());
    if (!tenants.ok()) throw Exit{kExitFailed, tenants.error().ToString()};
    nlohmann::json rows = nlohmann::json::array();
    for (const TenantInfo& t : *tenants) {
      nlohmann::json row = {
          {"name", t.name}, {"display_name", t.display_name}, {"origin", t.origin}};
      if (t.origin == "store") row["created_at"] = t.created_at;
      rows.push_back(std::move(row));
    }
    if (args->format == "json") {
      std::cout << DumpJson(rows, 2) << "\n";
      return;
    }
    std::cout << std::left << std::setw(24) << "TENANT" << std::setw(8) << "ORIGIN" << std::setw(24)
              << "CREATED"
              << "DISPLAY NAME\n";
    for (const auto& r : rows) {
      std::cout << std::setw(24) << r["name"].get<std::string>() << std::setw(8)
                << r["origin"].get<std::string>() << std::setw(24)
                << TableTime(r.value("created_at", int64_t{0}))
                << r["display_name"].get<std::string>() << "\n";
    }
  });

  auto* create = tenant->add_subcommand("create", "create a tenant in the store");
  create->add_option("NAME", args->name, "tenant name ([a-z0-9][a-z0-9_-]*)")->required();
  create->add_option("--display-name", args->display_name, "a name for people");
  create->callback([&ctx, args]() {
    auto created = admin::CreateTenant(ctx.OpenStore(), args->name, args->display_name,
                                       OriginOf(ctx, args->name), {}, ctx.Now());
    if (!created.ok()) {
      const Error& e = created.error();
      throw Exit{ExitCodeOf(e.code), e.code == ErrorCode::kInvalid
                                         ? "tenant name " + args->name + ": " + e.message
                                         : e.message};
    }
    std::cerr << "tenant " << args->name
              << " created; give its admin a token: telsync admin token create " << args->name
              << "\n";
  });

  auto* rename = tenant->add_subcommand("rename", "change a stored tenant's display name");
  rename->add_option("NAME", args->name, "tenant name")->required();
  rename->add_option("--display-name", args->display_name, "the new display name")->required();
  rename->callback([&ctx, args]() {
    // The CLI renames what the store has (a config tenant's name too, as it always did).
    auto renamed = admin::RenameTenant(ctx.OpenStore(), args->name, args->display_name,
                                       admin::TenantOrigin::kUnknown, ctx.Now());
    if (!renamed.ok()) {
      const Error& e = renamed.error();
      if (e.code == ErrorCode::kNotFound && e.field == "tenant") throw Exit{kExitUsage, e.message};
      throw Exit{kExitFailed, e.message};
    }
  });

  auto* remove = tenant->add_subcommand(
      "delete", "delete a stored tenant and everything it owns (users, runs, profiles, tokens)");
  remove->add_option("NAME", args->name, "tenant name")->required();
  remove->add_option("--confirm", args->confirm, "the tenant's name again")->required();
  remove->callback([&ctx, args]() {
    auto deleted = admin::DeleteTenant(ctx.OpenStore(), args->name, OriginOf(ctx, args->name),
                                       args->confirm, "--confirm " + args->name, ctx.Now());
    if (!deleted.ok()) {
      throw Exit{ExitCodeOf(deleted.error().code), deleted.error().message};
    }
    std::cout << "tenant " << args->name << " deleted: " << deleted->users << " users, "
              << deleted->runs << " runs, " << deleted->profiles << " profiles, " << deleted->tokens
              << " tokens, " << deleted->jobs << " jobs\n";
  });
}

}  // namespace telsync::cli
