#include "cli/context.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "config/loader.h"
#include "mapping/user_mapping.h"
#include "secrets/store_secrets.h"
#include "util/log.h"

namespace telsync::cli {

namespace fs = std::filesystem;

std::string Context::BaseDir() const {
  fs::path p(config_path);
  if (fs::is_directory(p)) return fs::absolute(p).string();
  return fs::absolute(p).parent_path().string();
}

const Config& Context::LoadConfig() {
  if (!config.tenants.empty()) return config;
  if (!log_format.empty() || !log_level.empty()) {
    Status s = ConfigureLogging(log_format.empty() ? "logfmt" : log_format,
                                log_level.empty() ? "info" : log_level);
    if (!s.ok()) throw Exit{kExitUsage, s.error().ToString()};
  }
  if (config_path.empty()) {
    const char* env = std::getenv("TELSYNC_CONFIG");
    config_path = env != nullptr && *env != '\0' ? env : "telsync.yaml";
  }
  if (!fs::exists(config_path)) {
    throw Exit{kExitUsage,
               "config " + config_path + " not found (use -c FILE or set TELSYNC_CONFIG)"};
  }
  auto loaded = telsync::LoadConfig(config_path);
  if (!loaded.ok()) {
    throw Exit{kExitUsage,
               loaded.error().ToString() + "\n(run `telsync check-config` for every problem)"};
  }
  config = std::move(loaded).value();
  return config;
}

const Profile& Context::SelectProfile() {
  const Config& c = LoadConfig();
  const Profile* p = c.FindProfile(profile_name);
  if (p == nullptr) {
    std::string names;
    for (const auto& t : c.tenants) {
      for (const auto& pr : t.profiles) names += " " + t.name + "/" + pr.name;
    }
    throw Exit{kExitUsage, profile_name.empty()
                               ? "several profiles are configured; pick one with -p:" + names
                               : "no profile " + profile_name + "; configured:" + names};
  }
  return *p;
}

std::string Context::SelectTenant() {
  const Config& c = LoadConfig();
  if (!profile_name.empty()) {
    const std::string tenant = profile_name.substr(0, profile_name.find('/'));
    for (const auto& t : c.tenants) {
      if (t.name == tenant) return tenant;
    }
    throw Exit{kExitUsage, "no tenant " + tenant};
  }
  if (c.tenants.size() == 1) return c.tenants[0].name;
  throw Exit{kExitUsage, "several tenants are configured; pick one with -p TENANT"};
}

Store& Context::OpenStore() {
  if (store) return *store;
  const Config& c = LoadConfig();
  auto opened = telsync::OpenStore(c.store);
  if (!opened.ok()) {
    throw Exit{kExitFailed, "store " + RedactStoreSpec(c.store) + ": " + opened.error().message};
  }
  store = std::move(opened).value();
  return *store;
}

std::string Context::SecretKeyPath() {
  std::string path = secret_key_file;
  if (path.empty()) {
    const char* env = std::getenv("TELSYNC_SECRET_KEY_FILE");
    if (env != nullptr) path = env;
  }
  if (!path.empty()) return path;
  return DefaultSecretKeyPath(LoadConfig().store, BaseDir());
}

int64_t Context::Now() const {
  const char* env = std::getenv("TELSYNC_NOW");
  if (env != nullptr && *env != '\0') return std::strtoll(env, nullptr, 10);
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<ProgressRenderer> Context::MakeProgress(const std::string& mode) const {
  // JSON logs make stderr machine-read: `auto` adds no lines to them.
  const bool json_logs = log_format == "json" && mode == "auto";
  const ProgressStyle style =
      quiet || json_logs
          ? ProgressStyle::kNone
          : ParseProgressStyle(mode, isatty(STDERR_FILENO) == 1).value_or(ProgressStyle::kNone);
  return std::make_unique<ProgressRenderer>(
      style,
      [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
      },
      [](std::string_view text) {
        std::cerr.write(text.data(), static_cast<std::streamsize>(text.size()));
        std::cerr.flush();
      });
}

std::string TableTime(int64_t t) {
  if (t == 0) return "-";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

}  // namespace telsync::cli
