#include "sources/graph/graph_config.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace telsync {
namespace {

bool IsGuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// contoso.onmicrosoft.com: labels of letters, digits and inner hyphens; a top label of two or
// more letters.
bool IsDomainName(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  std::vector<std::string> labels;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    labels.push_back(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (labels.size() < 2) return false;
  for (const auto& label : labels) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
  }
  const std::string& top = labels.back();
  return top.size() >= 2 && std::all_of(top.begin(), top.end(), IsAlpha);
}

const std::vector<std::string> kProviderKeys = {"tenant_id", "client_id", "client_secret",
                                                "user_filter"};
const std::vector<std::string> kUserFilterKeys = {"memberOf"};

// Where a credential came from (the block's own key or provider_settings), for pointing
// problems at the right line.
struct Located {
  std::string value;
  std::string key;  // "tenant_id" or "provider_settings.tenant_id"
  bool set = false;
  bool bad = false;  // already reported: not a string
};

// Seed 001's provider JSON:
// {"tenant_id":…,"client_id":…,"client_secret":…,"user_filter":{"memberOf":["g1","g2"]}}.
// Problems never quote the JSON text: it holds the client secret.
void ReadProviderSettings(ConfigBlock& block, const std::string& text, GraphSourceConfig& config,
                          Located& tenant_id, Located& client_id, Located& secret,
                          bool& groups_set) {
  const std::string at = "provider_settings";
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    block.Problem(at, "is not valid JSON (error at character " + std::to_string(e.byte) +
                          "); expected {\"tenant_id\":…,\"client_id\":…,\"client_secret\":…,"
                          "\"user_filter\":{\"memberOf\":[…]}}");
    return;
  }
  if (!json.is_object()) {
    block.Problem(at, "must be a JSON object with tenant_id, client_id and client_secret");
    return;
  }
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (std::find(kProviderKeys.begin(), kProviderKeys.end(), it.key()) == kProviderKeys.end()) {
      block.Problem(at + "." + it.key(),
                    "unknown key '" + it.key() + "'" + block.Suggest(it.key(), kProviderKeys));
    }
  }
  auto take = [&](const char* key, Located& out) {
    if (!json.contains(key)) return;
    out.key = at + "." + key;
    out.set = true;
    if (!json[key].is_string()) {
      block.Problem(out.key, "must be a JSON string");
      out.bad = true;
      return;
    }
    out.value = json[key].get<std::string>();
  };
  take("tenant_id", tenant_id);
  take("client_id", client_id);
  if (json.contains("client_secret")) {
    secret.key = at + ".client_secret";
    secret.set = true;
    if (!json["client_secret"].is_string()) {
      block.Problem(secret.key, "must be a JSON string");
      secret.value = "-";
    } else if (auto s = block.ResolveSecret(secret.key, json["client_secret"].get<std::string>())) {
      config.client_secret = *s;
      secret.value = s->empty() ? "" : "-";
    } else {
      secret.value = "-";
    }
  }
  if (!json.contains("user_filter")) return;
  const auto& filter = json["user_filter"];
  const std::string fkey = at + ".user_filter";
  if (!filter.is_object()) {
    block.Problem(fkey, "must be a JSON object like {\"memberOf\":[\"group1\"]}");
    return;
  }
  for (auto it = filter.begin(); it != filter.end(); ++it) {
    if (it.key() != "memberOf") {
      block.Problem(fkey + "." + it.key(),
                    "unknown key '" + it.key() + "'" + block.Suggest(it.key(), kUserFilterKeys));
    }
  }
  if (!filter.contains("memberOf")) return;
  const auto& groups = filter["memberOf"];
  groups_set = true;
  if (!groups.is_array()) {
    block.Problem(fkey + ".memberOf", "must be a JSON array of group names");
    return;
  }
  for (const auto& g : groups) {
    if (!g.is_string()) {
      block.Problem(fkey + ".memberOf", "must be a JSON array of group names (strings)");
      continue;
    }
    // [""] and [] both mean the whole tenant (seed 001, example 2).
    if (!g.get<std::string>().empty()) config.groups.push_back(g.get<std::string>());
  }
}

}  // namespace

