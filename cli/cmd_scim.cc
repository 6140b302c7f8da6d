// telsync scim token create|list|revoke TENANT: the secret tokens Entra's provisioning
// service presents (Admin Credentials > Secret Token). A token is printed once, at
// creation; only its SHA-256 is stored.
#include <iomanip>
#include <iostream>

#include "cli/context.h"
#include "util/token.h"

namespace telsync::cli {
namespace {

void RequireTenant(Context& ctx, const std::string& tenant) {
  const Config& config = ctx.LoadConfig();
  for (const Tenant& t : config.tenants) {
    if (t.name == tenant) return;
  }
  throw Exit{kExitUsage, "no tenant " + tenant + " in the config"};
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

void AddScimCommand(CLI::App& app, Context& ctx) {
  auto* scim = app.add_subcommand("scim", "SCIM provisioning (Entra ID): secret tokens");
  scim->require_subcommand(1);
  auto* token = scim->add_subcommand("token", "bearer tokens of a tenant's SCIM endpoint");
  token->require_subcommand(1);

  static std::string tenant;
  static std::string label;
  static int64_t id = 0;
  auto* create = token->add_subcommand("create", "create a token and print it (once)");
  create->add_option("TENANT", tenant, "tenant name")->required();
  create->add_option("--label", label, "a note for the admin (where the token is used)");
  create->callback([&ctx]() {
    RequireTenant(ctx, tenant);
    auto secret = GenerateToken();
    if (!secret.ok()) throw Exit{kExitFailed, secret.error().message};
    ApiToken t;
    t.tenant = tenant;
    t.kind = "scim";
    t.label = label;
    t.hash = Sha256Hex(*secret);
    t.created_at = ctx.Now();
    auto added = ctx.OpenStore().AddToken(t);
    if (!added.ok()) throw Exit{kExitFailed, added.error().ToString()};
    std::cout << *secret << "\n";
    std::cerr << "token " << *added << " for tenant " << tenant
              << ": paste it into Entra (Provisioning > Admin Credentials > Secret Token); it is "
                 "not shown again\n";
  });

  auto* list = token->add_subcommand("list", "list a tenant's tokens (never the secrets)");
  list->add_option("TENANT", tenant, "tenant name")->required();
  list->callback([&ctx]() {
    RequireTenant(ctx, tenant);
    auto tokens = ctx.OpenStore().ListTokens(tenant, "scim");
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
  revoke->add_option("TENANT", tenant, "tenant name")->required();
  revoke->add_option("--id", id, "the token's id (telsync scim token list); default: all");
  revoke->callback([&ctx]() {
    RequireTenant(ctx, tenant);
    auto revoked = ctx.OpenStore().RevokeToken(tenant, "scim", id, ctx.Now());
    if (!revoked.ok()) {
      throw Exit{revoked.error().code == ErrorCode::kNotFound ? kExitUsage : kExitFailed,
                 revoked.error().ToString()};
    }
    std::cerr << (id == 0 ? "every token of tenant " + tenant + " revoked"
                          : "token " + std::to_string(id) + " revoked")
              << "\n";
  });
}

}  // namespace telsync::cli
