// Shared state of the CLI commands: global options, config, store, output helpers.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "apply/engine.h"
#include "config/profile.h"
#include "store/store.h"
#include "util/progress.h"

namespace telsync {
class Notifier;
class SecretKey;
}  // namespace telsync

namespace telsync::cli {

// Thrown by commands to end with an exit code after printing `message` to stderr; main
// catches it. The only exception in the CLI, and it never leaves main.
struct Exit {
  int code;
  std::string message;
};

struct Context {
  std::string config_path;   // -c/--config, $TELSYNC_CONFIG, ./telsync.yaml
  std::string profile_name;  // -p/--profile "tenant/profile"
  bool quiet = false;
  std::string log_level;        // --log-level ("" = not given: info; serve has its own)
  std::string log_format;       // --log-format ("" = not given: logfmt)
  std::string secret_key_file;  // --secret-key-file ("" = $TELSYNC_SECRET_KEY_FILE or default)

  // Loaded lazily by the commands that need them.
  Config config;
  std::unique_ptr<Store> store;

  // Loads the config (exit 2 with every problem on failure).
  const Config& LoadConfig();
  // The profile named by --profile, or the only one (exit 2 otherwise).
  const Profile& SelectProfile();
  // The tenant of --profile (or of the only profile): for commands that are per tenant.
  std::string SelectTenant();
  Store& OpenStore();
  // The secret key file: --secret-key-file, $TELSYNC_SECRET_KEY_FILE, or the default beside
  // the store (DefaultSecretKeyPath).
  std::string SecretKeyPath();
  // The config file's directory: the base of relative paths.
  std::string BaseDir() const;
  // Unix seconds; $TELSYNC_NOW overrides the clock (tests, demos of grace periods).
  int64_t Now() const;
  // The progress display of a long run on stderr (never stdout: reports go there):
  // `mode` is --progress (auto | bar | plain | none; auto: a bar on a terminal, else plain
  // lines, except beside --log-format json: none); -q makes it none.
  std::unique_ptr<ProgressRenderer> MakeProgress(const std::string& mode) const;
};

void AddCheckConfigCommand(CLI::App& app, Context& ctx);
void AddTestConnectionCommand(CLI::App& app, Context& ctx);
void AddPreviewAndSyncCommands(CLI::App& app, Context& ctx);
void AddExplainCommand(CLI::App& app, Context& ctx);  // cmd_explain.cc
void AddUsersCommand(CLI::App& app, Context& ctx);
void AddRunsCommand(CLI::App& app, Context& ctx);
void AddDumpSourceCommand(CLI::App& app, Context& ctx);
void AddServeCommand(CLI::App& app, Context& ctx);
void AddScimCommand(CLI::App& app, Context& ctx);
void AddNotifyCommand(CLI::App& app, Context& ctx);
// "2026-11-24 15:00:00Z" for table output; "-" for 0 (never).
std::string TableTime(int64_t unix_seconds);

void AddAdminCommand(CLI::App& app, Context& ctx);
void AddJobsCommand(CLI::App& app, Context& ctx);
void AddMigrateCommand(CLI::App& app, Context& ctx);
void AddTenantCommand(CLI::App& app, Context& ctx);
void AddSecretsCommand(CLI::App& app, Context& ctx);
// targets list|status|publish|retry, and users sip-credentials (after AddUsersCommand).
void AddTargetsCommand(CLI::App& app, Context& ctx);
// Publishes the tenant's outbox to its targets at the end of a CLI sync: never fails or
// waits (a target that is down keeps its events); notes go to stderr.
// `on_progress`: the "publish" phase, targets done of the tenant's (optional).
void PublishAfterSync(Context& ctx, const std::string& tenant,
                      const std::function<void(const Progress&)>& on_progress = {});
// notify.welcome_sip_credentials: the sync's welcome mails carry each created user's SIP
// login on the tenant's Kamailio target (cli/cmd_targets.cc). Nothing without a Kamailio
// target; makes the store's secret key when there is none yet.
void EnableWelcomeSipLogins(Context& ctx, const Profile& profile, Notifier& notifier);
// The store's secret key (made beside the store when it records none yet).
std::shared_ptr<const SecretKey> LoadStoreKey(Context& ctx);

// The words that differ between `scim token` and `admin token` (cli/token_commands.cc).
struct TokenCommandText {
  std::string kind;          // ApiToken::kind, and the parent command's name
  std::string noun;          // "token" / "admin token", in messages
  std::string label_hint;    // what --label notes
  std::string created_hint;  // where the new token goes
};
// Adds create | list | revoke TENANT under `token`.
void AddTokenCommands(CLI::App* token, Context& ctx, const TokenCommandText& text);

}  // namespace telsync::cli
