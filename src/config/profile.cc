#include "config/profile.h"

#include <filesystem>

namespace telsync {

const Profile* Config::FindProfile(const std::string& name) const {
  if (name.empty()) {
    const Profile* only = nullptr;
    for (const auto& tenant : tenants) {
      for (const auto& profile : tenant.profiles) {
        if (only != nullptr) return nullptr;  // more than one: the caller must choose
        only = &profile;
      }
    }
    return only;
  }
  const size_t slash = name.find('/');
  if (slash == std::string::npos) return nullptr;
  const std::string tenant_name = name.substr(0, slash);
  const std::string profile_name = name.substr(slash + 1);
  for (const auto& tenant : tenants) {
    if (tenant.name != tenant_name) continue;
    for (const auto& profile : tenant.profiles) {
      if (profile.name == profile_name) return &profile;
    }
  }
  return nullptr;
}

const Tenant* Config::FindTenant(const std::string& name) const {
  for (const Tenant& t : tenants)
    if (t.name == name) return &t;
  return nullptr;
}

std::string Config::BaseDir() const {
  if (origin.empty()) return ".";
  std::error_code ec;
  if (std::filesystem::is_directory(origin, ec)) return origin;
  std::string parent = std::filesystem::path(origin).parent_path().string();
  return parent.empty() ? "." : parent;
}

}  // namespace telsync
