// SourceConfig: the `source:` block of a profile (F1, F2), declared by the module that reads
// it. config/loader.h fills it from YAML (validating every key, see docs/configuration.md);
// MakeSource (sources/source.h) turns it into a Source. Each field lists its YAML key and
// default.
#pragma once

#include <string>
#include <vector>

#include "util/secret.h"

namespace telsync {

struct SourceConfig {
  std::string type;  // source.type: file | graph | ldap | scim (required)

  // file: source.path (required), source.format: json | csv | ldif (default: by extension)
  std::string path;
  std::string format;

  // graph (F1; also accepted as the provider JSON of seed 001, source.provider_settings)
  std::string tenant_id;
  std::string client_id;
  Secret client_secret;
  std::vector<std::string> groups;  // source.groups / user_filter.memberOf; empty = tenant
  bool include_guests = false;      // source.include_guests
  std::string odata_filter;         // source.filter
  std::string authority = "https://login.microsoftonline.com";  // source.authority
  std::string graph_url = "https://graph.microsoft.com";        // source.graph_url
  std::string proxy;               // source.proxy: "http://proxy:3128"; "" = none (graph)
  int full_read_every_hours = 24;  // source.full_read_every_hours: delta reads between (graph)
  int max_retry_seconds = 300;     // source.max_retry_seconds: throttling / 5xx wait budget

  // ldap (F2)
  std::vector<std::string> urls;     // source.url: one or a list
  std::string bind_dn;               // source.bind_dn
  Secret bind_password;              // source.bind_password
  std::string user_search_dn;        // source.user_search_dn
  std::string department_search_dn;  // source.department_search_dn
  std::string ldap_filter;           // source.filter
  bool start_tls = false;            // source.start_tls
  std::string ca_file;               // source.ca_file (ldap and graph)
  bool tls_verify = true;            // source.tls_verify (R6: on by default)
  int page_size = 1000;  // source.page_size: RFC 2696 page (AD MaxPageSize 1000), 1..1000
};

}  // namespace telsync
