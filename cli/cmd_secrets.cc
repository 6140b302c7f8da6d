// telsync secrets: the key that seals the store's secrets (SPEC R4, docs/secrets.md).
//
//   init                      make a key file (mode 0600)
//   status [-f json]          the store's key, and how many secrets each key seals
//   rotate-key --new-key-file re-seal every secret with a new key, in one transaction
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "secrets/store_secrets.h"
#include "util/json_out.h"

namespace telsync::cli {

void AddSecretsCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("secrets", "the key that seals the store's secrets");
  cmd->require_subcommand(1);

  auto* init = cmd->add_subcommand("init", "make a new secret key file (mode 0600)");
  auto init_file = std::make_shared<std::string>();
  init->add_option("--key-file", *init_file,
                   "where (default: --secret-key-file, $TELSYNC_SECRET_KEY_FILE, or beside "
                   "the store)");
  init->callback([&ctx, init_file]() {
    const std::string path = init_file->empty() ? ctx.SecretKeyPath() : *init_file;
    Result<SecretKey> key = SecretKey::CreateFile(path);
    if (!key.ok()) {
      throw Exit{ExitCodeOf(key.error().code),
                 key.error().message + (key.error().code == ErrorCode::kConflict
                                            ? " (a key file is never overwritten)"
                                            : "")};
    }
    std::cout << "Created secret key file " << path << " (key " << key->id()
              << ", mode 0600).\nBack it up: without it the store's secrets cannot be read.\n";
  });

  auto* status = cmd->add_subcommand("status", "the store's key and its secrets per key");
  auto format = std::make_shared<std::string>("table");
  status->add_option("-f,--format", *format, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  status->callback([&ctx, format]() {
    Result<SecretsStatus> s = ReadSecretsStatus(ctx.OpenStore());
    if (!s.ok()) throw Exit{kExitFailed, s.error().ToString()};
    const std::string path = ctx.SecretKeyPath();
    Result<SecretKey> file_key = SecretKey::LoadFile(path);
    const std::string file_id = file_key.ok() ? file_key->id() : "";
    if (*format == "json") {
      nlohmann::ordered_json j;
      j["store_key"] = s->recorded_key;
      j["key_file"] = path;
      j["key_file_key"] = file_id;
      if (!file_key.ok()) j["key_file_error"] = file_key.error().message;
      j["profiles"] = s->profiles;
      j["profiles_with_secrets"] = s->profiles_with_secrets;
      j["sealed_by_key"] = s->sealed_by_key;
      j["plain"] = s->plain;
      std::cout << DumpJson(j, 2) << "\n";
      return;
    }
    std::cout << "store key:  " << (s->recorded_key.empty() ? "(none recorded)" : s->recorded_key)
              << "\nkey file:   " << path << " "
              << (file_key.ok() ? "(key " + file_id + ")" : "(" + file_key.error().message + ")")
              << "\nprofiles:   " << s->profiles << " stored, " << s->profiles_with_secrets
              << " with secrets\n";
    std::cout << "secrets by key:\n";
    if (s->sealed_by_key.empty() && s->plain == 0) std::cout << "  (none)\n";
    for (const auto& [id, n] : s->sealed_by_key) {
      std::cout << "  " << id << "  " << n << (id == s->recorded_key ? "  (the store's key)" : "")
                << "\n";
    }
    if (s->plain > 0)
      std::cout << "  plain             " << s->plain << "  (sealed at the next serve)\n";
  });

  auto* rotate =
      cmd->add_subcommand("rotate-key", "re-seal every secret with a new key, in one transaction");
  auto new_file = std::make_shared<std::string>();
  rotate
      ->add_option("--new-key-file", *new_file,
                   "the new key (made with mode 0600 when it does not exist)")
      ->required();
  rotate->callback([&ctx, new_file]() {
    Store& store = ctx.OpenStore();
    const std::string path = ctx.SecretKeyPath();
    Result<SecretKey> current = LoadStoreKey(store, path, ctx.Now());
    if (!current.ok()) throw Exit{kExitUsage, "current key: " + current.error().message};
    bool made = false;
    Result<SecretKey> next = SecretKey::LoadFile(*new_file);
    if (!next.ok() && next.error().code == ErrorCode::kNotFound) {
      next = SecretKey::CreateFile(*new_file);
      made = next.ok();
    }
    if (!next.ok()) throw Exit{kExitUsage, "new key: " + next.error().message};
    if (next->id() == current->id())
      throw Exit{kExitUsage, "the new key file holds the current key " + current->id()};
    Result<int> rewritten = RotateSecretKey(store, *current, *next, ctx.Now());
    if (!rewritten.ok()) throw Exit{kExitFailed, "rotation: " + rewritten.error().ToString()};
    if (made) std::cout << "Created secret key file " << *new_file << " (mode 0600).\n";
    std::cout << "Re-sealed the secrets of " << *rewritten << " stored profiles with key "
              << next->id() << " (was " << current->id() << ").\nStart telsync with "
              << "--secret-key-file " << *new_file
              << " from now on; the old key file opens nothing any more.\n";
  });
}

}  // namespace telsync::cli
