#include "config/loader.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace telsync {
namespace {

// The source block of `p` as a T (a failure, and an empty T, when it is another type).
template <typename T>
const T& SourceOf(const Profile& p) {
  static const T kNone{};
  const T* config = p.source.As<T>();
  EXPECT_NE(config, nullptr) << "source type " << p.source.type();
  return config != nullptr ? *config : kNone;
}

namespace fs = std::filesystem;

// A fresh temp directory per test, removed afterwards.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           (std::string("telsync-config-") + info->name() + "-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    out << text;
    return path.string();
  }

  // Every problem's text, one per line, for failure messages.
  static std::string Dump(const std::vector<ConfigProblem>& problems) {
    std::string out;
    for (const auto& p : problems) out += p.ToString() + "\n";
    return out;
  }

  static const ConfigProblem* FindProblem(const std::vector<ConfigProblem>& problems,
                                          const std::string& field_path) {
    for (const auto& p : problems) {
      if (p.field_path == field_path) return &p;
    }
    return nullptr;
  }

  fs::path dir_;
};

constexpr char kFull[] = R"yaml(store: data/telsync.db
tenants:
  - name: acme
    profiles:
      - name: main
        source:
          type: file
          path: directory.json
          format: json
        mapping:
          mobile: "e164({mobile})"
          cost_center: "{extensionAttribute1}"
        validation:
          required: [email, first_name, last_name, phone, cost_center]
          phone_mode: lenient
          default_region: DK
          extension_length: 4
        policy:
          mode: new_only
          create: true
          update: false
          delete: no
          disabled: skip
          exclusion_group: "Ingen synk"
          grace_days: 14
          protect_mobile: false
          max_deletes: 50
          max_delete_percent: 12.5
        templates:
          - name: sales
            groups: [Sales, "Försäljning"]
            caller_id: "+46812345678"
            settings: {voicemail: "on", language: sv}
          - name: standard
        rules:
          - {field: department, equals: Support, template: standard}
          - {field: job_title, matches: ".*[Ss]äljare.*", template: sales}
        default_template: standard
        default_caller_id: "+46812345600"
        extensions: {range: "2000-2999"}
        departments: {enabled: true, ring_group_range: "7000-7099"}
        render: {phone: digits}
        schedules: ["0 2 * * *", "30 12 * * 1-5"]
        timezone: Europe/Stockholm
      - name: graph
        source:
          type: graph
          tenant_id: contoso.onmicrosoft.com
          client_id: 0b3b1d5e-7a4c-4d5e-9f00-1234567890ab
          client_secret: s3cr3t-literal
          groups: [Sales, ""]
          include_guests: true
          filter: "department eq 'Sales'"
          authority: https://login.microsoftonline.us/
          graph_url: http://127.0.0.1:8080
  - name: beta-2
    profiles:
      - name: ad
        source:
          type: ldap
          url: [ldaps://dc1.beta.local:636, ldap://dc2.beta.local]
          bind_dn: CN=svc-telsync,OU=Service,DC=beta,DC=local
          bind_password: hunter2
          user_search_dn: OU=Staff,DC=beta,DC=local
          department_search_dn: OU=Departments,DC=beta,DC=local
          filter: (department=*)
          start_tls: true
          ca_file: certs/ca.pem
          tls_verify: false
)yaml";

