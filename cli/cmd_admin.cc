// telsync admin token create|list|revoke TENANT: the bearer tokens of the REST API
// (/api/v1, `telsync serve`), each scoped to its tenant; telsync admin operator-token
// create|list|revoke: the provider's tokens, which reach every tenant and create and
// delete tenants over the API.
#include "cli/context.h"

namespace telsync::cli {

void AddAdminCommand(CLI::App& app, Context& ctx) {
  auto* admin =
      app.add_subcommand("admin", "REST API administration: admin and operator bearer tokens");
  admin->require_subcommand(1);
  auto* token = admin->add_subcommand("token", "bearer tokens of a tenant's REST API");
  token->require_subcommand(1);
  AddTokenCommands(token, ctx,
                   {"admin", "admin token", "who uses the token",
                    "send it as Authorization: Bearer <token> to /api/v1"});
  auto* op = admin->add_subcommand(
      "operator-token", "the provider's bearer tokens: every tenant, tenant create and delete");
  op->require_subcommand(1);
  AddTokenCommands(op, ctx,
                   {"operator", "operator token", "who uses the token",
                    "send it as Authorization: Bearer <token> to /api/v1"});
}

}  // namespace telsync::cli
