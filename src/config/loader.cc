#include "config/loader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

// GCC 12 reports false maybe-uninitialized warnings inside <regex> at -O1 with sanitizers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <variant>

#include "model/fields.h"
#include "sources/source_config.h"
#include "util/config_block.h"
#include "util/cron.h"
#include "util/mail_address.h"
#include "util/timezone.h"

namespace telsync {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTopKeys = {"store", "tenants", "smtp", "history"};
const std::vector<std::string> kHistoryKeys = {"keep_days"};
const std::vector<std::string> kSmtpKeys = {
    "url",     "starttls",   "username",        "password", "from",
    "ca_file", "tls_verify", "timeout_seconds", "attempts", "retry_seconds"};
const std::vector<std::string> kNotifyKeys = {"report_to",
                                              "report_noop",
                                              "errors_to",
                                              "error_level",
                                              "welcome",
                                              "welcome_copy_to",
                                              "welcome_sip_credentials",
                                              "templates_dir"};
const std::vector<std::string> kTenantKeys = {"name", "profiles", "targets"};
const std::vector<std::string> kTargetKeys = {"name",   "type",      "db",      "domain", "render",
                                              "policy", "rule",      "retry",   "url",    "secret",
                                              "token",  "on_delete", "mapping", "timeout"};
const std::vector<std::string> kProfileKeys = {
    "name",        "source", "mapping",          "validation",        "policy",
    "templates",   "rules",  "default_template", "default_caller_id", "extensions",
    "departments", "render", "schedules",        "timezone",          "notify"};
const std::vector<std::string> kValidationKeys = {"required", "phone_mode", "default_region",
                                                  "extension_length"};
const std::vector<std::string> kPolicyKeys = {"mode",        "create",
                                              "update",      "delete",
                                              "disabled",    "exclusion_group",
                                              "grace_days",  "protect_mobile",
                                              "max_deletes", "max_delete_percent"};
const std::vector<std::string> kTemplateKeys = {"name", "groups", "caller_id", "settings"};
const std::vector<std::string> kRuleKeys = {"field", "equals", "matches", "template"};
const std::vector<std::string> kExtensionKeys = {"range"};
const std::vector<std::string> kDepartmentKeys = {"enabled", "ring_group_range"};
const std::vector<std::string> kRenderKeys = {"phone"};
const std::vector<std::string> kFixedFieldNames = {
    "username", "first_name", "last_name", "display_name", "email",   "extension", "landline",
    "mobile",   "department", "job_title", "city",         "country", "caller_id", "template"};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || IsDigit(c); }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// Tenant and profile names: [a-z0-9][a-z0-9_-]*
bool IsName(const std::string& s) {
  if (s.empty() || !IsLowerAlnum(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '_' || c == '-'; });
}

// Mapping keys: [a-z][a-z0-9_]*
bool IsMappingKey(const std::string& s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsLowerAlnum(c) || c == '_'; });
}

// A caller id: \+?[0-9]{3,15}
bool IsPhoneDigits(const std::string& s) {
  const size_t start = !s.empty() && s[0] == '+' ? 1 : 0;
  const size_t digits = s.size() - start;
  return digits >= 3 && digits <= 15 && std::all_of(s.begin() + start, s.end(), IsDigit);
}

// An IANA zone name such as Europe/Stockholm, America/Argentina/Buenos_Aires, UTC, Etc/GMT+1.
bool IsZoneName(const std::string& s) {
  if (s.empty() || !IsAlpha(s[0])) return false;
  for (const auto& part : Split(s, '/')) {
    if (part.empty()) return false;
    for (char c : part) {
      if (!IsAlpha(c) && !IsDigit(c) && c != '_' && c != '+' && c != '-') return false;
    }
  }
  return true;
}

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

std::string Quote(const std::string& s) { return QuoteValue(s); }

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return buffer.str();
}

// A string value after `${env:NAME}` / `${file:path}` resolution, and where it came from.
struct Resolved {
  std::string value;
  std::string origin;  // "literal", "env:NAME", "file:/path"
};

// The source types a profile may name, each with the keys and reader its module declares.
struct SourceType {
  const char* name;
  const std::vector<ConfigKey>& (*keys)();
  SourceConfig (*read)(ConfigBlock&);
};

template <typename T, void (*Reader)(ConfigBlock&, T&)>
SourceConfig ReadAs(ConfigBlock& block) {
  T config;
  Reader(block, config);
  return SourceConfig(std::move(config));
}

SourceConfig ReadScim(ConfigBlock&) { return SourceConfig(ScimSourceConfig{}); }

const std::vector<SourceType>& SourceTypes() {
  static const std::vector<SourceType> types = {
      {FileSourceConfig::kType, &FileSourceConfig::Keys,
       &ReadAs<FileSourceConfig, ReadFileSourceConfig>},
      {GraphSourceConfig::kType, &GraphSourceConfig::Keys,
       &ReadAs<GraphSourceConfig, ReadGraphSourceConfig>},
      {LdapSourceConfig::kType, &LdapSourceConfig::Keys,
       &ReadAs<LdapSourceConfig, ReadLdapSourceConfig>},
      {ScimSourceConfig::kType, &ScimSourceConfig::Keys, &ReadScim},
  };
  return types;
}

// Reads one YAML file into `config`, collecting problems. One instance per file.
class FileReader {
 public:
  FileReader(std::string file, std::string base_dir, const MappingChecker& checker)
      : file_(std::move(file)), base_dir_(std::move(base_dir)), checker_(checker) {}

  // A profile sent over the REST API: it may name nothing on the server (see
  // LoadProfileDocument).
  void ForbidServerFiles() { remote_ = true; }
  // ReadProfile, for LoadProfileDocument.
  bool ReadOneProfile(const YAML::Node& node, const std::string& path, Profile& profile) {
    return ReadProfile(node, path, profile);
  }

  std::vector<ConfigProblem> TakeProblems() { return std::move(problems_); }
  // The file's `smtp:` block, when it has one.
  const std::optional<SmtpConfig>& smtp() const { return smtp_; }
  const std::optional<int64_t>& keep_days() const { return keep_days_; }

