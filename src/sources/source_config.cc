#include "sources/source_config.h"

namespace telsync {

const std::vector<ConfigKey>& ScimSourceConfig::Keys() {
  static const std::vector<ConfigKey> keys;
  return keys;
}

std::string SourceConfig::type() const {
  return std::visit([](const auto& config) -> std::string { return config.kType; }, settings);
}

int SourceConfig::full_read_every_hours() const {
  if (const auto* graph = As<GraphSourceConfig>()) return graph->full_read_every_hours;
  if (const auto* ldap = As<LdapSourceConfig>()) return ldap->full_read_every_hours;
  return 24;
}

}  // namespace telsync