TEST_F(ConfigTest, LoadsEveryKey) {
  const std::string path = Write("telsync.yaml", kFull);
  auto config = LoadConfig(path);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->store, (dir_ / "data/telsync.db").string());
  EXPECT_EQ(config->origin, path);
  EXPECT_EQ(config->BaseDir(), dir_.string());
  ASSERT_EQ(config->tenants.size(), 2u);
  ASSERT_EQ(config->tenants[0].profiles.size(), 2u);

  const Profile& p = config->tenants[0].profiles[0];
  EXPECT_EQ(p.tenant, "acme");
  EXPECT_EQ(p.name, "main");
  EXPECT_EQ(p.source.type(), "file");
  EXPECT_EQ(SourceOf<FileSourceConfig>(p).path,
            "directory.json");  // as configured; MakeSource resolves it
  EXPECT_EQ(SourceOf<FileSourceConfig>(p).format, "json");
  EXPECT_EQ(p.mapping.at("mobile"), "e164({mobile})");
  EXPECT_EQ(p.mapping.at("cost_center"), "{extensionAttribute1}");
  EXPECT_EQ(p.validation.required,
            (std::vector<std::string>{"email", "first_name", "last_name", "phone", "cost_center"}));
  EXPECT_EQ(p.validation.phone_mode, PhoneMode::kLenient);
  EXPECT_EQ(p.validation.default_region, "DK");
  EXPECT_EQ(p.validation.extension_length, 4);
  EXPECT_EQ(p.policy.mode, SyncMode::kNewOnly);
  EXPECT_TRUE(p.policy.create);
  EXPECT_FALSE(p.policy.update);
  EXPECT_FALSE(p.policy.del);
  EXPECT_EQ(p.policy.disabled, DisabledAction::kSkip);
  EXPECT_EQ(p.policy.exclusion_group, "Ingen synk");
  EXPECT_EQ(p.policy.grace_days, 14);
  EXPECT_FALSE(p.policy.protect_mobile);
  EXPECT_EQ(p.policy.max_deletes, 50);
  EXPECT_DOUBLE_EQ(p.policy.max_delete_percent, 12.5);
  ASSERT_EQ(p.templates.size(), 2u);
  EXPECT_EQ(p.templates[0].name, "sales");
  EXPECT_EQ(p.templates[0].groups, (std::vector<std::string>{"Sales", "Försäljning"}));
  EXPECT_EQ(p.templates[0].caller_id, "+46812345678");
  EXPECT_EQ(p.templates[0].settings.at("voicemail"), "on");
  EXPECT_EQ(p.templates[0].settings.at("language"), "sv");
  ASSERT_EQ(p.rules.size(), 2u);
  EXPECT_EQ(p.rules[0].field, "department");
  EXPECT_EQ(p.rules[0].equals, "Support");
  EXPECT_EQ(p.rules[0].template_name, "standard");
  EXPECT_EQ(p.rules[1].matches, ".*[Ss]äljare.*");
  EXPECT_EQ(p.default_template, "standard");
  EXPECT_EQ(p.default_caller_id, "+46812345600");
  EXPECT_EQ(p.extensions.first, 2000);
  EXPECT_EQ(p.extensions.last, 2999);
  EXPECT_TRUE(p.departments.enabled);
  EXPECT_EQ(p.departments.ring_groups.first, 7000);
  EXPECT_EQ(p.departments.ring_groups.last, 7099);
  EXPECT_EQ(p.phone_render, PhoneRender::kDigits);
  EXPECT_EQ(p.schedules, (std::vector<std::string>{"0 2 * * *", "30 12 * * 1-5"}));
  EXPECT_EQ(p.timezone, "Europe/Stockholm");

  const Profile& g = config->tenants[0].profiles[1];
  EXPECT_EQ(g.source.type(), "graph");
  EXPECT_EQ(SourceOf<GraphSourceConfig>(g).tenant_id, "contoso.onmicrosoft.com");
  EXPECT_EQ(SourceOf<GraphSourceConfig>(g).client_id, "0b3b1d5e-7a4c-4d5e-9f00-1234567890ab");
  EXPECT_EQ(SourceOf<GraphSourceConfig>(g).client_secret.Reveal(), "s3cr3t-literal");
  EXPECT_EQ(SourceOf<GraphSourceConfig>(g).client_secret.Masked(), "********");
  EXPECT_EQ(SourceOf<GraphSourceConfig>(g).groups, std::vector<std::string>{"Sales"});
  EXPECT_TRUE(SourceOf<GraphSourceConfig>(g).include_guests);
  EXPECT_EQ(SourceOf<GraphSourceConfig>(g).odata_filter, "department eq 'Sales'");
  EXPECT_EQ(SourceOf<GraphSourceConfig>(g).authority, "https://login.microsoftonline.us");
  EXPECT_EQ(SourceOf<GraphSourceConfig>(g).graph_url, "http://127.0.0.1:8080");
  // Defaults of a profile that sets nothing else.
  EXPECT_EQ(g.policy.mode, SyncMode::kFull);
  EXPECT_EQ(g.policy.grace_days, 7);
  EXPECT_EQ(g.policy.max_deletes, 500);
  EXPECT_EQ(g.validation.required,
            (std::vector<std::string>{"email", "first_name", "last_name", "phone"}));
  EXPECT_EQ(g.timezone, "UTC");
  EXPECT_EQ(g.phone_render, PhoneRender::kE164);

  const Profile& l = config->tenants[1].profiles[0];
  EXPECT_EQ(l.tenant, "beta-2");
  EXPECT_EQ(SourceOf<LdapSourceConfig>(l).urls,
            (std::vector<std::string>{"ldaps://dc1.beta.local:636", "ldap://dc2.beta.local"}));
  EXPECT_EQ(SourceOf<LdapSourceConfig>(l).bind_dn, "CN=svc-telsync,OU=Service,DC=beta,DC=local");
  EXPECT_EQ(SourceOf<LdapSourceConfig>(l).bind_password.Reveal(), "hunter2");
  EXPECT_EQ(SourceOf<LdapSourceConfig>(l).user_search_dn, "OU=Staff,DC=beta,DC=local");
  EXPECT_EQ(SourceOf<LdapSourceConfig>(l).department_search_dn, "OU=Departments,DC=beta,DC=local");
  EXPECT_EQ(SourceOf<LdapSourceConfig>(l).ldap_filter, "(department=*)");
  EXPECT_TRUE(SourceOf<LdapSourceConfig>(l).start_tls);
  EXPECT_EQ(SourceOf<LdapSourceConfig>(l).ca_file, (dir_ / "certs/ca.pem").string());
  EXPECT_FALSE(SourceOf<LdapSourceConfig>(l).tls_verify);

  EXPECT_EQ(config->FindProfile("acme/graph"), &g);
  EXPECT_EQ(config->FindProfile("beta-2/ad"), &l);
  EXPECT_EQ(config->FindProfile("acme/nope"), nullptr);
  EXPECT_EQ(config->FindProfile(""), nullptr);  // three profiles: ambiguous
  EXPECT_TRUE(CheckConfig(path).empty());
}

TEST_F(ConfigTest, FindsTheOnlyProfileAndDefaultsTheStore) {
  const std::string path = Write("one.yml", R"(tenants:
  - name: solo
    profiles:
      - name: p
        source: {type: file, path: users.csv}
)");
  auto config = LoadConfig(path);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  ASSERT_NE(config->FindProfile(""), nullptr);
  EXPECT_EQ(config->FindProfile("")->name, "p");
  EXPECT_EQ(config->store, (dir_ / "telsync.db").string());
  EXPECT_EQ(SourceOf<FileSourceConfig>(*config->FindProfile("")).format,
            "");  // from the extension at read time
}

struct ProblemCase {
  const char* name;
  const char* profile_yaml;  // indented under "      - name: p\n"
  const char* field_path;    // relative to tenants[0].profiles[0]
  int line;                  // 1-based in the whole file
  const char* reason_part;
};

// The prefix puts the profile's first key at line 5.
constexpr char kPrefix[] = "tenants:\n  - name: acme\n    profiles:\n      - name: p\n";