  // Reads the file's top level; tenants are appended to `tenants`, store set when present.
  void Read(const YAML::Node& root, std::optional<std::string>& store,
            std::vector<std::pair<Tenant, YAML::Node>>& tenants) {
    if (!root.IsDefined() || root.IsNull()) {
      Problem(root, "", "the file is empty");
      return;
    }
    if (!IsMap(root, "")) return;
    CheckKeys(root, "", kTopKeys);
    if (auto s = String(root["store"], "store")) {
      if (s->empty()) {
        Problem(root["store"], "store", "must not be empty");
      } else if (s->find("://") == std::string::npos && !fs::path(*s).is_absolute()) {
        store = (fs::path(base_dir_) / *s).lexically_normal().string();
      } else {
        store = *s;
      }
    }
    ReadSmtp(root["smtp"], "smtp");
    if (const YAML::Node history = root["history"]; history.IsDefined() && !history.IsNull()) {
      if (IsMap(history, "history")) {
        CheckKeys(history, "history", kHistoryKeys);
        if (auto n = Int(history["keep_days"], "history.keep_days", 1, 36500)) keep_days_ = *n;
      }
    }
    const YAML::Node list = root["tenants"];
    if (!list.IsDefined() || list.IsNull()) return;
    if (!IsSequence(list, "tenants")) return;
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = "tenants[" + std::to_string(i) + "]";
      Tenant tenant;
      if (!ReadTenant(list[i], path, tenant)) continue;
      if (!names.insert(tenant.name).second) {
        Problem(list[i]["name"], path + ".name",
                "duplicate tenant name '" + tenant.name + "'; list its profiles under one entry");
        continue;
      }
      tenants.emplace_back(std::move(tenant), list[i]);
    }
  }

  void Problem(const YAML::Node& node, const std::string& path, std::string reason) {
    ConfigProblem p;
    p.file = file_;
    if (node.IsDefined()) {
      const YAML::Mark mark = node.Mark();
      if (!mark.is_null()) {
        p.line = mark.line + 1;
        p.column = mark.column + 1;
      }
    }
    p.field_path = path;
    p.reason = std::move(reason);
    problems_.push_back(std::move(p));
  }

 private:
  void ReadSmtp(const YAML::Node& node, const std::string& path) {
    if (!node.IsDefined() || node.IsNull() || !IsMap(node, path)) return;
    CheckKeys(node, path, kSmtpKeys);
    SmtpConfig smtp;
    if (auto s = String(node["url"], path + ".url")) {
      if (s->rfind("smtp://", 0) != 0 && s->rfind("smtps://", 0) != 0) {
        Problem(node["url"], path + ".url",
                "must start with smtp:// (STARTTLS) or smtps:// (TLS) (got " + Quote(*s) + ")");
      } else {
        smtp.url = *s;
      }
    } else if (!node["url"].IsDefined()) {
      Problem(node, path + ".url", "required key 'url' is missing");
    }
    if (auto e = Enum(node["starttls"], path + ".starttls", {"required", "optional", "off"})) {
      smtp.starttls = std::vector<std::string>{"required", "optional", "off"}[*e];
    }
    if (auto s = String(node["username"], path + ".username")) smtp.username = *s;
    if (auto s = SecretValue(node["password"], path + ".password")) smtp.password = *s;
    if (!smtp.username.empty() && smtp.password.empty() && !node["password"].IsDefined()) {
      Problem(node, path + ".password", "required when smtp.username is set");
    }
    if (auto s = String(node["from"], path + ".from")) {
      if (auto a = MailAddress(*s); !a.ok()) {
        Problem(node["from"], path + ".from", a.error().message);
      } else {
        smtp.from = *s;
      }
    }
    if (auto s = String(node["ca_file"], path + ".ca_file")) {
      smtp.ca_file = ResolvePath(*s);
      if (!fs::exists(smtp.ca_file)) {
        Problem(node["ca_file"], path + ".ca_file", "file not found: " + smtp.ca_file);
      }
    }
    if (auto b = Bool(node["tls_verify"], path + ".tls_verify")) smtp.tls_verify = *b;
    if (auto n = Int(node["timeout_seconds"], path + ".timeout_seconds", 1, 600)) {
      smtp.timeout_seconds = static_cast<int>(*n);
    }
    if (auto n = Int(node["attempts"], path + ".attempts", 1, 10)) {
      smtp.attempts = static_cast<int>(*n);
    }
    if (auto n = Int(node["retry_seconds"], path + ".retry_seconds", 0, 3600)) {
      smtp.retry_seconds = static_cast<int>(*n);
    }
    smtp_ = std::move(smtp);
  }

  void ReadNotify(const YAML::Node& node, const std::string& path, NotifyConfig& notify) {
    if (!node.IsDefined() || node.IsNull() || !IsMap(node, path)) return;
    CheckKeys(node, path, kNotifyKeys);
    auto addresses = [&](const char* key, std::vector<std::string>& out) {
      const std::string p = path + "." + key;
      auto list = StringList(node[key], p);
      if (!list) return;
      bool ok = true;
      for (size_t i = 0; i < list->size(); ++i) {
        if (auto a = MailAddress((*list)[i]); !a.ok()) {
          Problem(node[key].IsSequence() ? node[key][i] : node[key],
                  p + (node[key].IsSequence() ? "[" + std::to_string(i) + "]" : ""),
                  a.error().message);
          ok = false;
        }
      }
      if (ok) out = std::move(*list);
    };
    addresses("report_to", notify.report_to);
    addresses("errors_to", notify.errors_to);
    if (auto b = Bool(node["report_noop"], path + ".report_noop")) notify.report_noop = *b;
    if (auto e = Enum(node["error_level"], path + ".error_level", {"warning", "error", "held"})) {
      notify.error_level = static_cast<NotifyLevel>(*e);
    }
    if (auto b = Bool(node["welcome"], path + ".welcome")) notify.welcome = *b;
    if (auto b = Bool(node["welcome_sip_credentials"], path + ".welcome_sip_credentials")) {
      notify.welcome_sip_credentials = *b;
    }
    if (auto s = String(node["welcome_copy_to"], path + ".welcome_copy_to")) {
      if (auto a = MailAddress(*s); !a.ok()) {
        Problem(node["welcome_copy_to"], path + ".welcome_copy_to", a.error().message);
      } else {
        notify.welcome_copy_to = *s;
      }
    }
    if (node["templates_dir"].IsDefined() &&
        !ServerFileAllowed(node["templates_dir"], path + ".templates_dir")) {
    } else if (auto s = String(node["templates_dir"], path + ".templates_dir")) {
      notify.templates_dir = ResolvePath(*s);
      if (!fs::is_directory(notify.templates_dir)) {
        Problem(node["templates_dir"], path + ".templates_dir",
                "directory not found: " + notify.templates_dir);
      }
    }
  }

  // False, with a problem, when the document may not name a server file.
  bool ServerFileAllowed(const YAML::Node& node, const std::string& path) {
    if (!remote_) return true;
    Problem(node, path,
            "a profile sent over the API cannot name a file on the server; use a config file "
            "for that");
    return false;
  }

  std::string ResolvePath(const std::string& p) const {
    if (fs::path(p).is_absolute()) return p;
    return (fs::path(base_dir_) / p).lexically_normal().string();
  }

  // False when the tenant cannot be used (not a mapping, no valid name); its profiles are
  // checked all the same, so that one bad name does not hide their problems.
  bool ReadTenant(const YAML::Node& node, const std::string& path, Tenant& tenant) {
    if (!IsMap(node, path)) return false;
    CheckKeys(node, path, kTenantKeys);
    const bool named = RequireName(node, path, tenant.name);
    ReadTargets(node["targets"], path + ".targets", tenant.targets);
    const YAML::Node list = node["profiles"];
    if (!list.IsDefined() || list.IsNull()) {
      Problem(node, path + ".profiles", "required key 'profiles' is missing");
      return named;
    }
    if (!IsSequence(list, path + ".profiles")) return named;
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string ppath = path + ".profiles[" + std::to_string(i) + "]";
      Profile profile;
      profile.tenant = tenant.name;
      if (!ReadProfile(list[i], ppath, profile)) continue;
      if (!names.insert(profile.name).second) {
        Problem(list[i]["name"], ppath + ".name",
                "duplicate profile name '" + profile.name + "' in tenant '" + tenant.name + "'");
        continue;
      }
      tenant.profiles.push_back(std::move(profile));
    }
    return named;
  }

  // tenants[].targets (targets/target_config.h documents the keys).
  void ReadTargets(const YAML::Node& list, const std::string& path,
                   std::vector<TargetConfig>& targets) {
    if (!list.IsDefined() || list.IsNull() || !IsSequence(list, path)) return;
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node node = list[i];
      const std::string tpath = path + "[" + std::to_string(i) + "]";
      if (!IsMap(node, tpath)) continue;
      CheckKeys(node, tpath, kTargetKeys);
      TargetConfig target;
      bool ok = RequireName(node, tpath, target.name);
      if (ok && !names.insert(target.name).second) {
        Problem(node["name"], tpath + ".name", "duplicate target name '" + target.name + "'");
        ok = false;
      }
      if (!node["type"].IsDefined()) {
        Problem(node, tpath + ".type", "required key 'type' is missing");
        ok = false;
      } else if (auto e = Enum(node["type"], tpath + ".type", {"kamailio", "webhook", "scim"})) {
        target.type = kTargetTypes[*e];
      } else {
        ok = false;
      }
      if (!target.type.empty() && target.type != "kamailio") {
        ok = ReadHttpTarget(node, tpath, target) && ok;
        if (ok) targets.push_back(std::move(target));
        continue;
      }
      for (const char* key : {"db", "domain"}) {
        const std::string kpath = tpath + "." + key;
        if (!node[key].IsDefined()) {
          Problem(node, kpath, std::string("required key '") + key + "' is missing");
          ok = false;
          continue;
        }
        auto v = String(node[key], kpath);
        if (!v || v->empty()) {
          if (v) Problem(node[key], kpath, "must not be empty");
          ok = false;
          continue;
        }
        (std::string_view(key) == "db" ? target.db : target.domain) = *v;
      }
      if (!target.db.empty() && target.db.find("://") == std::string::npos) {
        target.db = ResolvePath(target.db);
      } else if (target.db.rfind("sqlite://", 0) == 0) {
        const std::string file = target.db.substr(9);
        if (!fs::path(file).is_absolute()) target.db = "sqlite://" + ResolvePath(file);
      } else if (!target.db.empty() && target.db.rfind("postgres://", 0) != 0 &&
                 target.db.rfind("postgresql://", 0) != 0) {
        Problem(
            node["db"], tpath + ".db",
            "must be sqlite:///path, a file path or postgres://... (got " + Quote(target.db) + ")");
        ok = false;
      }
      if (const YAML::Node render = node["render"];
          render.IsDefined() && !render.IsNull() && IsMap(render, tpath + ".render")) {
        CheckKeys(render, tpath + ".render", {"phone"});
        if (auto e = Enum(render["phone"], tpath + ".render.phone", {"e164", "digits"})) {
          target.phone_render = *e == 0 ? PhoneRender::kE164 : PhoneRender::kDigits;
        }
      }
      if (const YAML::Node policy = node["policy"];
          policy.IsDefined() && !policy.IsNull() && IsMap(policy, tpath + ".policy")) {
        CheckKeys(policy, tpath + ".policy", {"disabled_sip"});
        if (auto e =
                Enum(policy["disabled_sip"], tpath + ".policy.disabled_sip", {"block", "keep"})) {
          target.disabled_sip = *e == 0 ? DisabledSip::kBlock : DisabledSip::kKeep;
        }
      }
      ReadTargetCommon(node, tpath, target);
      if (ok) targets.push_back(std::move(target));
    }
  }

  // The keys every target type takes: rule, retry (render.phone is read per type).
  void ReadTargetCommon(const YAML::Node& node, const std::string& tpath, TargetConfig& target) {
    {
      if (const YAML::Node rule = node["rule"];
          rule.IsDefined() && !rule.IsNull() && IsMap(rule, tpath + ".rule")) {
        CheckKeys(rule, tpath + ".rule", {"field", "values"});
        if (auto f = String(rule["field"], tpath + ".rule.field")) {
          if (!FieldFromName(*f)) {
            Problem(rule["field"], tpath + ".rule.field",
                    "must be a PBX field such as city or department (got " + Quote(*f) + ")");
          } else {
            target.rule.field = *f;
          }
        } else if (!rule["field"].IsDefined()) {
          Problem(rule, tpath + ".rule.field", "required key 'field' is missing");
        }
        if (auto values = StringList(rule["values"], tpath + ".rule.values")) {
          target.rule.values = *values;
        }
      }
      if (const YAML::Node retry = node["retry"];
          retry.IsDefined() && !retry.IsNull() && IsMap(retry, tpath + ".retry")) {
        CheckKeys(retry, tpath + ".retry", {"dead_after", "batch"});
        if (auto v = Int(retry["dead_after"], tpath + ".retry.dead_after", 0, 365LL * 86400)) {
          target.dead_after_seconds = *v;
        }
        if (auto v = Int(retry["batch"], tpath + ".retry.batch", 1, 100000)) {
          target.batch_size = static_cast<size_t>(*v);
        }
      }
    }
  }

  // A webhook or SCIM target: url, secret / token, timeout, on_delete, mapping (scim), and
  // the common keys. Returns false when a required key is missing or wrong.
  bool ReadHttpTarget(const YAML::Node& node, const std::string& tpath, TargetConfig& target) {
    bool ok = true;
    const bool scim = target.type == "scim";
    for (const char* key : {"db", "domain", "policy", scim ? "secret" : "token"}) {
      if (node[key].IsDefined()) {
        Problem(node[key], tpath + "." + key,
                std::string("is not a key of a ") + target.type + " target");
        ok = false;
      }
    }
    if (!scim) {
      for (const char* key : {"on_delete", "mapping"}) {
        if (node[key].IsDefined()) {
          Problem(node[key], tpath + "." + key, "is not a key of a webhook target");
          ok = false;
        }
      }
    }
    if (!node["url"].IsDefined()) {
      Problem(node, tpath + ".url", "required key 'url' is missing");
      ok = false;
    } else if (auto v = String(node["url"], tpath + ".url")) {
      if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0) {
        Problem(node["url"], tpath + ".url", "must start with http:// or https://");
        ok = false;
      } else {
        target.url = *v;
        while (scim && !target.url.empty() && target.url.back() == '/') target.url.pop_back();
      }
    } else {
      ok = false;
    }
    const char* secret_key = scim ? "token" : "secret";
    if (!node[secret_key].IsDefined()) {
      Problem(node, tpath + "." + secret_key,
              std::string("required key '") + secret_key + "' is missing");
      ok = false;
    } else if (auto s = SecretValue(node[secret_key], tpath + "." + secret_key)) {
      if (s->empty()) {
        Problem(node[secret_key], tpath + "." + secret_key, "must not be empty");
        ok = false;
      }
      (scim ? target.token : target.secret) = *s;
    } else {
      ok = false;
    }
    if (node["timeout"].IsDefined()) {
      if (auto v = Int(node["timeout"], tpath + ".timeout", 1, 3600)) target.timeout_seconds = *v;
    }
    if (scim && node["on_delete"].IsDefined()) {
      if (auto e = Enum(node["on_delete"], tpath + ".on_delete", {"delete", "deactivate"})) {
        target.on_delete = *e == 0 ? ScimOnDelete::kDelete : ScimOnDelete::kDeactivate;
      }
    }
    if (const YAML::Node mapping = node["mapping"];
        scim && mapping.IsDefined() && !mapping.IsNull() && IsMap(mapping, tpath + ".mapping")) {
      for (const auto& entry : mapping) {
        const std::string field = entry.first.as<std::string>();
        const std::string mpath = tpath + ".mapping." + field;
        if (!FieldFromName(field)) {
          Problem(entry.first, mpath,
                  "must be a PBX field such as mobile or department (got " + Quote(field) + ")");
          continue;
        }
        if (entry.second.IsNull()) {
          target.mapping.emplace_back(field, "");
        } else if (auto v = String(entry.second, mpath)) {
          target.mapping.emplace_back(field, *v);
        }
      }
    }
    if (const YAML::Node render = node["render"];
        render.IsDefined() && !render.IsNull() && IsMap(render, tpath + ".render")) {
      CheckKeys(render, tpath + ".render", {"phone"});
      if (auto e = Enum(render["phone"], tpath + ".render.phone", {"e164", "digits"})) {
        target.phone_render = *e == 0 ? PhoneRender::kE164 : PhoneRender::kDigits;
      }
    }
    ReadTargetCommon(node, tpath, target);
    return ok;
  }

  bool RequireName(const YAML::Node& node, const std::string& path, std::string& name) {
    const YAML::Node n = node["name"];
    if (!n.IsDefined()) {
      Problem(node, path + ".name", "required key 'name' is missing");
      return false;
    }
    auto s = String(n, path + ".name");
    if (!s) return false;
    if (!IsName(*s)) {
      Problem(n, path + ".name",
              "must start with a lower-case letter or digit and contain only a-z, 0-9, '_' "
              "and '-' (got " +
                  Quote(*s) + ")");
      return false;
    }
    name = *s;
    return true;
  }

  // False when the profile cannot be used (not a mapping, no valid name); every key is
  // checked all the same.
  bool ReadProfile(const YAML::Node& node, const std::string& path, Profile& profile) {
    if (!IsMap(node, path)) return false;
    CheckKeys(node, path, kProfileKeys);
    const bool named = RequireName(node, path, profile.name);

    const YAML::Node source = node["source"];
    if (!source.IsDefined() || source.IsNull()) {
      Problem(node, path + ".source", "required key 'source' is missing");
    } else {
      ReadSource(source, path + ".source", profile.source);
    }
    ReadMapping(node["mapping"], path + ".mapping", profile);
    ReadValidation(node["validation"], path + ".validation", profile);
    ReadPolicy(node["policy"], path + ".policy", profile.policy);
    ReadTemplates(node["templates"], path + ".templates", profile.templates);
    ReadNotify(node["notify"], path + ".notify", profile.notify);
    ReadRules(node["rules"], path + ".rules", profile);

    std::set<std::string> template_names;
    for (const auto& t : profile.templates) template_names.insert(t.name);
    if (auto s = String(node["default_template"], path + ".default_template")) {
      profile.default_template = *s;
      if (!template_names.count(*s)) {
        Problem(node["default_template"], path + ".default_template",
                "no template named " + Quote(*s) + " in templates" +
                    Suggest(*s, {template_names.begin(), template_names.end()}));
      }
    }
    if (auto s = String(node["default_caller_id"], path + ".default_caller_id")) {
      if (CheckCallerId(node["default_caller_id"], path + ".default_caller_id", *s)) {
        profile.default_caller_id = *s;
      }
    }
    const YAML::Node ext = node["extensions"];
    if (ext.IsDefined() && !ext.IsNull() && IsMap(ext, path + ".extensions")) {
      CheckKeys(ext, path + ".extensions", kExtensionKeys);
      if (auto r = Range(ext["range"], path + ".extensions.range")) profile.extensions = *r;
    }
    const YAML::Node dep = node["departments"];
    if (dep.IsDefined() && !dep.IsNull() && IsMap(dep, path + ".departments")) {
      CheckKeys(dep, path + ".departments", kDepartmentKeys);
      if (auto b = Bool(dep["enabled"], path + ".departments.enabled")) {
        profile.departments.enabled = *b;
      }
      if (auto r = Range(dep["ring_group_range"], path + ".departments.ring_group_range")) {
        profile.departments.ring_groups = *r;
      }
    }
    if (!profile.extensions.empty() && !profile.departments.ring_groups.empty() &&
        profile.extensions.first <= profile.departments.ring_groups.last &&
        profile.departments.ring_groups.first <= profile.extensions.last) {
      Problem(dep["ring_group_range"], path + ".departments.ring_group_range",
              "overlaps extensions.range: ring groups and users would share numbers");
    }
    const YAML::Node render = node["render"];
    if (render.IsDefined() && !render.IsNull() && IsMap(render, path + ".render")) {
      CheckKeys(render, path + ".render", kRenderKeys);
      if (auto e = Enum(render["phone"], path + ".render.phone", {"e164", "digits"})) {
        profile.phone_render = *e == 0 ? PhoneRender::kE164 : PhoneRender::kDigits;
      }
    }
    const YAML::Node schedules = node["schedules"];
    if (schedules.IsDefined() && !schedules.IsNull() &&
        IsSequence(schedules, path + ".schedules")) {
      for (size_t i = 0; i < schedules.size(); ++i) {
        const std::string spath = path + ".schedules[" + std::to_string(i) + "]";
        auto s = String(schedules[i], spath);
        if (!s) continue;
        // The scheduler's own parser: what loads here is exactly what will run.
        if (auto cron = CronExpr::Parse(*s); !cron.ok()) {
          Problem(schedules[i], spath,
                  cron.error().message + " (e.g. \"0 2 * * *\" = 02:00 daily)");
          continue;
        }
        profile.schedules.push_back(*s);
      }
    }
    if (auto s = String(node["timezone"], path + ".timezone")) {
      if (!IsZoneName(*s)) {
        Problem(
            node["timezone"], path + ".timezone",
            "must be an IANA time zone such as Europe/Stockholm or UTC (got " + Quote(*s) + ")");
      } else if (auto zone = *s == "UTC" ? Result<TimeZone>(TimeZone::Utc()) : TimeZone::Load(*s);
                 !zone.ok()) {
        Problem(node["timezone"], path + ".timezone", zone.error().message);
      } else {
        profile.timezone = *s;
      }
    }
    return named;
  }

  // A source block, with the keys its module declares (sources/*/..._config.h): the type
  // picks the module; a key of another type gets a clearer reason than "unknown key".
  void ReadSource(const YAML::Node& node, const std::string& path, SourceConfig& source) {
    if (!IsMap(node, path)) return;
    const YAML::Node type = node["type"];
    std::optional<size_t> kind;
    if (!type.IsDefined()) {
      Problem(node, path + ".type", "required key 'type' is missing (file, graph, ldap or scim)");
    } else {
      std::vector<std::string> names;
      for (const SourceType& t : SourceTypes()) names.emplace_back(t.name);
      kind = Enum(type, path + ".type", names);
    }
    if (!kind) {
      // Without a type only the spelling of keys can be checked.
      std::vector<std::string> all = {"type"};
      for (const SourceType& t : SourceTypes()) {
        for (const ConfigKey& key : t.keys()) all.emplace_back(key.name);
      }
      CheckKeys(node, path, all);
      return;
    }
    const SourceType& chosen = SourceTypes()[*kind];
    std::vector<std::string> own = KeyNames(chosen.keys());
    own.insert(own.begin(), "type");
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::find(own.begin(), own.end(), key) != own.end()) continue;
      bool other = false;
      for (const SourceType& t : SourceTypes()) {
        for (const ConfigKey& k : t.keys()) other = other || k.name == key;
      }
      if (other) {
        Problem(it->first, path + "." + key,
                "key '" + key + "' does not apply to source type '" + chosen.name + "'");
      } else {
        Problem(it->first, path + "." + key, "unknown key '" + key + "'" + Suggest(key, own));
      }
    }
    CheckDuplicateKeys(node, path);
    YamlBlock block(*this, node, path);
    source = chosen.read(block);
  }

  // Every bad expression is reported, each at its key: the checker sees the whole mapping
  // first and, when that fails, each key on its own (expressions do not depend on each
  // other, and the defaults they are laid over are valid). Keys are checked even when the
  // source has a problem of its own: then against source type "" (no defaults).
  void ReadMapping(const YAML::Node& node, const std::string& path, Profile& profile) {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!IsMap(node, path)) return;
    CheckDuplicateKeys(node, path);
    bool ok = true;
    std::vector<std::pair<std::string, std::string>> in_order;  // as written, for the report
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      const std::string kpath = path + "." + key;
      if (!IsMappingKey(key)) {
        Problem(it->first, kpath,
                "a mapping key must be a field name of lower-case letters, digits and '_' (got " +
                    Quote(key) + ")");
        ok = false;
        continue;
      }
      auto value = String(it->second, kpath);
      if (!value) {
        ok = false;
        continue;
      }
      profile.mapping[key] = *value;
      in_order.emplace_back(key, *value);
    }
    if (!checker_ || in_order.empty()) return;
    const std::string type = profile.source.type();
    std::string whole;
    if (ok && !type.empty()) {
      whole = checker_(profile.mapping, type);
      if (whole.empty()) return;
    }
    bool reported = false;
    for (const auto& [key, text] : in_order) {
      const std::string error = checker_({{key, text}}, type);
      if (error.empty()) continue;
      MappingProblem(node, path, error);
      reported = true;
    }
    if (!reported && !whole.empty()) MappingProblem(node, path, whole);
  }

  // "mapping.mobile: column 9: ..." -> a problem at the mobile key's line. (No YAML::Node
  // is reassigned here: assigning a Node writes through to the document.)
  void MappingProblem(const YAML::Node& node, const std::string& path, std::string error) {
    if (error.rfind("mapping.", 0) == 0) {
      const size_t colon = error.find(':');
      const std::string key = error.substr(8, colon == std::string::npos ? 0 : colon - 8);
      if (!key.empty() && node[key].IsDefined()) {
        error = error.substr(colon + 1);
        while (!error.empty() && error.front() == ' ') error.erase(0, 1);
        Problem(node[key], path + "." + key, error);
        return;
      }
    }
    Problem(node, path, error);
  }

  void ReadValidation(const YAML::Node& node, const std::string& path, Profile& profile) {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!IsMap(node, path)) return;
    CheckKeys(node, path, kValidationKeys);
    ValidationConfig& v = profile.validation;
    if (node["required"].IsDefined()) {
      if (auto list = StringList(node["required"], path + ".required")) {
        std::vector<std::string> known = kFixedFieldNames;
        known.push_back("phone");
        for (const auto& [key, expr] : profile.mapping) known.push_back(key);
        v.required.clear();
        for (const auto& name : *list) {
          if (std::find(known.begin(), known.end(), name) == known.end()) {
            Problem(node["required"], path + ".required",
                    "unknown field '" + name + "'" + Suggest(name, known) +
                        "; use a field name, 'phone' (a landline or a mobile) or a custom "
                        "field of mapping");
            continue;
          }
          v.required.push_back(name);
        }
      }
    }
    if (auto e = Enum(node["phone_mode"], path + ".phone_mode", {"strict", "lenient"})) {
      v.phone_mode = *e == 0 ? PhoneMode::kStrict : PhoneMode::kLenient;
    }
    if (auto s = String(node["default_region"], path + ".default_region")) {
      if (s->size() != 2 || !std::isupper(static_cast<unsigned char>((*s)[0])) ||
          !std::isupper(static_cast<unsigned char>((*s)[1]))) {
        Problem(node["default_region"], path + ".default_region",
                "must be a two-letter country code in capitals such as SE (got " + Quote(*s) + ")");
      } else {
        v.default_region = *s;
      }
    }
    if (auto n = Int(node["extension_length"], path + ".extension_length", 0, 15)) {
      v.extension_length = static_cast<int>(*n);
    }
  }

  void ReadPolicy(const YAML::Node& node, const std::string& path, PolicyConfig& policy) {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!IsMap(node, path)) return;
    CheckKeys(node, path, kPolicyKeys);
    if (auto e = Enum(node["mode"], path + ".mode", {"paused", "full", "new_only", "review"})) {
      static const SyncMode kModes[] = {SyncMode::kPaused, SyncMode::kFull, SyncMode::kNewOnly,
                                        SyncMode::kReview};
      policy.mode = kModes[*e];
    }
    if (auto b = Bool(node["create"], path + ".create")) policy.create = *b;
    if (auto b = Bool(node["update"], path + ".update")) policy.update = *b;
    if (auto b = Bool(node["delete"], path + ".delete")) policy.del = *b;
    if (auto e = Enum(node["disabled"], path + ".disabled", {"unsearchable", "skip", "delete"})) {
      static const DisabledAction kActions[] = {DisabledAction::kUnsearchable,
                                                DisabledAction::kSkip, DisabledAction::kDelete};
      policy.disabled = kActions[*e];
    }
    if (auto s = String(node["exclusion_group"], path + ".exclusion_group")) {
      policy.exclusion_group = *s;
    }
    if (auto n = Int(node["grace_days"], path + ".grace_days", 0, 3650)) {
      policy.grace_days = static_cast<int>(*n);
    }
    if (auto b = Bool(node["protect_mobile"], path + ".protect_mobile")) policy.protect_mobile = *b;
    if (auto n = Int(node["max_deletes"], path + ".max_deletes", -1, 100000000)) {
      policy.max_deletes = *n;
    }
    const YAML::Node pct = node["max_delete_percent"];
    if (auto d = Number(pct, path + ".max_delete_percent")) {
      if (*d == -1.0 || (*d >= 0.0 && *d <= 100.0)) {
        policy.max_delete_percent = *d;
      } else {
        Problem(pct, path + ".max_delete_percent",
                "must be between 0 and 100, or -1 for no limit (got " + pct.Scalar() + ")");
      }
    }
  }

  void ReadTemplates(const YAML::Node& node, const std::string& path,
                     std::vector<TemplateConfig>& templates) {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!IsSequence(node, path)) return;
    std::set<std::string> names;
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string tpath = path + "[" + std::to_string(i) + "]";
      const YAML::Node t = node[i];
      if (!IsMap(t, tpath)) continue;
      CheckKeys(t, tpath, kTemplateKeys);
      TemplateConfig tmpl;
      // A template without a usable name is left out, its other keys checked all the same.
      bool named = false;
      if (!t["name"].IsDefined()) {
        Problem(t, tpath + ".name", "required key 'name' is missing");
      } else if (auto name = String(t["name"], tpath + ".name")) {
        if (name->empty()) {
          Problem(t["name"], tpath + ".name", "must not be empty");
        } else if (!names.insert(*name).second) {
          Problem(t["name"], tpath + ".name", "duplicate template name " + Quote(*name));
        } else {
          tmpl.name = *name;
          named = true;
        }
      }
      if (t["groups"].IsDefined()) {
        if (auto list = StringList(t["groups"], tpath + ".groups")) tmpl.groups = *list;
      }
      if (auto s = String(t["caller_id"], tpath + ".caller_id")) {
        if (CheckCallerId(t["caller_id"], tpath + ".caller_id", *s)) tmpl.caller_id = *s;
      }
      const YAML::Node settings = t["settings"];
      if (settings.IsDefined() && !settings.IsNull() && IsMap(settings, tpath + ".settings")) {
        CheckDuplicateKeys(settings, tpath + ".settings");
        for (auto it = settings.begin(); it != settings.end(); ++it) {
          const std::string key = it->first.Scalar();
          if (auto v = String(it->second, tpath + ".settings." + key)) tmpl.settings[key] = *v;
        }
      }
      if (named) templates.push_back(std::move(tmpl));
    }
  }

  void ReadRules(const YAML::Node& node, const std::string& path, Profile& profile) {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!IsSequence(node, path)) return;
    std::vector<std::string> template_names;
    for (const auto& t : profile.templates) template_names.push_back(t.name);
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string rpath = path + "[" + std::to_string(i) + "]";
      const YAML::Node r = node[i];
      if (!IsMap(r, rpath)) continue;
      CheckKeys(r, rpath, kRuleKeys);
      RuleConfig rule;
      bool ok = true;
      if (!r["field"].IsDefined()) {
        Problem(r, rpath + ".field", "required key 'field' is missing");
        ok = false;
      } else if (auto s = String(r["field"], rpath + ".field")) {
        rule.field = *s;
      } else {
        ok = false;
      }
      const bool has_equals = r["equals"].IsDefined();
      const bool has_matches = r["matches"].IsDefined();
      if (has_equals == has_matches) {
        Problem(r, rpath, "a rule needs exactly one of 'equals' and 'matches'");
        ok = false;
      } else if (has_equals) {
        if (auto s = String(r["equals"], rpath + ".equals")) {
          rule.equals = *s;
        } else {
          ok = false;
        }
      } else if (auto s = String(r["matches"], rpath + ".matches")) {
        try {
          std::regex re(*s, std::regex::ECMAScript);
          rule.matches = *s;
        } catch (const std::regex_error&) {
          Problem(r["matches"], rpath + ".matches",
                  "is not a valid regular expression (got " + Quote(*s) + ")");
          ok = false;
        }
      } else {
        ok = false;
      }
      if (!r["template"].IsDefined()) {
        Problem(r, rpath + ".template", "required key 'template' is missing");
        ok = false;
      } else if (auto s = String(r["template"], rpath + ".template")) {
        if (std::find(template_names.begin(), template_names.end(), *s) == template_names.end()) {
          Problem(r["template"], rpath + ".template",
                  "no template named " + Quote(*s) + " in templates" + Suggest(*s, template_names));
          ok = false;
        }
        rule.template_name = *s;
      } else {
        ok = false;
      }
      if (ok) profile.rules.push_back(std::move(rule));
    }
  }

  bool CheckCallerId(const YAML::Node& node, const std::string& path, const std::string& s) {
    if (IsPhoneDigits(s)) return true;
    Problem(node, path,
            "must be a phone number of digits, optionally with a leading '+', such as "
            "+46812345600 (got " +
                Quote(s) + ")");
    return false;
  }

  std::optional<RangeConfig> Range(const YAML::Node& node, const std::string& path) {
    auto s = String(node, path);
    if (!s) return std::nullopt;
    const size_t dash = s->find('-');
    const std::string first = Trim(s->substr(0, dash));
    const std::string last = dash == std::string::npos ? "" : Trim(s->substr(dash + 1));
    auto all_digits = [](const std::string& d) {
      return !d.empty() && d.size() <= 15 && std::all_of(d.begin(), d.end(), IsDigit);
    };
    if (!all_digits(first) || !all_digits(last)) {
      Problem(node, path,
              "must be two numbers of digits joined by '-', such as \"2000-2999\" (got " +
                  Quote(*s) + ")");
      return std::nullopt;
    }
    if (first.size() != last.size()) {
      Problem(node, path, "both ends must have the same number of digits (got " + Quote(*s) + ")");
      return std::nullopt;
    }
    RangeConfig range;
    range.first = std::stoll(first);
    range.last = std::stoll(last);
    if (range.first > range.last) {
      Problem(node, path, "the first number must be <= the last (got " + Quote(*s) + ")");
      return std::nullopt;
    }
    return range;
  }

  // ---- typed values -------------------------------------------------------------------

  bool IsMap(const YAML::Node& node, const std::string& path) {
    if (node.IsMap()) return true;
    Problem(node, path, "must be a mapping of key: value pairs");
    return false;
  }

  bool IsSequence(const YAML::Node& node, const std::string& path) {
    if (node.IsSequence()) return true;
    Problem(node, path, "must be a list");
    return false;
  }

  void CheckDuplicateKeys(const YAML::Node& node, const std::string& path) {
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (!seen.insert(key).second) {
        Problem(it->first, path.empty() ? key : path + "." + key, "duplicate key '" + key + "'");
      }
    }
  }

  void CheckKeys(const YAML::Node& node, const std::string& path,
                 const std::vector<std::string>& known) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) {
        Problem(it->first, path, "a key must be a plain word");
        continue;
      }
      const std::string key = it->first.Scalar();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        Problem(it->first, path.empty() ? key : path + "." + key,
                "unknown key '" + key + "'" + Suggest(key, known));
      }
    }
    CheckDuplicateKeys(node, path);
  }

  // A block of the file as a module's config reader sees it (util/config_block.h).
  class YamlBlock : public ConfigBlock {
   public:
    YamlBlock(FileReader& reader, YAML::Node node, std::string path)
        : reader_(reader), node_(std::move(node)), path_(std::move(path)) {}

    bool Has(std::string_view key) const override { return node_[std::string(key)].IsDefined(); }
    std::optional<std::string> String(std::string_view key) override {
      return reader_.String(node_[std::string(key)], PathOf(key));
    }
    std::optional<Secret> SecretValue(std::string_view key) override {
      return reader_.SecretValue(node_[std::string(key)], PathOf(key));
    }
    std::optional<std::vector<std::string>> StringList(std::string_view key) override {
      return reader_.StringList(node_[std::string(key)], PathOf(key));
    }
    std::optional<bool> Bool(std::string_view key) override {
      return reader_.Bool(node_[std::string(key)], PathOf(key));
    }
    std::optional<int64_t> Int(std::string_view key, int64_t min, int64_t max) override {
      return reader_.Int(node_[std::string(key)], PathOf(key), min, max);
    }
    std::optional<size_t> Enum(std::string_view key,
                               const std::vector<std::string>& names) override {
      return reader_.Enum(node_[std::string(key)], PathOf(key), names);
    }
    std::optional<std::string> ServerPath(std::string_view key, bool resolve) override {
      const YAML::Node value = node_[std::string(key)];
      if (!value.IsDefined()) return std::nullopt;
      if (!reader_.ServerFileAllowed(value, PathOf(key))) return std::nullopt;
      auto s = reader_.String(value, PathOf(key));
      if (!s || !resolve || fs::path(*s).is_absolute()) return s;
      return (fs::path(reader_.base_dir_) / *s).string();
    }
    std::optional<Secret> ResolveSecret(std::string_view key, const std::string& text) override {
      auto r = reader_.Resolve(text, At(key), PathOf(key));
      if (!r) return std::nullopt;
      return Secret(r->value, r->origin);
    }
    void Problem(std::string_view key, std::string reason) override {
      reader_.Problem(At(key), PathOf(key), std::move(reason));
    }
    std::string Suggest(const std::string& word,
                        const std::vector<std::string>& known) const override {
      return FileReader::Suggest(word, known);
    }

   private:
    std::string PathOf(std::string_view key) const {
      return key.empty() ? path_ : path_ + "." + std::string(key);
    }
    // The node a problem at `key` points at: its first key's, else the block's.
    YAML::Node At(std::string_view key) const {
      const std::string first(key.substr(0, key.find('.')));
      if (!first.empty() && node_[first].IsDefined()) return node_[first];
      return node_;
    }

    FileReader& reader_;
    YAML::Node node_;
    std::string path_;
  };

  static std::string Suggest(const std::string& word, const std::vector<std::string>& known) {
    const std::string best = ClosestMatch(word, known);
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
  }

  // ${env:NAME} / ${file:path} / a literal. nullopt (with a problem) when unresolvable.
  std::optional<Resolved> Resolve(const std::string& text, const YAML::Node& node,
                                  const std::string& path) {
    if (text.size() < 3 || text.rfind("${", 0) != 0 || text.back() != '}') {
      return Resolved{text, "literal"};
    }
    if (remote_) {
      Problem(node, path,
              "a profile sent over the API cannot read the server's environment or files; send "
              "the value itself");
      return std::nullopt;
    }
    const std::string ref = text.substr(2, text.size() - 3);
    if (ref.rfind("env:", 0) == 0) {
      const std::string name = ref.substr(4);
      const char* value = name.empty() ? nullptr : std::getenv(name.c_str());
      if (value == nullptr) {
        Problem(node, path, "environment variable " + name + " is not set");
        return std::nullopt;
      }
      return Resolved{value, "env:" + name};
    }
    if (ref.rfind("file:", 0) == 0) {
      std::string file = ref.substr(5);
      if (!file.empty() && !fs::path(file).is_absolute()) {
        file = (fs::path(base_dir_) / file).lexically_normal().string();
      }
      std::optional<std::string> content;
      if (!file.empty() && !fs::is_directory(file)) content = ReadWholeFile(file);
      if (!content) {
        Problem(node, path, "cannot read secret file " + file);
        return std::nullopt;
      }
      std::string value = std::move(*content);
      if (!value.empty() && value.back() == '\n') value.pop_back();
      if (!value.empty() && value.back() == '\r') value.pop_back();
      return Resolved{value, "file:" + file};
    }
    Problem(node, path, "unknown reference; use ${env:NAME} or ${file:path}");
    return std::nullopt;
  }

  std::optional<std::string> String(const YAML::Node& node, const std::string& path) {
    if (!node.IsDefined()) return std::nullopt;
    if (!node.IsScalar()) {
      Problem(node, path, node.IsNull() ? "must not be empty" : "must be a single value");
      return std::nullopt;
    }
    auto r = Resolve(node.Scalar(), node, path);
    if (!r) return std::nullopt;
    return r->value;
  }

  std::optional<Secret> SecretValue(const YAML::Node& node, const std::string& path) {
    if (!node.IsDefined()) return std::nullopt;
    if (!node.IsScalar()) {
      Problem(node, path, "must be a single value (a literal, ${env:NAME} or ${file:path})");
      return std::nullopt;
    }
    auto r = Resolve(node.Scalar(), node, path);
    if (!r) return std::nullopt;
    if (r->value.empty()) {
      Problem(node, path, "must not be empty");
      return std::nullopt;
    }
    return Secret(r->value, r->origin);
  }

  std::optional<std::vector<std::string>> StringList(const YAML::Node& node,
                                                     const std::string& path) {
    if (!node.IsDefined() || node.IsNull()) return std::vector<std::string>{};
    if (node.IsScalar()) {
      auto s = String(node, path);
      if (!s) return std::nullopt;
      return std::vector<std::string>{*s};
    }
    if (!node.IsSequence()) {
      Problem(node, path, "must be a list of values");
      return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (size_t i = 0; i < node.size(); ++i) {
      auto s = String(node[i], path + "[" + std::to_string(i) + "]");
      if (s) {
        out.push_back(*s);
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  std::optional<bool> Bool(const YAML::Node& node, const std::string& path) {
    auto s = String(node, path);
    if (!s) return std::nullopt;
    const std::string v = Lower(*s);
    if (v == "true" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "no" || v == "off") return false;
    Problem(node, path, "must be true or false (got " + Quote(*s) + ")");
    return std::nullopt;
  }

  std::optional<int64_t> Int(const YAML::Node& node, const std::string& path, int64_t min,
                             int64_t max) {
    auto s = String(node, path);
    if (!s) return std::nullopt;
    int64_t value = 0;
    const char* begin = s->data();
    const char* end = begin + s->size();
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc() || ptr != end || s->empty()) {
      Problem(node, path, "must be a whole number (got " + Quote(*s) + ")");
      return std::nullopt;
    }
    if (value < min || value > max) {
      Problem(node, path,
              "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (got " +
                  *s + ")");
      return std::nullopt;
    }
    return value;
  }

  std::optional<double> Number(const YAML::Node& node, const std::string& path) {
    auto s = String(node, path);
    if (!s) return std::nullopt;
    char* end = nullptr;
    const double value = std::strtod(s->c_str(), &end);
    if (s->empty() || end != s->c_str() + s->size() || !std::isfinite(value)) {
      Problem(node, path, "must be a number (got " + Quote(*s) + ")");
      return std::nullopt;
    }
    return value;
  }

  std::optional<size_t> Enum(const YAML::Node& node, const std::string& path,
                             const std::vector<std::string>& names) {
    auto s = String(node, path);
    if (!s) return std::nullopt;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == *s) return i;
    }
    std::string list;
    for (size_t i = 0; i < names.size(); ++i) {
      list += (i == 0 ? "" : ", ") + names[i];
    }
    Problem(node, path, "must be one of " + list + " (got " + Quote(*s) + ")");
    return std::nullopt;
  }

  std::string file_;
  std::string base_dir_;
  const MappingChecker& checker_;
  std::vector<ConfigProblem> problems_;
  std::optional<SmtpConfig> smtp_;
  std::optional<int64_t> keep_days_;
  bool remote_ = false;
};

