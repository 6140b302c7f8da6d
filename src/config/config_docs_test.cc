// docs/configuration.md against the declarations: every key a source module declares
// (sources/*/..._config.h, Keys()) has a row in that source type's table with the declared
// default, and the table has no row that the module does not declare. So the reference an
// admin reads cannot drift from what the loader accepts.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "sources/source_config.h"

namespace telsync {
namespace {

std::string ReadDocs() {
  std::ifstream in(std::string(TELSYNC_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(' ') - begin + 1);
}

// The rows (key, default) of the first table under the heading that starts with `heading`,
// up to the next heading.
std::vector<std::pair<std::string, std::string>> TableUnder(const std::string& docs,
                                                            const std::string& heading) {
  std::vector<std::pair<std::string, std::string>> rows;
  const size_t at = docs.find("\n" + heading);
  if (at == std::string::npos) return rows;
  const size_t end_of_heading = docs.find('\n', at + 1);
  if (end_of_heading == std::string::npos) return rows;
  std::istringstream lines(docs.substr(end_of_heading + 1));
  std::string line;
  bool in_table = false;
  while (std::getline(lines, line)) {
    if (line.rfind("#", 0) == 0) break;
    if (line.rfind("|", 0) != 0) {
      if (in_table) break;
      continue;
    }
    in_table = true;
    std::vector<std::string> cells;
    size_t start = 1;
    while (true) {
      const size_t bar = line.find('|', start);
      if (bar == std::string::npos) break;
      cells.push_back(Trim(line.substr(start, bar - start)));
      start = bar + 1;
    }
    if (cells.size() < 2 || cells[0] == "key" || cells[0].rfind("---", 0) == 0) continue;
    std::string key = cells[0];
    if (key.size() >= 2 && key.front() == '`' && key.back() == '`') {
      key = key.substr(1, key.size() - 2);
    }
    rows.emplace_back(key, cells[1]);
  }
  return rows;
}

void ExpectDocumented(const std::string& docs, const std::string& type,
                      const std::vector<ConfigKey>& keys) {
  SCOPED_TRACE("source type " + type);
  const auto rows = TableUnder(docs, "### `type: " + type + "`");
  ASSERT_FALSE(rows.empty()) << "docs/configuration.md has no key table for type " << type;
  for (const ConfigKey& key : keys) {
    bool found = false;
    for (const auto& [name, default_value] : rows) {
      if (name != key.name) continue;
      found = true;
      EXPECT_EQ(default_value, key.default_value) << "default of source." << key.name;
    }
    EXPECT_TRUE(found) << "source." << key.name << " is declared but not documented";
  }
  for (const auto& row : rows) {
    bool declared = false;
    for (const ConfigKey& key : keys) declared = declared || key.name == row.first;
    EXPECT_TRUE(declared) << "source." << row.first << " is documented but not declared";
  }
}

TEST(ConfigDocsTest, EverySourceKeyIsDocumentedWithItsDefault) {
  const std::string docs = ReadDocs();
  ASSERT_FALSE(docs.empty()) << "docs/configuration.md is missing";
  ExpectDocumented(docs, FileSourceConfig::kType, FileSourceConfig::Keys());
  ExpectDocumented(docs, GraphSourceConfig::kType, GraphSourceConfig::Keys());
  ExpectDocumented(docs, LdapSourceConfig::kType, LdapSourceConfig::Keys());
  EXPECT_TRUE(ScimSourceConfig::Keys().empty());
  EXPECT_NE(docs.find("### `type: scim` (F3)\n\nNo further keys"), std::string::npos);
}

// The declared defaults are the struct's own: what the docs say is what a profile gets.
TEST(ConfigDocsTest, DeclaredNumericAndFlagDefaultsAreTheStructDefaults) {
  auto declared = [](const std::vector<ConfigKey>& keys, const std::string& name) {
    for (const ConfigKey& key : keys) {
      if (key.name == name) return std::string(key.default_value);
    }
    return std::string("(not declared)");
  };
  const GraphSourceConfig graph;
  EXPECT_EQ(declared(GraphSourceConfig::Keys(), "full_read_every_hours"),
            "`" + std::to_string(graph.full_read_every_hours) + "`");
  EXPECT_EQ(declared(GraphSourceConfig::Keys(), "max_retry_seconds"),
            "`" + std::to_string(graph.max_retry_seconds) + "`");
  EXPECT_EQ(declared(GraphSourceConfig::Keys(), "authority"), "`" + graph.authority + "`");
  EXPECT_EQ(declared(GraphSourceConfig::Keys(), "graph_url"), "`" + graph.graph_url + "`");
  EXPECT_EQ(declared(GraphSourceConfig::Keys(), "include_guests"),
            graph.include_guests ? "`true`" : "`false`");
  const LdapSourceConfig ldap;
  EXPECT_EQ(declared(LdapSourceConfig::Keys(), "page_size"),
            "`" + std::to_string(ldap.page_size) + "`");
  EXPECT_EQ(declared(LdapSourceConfig::Keys(), "full_read_every_hours"),
            "`" + std::to_string(ldap.full_read_every_hours) + "`");
  EXPECT_EQ(declared(LdapSourceConfig::Keys(), "start_tls"), ldap.start_tls ? "`true`" : "`false`");
  EXPECT_EQ(declared(LdapSourceConfig::Keys(), "tls_verify"),
            ldap.tls_verify ? "`true`" : "`false`");
}

}  // namespace
}  // namespace telsync