TEST_F(ConfigTest, ReportsEachKindOfProblemWithLineAndPath) {
  const ProblemCase cases[] = {
      {"enum",
       "        source: {type: file, path: a.json}\n        policy:\n          mode: fulll\n",
       "policy.mode", 7, "must be one of paused, full, new_only, review (got \"fulll\")"},
      {"unknown key",
       "        source: {type: file, path: a.json}\n        policy:\n          grace_day: 3\n",
       "policy.grace_day", 7, "unknown key 'grace_day' (did you mean 'grace_days'?)"},
      {"negative grace",
       "        source: {type: file, path: a.json}\n        policy: {grace_days: -1}\n",
       "policy.grace_days", 6, "between 0 and"},
      {"not a number",
       "        source: {type: file, path: a.json}\n        policy: {max_deletes: lots}\n",
       "policy.max_deletes", 6, "must be a whole number"},
      {"percent",
       "        source: {type: file, path: a.json}\n        policy: {max_delete_percent: 150}\n",
       "policy.max_delete_percent", 6, "between 0 and 100"},
      {"bool", "        source: {type: file, path: a.json}\n        policy: {delete: maybe}\n",
       "policy.delete", 6, "must be true or false"},
      {"range order",
       "        source: {type: file, path: a.json}\n        departments: {ring_group_range: "
       "\"7000-6000\"}\n",
       "departments.ring_group_range", 6, "first number must be <= the last"},
      {"range digits",
       "        source: {type: file, path: a.json}\n        extensions:\n          range: "
       "\"20x0-2999\"\n",
       "extensions.range", 7, "must be two numbers"},
      {"missing type", "        source: {path: a.json}\n", "source.type", 5, "required key 'type'"},
      {"missing path", "        source:\n          type: file\n", "source.path", 6,
       "required key 'path'"},
      {"format", "        source: {type: file, path: a.txt}\n", "source.path", 5,
       "cannot tell the format"},
      {"wrong type key",
       "        source:\n          type: file\n          path: a.json\n          bind_dn: x\n",
       "source.bind_dn", 8, "does not apply to source type 'file'"},
      {"graph required",
       "        source:\n          type: graph\n          tenant_id: contoso.onmicrosoft.com\n"
       "          client_secret: x\n",
       "source.client_id", 6, "required key 'client_id'"},
      {"ldap required", "        source:\n          type: ldap\n          url: ldap://dc1\n",
       "source.user_search_dn", 6, "required key 'user_search_dn'"},
      {"ldap url",
       "        source:\n          type: ldap\n          url: http://dc1\n"
       "          user_search_dn: OU=x,DC=y\n",
       "source.url", 7, "ldap:// or ldaps://"},
      {"template missing",
       "        source: {type: file, path: a.json}\n        default_template: nope\n",
       "default_template", 6, "no template named \"nope\""},
      {"rule both",
       "        source: {type: file, path: a.json}\n        templates: [{name: t}]\n"
       "        rules:\n          - {field: department, equals: a, matches: b, template: t}\n",
       "rules[0]", 8, "exactly one of 'equals' and 'matches'"},
      {"rule regex",
       "        source: {type: file, path: a.json}\n        templates: [{name: t}]\n"
       "        rules:\n          - field: department\n            matches: \"(unclosed\"\n"
       "            template: t\n",
       "rules[0].matches", 9, "not a valid regular expression"},
      {"rule template",
       "        source: {type: file, path: a.json}\n        templates: [{name: sales}]\n"
       "        rules: [{field: department, equals: a, template: sale}]\n",
       "rules[0].template", 7, "(did you mean 'sales'?)"},
      {"cron", "        source: {type: file, path: a.json}\n        schedules: [\"0 2 * *\"]\n",
       "schedules[0]", 6, "5 fields"},
      {"cron field",
       "        source: {type: file, path: a.json}\n        schedules: [\"0 2 * * *\", "
       "\"0 24 * * MON\"]\n",
       "schedules[1]", 6, "hour: 24 is out of range 0-23"},
      {"cron name",
       "        source: {type: file, path: a.json}\n        schedules: [\"0 2 * FOO *\"]\n",
       "schedules[0]", 6, "month: unknown name"},
      {"unknown zone",
       "        source: {type: file, path: a.json}\n        timezone: Europe/Atlantis\n",
       "timezone", 6, "unknown time zone"},
      {"profile name",
       "        source: {type: file, path: a.json}\n      - name: Bad Name\n"
       "        source: {type: file, path: a.json}\n",
       "", 6, "must start with a lower-case"},
      {"duplicate profile",
       "        source: {type: file, path: a.json}\n      - name: p\n"
       "        source: {type: file, path: a.json}\n",
       "", 6, "duplicate profile name 'p'"},
      {"required field",
       "        source: {type: file, path: a.json}\n        validation:\n"
       "          required: [emial]\n",
       "validation.required", 7, "(did you mean 'email'?)"},
      {"region",
       "        source: {type: file, path: a.json}\n        validation: {default_region: se}\n",
       "validation.default_region", 6, "two-letter country code"},
      {"mapping key",
       "        source: {type: file, path: a.json}\n        mapping:\n          Mobile: "
       "\"{mobile}\"\n",
       "mapping.Mobile", 7, "lower-case"},
      {"caller id",
       "        source: {type: file, path: a.json}\n        default_caller_id: \"08-123 45\"\n",
       "default_caller_id", 6, "must be a phone number"},
      {"not a map", "        source: {type: file, path: a.json}\n        policy: [full]\n",
       "policy", 6, "must be a mapping"},
      {"duplicate key",
       "        source: {type: file, path: a.json}\n        timezone: UTC\n        timezone: CET\n",
       "timezone", 7, "duplicate key 'timezone'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = Write("c.yaml", std::string(kPrefix) + c.profile_yaml);
    const auto problems = CheckConfig(path);
    const std::string want_path = std::string(c.field_path).empty()
                                      ? ""
                                      : std::string("tenants[0].profiles[0].") + c.field_path;
    const ConfigProblem* found = nullptr;
    for (const auto& p : problems) {
      if (p.reason.find(c.reason_part) != std::string::npos) found = &p;
    }
    ASSERT_NE(found, nullptr) << Dump(problems);
    if (!want_path.empty()) {
      EXPECT_EQ(found->field_path, want_path) << Dump(problems);
    }
    EXPECT_EQ(found->line, c.line) << Dump(problems);
    EXPECT_EQ(found->file, path);
    EXPECT_FALSE(LoadConfig(path).ok());
  }
}

TEST_F(ConfigTest, ProblemToStringNamesFileLineColumnAndPath) {
  const std::string path =
      Write("p.yaml", std::string(kPrefix) +
                          "        source: {type: file, path: a.json}\n        policy:\n"
                          "          mode: fulll\n");
  const auto problems = CheckConfig(path);
  ASSERT_EQ(problems.size(), 1u) << Dump(problems);
  EXPECT_EQ(problems[0].ToString(),
            path +
                ":7:17: tenants[0].profiles[0].policy.mode: must be one of paused, full, "
                "new_only, review (got \"fulll\")");
  auto loaded = LoadConfig(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(loaded.error().context, path + ":7 tenants[0].profiles[0].policy.mode");
}

TEST_F(ConfigTest, ReportsEveryProblemAtOnce) {
  const std::string path = Write("many.yaml", R"(tenants:
  - name: acme
    profiles:
      - name: p
        source: {type: file, path: a.json}
        policy:
          mode: fulll
          grace_days: -3
          max_delete_percent: 101
        render: {phone: e165}
        schedules: ["every night"]
  - name: acme
    profiles:
      - name: q
        source: {type: scim}
)");
  const auto problems = CheckConfig(path);
  EXPECT_EQ(problems.size(), 6u) << Dump(problems);
  EXPECT_NE(FindProblem(problems, "tenants[0].profiles[0].policy.mode"), nullptr);
  EXPECT_NE(FindProblem(problems, "tenants[0].profiles[0].policy.grace_days"), nullptr);
  EXPECT_NE(FindProblem(problems, "tenants[0].profiles[0].policy.max_delete_percent"), nullptr);
  EXPECT_NE(FindProblem(problems, "tenants[0].profiles[0].render.phone"), nullptr);
  EXPECT_NE(FindProblem(problems, "tenants[0].profiles[0].schedules[0]"), nullptr);
  const auto* dup = FindProblem(problems, "tenants[1].name");
  ASSERT_NE(dup, nullptr) << Dump(problems);
  EXPECT_EQ(dup->line, 12);
  auto loaded = LoadConfig(path);
  ASSERT_FALSE(loaded.ok());
  // Every problem, one per line.
  EXPECT_EQ(std::count(loaded.error().message.begin(), loaded.error().message.end(), '\n'), 5);
}

TEST_F(ConfigTest, YamlSyntaxErrorIsOneProblemWithItsLine) {
  const std::string path =
      Write("bad.yaml", "tenants:\n  - name: acme\n    profiles: [\n      - x\n");
  const auto problems = CheckConfig(path);
  ASSERT_EQ(problems.size(), 1u) << Dump(problems);
  EXPECT_GT(problems[0].line, 0);
  EXPECT_NE(problems[0].reason.find("YAML syntax error"), std::string::npos);
}

TEST_F(ConfigTest, MissingPathIsNotFound) {
  auto loaded = LoadConfig((dir_ / "nope.yaml").string());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(CheckConfig((dir_ / "nope.yaml").string()).size(), 1u);
}

TEST_F(ConfigTest, EmptyConfigHasNoTenants) {
  const std::string path = Write("empty.yaml", "store: x.db\n");
  const auto problems = CheckConfig(path);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].reason.find("no tenants"), std::string::npos);
}