// ---- YAML syntax errors ----------------------------------------------------------------
//
// yaml-cpp's ParserException mark is where the parser gave up, which for an unclosed '['
// or '{' is the first token that cannot continue the collection (often many lines on, or
// the end of the file), and for an unclosed quote is wherever the next quote happens to be.
// An unclosed quote that finds no other quote is not an error to yaml-cpp 0.7 at all: the
// value silently runs to the end of the file. So the file is parsed once more as events,
// keeping what was open and the last quoted value, and the problem points at the start of
// the construct that was never closed. Linear in the file's size.

// What the parser had read when it stopped: open collections and the last scalar.
class SyntaxTracker : public YAML::EventHandler {
 public:
  explicit SyntaxTracker(const std::string& text) : text_(text) {}

  struct Open {
    YAML::Mark mark;
    bool flow = false;
    bool sequence = false;
  };
  // The innermost open '[' or '{', if any.
  const Open* InnermostFlow() const {
    for (auto it = open_.rbegin(); it != open_.rend(); ++it) {
      if (it->flow) return &*it;
    }
    return nullptr;
  }
  // The last scalar read, when it was a quoted one and nothing but ends came after it.
  const std::optional<YAML::Mark>& last_quoted() const { return last_quoted_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { last_quoted_.reset(); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { last_quoted_.reset(); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    const auto pos = static_cast<size_t>(mark.pos);
    const bool quoted =
        mark.pos >= 0 && pos < text_.size() && (text_[pos] == '"' || text_[pos] == '\'');
    last_quoted_ = quoted ? std::optional<YAML::Mark>(mark) : std::nullopt;
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value style) override {
    open_.push_back({mark, style == YAML::EmitterStyle::Flow, true});
    last_quoted_.reset();
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value style) override {
    open_.push_back({mark, style == YAML::EmitterStyle::Flow, false});
    last_quoted_.reset();
  }
  void OnMapEnd() override { Close(); }

 private:
  void Close() {
    if (!open_.empty()) open_.pop_back();
  }

  const std::string& text_;
  std::vector<Open> open_;
  std::optional<YAML::Mark> last_quoted_;
};

// Just past the quote that closes the quoted value opening at text[pos]; npos when none does.
size_t QuotedEnd(const std::string& text, size_t pos) {
  const char quote = text[pos];
  for (size_t i = pos + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;  // an escape: \" does not close
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is a quote inside a single-quoted value
      } else {
        return i + 1;
      }
    }
  }
  return std::string::npos;
}

