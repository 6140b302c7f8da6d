// `telsync scim token ...` and `telsync admin token ...`: create, list and revoke the
// bearer tokens of one tenant. A token is printed once, at creation; only its SHA-256 is
// stored (store.h ApiToken).
#include <iomanip>
#include <iostream>
#include <memory>

#include "admin/tokens.h"
#include "cli/context.h"

namespace telsync::cli {
namespace {

// A tenant of the config file or of the store (created over the REST API or with
// `telsync tenant create`). Operator tokens have no tenant.
void RequireTenant(Context& ctx, const std::string& tenant, const TokenCommandText& text) {
  if (text.kind == "operator") return;
  if (ctx.LoadConfig().FindTenant(tenant) != nullptr) return;
  auto stored = ctx.OpenStore().GetTenant(tenant);
  if (!stored.ok()) throw Exit{kExitFailed, stored.error().ToString()};
  if (stored->has_value()) return;
  throw Exit{kExitUsage, "no tenant " + tenant + " in the config or the store"};
}

void AddTenantArg(CLI::App* command, std::string& tenant, const TokenCommandText& text) {
  if (text.kind != "operator") command->add_option("TENANT", tenant, "tenant name")->required();
}

std::string Time(int64_t unix_seconds) {
  if (unix_seconds == 0) return "-";
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

void AddTokenCommands(CLI::App* token, Context& ctx, const TokenCommandText& text) {
  struct Args {
    std::string tenant;
    std::string label;
    int64_t id = 0;
  };
  auto args = std::make_shared<Args>();
  auto* create = token->add_subcommand("create", "create a token and print it (once)");
  AddTenantArg(create, args->tenant, text);
  create->add_option("--label", args->label, "a note for the admin (" + text.label_hint + ")");
  create->callback([&ctx, args, text]() {
    RequireTenant(ctx, args->tenant, text);
    auto minted =
        admin::MintToken(ctx.OpenStore(), args->tenant, text.kind, args->label, ctx.Now());
    if (!minted.ok()) throw Exit{kExitFailed, minted.error().ToString()};
    std::cout << minted->secret << "\n";
    std::cerr << text.noun << " " << minted->token.id
              << (args->tenant.empty() ? "" : " for tenant " + args->tenant) << ": "
              << text.created_hint << "; it is not shown again\n";
  });

  auto* list =
      token->add_subcommand("list", "list a tenant's " + text.noun + "s (never the secrets)");
  AddTenantArg(list, args->tenant, text);
  list->callback([&ctx, args, text]() {
    RequireTenant(ctx, args->tenant, text);
    auto tokens = admin::ListTokens(ctx.OpenStore(), args->tenant, {text.kind});
    if (!tokens.ok()) throw Exit{kExitFailed, tokens.error().ToString()};
    std::cout << std::left << std::setw(6) << "ID" << std::setw(24) << "CREATED" << std::setw(24)
              << "REVOKED"
              << "LABEL\n";
    for (const ApiToken& t : *tokens) {
      std::cout << std::setw(6) << t.id << std::setw(24) << Time(t.created_at) << std::setw(24)
                << Time(t.revoked_at) << t.label << "\n";
    }
  });

  auto* revoke = token->add_subcommand("revoke", "revoke one token (--id) or all of a tenant's");
  AddTenantArg(revoke, args->tenant, text);
  revoke->add_option("--id", args->id,
                     "the token's id (telsync " + text.kind + " token list); default: all");
  revoke->callback([&ctx, args, text]() {
    RequireTenant(ctx, args->tenant, text);
    auto revoked =
        admin::RevokeTokens(ctx.OpenStore(), args->tenant, text.kind, args->id, ctx.Now());
    if (!revoked.ok()) {
      throw Exit{ExitCodeOf(revoked.error().code), revoked.error().ToString()};
    }
    std::cerr << (args->id == 0
                      ? "every " + text.noun +
                            (args->tenant.empty() ? "" : " of tenant " + args->tenant) + " revoked"
                      : text.noun + " " + std::to_string(args->id) + " revoked")
              << "\n";
  });
}

}  // namespace telsync::cli