TEST_F(ConfigTest, DirectoryMergesFilesInNameOrder) {
  Write("10-acme.yaml", R"(store: shared.db
tenants:
  - name: acme
    profiles:
      - name: main
        source: {type: file, path: a.json}
)");
  Write("20-acme-more.yml", R"(tenants:
  - name: acme
    profiles:
      - name: extra
        source: {type: file, path: b.csv}
  - name: beta
    profiles:
      - name: main
        source: {type: file, path: c.ldif}
)");
  Write("notes.txt", "not: [yaml");
  auto config = LoadConfig(dir_.string());
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->store, (dir_ / "shared.db").string());
  ASSERT_EQ(config->tenants.size(), 2u);
  ASSERT_EQ(config->tenants[0].profiles.size(), 2u);
  EXPECT_EQ(config->tenants[0].profiles[1].name, "extra");
  EXPECT_EQ(config->tenants[1].name, "beta");
  EXPECT_EQ(config->BaseDir(), dir_.string());

  Write("30-dup.yaml", R"(store: other.db
tenants:
  - name: acme
    profiles:
      - name: main
        source: {type: file, path: a.json}
)");
  const auto problems = CheckConfig(dir_.string());
  ASSERT_EQ(problems.size(), 2u) << Dump(problems);
  EXPECT_EQ(problems[0].file, (dir_ / "30-dup.yaml").string());
  EXPECT_NE(problems[0].reason.find("differs from the store"), std::string::npos);
  EXPECT_NE(problems[1].reason.find("'acme/main' is defined more than once"), std::string::npos);
}

TEST_F(ConfigTest, ResolvesEnvAndFileSecrets) {
  setenv("TELSYNC_TEST_GRAPH_SECRET", "from-the-environment", 1);
  unsetenv("TELSYNC_TEST_MISSING");
  Write("bind.pw", "from-a-file\n");
  const std::string path = Write("s.yaml", R"(tenants:
  - name: acme
    profiles:
      - name: g
        source:
          type: graph
          tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
          client_id: 0b3b1d5e-7a4c-4d5e-9f00-1234567890ab
          client_secret: ${env:TELSYNC_TEST_GRAPH_SECRET}
      - name: l
        source:
          type: ldap
          url: ldaps://dc1
          bind_dn: CN=svc,DC=x
          bind_password: ${file:bind.pw}
          user_search_dn: OU=Staff,DC=x
)");
  auto config = LoadConfig(path);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  const auto& g = SourceOf<GraphSourceConfig>(config->tenants[0].profiles[0]);
  EXPECT_EQ(g.client_secret.Reveal(), "from-the-environment");
  EXPECT_EQ(g.client_secret.Masked(), "******** (from env:TELSYNC_TEST_GRAPH_SECRET)");
  const auto& l = SourceOf<LdapSourceConfig>(config->tenants[0].profiles[1]);
  EXPECT_EQ(l.bind_password.Reveal(), "from-a-file");
  EXPECT_EQ(l.bind_password.Masked(), "******** (from file:" + (dir_ / "bind.pw").string() + ")");
  EXPECT_EQ(Secret().Masked(), "");

  const std::string bad = Write("bad.yaml", R"(tenants:
  - name: acme
    profiles:
      - name: g
        source:
          type: graph
          tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
          client_id: 0b3b1d5e-7a4c-4d5e-9f00-1234567890ab
          client_secret: ${env:TELSYNC_TEST_MISSING}
      - name: l
        source:
          type: ldap
          url: ldaps://dc1
          bind_dn: CN=svc,DC=x
          bind_password: ${file:/nonexistent/telsync.pw}
          user_search_dn: OU=Staff,DC=x
)");
  const auto problems = CheckConfig(bad);
  ASSERT_EQ(problems.size(), 2u) << Dump(problems);
  EXPECT_EQ(problems[0].ToString(),
            bad +
                ":9:26: tenants[0].profiles[0].source.client_secret: environment variable "
                "TELSYNC_TEST_MISSING is not set");
  EXPECT_EQ(problems[1].field_path, "tenants[0].profiles[1].source.bind_password");
  EXPECT_NE(problems[1].reason.find("cannot read secret file /nonexistent/telsync.pw"),
            std::string::npos);
  unsetenv("TELSYNC_TEST_GRAPH_SECRET");
}