std::string LineColumn(const YAML::Mark& mark) {
  return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
}

// The 0-based line of a key that lacks its ':' just above `line`, or -1: "path a.json"
// followed by "policy:" makes yaml-cpp fail at policy's ':' ("illegal map value"), since
// the two lines read as one plain value.
int KeyWithoutColonAbove(const std::string& text, int line) {
  std::vector<std::string> lines = Split(text, '\n');
  int found = -1;
  for (int l = line - 1; l >= 0 && l < static_cast<int>(lines.size()); --l) {
    const std::string t = Trim(lines[static_cast<size_t>(l)]);
    if (t.empty() || t[0] == '#' || t[0] == '-' || t.find(':') != std::string::npos) break;
    found = l;
  }
  return found;
}

ConfigProblem SyntaxProblem(const std::string& file, const std::string& text,
                            const YAML::ParserException& e, const SyntaxTracker& seen) {
  ConfigProblem p;
  p.file = file;
  YAML::Mark at = e.mark;
  const std::string gave_up =
      e.mark.is_null() ? e.msg : "the parser gave up at " + LineColumn(e.mark) + ": " + e.msg;
  std::string reason = e.msg;
  const auto& quoted = seen.last_quoted();
  const size_t quote_end =
      quoted ? QuotedEnd(text, static_cast<size_t>(quoted->pos)) : std::string::npos;
  const size_t quote_stop = std::min(
      quote_end, e.mark.is_null() ? text.size() : static_cast<size_t>(std::max(e.mark.pos, 0)));
  if (quoted && text.find('\n', static_cast<size_t>(quoted->pos)) < quote_stop) {
    at = *quoted;
    reason = "this quote is not closed on its line, so the value runs on (" + gave_up + ")";
  } else if (const auto* flow = seen.InnermostFlow()) {
    at = flow->mark;
    reason = std::string("this '") + (flow->sequence ? "[" : "{") + "' is never closed (" +
             gave_up + ")";
  } else if (int line = e.msg == YAML::ErrorMsg::MAP_VALUE && !e.mark.is_null()
                            ? KeyWithoutColonAbove(text, e.mark.line)
                            : -1;
             line >= 0) {
    const std::string t = Split(text, '\n')[static_cast<size_t>(line)];
    at = YAML::Mark();
    at.line = line;
    at.column = static_cast<int>(t.find_first_not_of(" \t"));
    reason = "this line has no ':' after its key (" + gave_up + ")";
  } else if (e.msg == YAML::ErrorMsg::MAP_VALUE) {
    reason = e.msg +
             " (a ':' where no key can start: check this line's indentation, or quote a value "
             "that contains \": \")";
  } else if (e.msg == YAML::ErrorMsg::TAB_IN_INDENTATION) {
    reason = e.msg + " (indent with spaces)";
  }
  if (!at.is_null()) {
    p.line = at.line + 1;
    p.column = at.column + 1;
  }
  p.reason = "YAML syntax error: " + reason;
  return p;
}

