// SourceConfig: the `source:` block of a profile (F1-F4). Each source module declares its
// own config struct with its keys, documented defaults and reader (FileSourceConfig in
// sources/file/file_config.h, GraphSourceConfig in sources/graph/graph_config.h,
// LdapSourceConfig in sources/ldap/ldap_config.h); a profile holds one of them in a
// std::variant. config/loader.h picks the alternative by `source.type` and hands the block to
// that module's reader; MakeSource (sources/source.h) turns it into a Source.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "sources/file/file_config.h"
#include "sources/graph/graph_config.h"
#include "sources/ldap/ldap_config.h"
#include "util/config_block.h"

namespace telsync {

// `type: scim`: no further keys; users are pushed to telsync's SCIM endpoint.
struct ScimSourceConfig {
  static constexpr const char* kType = "scim";
  static const std::vector<ConfigKey>& Keys();
};

// No source (a profile whose source block had a problem, or a test's bare profile).
struct NoSourceConfig {
  static constexpr const char* kType = "";
};

using SourceSettings = std::variant<NoSourceConfig, FileSourceConfig, GraphSourceConfig,
                                    LdapSourceConfig, ScimSourceConfig>;

struct SourceConfig {
  SourceSettings settings;

  SourceConfig() = default;
  template <typename T>
  SourceConfig(T config) : settings(std::move(config)) {}  // NOLINT: implicit by design

  // "file", "graph", "ldap", "scim"; "" for none.
  std::string type() const;
  // The alternative of type T, or nullptr.
  template <typename T>
  const T* As() const {
    return std::get_if<T>(&settings);
  }
  template <typename T>
  T* As() {
    return std::get_if<T>(&settings);
  }
  // How many hours a delta-capable source reads incrementally before it reads in full again
  // (source.full_read_every_hours of graph and ldap); 0 = never forced; 24 for the others.
  int full_read_every_hours() const;
};

}  // namespace telsync