std::string GraphProfile(const std::string& settings_json) {
  std::string quoted;
  for (char c : settings_json) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return std::string(kPrefix) + "        source:\n          type: graph\n" +
         "          provider_settings: '" + quoted + "'\n";
}

TEST_F(ConfigTest, ProviderSettingsOfSeed001) {
  // Seed 001's examples verbatim: "id123" is no tenant id, so they must fail clearly.
  const std::string example1 =
      R"({"tenant_id":"id123","client_id":"id123","client_secret":"hidden","user_filter":{"memberOf":["group1","group2"]}})";
  const std::string example2 =
      R"({"tenant_id":"id123","client_id":"id123","client_secret":"hidden","user_filter":{"memberOf":[""]}})";
  for (const auto& json : {example1, example2}) {
    const std::string path = Write("seed.yaml", GraphProfile(json));
    const auto problems = CheckConfig(path);
    ASSERT_EQ(problems.size(), 2u) << Dump(problems);
    EXPECT_EQ(problems[0].field_path, "tenants[0].profiles[0].source.provider_settings.tenant_id");
    EXPECT_EQ(problems[0].line, 7);
    EXPECT_NE(problems[0].reason.find("must be a GUID"), std::string::npos);
    EXPECT_NE(problems[0].reason.find("(got \"id123\")"), std::string::npos);
    EXPECT_EQ(problems[1].field_path, "tenants[0].profiles[0].source.provider_settings.client_id");
    EXPECT_EQ(Dump(problems).find("hidden"), std::string::npos);
  }

  const std::string good1 =
      R"({"tenant_id":"72f988bf-86f1-41af-91ab-2d7cd011db47","client_id":"0b3b1d5e-7a4c-4d5e-9f00-1234567890ab","client_secret":"hidden","user_filter":{"memberOf":["group1","group2"]}})";
  auto config = LoadConfig(Write("good1.yaml", GraphProfile(good1)));
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  const auto& s1 = SourceOf<GraphSourceConfig>(config->tenants[0].profiles[0]);
  EXPECT_EQ(s1.tenant_id, "72f988bf-86f1-41af-91ab-2d7cd011db47");
  EXPECT_EQ(s1.client_id, "0b3b1d5e-7a4c-4d5e-9f00-1234567890ab");
  EXPECT_EQ(s1.client_secret.Reveal(), "hidden");
  EXPECT_EQ(s1.groups, (std::vector<std::string>{"group1", "group2"}));

  const std::string good2 =
      R"({"tenant_id":"contoso.onmicrosoft.com","client_id":"0b3b1d5e-7a4c-4d5e-9f00-1234567890ab","client_secret":"hidden","user_filter":{"memberOf":[""]}})";
  config = LoadConfig(Write("good2.yaml", GraphProfile(good2)));
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_TRUE(
      SourceOf<GraphSourceConfig>(config->tenants[0].profiles[0]).groups.empty());  // whole tenant
}

TEST_F(ConfigTest, ProviderSettingsRejectsUnknownKeysAndBadJson) {
  const std::string unknown =
      R"({"tenant_id":"72f988bf-86f1-41af-91ab-2d7cd011db47","client_id":"0b3b1d5e-7a4c-4d5e-9f00-1234567890ab","client_secret":"x","user_filtr":{}})";
  auto problems = CheckConfig(Write("u.yaml", GraphProfile(unknown)));
  ASSERT_EQ(problems.size(), 1u) << Dump(problems);
  EXPECT_EQ(problems[0].reason, "unknown key 'user_filtr' (did you mean 'user_filter'?)");

  const std::string missing = R"({"tenant_id":"72f988bf-86f1-41af-91ab-2d7cd011db47"})";
  problems = CheckConfig(Write("m.yaml", GraphProfile(missing)));
  ASSERT_EQ(problems.size(), 2u) << Dump(problems);
  EXPECT_NE(problems[0].reason.find("'client_id'"), std::string::npos);
  EXPECT_NE(problems[1].reason.find("'client_secret'"), std::string::npos);
}

TEST_F(ConfigTest, SecretsNeverAppearInProblems) {
  const std::string secret = "Zx9~Q8s-TopSecretValue";
  const std::vector<std::string> bad_inputs = {
      // A bad tenant id next to a secret.
      GraphProfile(R"({"tenant_id":"id123","client_id":"id123","client_secret":")" + secret +
                   R"("})"),
      // Broken JSON right at the secret: the parser's own message would quote it.
      GraphProfile(R"({"tenant_id":"x","client_secret":")" + secret + R"(" "oops"})"),
      // The secret as a non-string and under a misspelt key.
      GraphProfile(R"({"tenant_id":"x","client_secret":[")" + secret + R"("],"client_secrt":")" +
                   secret + R"("})"),
      std::string(kPrefix) +
          "        source:\n          type: graph\n          tenant_id: id123\n"
          "          client_secret: [" +
          secret + "]\n          client_secrt: " + secret + "\n",
      std::string(kPrefix) +
          "        source:\n          type: ldap\n          url: x\n"
          "          bind_password: {v: " +
          secret + "}\n          user_search_dn: nodn\n",
      // A secret in a non-secret field of the wrong type must not be echoed in a type error.
      std::string(kPrefix) + "        source:\n          type: file\n          path: [" + secret +
          "]\n",
  };
  for (size_t i = 0; i < bad_inputs.size(); ++i) {
    SCOPED_TRACE(i);
    const std::string path = Write("secret.yaml", bad_inputs[i]);
    const auto problems = CheckConfig(path);
    EXPECT_FALSE(problems.empty());
    EXPECT_EQ(Dump(problems).find(secret), std::string::npos) << Dump(problems);
    auto loaded = LoadConfig(path);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().ToString().find(secret), std::string::npos);
  }
}

