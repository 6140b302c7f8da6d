// telsync scim token create|list|revoke TENANT: the secret tokens Entra's provisioning
// service presents (Admin Credentials > Secret Token).
#include "cli/context.h"

namespace telsync::cli {

void AddScimCommand(CLI::App& app, Context& ctx) {
  auto* scim = app.add_subcommand("scim", "SCIM provisioning (Entra ID): secret tokens");
  scim->require_subcommand(1);
  auto* token = scim->add_subcommand("token", "bearer tokens of a tenant's SCIM endpoint");
  token->require_subcommand(1);
  AddTokenCommands(token, ctx,
                   {"scim", "token", "where the token is used",
                    "paste it into Entra (Provisioning > Admin Credentials > Secret Token)"});
}

}  // namespace telsync::cli