// The problem of a quote that yaml-cpp let run to the end of the file, if there is one.
std::optional<ConfigProblem> UnclosedQuoteProblem(const std::string& file, const std::string& text,
                                                  const SyntaxTracker& seen) {
  const auto& quoted = seen.last_quoted();
  if (!quoted || QuotedEnd(text, static_cast<size_t>(quoted->pos)) != std::string::npos) {
    return std::nullopt;
  }
  return ConfigProblem{file, quoted->line + 1, quoted->column + 1, "",
                       "YAML syntax error: this quote is never closed, so the value runs to "
                       "the end of the file"};
}

// The file's first document, or the problem that stops it being read.
std::variant<YAML::Node, ConfigProblem> ParseYamlFile(const std::string& file) {
  const std::optional<std::string> text = ReadWholeFile(file);
  if (!text) return ConfigProblem{file, 0, 0, "", "cannot read the file"};
  SyntaxTracker seen(*text);
  try {
    std::istringstream in(*text);
    YAML::Parser parser(in);
    parser.HandleNextDocument(seen);
  } catch (const YAML::ParserException& e) {
    return SyntaxProblem(file, *text, e, seen);
  } catch (const YAML::Exception& e) {
    return ConfigProblem{file, 0, 0, "", std::string("cannot read the file: ") + e.msg};
  }
  if (auto p = UnclosedQuoteProblem(file, *text, seen)) return std::move(*p);
  try {
    return YAML::Load(*text);
  } catch (const YAML::ParserException& e) {
    return SyntaxProblem(file, *text, e, seen);
  } catch (const YAML::Exception& e) {
    return ConfigProblem{file, 0, 0, "", std::string("cannot read the file: ") + e.msg};
  }
}

