#include "sources/ldap/ldap_config.h"

namespace telsync {

const std::vector<ConfigKey>& LdapSourceConfig::Keys() {
  static const std::vector<ConfigKey> keys = {
      {"url", "(required)", "ldap:// or ldaps:// URL, or a list tried in order"},
      {"bind_dn", "none (anonymous)", "service account DN"},
      {"bind_password", "required with `bind_dn`", "a secret"},
      {"user_search_dn", "(required)", "an OU, or a group's DN whose members are the users"},
      {"department_search_dn", "none", "groups or OUs below it become departments"},
      {"filter", "none", "an LDAP filter in parentheses"},
      {"start_tls", "`false`", "StartTLS on an ldap:// connection"},
      {"ca_file", "system CAs", "PEM file of the CA that signed the servers' certificates"},
      {"tls_verify", "`true`", "certificate checks (R6)"},
      {"page_size", "`1000`", "Simple Paged Results page (RFC 2696), 1..1000"},
      {"full_read_every_hours", "`24`", "hours between forced full reads; 0 = never"},
  };
  return keys;
}

void ReadLdapSourceConfig(ConfigBlock& block, LdapSourceConfig& config) {
  if (!block.Has("url")) {
    block.Problem("url", "required key 'url' is missing for an ldap source");
  } else if (auto urls = block.StringList("url")) {
    if (urls->empty()) block.Problem("url", "must list at least one server");
    for (const auto& u : *urls) {
      if (u.rfind("ldap://", 0) != 0 && u.rfind("ldaps://", 0) != 0) {
        block.Problem("url",
                      "must be an ldap:// or ldaps:// URL such as ldaps://dc1.example.com:636 "
                      "(got " +
                          QuoteValue(u) + ")");
      } else {
        config.urls.push_back(u);
      }
    }
  }
  if (auto s = block.String("bind_dn")) config.bind_dn = *s;
  if (block.Has("bind_password")) {
    if (auto s = block.SecretValue("bind_password")) config.bind_password = *s;
  } else if (!config.bind_dn.empty()) {
    block.Problem("bind_password", "required when bind_dn is set");
  }
  if (!block.Has("user_search_dn")) {
    block.Problem("user_search_dn", "required key 'user_search_dn' is missing for an ldap source");
  } else if (auto s = block.String("user_search_dn")) {
    if (s->find('=') == std::string::npos) {
      block.Problem("user_search_dn",
                    "must be a DN such as OU=Staff,DC=example,DC=com (got " + QuoteValue(*s) + ")");
    }
    config.user_search_dn = *s;
  }
  if (auto s = block.String("department_search_dn")) config.department_search_dn = *s;
  if (auto s = block.String("filter")) {
    if (!s->empty() && (s->front() != '(' || s->back() != ')')) {
      block.Problem("filter", "must be an LDAP filter in parentheses, e.g. (department=*) (got " +
                                  QuoteValue(*s) + ")");
    }
    config.ldap_filter = *s;
  }
  if (auto b = block.Bool("start_tls")) config.start_tls = *b;
  if (auto b = block.Bool("tls_verify")) config.tls_verify = *b;
  if (auto n = block.Int("full_read_every_hours", 0, 8760)) {
    config.full_read_every_hours = static_cast<int>(*n);
  }
  if (auto n = block.Int("page_size", 1, 1000)) config.page_size = static_cast<int>(*n);
  if (auto s = block.ServerPath("ca_file", true)) config.ca_file = *s;
}

}  // namespace telsync
