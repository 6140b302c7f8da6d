// LdapSourceConfig: the `source:` block of a profile with `type: ldap` (F2, Active
// Directory and OpenLDAP), declared here by the module that reads it. config/loader.h hands
// the block to ReadLdapSourceConfig; docs/configuration.md documents Keys() (a test checks
// the two agree).
#pragma once

#include <string>
#include <vector>

#include "util/config_block.h"
#include "util/secret.h"

namespace telsync {

struct LdapSourceConfig {
  std::vector<std::string> urls;     // source.url (required): one or a list, tried in order
  std::string bind_dn;               // source.bind_dn: "" = anonymous
  Secret bind_password;              // source.bind_password (required with bind_dn)
  std::string user_search_dn;        // source.user_search_dn (required)
  std::string department_search_dn;  // source.department_search_dn
  std::string ldap_filter;           // source.filter
  bool start_tls = false;            // source.start_tls
  std::string ca_file;               // source.ca_file: resolved path; "" = system CAs
  bool tls_verify = true;            // source.tls_verify (R6: on by default)
  int page_size = 1000;            // source.page_size: RFC 2696 page (AD MaxPageSize 1000), 1..1000
  int full_read_every_hours = 24;  // source.full_read_every_hours: delta reads between

  static constexpr const char* kType = "ldap";
  // The block's keys besides `type`.
  static const std::vector<ConfigKey>& Keys();
};

// Reads a `type: ldap` block into `config`; every problem goes to `block`.
void ReadLdapSourceConfig(ConfigBlock& block, LdapSourceConfig& config);

}  // namespace telsync