TEST_F(ConfigTest, MappingCheckerIsCalledAndPointsAtTheKey) {
  const std::string path = Write("map.yaml", std::string(kPrefix) +
                                                 "        source: {type: file, path: a.json}\n"
                                                 "        mapping:\n"
                                                 "          email: \"{mail}\"\n"
                                                 "          mobile: \"e165({mobile})\"\n");
  std::string seen_type;
  size_t seen_keys = 0;  // in the first call: the whole mapping
  MappingChecker checker = [&](const std::map<std::string, std::string>& mapping,
                               const std::string& type) -> std::string {
    if (seen_type.empty()) {
      seen_type = type;
      seen_keys = mapping.size();
    }
    if (mapping.count("mobile") && mapping.at("mobile").rfind("e165", 0) == 0) {
      return "mapping.mobile: column 1: unknown function 'e165'";
    }
    return "";
  };
  const auto problems = CheckConfig(path, checker);
  EXPECT_EQ(seen_type, "file");
  EXPECT_EQ(seen_keys, 2u);
  ASSERT_EQ(problems.size(), 1u) << Dump(problems);
  EXPECT_EQ(problems[0].field_path, "tenants[0].profiles[0].mapping.mobile");
  EXPECT_EQ(problems[0].line, 8);
  EXPECT_EQ(problems[0].reason, "column 1: unknown function 'e165'");
  EXPECT_TRUE(CheckConfig(path).empty());  // without a checker only the keys are checked
}

// A checker that rejects every expression starting with "bad(", as UserMapping::Compile
// words its errors.
std::string RejectBadCalls(const std::map<std::string, std::string>& mapping,
                           const std::string& /*type*/) {
  for (const auto& [key, text] : mapping) {
    if (text.rfind("bad(", 0) == 0) return "mapping." + key + ": column 1: unknown function 'bad'";
  }
  return "";
}

TEST_F(ConfigTest, EveryBadMappingExpressionIsReportedAtItsKey) {
  const std::string path = Write("maps.yaml", R"yaml(tenants:
  - name: acme
    profiles:
      - name: main
        source: {type: file, path: a.json}
        mapping:
          email: "bad({mail})"
          mobile: "{mobile}"
          extension: "bad({ipPhone})"
          Cost: "{x}"
          city: "bad({l})"
      - name: second
        source: {type: filee, path: a.json}
        mapping:
          email: "bad({mail})"
)yaml");
  const auto problems = CheckConfig(path, RejectBadCalls);
  ASSERT_EQ(problems.size(), 6u) << Dump(problems);
  const std::pair<const char*, int> want[] = {
      {"tenants[0].profiles[0].mapping.email", 7},  {"tenants[0].profiles[0].mapping.extension", 9},
      {"tenants[0].profiles[0].mapping.Cost", 10},  // a bad key does not stop the others
      {"tenants[0].profiles[0].mapping.city", 11},  {"tenants[0].profiles[1].source.type", 13},
      {"tenants[0].profiles[1].mapping.email", 15},  // checked though the source is wrong
  };
  for (const auto& [field, line] : want) {
    const ConfigProblem* p = FindProblem(problems, field);
    ASSERT_NE(p, nullptr) << field << "\n" << Dump(problems);
    EXPECT_EQ(p->line, line) << field;
  }
  EXPECT_EQ(FindProblem(problems, "tenants[0].profiles[0].mapping.email")->reason,
            "column 1: unknown function 'bad'");
  EXPECT_FALSE(LoadConfig(path, RejectBadCalls).ok());
}

TEST_F(ConfigTest, MappingErrorOfNoSingleKeyIsStillReported) {
  // A checker whose rule spans keys: the per-key calls pass, the whole mapping fails.
  MappingChecker checker = [](const std::map<std::string, std::string>& mapping,
                              const std::string&) -> std::string {
    return mapping.size() > 1 ? "too many fields" : "";
  };
  const std::string path =
      Write("span.yaml", std::string(kPrefix) +
                             "        source: {type: file, path: a.json}\n"
                             "        mapping: {email: \"{a}\", city: \"{b}\"}\n");
  const auto problems = CheckConfig(path, checker);
  ASSERT_EQ(problems.size(), 1u) << Dump(problems);
  EXPECT_EQ(problems[0].field_path, "tenants[0].profiles[0].mapping");
  EXPECT_EQ(problems[0].reason, "too many fields");
}

TEST_F(ConfigTest, ABadNameHidesNothingBelowIt) {
  const std::string path = Write("names.yaml", R"yaml(tenants:
  - name: Acme Corp
    profiles:
      - name: main
        source:
          type: file
        policy: {mode: fulll}
      - name: Bad Profile
        source: {type: file, path: a.json}
        schedules: ["0 25 * * *"]
        templates:
          - caller_id: "12"
)yaml");
  const auto problems = CheckConfig(path);
  EXPECT_EQ(problems.size(), 7u) << Dump(problems);
  const std::pair<const char*, int> want[] = {
      {"tenants[0].name", 2},
      {"tenants[0].profiles[0].source.path", 6},
      {"tenants[0].profiles[0].policy.mode", 7},
      {"tenants[0].profiles[1].name", 8},
      {"tenants[0].profiles[1].schedules[0]", 10},
      {"tenants[0].profiles[1].templates[0].caller_id", 12},  // though the template has no name
  };
  for (const auto& [field, line] : want) {
    const ConfigProblem* p = FindProblem(problems, field);
    ASSERT_NE(p, nullptr) << field << "\n" << Dump(problems);
    EXPECT_EQ(p->line, line) << field;
  }
  EXPECT_NE(FindProblem(problems, "tenants[0].name")->reason.find("\"Acme Corp\""),
            std::string::npos);
  EXPECT_NE(FindProblem(problems, "tenants[0].profiles[1].templates[0].name"), nullptr);
  EXPECT_FALSE(LoadConfig(path).ok());
}