struct Loaded {
  Config config;
  std::vector<ConfigProblem> problems;
};

Loaded Load(const std::string& path, const MappingChecker& checker) {
  Loaded out;
  out.config.origin = path;
  std::error_code ec;
  std::vector<std::string> files;
  std::string base_dir;
  if (fs::is_directory(path, ec)) {
    base_dir = path;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const std::string ext = Lower(entry.path().extension().string());
      if ((ext == ".yaml" || ext == ".yml") && entry.is_regular_file(ec)) {
        files.push_back(entry.path().string());
      }
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      out.problems.push_back({path, 0, 0, "", "no *.yaml or *.yml files in this directory"});
      return out;
    }
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
    base_dir = fs::path(path).parent_path().string();
    if (base_dir.empty()) base_dir = ".";
  } else {
    out.problems.push_back({path, 0, 0, "", "no such file or directory"});
    return out;
  }

  std::optional<std::string> store;
  std::string store_file;
  std::string smtp_file;
  std::vector<std::pair<Tenant, YAML::Node>> tenants;
  std::vector<std::string> tenant_files;
  for (const auto& file : files) {
    FileReader reader(file, base_dir, checker);
    auto parsed = ParseYamlFile(file);
    if (auto* problem = std::get_if<ConfigProblem>(&parsed)) {
      out.problems.push_back(std::move(*problem));
      continue;
    }
    try {
      const YAML::Node root = std::get<YAML::Node>(std::move(parsed));
      std::optional<std::string> file_store;
      reader.Read(root, file_store, tenants);
      if (reader.smtp()) {
        if (smtp_file.empty()) {
          out.config.smtp = *reader.smtp();
          smtp_file = file;
        } else {
          reader.Problem(root["smtp"], "smtp",
                         "already set in " + smtp_file + "; set it in one file only");
        }
      }
      if (reader.keep_days()) out.config.history_keep_days = static_cast<int>(*reader.keep_days());
      tenant_files.resize(tenants.size(), file);
      if (file_store) {
        if (store && *store != *file_store) {
          reader.Problem(
              root["store"], "store",
              "differs from the store set in " + store_file + "; set it in one file only");
        } else {
          store = file_store;
          store_file = file;
        }
      }
    } catch (const YAML::Exception& e) {
      out.problems.push_back({file, 0, 0, "", std::string("cannot read the file: ") + e.msg});
    }
    for (auto& p : reader.TakeProblems()) out.problems.push_back(std::move(p));
  }
  out.config.store =
      store ? *store : (fs::path(base_dir) / "telsync.db").lexically_normal().string();

  // Tenants with the same name (e.g. one file per profile) merge; profile names stay unique.
  for (size_t i = 0; i < tenants.size(); ++i) {
    auto& [tenant, node] = tenants[i];
    Tenant* existing = nullptr;
    for (auto& t : out.config.tenants) {
      if (t.name == tenant.name) existing = &t;
    }
    if (existing == nullptr) {
      out.config.tenants.push_back(std::move(tenant));
      continue;
    }
    for (auto& profile : tenant.profiles) {
      bool duplicate = false;
      for (const auto& p : existing->profiles) duplicate = duplicate || p.name == profile.name;
      if (duplicate) {
        ConfigProblem p{
            tenant_files[i], 0, 0, "",
            "profile '" + tenant.name + "/" + profile.name + "' is defined more than once"};
        const YAML::Mark mark = node.Mark();
        if (!mark.is_null()) {
          p.line = mark.line + 1;
          p.column = mark.column + 1;
        }
        out.problems.push_back(std::move(p));
        continue;
      }
      existing->profiles.push_back(std::move(profile));
    }
    for (auto& target : tenant.targets) existing->targets.push_back(std::move(target));
  }
  if (out.problems.empty() && out.config.tenants.empty()) {
    out.problems.push_back({files.front(), 0, 0, "tenants", "no tenants are configured"});
  }
  return out;
}

}  // namespace

