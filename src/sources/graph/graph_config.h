// GraphSourceConfig: the `source:` block of a profile with `type: graph` (F1, Entra ID over
// Microsoft Graph), declared here by the module that reads it. The provider JSON of seed 001
// (`provider_settings`) is accepted in place of the three credentials and `groups`.
// config/loader.h hands the block to ReadGraphSourceConfig; docs/configuration.md documents
// Keys() (a test checks the two agree).
#pragma once

#include <string>
#include <vector>

#include "util/config_block.h"
#include "util/secret.h"

namespace telsync {

struct GraphSourceConfig {
  std::string tenant_id;            // source.tenant_id (required): a GUID or a domain name
  std::string client_id;            // source.client_id (required): a GUID
  Secret client_secret;             // source.client_secret (required)
  std::vector<std::string> groups;  // source.groups / user_filter.memberOf; empty = tenant
  bool include_guests = false;      // source.include_guests
  std::string odata_filter;         // source.filter
  std::string authority = "https://login.microsoftonline.com";  // source.authority
  std::string graph_url = "https://graph.microsoft.com";        // source.graph_url
  std::string ca_file;             // source.ca_file: resolved path; "" = system CAs
  std::string proxy;               // source.proxy: "http://proxy:3128"; "" = none
  int full_read_every_hours = 24;  // source.full_read_every_hours: delta reads between
  int max_retry_seconds = 300;     // source.max_retry_seconds: throttling / 5xx wait budget

  static constexpr const char* kType = "graph";
  // The block's keys besides `type`.
  static const std::vector<ConfigKey>& Keys();
};

// Reads a `type: graph` block into `config`; every problem goes to `block`. Problems never
// quote the provider JSON or a secret.
void ReadGraphSourceConfig(ConfigBlock& block, GraphSourceConfig& config);

}  // namespace telsync
