// telsync admin token create|list|revoke TENANT: the bearer tokens of the REST API
// (/api/v1, `telsync serve`). A token is scoped to its tenant and printed once, at
// creation; only its SHA-256 is stored.
#include <iomanip>
#include <iostream>

#include "cli/context.h"
#include "util/token.h"

namespace telsync::cli {
namespace {

void RequireTenant(Context& ctx, const std::string& tenant) {
  for (const Tenant& t : ctx.LoadConfig().tenants) {
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

void AddAdminCommand(CLI::App& app, Context& ctx) {
  auto* admin = app.add_subcommand("admin", "REST API administration: admin bearer tokens");
  admin->require_subcommand(1);
  auto* token = admin->add_subcommand("token", "bearer tokens of a tenant's REST API");
  token->require_subcommand(1);

  static std::string tenant;
  static std::string label;
  static int64_t id = 0;
  auto* create = token->add_subcommand("create", "create a token and print it (once)");
  create->add_option("TENANT", tenant, "tenant name")->required();
  create->add_option("--label", label, "a note for the admin (who uses the token)");
  create->callback([&ctx]() {
    RequireTenant(ctx, tenant);
    auto secret = GenerateToken();
    if (!secret.ok()) throw Exit{kExitFailed, secret.error().message};
    ApiToken t;
    t.tenant = tenant;
    t.kind = "admin";
    t.label = label;
    t.hash = Sha256Hex(*secret);
    t.created_at = ctx.Now();
    auto added = ctx.OpenStore().AddToken(t);
    if (!added.ok()) throw Exit{kExitFailed, added.error().ToString()};
    std::cout << *secret << "\n";
    std::cerr << "admin token " << *added << " for tenant " << tenant
              << ": send it as Authorization: Bearer <token> to /api/v1; it is not shown again\n";
  });

  auto* list = token->add_subcommand("list", "list a tenant's admin tokens (never the secrets)");
  list->add_option("TENANT", tenant, "tenant name")->required();
  list->callback([&ctx]() {
    RequireTenant(ctx, tenant);
    auto tokens = ctx.OpenStore().ListTokens(tenant, "admin");
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
  revoke->add_option("--id", id, "the token's id (telsync admin token list); default: all");
  revoke->callback([&ctx]() {
    RequireTenant(ctx, tenant);
    auto revoked = ctx.OpenStore().RevokeToken(tenant, "admin", id, ctx.Now());
    if (!revoked.ok()) {
      throw Exit{revoked.error().code == ErrorCode::kNotFound ? kExitUsage : kExitFailed,
                 revoked.error().ToString()};
    }
    std::cerr << (id == 0 ? "every admin token of tenant " + tenant + " revoked"
                          : "admin token " + std::to_string(id) + " revoked")
              << "\n";
  });
}

}  // namespace telsync::cli