std::string ConfigProblem::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  out += ": ";
  if (!field_path.empty()) out += field_path + ": ";
  return out + reason;
}

// Levenshtein with transpositions (optimal string alignment): "emial" is one edit from
// "email", as a typist would count it. Case-insensitive.
size_t EditDistance(const std::string& a, const std::string& b) {
  auto same = [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  };
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = same(a[i - 1], b[j - 1]) ? 0 : 1;
      row[j] = std::min({previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1])) {
        row[j] = std::min(row[j], before[j - 2] + 1);
      }
    }
    before.swap(previous);
    previous.swap(row);
  }
  return previous[b.size()];
}

std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates) {
  // Up to a third of the word may differ: "grace_day" -> "grace_days", not "x" -> "mode".
  const size_t limit = std::max<size_t>(1, word.size() / 3);
  std::string best;
  size_t best_distance = limit + 1;
  for (const auto& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::vector<ConfigProblem> CheckConfig(const std::string& path, const MappingChecker& checker) {
  return Load(path, checker).problems;
}

Result<Config> LoadConfig(const std::string& path, const MappingChecker& checker) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return Error::NotFound("no such config file or directory", path);
  }
  Loaded loaded = Load(path, checker);
  if (loaded.problems.empty()) return std::move(loaded.config);
  std::string message;
  for (const auto& p : loaded.problems) {
    if (!message.empty()) message += "\n";
    message += p.ToString();
  }
  const ConfigProblem& first = loaded.problems.front();
  std::string context = first.file;
  if (first.line > 0) context += ":" + std::to_string(first.line);
  if (!first.field_path.empty()) context += " " + first.field_path;
  return Error::Invalid(message, context);
}