TEST_F(ConfigTest, AFileSourceMustNameItsFile) {
  const struct {
    const char* name;
    const char* source;
    int line;
    const char* reason_part;
  } cases[] = {
      {"missing", "        source:\n          type: file\n          format: csv\n", 6,
       "required key 'path' is missing for a file source"},
      {"blank", "        source:\n          type: file\n          path: \"  \"\n", 7,
       "must name the directory export to read (got \"  \")"},
      {"null", "        source: {type: file, path: }\n", 5, "must not be empty"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = Write("f.yaml", std::string(kPrefix) + c.source);
    const auto problems = CheckConfig(path);
    ASSERT_EQ(problems.size(), 1u) << Dump(problems);
    EXPECT_EQ(problems[0].field_path, "tenants[0].profiles[0].source.path");
    EXPECT_EQ(problems[0].line, c.line) << Dump(problems);
    EXPECT_NE(problems[0].reason.find(c.reason_part), std::string::npos) << Dump(problems);
    EXPECT_FALSE(LoadConfig(path).ok());
  }
}

TEST_F(ConfigTest, NotifyReportsEveryBadAddress) {
  const std::string path =
      Write("n.yaml", std::string(kPrefix) +
                          "        source: {type: file, path: a.json}\n"
                          "        notify:\n"
                          "          report_to: [ok@example.com, nope, also nope]\n");
  const auto problems = CheckConfig(path);
  EXPECT_EQ(problems.size(), 2u) << Dump(problems);
  EXPECT_NE(FindProblem(problems, "tenants[0].profiles[0].notify.report_to[1]"), nullptr);
  EXPECT_NE(FindProblem(problems, "tenants[0].profiles[0].notify.report_to[2]"), nullptr);
}

// Each syntax mistake is reported once, at the line of its cause, not where yaml-cpp gave up.
TEST_F(ConfigTest, YamlSyntaxErrorPointsAtItsCause) {
  const char* const head =
      "tenants:\n  - name: acme\n    profiles:\n      - name: main\n        source:\n";
  const struct {
    const char* name;
    const char* rest;  // from line 6
    int line;
    int column;
    const char* reason_part;
  } cases[] = {
      {"tab", "          type: file\n\tpath: a.json\n", 7, 1, "illegal tab"},
      {"unclosed quote to the end",
       "          type: file\n          path: \"a.json\n"
       "        policy:\n          mode: full\n",
       7, 17, "this quote is never closed"},
      {"unclosed single quote",
       "          type: file\n          path: 'a.json\n"
       "        policy: {mode: full}\n",
       7, 17, "this quote is never closed"},
      {"unclosed quote closed by a later one",
       "          type: file\n          path: \"a.json\n        policy:\n"
       "          mode: \"full\"\n          grace_days: 3\n",
       7, 17, "not closed on its line"},
      {"unclosed bracket",
       "          type: file\n          path: a.json\n"
       "        schedules: [\"0 2 * * *\",\n          \"0 3 * * *\"\n\n        timezone: UTC\n"
       "        policy:\n          mode: full\n",
       8, 20, "this '[' is never closed"},
      {"unclosed brace",
       "          {type: file, path: a.json\n        policy:\n          mode: full\n", 6, 11,
       "this '{' is never closed"},
      {"key without colon",
       "          type: file\n          path a.json\n        policy:\n"
       "          mode: full\n",
       7, 11, "no ':' after its key"},
      {"indented too deep", "          type: file\n            path: a.json\n", 7, 17,
       "check this line's indentation"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = Write("s.yaml", std::string(head) + c.rest);
    const auto problems = CheckConfig(path);
    ASSERT_EQ(problems.size(), 1u) << Dump(problems);
    EXPECT_EQ(problems[0].line, c.line) << Dump(problems);
    EXPECT_EQ(problems[0].column, c.column) << Dump(problems);
    EXPECT_EQ(problems[0].reason.rfind("YAML syntax error: ", 0), 0u) << Dump(problems);
    EXPECT_NE(problems[0].reason.find(c.reason_part), std::string::npos) << Dump(problems);
    EXPECT_FALSE(LoadConfig(path).ok());
  }
}

TEST_F(ConfigTest, QuotesThatCloseAreNotSyntaxErrors) {
  // Escaped and doubled quotes, a multi-line quoted value and a quote inside a plain value.
  const std::string path = Write("q.yaml", std::string(kPrefix) +
                                               "        source: {type: file, path: a.json}\n"
                                               "        policy:\n"
                                               "          exclusion_group: \"say \\\"hi\\\"\"\n"
                                               "        mapping:\n"
                                               "          city: 'it''s'\n"
                                               "          job_title: \"two\n            lines\"\n"
                                               "          department: it's\n");
  const auto problems = CheckConfig(path);
  EXPECT_TRUE(problems.empty()) << Dump(problems);
}

TEST_F(ConfigTest, DuplicateKeysAreReportedAtTheSecond) {
  const std::string path =
      Write("d.yaml", std::string(kPrefix) +
                          "        source:\n          type: file\n          path: a.json\n"
                          "          path: b.json\n");
  const auto problems = CheckConfig(path);
  ASSERT_EQ(problems.size(), 1u) << Dump(problems);
  EXPECT_EQ(problems[0].field_path, "tenants[0].profiles[0].source.path");
  EXPECT_EQ(problems[0].line, 8);
  EXPECT_EQ(problems[0].reason, "duplicate key 'path'");
}

// docs/configuration.md's example must stay a valid config (STYLE rule 15).
TEST_F(ConfigTest, DocumentedExampleLoads) {
  std::ifstream in(std::string(TELSYNC_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in.good());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t section = text.find("## Example");
  ASSERT_NE(section, std::string::npos);
  const size_t begin = text.find("```yaml\n", section);
  ASSERT_NE(begin, std::string::npos);
  const size_t end = text.find("```", begin + 8);
  ASSERT_NE(end, std::string::npos);
  setenv("GRAPH_SECRET", "example-secret", 1);
  auto config = LoadConfig(Write("example.yaml", text.substr(begin + 8, end - begin - 8)));
  unsetenv("GRAPH_SECRET");
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  const Profile* profile = config->FindProfile("acme/main");
  ASSERT_NE(profile, nullptr);
  EXPECT_EQ(SourceOf<GraphSourceConfig>(*profile).client_secret.Masked(),
            "******** (from env:GRAPH_SECRET)");
  EXPECT_EQ(SourceOf<GraphSourceConfig>(*profile).groups,
            (std::vector<std::string>{"Sales", "Support"}));
  EXPECT_EQ(profile->rules.size(), 1u);
}

// tenants[].targets (issue 17): read into the targets module's TargetConfig, with errors that
// name the file, line and field path.
TEST_F(ConfigTest, ReadsTargetsAndNamesTheirProblems) {
  const std::string good = Write("targets.yaml", R"yaml(tenants:
  - name: acme
    targets:
      - name: sip
        type: kamailio
        db: kam/kamailio.db
        domain: sip.acme.example
        render: {phone: digits}
        policy: {disabled_sip: keep}
        rule: {field: city, values: [Stockholm, Uppsala]}
        retry: {dead_after: 60, batch: 10}
      - {name: pg, type: kamailio, db: "postgres://k@localhost/kam", domain: d}
    profiles:
      - name: main
        source: {type: file, path: users.json}
)yaml");
  auto config = LoadConfig(good);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  const Tenant* acme = config->FindTenant("acme");
  ASSERT_NE(acme, nullptr);
  ASSERT_EQ(acme->targets.size(), 2u);
  const TargetConfig& sip = acme->targets[0];
  EXPECT_EQ(sip.type, "kamailio");
  EXPECT_EQ(sip.db, (dir_ / "kam/kamailio.db").string());  // relative to the config file
  EXPECT_EQ(sip.domain, "sip.acme.example");
  EXPECT_EQ(sip.phone_render, PhoneRender::kDigits);
  EXPECT_EQ(sip.disabled_sip, DisabledSip::kKeep);
  EXPECT_EQ(sip.rule.field, "city");
  EXPECT_EQ(sip.rule.values, (std::vector<std::string>{"Stockholm", "Uppsala"}));
  EXPECT_EQ(sip.dead_after_seconds, 60);
  EXPECT_EQ(sip.batch_size, 10u);
  EXPECT_EQ(acme->targets[1].db, "postgres://k@localhost/kam");
  EXPECT_EQ(acme->targets[1].disabled_sip, DisabledSip::kBlock);  // the default

  const std::string bad = Write("bad.yaml", R"yaml(tenants:
  - name: acme
    targets:
      - {name: sip, type: asterisk, db: x.db, domain: d}
      - {name: sip, type: kamailio, domain: d, rule: {field: office}}
    profiles:
      - name: main
        source: {type: file, path: users.json}
)yaml");
  const auto problems = CheckConfig(bad);
  const ConfigProblem* type = FindProblem(problems, "tenants[0].targets[0].type");
  ASSERT_NE(type, nullptr) << Dump(problems);
  EXPECT_EQ(type->line, 4);
  EXPECT_EQ(type->file, bad);
  EXPECT_NE(FindProblem(problems, "tenants[0].targets[1].name"), nullptr) << Dump(problems);
  const ConfigProblem* db = FindProblem(problems, "tenants[0].targets[1].db");
  ASSERT_NE(db, nullptr) << Dump(problems);
  EXPECT_NE(db->reason.find("required key 'db'"), std::string::npos);
  EXPECT_NE(FindProblem(problems, "tenants[0].targets[1].rule.field"), nullptr) << Dump(problems);
}

TEST(EditDistanceTest, SuggestsCloseWordsOnly) {
  EXPECT_EQ(EditDistance("grace_day", "grace_days"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("emial", "email"), 1u);  // a transposition
  EXPECT_EQ(ClosestMatch("grace_day", {"mode", "grace_days", "delete"}), "grace_days");
  EXPECT_EQ(ClosestMatch("xyz", {"mode", "grace_days"}), "");
}

}  // namespace
}  // namespace telsync

namespace telsync {
namespace {

TEST(LoadProfileDocumentTest, ReadsAProfileSentOverTheApi) {
  auto profile = LoadProfileDocument("acme", R"({"name": "entra", "source": {"type": "graph",
      "tenant_id": "11111111-2222-3333-4444-555555555555", "client_id":
      "66666666-7777-8888-9999-000000000000", "client_secret": "s3cret-value"},
      "policy": {"mode": "review"}, "schedules": ["0 2 * * *"]})",
                                     ".");
  ASSERT_TRUE(profile.ok()) << profile.error().ToString();
  EXPECT_EQ(profile->tenant, "acme");
  EXPECT_EQ(profile->name, "entra");
  EXPECT_EQ(profile->source.type(), "graph");
  EXPECT_EQ(profile->schedules, (std::vector<std::string>{"0 2 * * *"}));
  EXPECT_EQ(SourceOf<GraphSourceConfig>(*profile).client_secret.Masked().find("s3cret"),
            std::string::npos);
}

TEST(LoadProfileDocumentTest, NamesTheFieldAndNeverTheServersFiles) {
  auto bad =
      LoadProfileDocument("acme", "name: x\nsource: {type: graph}\npolicy: {mode: fulll}", ".");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_NE(bad.error().message.find("body.policy.mode"), std::string::npos) << bad.error().message;

  auto file = LoadProfileDocument("acme", "name: x\nsource: {type: file, path: /etc/passwd}", ".");
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.error().message.find("body.source.path"), std::string::npos);
  EXPECT_NE(file.error().message.find("cannot name a file on the server"), std::string::npos);

  setenv("TELSYNC_TEST_SERVER_SECRET", "server-only", 1);
  auto env = LoadProfileDocument(
      "acme",
      "name: x\nsource: {type: ldap, url: 'ldap://127.0.0.1', base_dn: 'dc=x', bind_dn: "
      "'cn=a', bind_password: '${env:TELSYNC_TEST_SERVER_SECRET}'}",
      ".");
  unsetenv("TELSYNC_TEST_SERVER_SECRET");
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.error().message.find("body.source.bind_password"), std::string::npos);
  EXPECT_EQ(env.error().message.find("server-only"), std::string::npos);

  auto syntax = LoadProfileDocument("acme", "{name: [", ".");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.error().message.find("not valid YAML or JSON"), std::string::npos);
  EXPECT_FALSE(LoadProfileDocument("acme", "", ".").ok());
}

}  // namespace
}  // namespace telsync