const std::vector<ConfigKey>& GraphSourceConfig::Keys() {
  static const std::vector<ConfigKey> keys = {
      {"tenant_id", "(required)", "the Directory (tenant) ID, or a domain"},
      {"client_id", "(required)", "the app registration's Application (client) ID"},
      {"client_secret", "(required)", "a secret; use ${env:…} or ${file:…}"},
      {"groups", "`[]`", "scope: members (transitive) of these groups; [] = the whole tenant"},
      {"include_guests", "`false`", "include userType Guest accounts"},
      {"filter", "none", "an OData $filter that narrows the scope further"},
      {"authority", "`https://login.microsoftonline.com`", "token endpoint base"},
      {"graph_url", "`https://graph.microsoft.com`", "API base"},
      {"ca_file", "system CAs", "PEM file of a CA to trust"},
      {"proxy", "none", "an HTTP(S) proxy URL"},
      {"full_read_every_hours", "`24`", "hours between forced full reads; 0 = never"},
      {"max_retry_seconds", "`300`", "total wait budget for throttling and transient faults"},
      {"provider_settings", "none", "the provider JSON of seed 001, as is"},
  };
  return keys;
}

void ReadGraphSourceConfig(ConfigBlock& block, GraphSourceConfig& config) {
  Located tenant_id, client_id, secret;
  auto take = [&](const char* key, Located& out) {
    if (!block.Has(key)) return;
    out.key = key;
    out.set = true;
    if (auto s = block.String(key)) {
      out.value = *s;
    } else {
      out.bad = true;
    }
  };
  take("tenant_id", tenant_id);
  take("client_id", client_id);
  if (block.Has("client_secret")) {
    secret.key = "client_secret";
    secret.set = true;  // a bad value is already reported
    if (auto s = block.SecretValue("client_secret")) {
      config.client_secret = *s;
    } else {
      secret.value = "-";
    }
  }
  bool groups_from_settings = false;
  if (block.Has("provider_settings")) {
    if (tenant_id.set || client_id.set || secret.set) {
      block.Problem("provider_settings",
                    "set either provider_settings or tenant_id / client_id / client_secret, not "
                    "both");
    }
    if (auto text = block.String("provider_settings")) {
      ReadProviderSettings(block, *text, config, tenant_id, client_id, secret,
                           groups_from_settings);
    }
  }
  if (!tenant_id.set) {
    block.Problem("tenant_id", "required key 'tenant_id' is missing for a graph source");
  } else if (tenant_id.bad) {
  } else if (!IsGuid(tenant_id.value) && !IsDomainName(tenant_id.value)) {
    block.Problem(tenant_id.key,
                  "must be a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47 (Entra ID: Overview, "
                  "Tenant ID) or a domain name like contoso.onmicrosoft.com (got " +
                      QuoteValue(tenant_id.value) + ")");
  } else {
    config.tenant_id = tenant_id.value;
  }
  if (!client_id.set) {
    block.Problem("client_id", "required key 'client_id' is missing for a graph source");
  } else if (client_id.bad) {
  } else if (!IsGuid(client_id.value)) {
    block.Problem(client_id.key,
                  "must be a GUID like 00000000-0000-0000-0000-000000000000 (the app "
                  "registration's Application (client) ID) (got " +
                      QuoteValue(client_id.value) + ")");
  } else {
    config.client_id = client_id.value;
  }
  if (!secret.set) {
    block.Problem("client_secret", "required key 'client_secret' is missing for a graph source");
  } else if (secret.value.empty() && config.client_secret.empty()) {
    block.Problem(secret.key, "must not be empty");
  }
  if (block.Has("groups")) {
    if (groups_from_settings) {
      block.Problem("groups", "groups are already set by provider_settings.user_filter.memberOf");
    }
    if (auto list = block.StringList("groups")) {
      for (auto& g : *list) {
        if (!g.empty()) config.groups.push_back(g);  // [""] means the whole tenant
      }
    }
  }
  if (auto b = block.Bool("include_guests")) config.include_guests = *b;
  if (auto s = block.String("filter")) config.odata_filter = *s;
  if (auto s = block.ServerPath("ca_file", true)) config.ca_file = *s;
  if (auto s = block.String("proxy")) config.proxy = *s;
  if (auto n = block.Int("full_read_every_hours", 0, 8760)) {
    config.full_read_every_hours = static_cast<int>(*n);
  }
  if (auto n = block.Int("max_retry_seconds", 1, 86400)) {
    config.max_retry_seconds = static_cast<int>(*n);
  }
  for (auto [key, field] :
       {std::pair{"authority", &config.authority}, std::pair{"graph_url", &config.graph_url}}) {
    if (auto s = block.String(key)) {
      if (s->rfind("https://", 0) != 0 && s->rfind("http://", 0) != 0) {
        block.Problem(key, "must be an https:// URL (got " + QuoteValue(*s) + ")");
      } else {
        while (!s->empty() && s->back() == '/') s->pop_back();
        *field = *s;
      }
    }
  }
}

}  // namespace telsync