Result<Profile> LoadProfileDocument(const std::string& tenant, const std::string& document,
                                    const std::string& base_dir, const MappingChecker& checker) {
  FileReader reader("profile", base_dir, checker);
  reader.ForbidServerFiles();
  Profile profile;
  try {
    const YAML::Node root = YAML::Load(document);
    if (!root.IsDefined() || root.IsNull()) {
      return Error::Invalid("the profile is empty; send a mapping with at least name and source",
                            "body");
    }
    reader.ReadOneProfile(root, "body", profile);
  } catch (const YAML::ParserException& e) {
    std::string where;
    if (!e.mark.is_null()) {
      where = " at line " + std::to_string(e.mark.line + 1) + ", column " +
              std::to_string(e.mark.column + 1);
    }
    return Error::Invalid("the profile is not valid YAML or JSON" + where + ": " + e.msg, "body");
  } catch (const YAML::Exception& e) {
    return Error::Invalid(std::string("the profile cannot be read: ") + e.msg, "body");
  }
  std::vector<ConfigProblem> problems = reader.TakeProblems();
  if (!problems.empty()) {
    std::string message;
    for (const auto& p : problems) {
      if (!message.empty()) message += "\n";
      message += (p.field_path.empty() ? "" : p.field_path + ": ") + p.reason;
    }
    return Error::Invalid(message, problems.front().field_path);
  }
  profile.tenant = tenant;
  return profile;
}

bool IsValidName(const std::string& name) { return IsName(name); }

}  // namespace telsync
