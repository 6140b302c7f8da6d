#include "sources/file/file_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "sources/file/file_formats.h"
#include "util/text.h"

namespace telsync {
namespace {

namespace fs = std::filesystem;

const std::string kFixtures = std::string(TELSYNC_SOURCE_DIR) + "/tests/fixtures/files/";

struct Problem {
  std::string where;
  std::string reason;
};

// Everything one Read produced.
struct Collected {
  ReadResult result;
  std::vector<SourceObject> users;
  std::vector<Problem> problems;

  const SourceObject* ById(const std::string& id) const {
    for (const auto& u : users) {
      if (u.id == id) return &u;
    }
    return nullptr;
  }
};

Collected ReadFile(const std::string& path, const std::string& format = "",
                   ReadRequest request = {}) {
  Collected out;
  FileSource source(path, path, format);
  out.result = source.Read(
      request, [&](SourceObject&& u) { out.users.push_back(std::move(u)); },
      [&](const std::string& where, const std::string& reason) {
        out.problems.push_back({where, reason});
      });
  return out;
}

// The 1-based line of the first line of `path` that contains `needle`.
size_t LineOf(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find(needle) != std::string::npos) return n;
  }
  return 0;
}

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            (std::string("telsync-file-") + info->name() + "-" + std::to_string(getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string file = (path_ / name).string();
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

 private:
  fs::path path_;
};

// Issue 20 §3: a file read's progress counts the file's bytes, every few hundred users,
// growing, and ends at the file's size.
TEST(FileSourceTest, ProgressCountsTheFilesBytes) {
  TempDir dir;
  std::string csv = "id,mail\n";
  for (int i = 0; i < 2000; ++i) csv += std::to_string(i) + ",user" + std::to_string(i) + "@x.se\n";
  const std::string path = dir.Write("u.csv", csv);
  std::vector<Progress> seen;
  ReadRequest request;
  request.on_progress = [&](const Progress& p) { seen.push_back(p); };
  const Collected got = ReadFile(path, "", request);
  ASSERT_TRUE(got.result.complete);
  EXPECT_EQ(got.users.size(), 2000u);
  ASSERT_GE(seen.size(), 4u);  // every 512 users, and the end
  EXPECT_LE(seen.size(), 5u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].phase, "read");
    EXPECT_EQ(seen[i].unit, "bytes");
    EXPECT_EQ(seen[i].total, csv.size());
    EXPECT_FALSE(seen[i].estimated);
    EXPECT_LE(seen[i].done, csv.size());
    if (i > 0) {
      EXPECT_GE(seen[i].done, seen[i - 1].done);
    }
  }
  EXPECT_GT(seen.front().done, 0u);
  EXPECT_EQ(seen.back().done, csv.size());
}

TEST(FileSourceTest, ReadsGraphShapedJson) {
  const std::string path = kFixtures + "users.json";
  const Collected c = ReadFile(path);
  ASSERT_TRUE(c.result.complete) << c.result.ErrorMessage();
  EXPECT_EQ(c.result.objects, 3u);
  EXPECT_EQ(c.result.bad_records, 1u);
  ASSERT_EQ(c.users.size(), 3u);

  const SourceObject* asa = c.ById("6e7b768e-07e2-4810-8459-485f84f8f204");
  ASSERT_NE(asa, nullptr);
  EXPECT_EQ(asa->kind, ObjectKind::kUser);
  EXPECT_EQ(asa->First("displayName"), "Åsa Öberg");
  EXPECT_EQ(asa->First("jobTitle"), "Säljare \"senior\"");
  EXPECT_EQ(asa->First("accountEnabled"), "true");
  EXPECT_EQ(asa->First("employeeId"), "1042");
  EXPECT_EQ(asa->First("score"), "4.5");
  EXPECT_EQ(asa->Find("officeLocation"), nullptr);  // null: absent
  EXPECT_EQ(asa->First("onPremisesExtensionAttributes.extensionAttribute1"), "KST-100");
  EXPECT_EQ(asa->Find("onPremisesExtensionAttributes.extensionAttribute2"), nullptr);
  ASSERT_NE(asa->Find("businessPhones"), nullptr);
  EXPECT_EQ(*asa->Find("businessPhones"), std::vector<std::string>{"+46 8 123 456 78"});
  // Directory roles are not groups.
  EXPECT_EQ(asa->groups, (std::vector<std::string>{"Sales", "Non AD sync"}));
  EXPECT_EQ(*asa->Find("memberOf"), (std::vector<std::string>{"Sales", "Non AD sync"}));
  EXPECT_TRUE(asa->enabled);

  const SourceObject* soren = c.ById("b1c2d3e4-0000-4000-8000-000000000002");
  ASSERT_NE(soren, nullptr);
  EXPECT_FALSE(soren->enabled);
  EXPECT_TRUE(soren->groups.empty());
  EXPECT_EQ(soren->Find("businessPhones"), nullptr);  // [] adds no value

  const SourceObject* bjorn = c.ById("b1c2d3e4-0000-4000-8000-000000000004");
  ASSERT_NE(bjorn, nullptr);
  EXPECT_EQ(bjorn->First("userType"), "Guest");
  EXPECT_EQ(bjorn->Find("proxyAddresses")->size(), 2u);

  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_EQ(c.problems[0].where,
            path + ":" + std::to_string(LineOf(path, "\"displayName\": \"Ingen Id\"") - 1));
  EXPECT_EQ(c.problems[0].reason, "record 3: missing id");
}

TEST(FileSourceTest, JsonTopLevelArrayAndBadRecords) {
  TempDir dir;
  const std::string path =
      dir.Write("a.json",
                "[\n"
                "  {\"id\": \"1\", \"mail\": \"a@x.se\"},\n"
                "  \"not a user\",\n"
                "  [1, 2],\n"
                "  {\"mail\": \"no-id@x.se\"},\n"
                "  {\"id\": \"2\", \"memberOf\": [\"Sales\", \"\"], \"n\": -3,\n"
                "   \"@removed\": {\"reason\": \"changed\"}}\n"
                "]\n");
  const Collected c = ReadFile(path);
  ASSERT_TRUE(c.result.complete) << c.result.ErrorMessage();
  ASSERT_EQ(c.users.size(), 2u);
  EXPECT_EQ(c.users[1].groups, std::vector<std::string>{"Sales"});
  EXPECT_EQ(c.users[1].First("n"), "-3");
  EXPECT_TRUE(c.users[1].deleted);
  EXPECT_FALSE(c.users[0].deleted);
  EXPECT_EQ(c.result.bad_records, 3u);
  ASSERT_EQ(c.problems.size(), 3u);
  EXPECT_EQ(c.problems[0].where, path + ":3");
  EXPECT_EQ(c.problems[0].reason, "record 2: not a JSON object");
  EXPECT_EQ(c.problems[1].where, path + ":4");
  EXPECT_EQ(c.problems[2].where, path + ":5");
  EXPECT_EQ(c.problems[2].reason, "record 4: missing id");
}

TEST(FileSourceTest, JsonIncompleteCases) {
  struct Case {
    const char* name;
    const char* text;
    const char* error_part;
  };
  const Case cases[] = {
      {"truncated value", "{\"value\": [{\"id\": \"1\"}, {\"id\": \"2\", \"mail\": \"a",
       "file ends before the closing ']' of value (truncated export?)"},
      {"truncated after user", "{\"value\": [{\"id\": \"1\"},",
       "file ends before the closing ']' of value (truncated export?)"},
      {"truncated array", "[{\"id\": \"1\"}", "closing ']' of the user list"},
      {"syntax outside the list", "{\"value\": [{\"id\": \"1\"}] \"x\": 1}",
       "JSON syntax error at line 1"},
      {"text after the end", "[{\"id\": \"1\"}] x", "text after the end of the JSON"},
      {"no users", "{\"users\": []}", "expected a JSON array of users"},
      {"scalar", "42", "expected a JSON array of users"},
      {"next link", "{\"value\": [{\"id\": \"1\"}], \"@odata.nextLink\": \"https://graph/x\"}",
       "one page of a longer answer"},
      {"empty", "", "file ends before the JSON is complete"},
  };
  TempDir dir;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Collected got = ReadFile(dir.Write("t.json", c.text));
    EXPECT_FALSE(got.result.complete);
    EXPECT_NE(got.result.ErrorMessage().find(c.error_part), std::string::npos)
        << got.result.ErrorMessage();
  }
  // Users before the cut were still handed over; the caller must not delete on them.
  const Collected cut = ReadFile(dir.Write("t.json", cases[0].text));
  EXPECT_EQ(cut.users.size(), 1u);
  // An empty answer is complete: zero users.
  const Collected empty = ReadFile(dir.Write("e.json", "{\"value\": []}"));
  EXPECT_TRUE(empty.result.complete);
  EXPECT_EQ(empty.result.objects, 0u);
}

// Issue 14 item 8: a record that does not parse is skipped and reported with its line;
// the records after it are read, and the read counts as not clean (nothing is deleted).
TEST(FileSourceTest, JsonBrokenRecordDoesNotEndTheRead) {
  std::string text = "{\"value\": [\n";
  for (int i = 1; i <= 300; ++i) {
    std::string record = "  {\"id\": \"u" + std::to_string(i) + "\", \"mail\": \"u" +
                         std::to_string(i) + "@x.se\", \"department\": \"Sales\"}";
    if (i == 151) record = "  {\"id\": \"u151\", \"mail\" \"u151@x.se\"}";  // no ':'
    if (i == 200) record = "  {\"id\": \"u200\", \"department\": \"Sa\xff\xfeles\"}";
    if (i == 250) record = "  {\"id\": \"u250\"} {\"id\": \"u250b\"}";  // no ',' between
    text += record + (i < 300 ? ",\n" : "\n");
  }
  text += "]}\n";
  TempDir dir;
  const std::string path = dir.Write("broken.json", text);
  const Collected c = ReadFile(path);
  EXPECT_TRUE(c.result.complete) << c.result.ErrorMessage();
  EXPECT_EQ(c.users.size(), 299u);  // 300 - 151 - 200 + 250b
  EXPECT_EQ(c.result.bad_records, 3u);
  EXPECT_NE(c.ById("u300"), nullptr);
  EXPECT_NE(c.ById("u250b"), nullptr);
  EXPECT_EQ(c.ById("u151"), nullptr);
  EXPECT_EQ(c.ById("u200"), nullptr);
  ASSERT_EQ(c.problems.size(), 3u);
  EXPECT_EQ(c.problems[0].where, path + ":152");  // line 1 is {"value": [
  EXPECT_NE(c.problems[0].reason.find("record 151: JSON syntax error"), std::string::npos)
      << c.problems[0].reason;
  EXPECT_EQ(c.problems[1].where, path + ":201");
  // The bad bytes are escaped, never echoed raw to a terminal.
  EXPECT_EQ(c.problems[1].reason.find('\xff'), std::string::npos);
  EXPECT_TRUE(IsValidUtf8(c.problems[1].reason)) << c.problems[1].reason;
  EXPECT_EQ(c.problems[2].where, path + ":251");
  EXPECT_NE(c.problems[2].reason.find("expected ',' or ']' after record 250"), std::string::npos);
}

// Found by the fuzzer: a stray '}' where a record should start is a bad record, and the
// scan moves past it (it looped on it before).
TEST(FileSourceTest, JsonStrayBraceInTheListIsABadRecord) {
  TempDir dir;
  const std::string path =
      dir.Write("s.json", "{\"value\": [{\"id\": \"1\"}, }, {\"id\": \"2\"}]}");
  const Collected c = ReadFile(path);
  EXPECT_TRUE(c.result.complete) << c.result.ErrorMessage();
  EXPECT_EQ(c.users.size(), 2u);
  EXPECT_GE(c.result.bad_records, 1u);
}

// Issue 14 item 6: an export that writes the same GUIDs in upper case or in braces gives
// the same ids, so a sync sees the same people (no creates and deletes).
TEST(FileSourceTest, GuidIdsAreCanonicalInEveryFormat) {
  TempDir dir;
  const std::string csv = dir.Write("u.csv",
                                    "id,mail\n"
                                    "6E7B768E-07E2-4810-8459-485F84F8F204,a@x.se\n"
                                    "{AB6C16C0-75A8-4B3C-848A-1E777A208125},b@x.se\n"
                                    "Emp-42,c@x.se\n");
  const Collected c = ReadFile(csv);
  ASSERT_TRUE(c.result.complete) << c.result.ErrorMessage();
  ASSERT_EQ(c.users.size(), 3u);
  EXPECT_EQ(c.users[0].id, "6e7b768e-07e2-4810-8459-485f84f8f204");
  EXPECT_EQ(c.users[1].id, "ab6c16c0-75a8-4b3c-848a-1e777a208125");
  EXPECT_EQ(c.users[2].id, "Emp-42");
  const std::string json =
      dir.Write("u.json", R"({"value": [{"id": "{6E7B768E-07E2-4810-8459-485F84F8F204}"}]})");
  const Collected j = ReadFile(json);
  ASSERT_EQ(j.users.size(), 1u);
  EXPECT_EQ(j.users[0].id, "6e7b768e-07e2-4810-8459-485f84f8f204");
}

// Issue 15: a CSV header problem names what was seen, so the admin can tell a wrong
// delimiter from a missing column.
TEST(FileSourceTest, CsvHeaderProblemsNameTheDelimiterAndTheColumn) {
  TempDir dir;
  const Collected no_id = ReadFile(dir.Write("a.csv", "guid;mail\n1;a@x.se\n"));
  EXPECT_FALSE(no_id.result.complete);
  EXPECT_NE(no_id.result.ErrorMessage().find("no id column"), std::string::npos);
  EXPECT_NE(no_id.result.ErrorMessage().find("delimiter ';' it has the columns: guid, mail"),
            std::string::npos)
      << no_id.result.ErrorMessage();
  const Collected twice = ReadFile(dir.Write("b.csv", "id,mail,Mail\n1,a@x.se,b@x.se\n"));
  EXPECT_FALSE(twice.result.complete);
  EXPECT_NE(twice.result.ErrorMessage().find("column 'Mail' twice (columns 2 and 3)"),
            std::string::npos)
      << twice.result.ErrorMessage();
  EXPECT_TRUE(twice.users.empty());
}

TEST(FileSourceTest, ReadsCsvWithSemicolonsBomQuotesAndCrlf) {
  const std::string path = kFixtures + "users.csv";
  const Collected c = ReadFile(path);
  ASSERT_TRUE(c.result.complete) << c.result.ErrorMessage();
  ASSERT_EQ(c.users.size(), 4u);
  EXPECT_EQ(c.result.bad_records, 2u);

  const SourceObject& asa = c.users[0];
  EXPECT_EQ(asa.id, "6e7b768e-07e2-4810-8459-485f84f8f204");
  EXPECT_EQ(asa.First("givenName"), "Åsa");  // the BOM is not part of "id"
  EXPECT_EQ(asa.First("telephoneNumber"), "+46 8 123 456 78");
  EXPECT_EQ(asa.groups, (std::vector<std::string>{"Sales", "Non AD sync"}));
  EXPECT_TRUE(asa.enabled);

  const SourceObject& soren = c.users[1];
  EXPECT_EQ(soren.First("displayName"), "Ærø; Søren");
  EXPECT_EQ(soren.First("department"), "Kundeservice \"Nord\"");
  EXPECT_EQ(soren.Find("telephoneNumber"), nullptr);  // empty cell: absent
  EXPECT_FALSE(soren.enabled);
  EXPECT_EQ(soren.groups, std::vector<std::string>{"Support"});

  EXPECT_EQ(c.users[2].First("department"), "Salg\r\nog marked");
  EXPECT_EQ(c.users[3].First("mail"), "last@contoso.se");

  ASSERT_EQ(c.problems.size(), 2u);
  EXPECT_EQ(c.problems[0].where, path + ":6");
  EXPECT_EQ(c.problems[0].reason, "expected 10 fields as in the header, found 4");
  EXPECT_EQ(c.problems[1].where, path + ":7");
  EXPECT_EQ(c.problems[1].reason, "missing id (column id)");
}

TEST(FileSourceTest, CsvCommaTabAndSpecialColumns) {
  TempDir dir;
  const Collected comma = ReadFile(dir.Write("c.csv",
                                             "objectGUID,cn,groups,userAccountControl\n"
                                             "g-1,\"Nordmann, Kari\",Sales;Support|Ops,514\n"
                                             "g-2,Ola,\"CN=Smith\\, Partners,OU=G,DC=x\",512\n"));
  ASSERT_TRUE(comma.result.complete) << comma.result.ErrorMessage();
  ASSERT_EQ(comma.users.size(), 2u);
  EXPECT_EQ(comma.users[0].id, "g-1");
  EXPECT_EQ(comma.users[0].First("cn"), "Nordmann, Kari");
  EXPECT_EQ(comma.users[0].groups, (std::vector<std::string>{"Sales", "Support", "Ops"}));
  EXPECT_FALSE(comma.users[0].enabled);  // UAC 0x2
  EXPECT_EQ(comma.users[1].groups, std::vector<std::string>{"Smith, Partners"});
  EXPECT_TRUE(comma.users[1].enabled);

  const Collected tab = ReadFile(dir.Write("t.csv", "entryUUID\tmail\tenabled\nu-1\ta@x.no\tno\n"));
  ASSERT_TRUE(tab.result.complete) << tab.result.ErrorMessage();
  ASSERT_EQ(tab.users.size(), 1u);
  EXPECT_EQ(tab.users[0].id, "u-1");
  EXPECT_EQ(tab.users[0].First("mail"), "a@x.no");
  EXPECT_FALSE(tab.users[0].enabled);

  const Collected no_id = ReadFile(dir.Write("n.csv", "mail,cn\na@x,b\n"));
  EXPECT_FALSE(no_id.result.complete);
  EXPECT_NE(no_id.result.ErrorMessage().find("no id column"), std::string::npos);

  const Collected cut = ReadFile(dir.Write("q.csv", "id,cn\n1,a\n2,\"unclosed\n"));
  EXPECT_FALSE(cut.result.complete);
  EXPECT_NE(cut.result.ErrorMessage().find("line 3"), std::string::npos)
      << cut.result.ErrorMessage();
  EXPECT_EQ(cut.users.size(), 1u);

  const Collected empty = ReadFile(dir.Write("e.csv", ""));
  EXPECT_FALSE(empty.result.complete);
}

TEST(FileSourceTest, ReadsLdif) {
  const std::string path = kFixtures + "users.ldif";
  const Collected c = ReadFile(path);
  ASSERT_TRUE(c.result.complete) << c.result.ErrorMessage();
  ASSERT_EQ(c.users.size(), 4u);

  const SourceObject& asa = c.users[0];
  EXPECT_EQ(asa.id, "8f1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8");  // AD byte order
  EXPECT_EQ(asa.First("dn"), "CN=Asa Oberg,OU=Staff,DC=contoso,DC=local");
  EXPECT_EQ(asa.First("displayName"), "Åsa Öberg");
  EXPECT_EQ(asa.First("sn"), "Öberg");
  EXPECT_EQ(asa.First("description"),
            "A long description that an export tool folded over several lines because it is "
            "longer than seventy-six characters in total.");
  EXPECT_EQ(asa.groups, (std::vector<std::string>{"Sales", "Smith, Partners"}));
  EXPECT_EQ(asa.Find("thumbnailPhoto"), nullptr);  // binary, not text
  EXPECT_TRUE(asa.enabled);

  const SourceObject& soren = c.users[1];
  EXPECT_EQ(soren.id, "0a1b2c3d-0000-4000-8000-00000000abcd");
  EXPECT_EQ(soren.First("dn"), "CN=Søren Ærø,OU=Staff,DC=contoso,DC=local");
  EXPECT_FALSE(soren.enabled);  // UAC 514

  EXPECT_EQ(c.users[2].id, "5d6e7f80-1a2b-4c3d-9e8f-0a1b2c3d4e5f");  // entryUUID
  EXPECT_EQ(c.users[2].First("mail"), "kari@example.no");
  EXPECT_EQ(c.users[3].First("cn"), "Last One");

  ASSERT_EQ(c.problems.size(), 2u);
  EXPECT_EQ(c.result.bad_records, 2u);
  EXPECT_EQ(c.problems[0].where, path + ":" + std::to_string(LineOf(path, "dn: CN=No Id")));
  EXPECT_EQ(c.problems[0].reason,
            "no objectGUID or entryUUID for CN=No Id,OU=Staff,DC=contoso,DC=local");
  EXPECT_EQ(c.problems[1].where, path + ":" + std::to_string(LineOf(path, "not*base64")));
  EXPECT_NE(c.problems[1].reason.find("base64"), std::string::npos);
}

TEST(FileSourceTest, LdifCrlfAndBadLines) {
  TempDir dir;
  const Collected c =
      ReadFile(dir.Write("x.ldif",
                         "dn: uid=a,dc=x\r\nentryUUID: id-a\r\nmail: a@x\r\n\r\n"
                         "dn: uid=b,dc=x\r\nentryUUID: id-b\r\nno colon here\r\n\r\n"
                         "dn: uid=c,dc=x\r\nchangetype: add\r\nentryUUID: id-c\r\n"));
  ASSERT_TRUE(c.result.complete);
  ASSERT_EQ(c.users.size(), 1u);
  EXPECT_EQ(c.users[0].First("mail"), "a@x");
  ASSERT_EQ(c.problems.size(), 2u);
  EXPECT_EQ(c.problems[0].where.substr(c.problems[0].where.rfind(':')), ":7");
  EXPECT_NE(c.problems[1].reason.find("changetype"), std::string::npos);
}

TEST(FileSourceTest, MissingFileAndUnknownFormat) {
  const Collected missing = ReadFile("/nonexistent/dir/users.json");
  EXPECT_FALSE(missing.result.complete);
  EXPECT_NE(missing.result.ErrorMessage().find("cannot open /nonexistent/dir/users.json"),
            std::string::npos);
  const Collected unknown = ReadFile(kFixtures + "users.json", "xml");
  EXPECT_FALSE(unknown.result.complete);

  FileSource source("nope.csv", "/nonexistent/nope.csv", "");
  EXPECT_EQ(source.Describe(), "file:nope.csv");
  const ConnectionReport report = source.TestConnection();
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.message.find("No such file"), std::string::npos) << report.message;
}

TEST(FileSourceTest, TestConnectionCountsAndSamples) {
  FileSource source("users.json", kFixtures + "users.json", "");
  const ConnectionReport report = source.TestConnection();
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.message.rfind("3 users readable; 1 record could not be read (first: ", 0), 0u)
      << report.message;
  ASSERT_EQ(report.sample.size(), 3u);
  EXPECT_EQ(report.sample[0], "Åsa Öberg <asa.oberg@contoso.se>");
  const auto& a = report.attributes;
  EXPECT_NE(std::find(a.begin(), a.end(), "mobilePhone"), a.end());
  EXPECT_NE(std::find(a.begin(), a.end(), "onPremisesExtensionAttributes.extensionAttribute1"),
            a.end());
  EXPECT_NE(std::find(a.begin(), a.end(), "proxyAddresses"), a.end());
}

TEST(FileSourceTest, KeepsOnlyRequestedAttributes) {
  ReadRequest request;
  request.attributes = {"mail", "givenname"};
  const Collected c = ReadFile(kFixtures + "users.json", "", request);
  ASSERT_EQ(c.users.size(), 3u);
  EXPECT_EQ(c.users[0].attributes.size(), 2u);
  EXPECT_EQ(c.users[0].First("givenName"), "Åsa");
  EXPECT_EQ(c.users[0].groups.size(), 2u);  // groups are kept for scope
}

TEST(FileSourceTest, StreamsFiftyThousandUsers) {
  TempDir dir;
  std::string path;
  {
    std::ostringstream text;
    text << "{\"@odata.context\": \"x\", \"value\": [\n";
    for (int i = 0; i < 50000; ++i) {
      text << (i ? ",\n" : "") << "{\"id\":\"u" << i << "\",\"displayName\":\"Användare " << i
           << "\",\"mail\":\"u" << i
           << "@contoso.se\",\"accountEnabled\":" << (i % 7 ? "true" : "false")
           << ",\"businessPhones\":[\"+4681234" << i << "\"]}";
    }
    text << "\n]}\n";
    path = dir.Write("big.json", text.str());
  }
  size_t count = 0, disabled = 0;
  size_t max_attributes = 0;
  FileSource source(path, path, "");
  const ReadResult result = source.Read(
      {},
      [&](SourceObject&& u) {
        ++count;
        if (!u.enabled) ++disabled;
        max_attributes = std::max(max_attributes, u.attributes.size());
      },
      [](const std::string&, const std::string&) {});
  EXPECT_TRUE(result.complete) << result.ErrorMessage();
  EXPECT_EQ(count, 50000u);
  EXPECT_EQ(result.objects, 50000u);
  EXPECT_EQ(disabled, 7143u);
  EXPECT_EQ(max_attributes, 5u);  // one user at a time, nothing carried over
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// R1: a JSON export cut at any byte is never a complete read; no cut crashes any reader.
TEST(FileFormatsTest, EveryTruncationIsSafe) {
  const auto no_sink = [](SourceObject&&) {};
  const auto no_problem = [](const std::string&, const std::string&) {};
  const std::string json = Slurp(kFixtures + "users.json");
  const size_t end = json.rfind('}') + 1;
  ASSERT_GT(end, 100u);
  for (size_t n = 0; n < json.size(); ++n) {
    std::istringstream in(json.substr(0, n));
    const ReadResult r = file_formats::ReadJson(in, "cut.json", no_sink, no_problem);
    EXPECT_EQ(r.complete, n >= end) << "cut at " << n;
    EXPECT_LE(r.objects, 3u);
  }
  for (const char* name : {"users.csv", "users.ldif"}) {
    const std::string text = Slurp(kFixtures + name);
    for (size_t n = 0; n < text.size(); ++n) {
      std::istringstream in(text.substr(0, n));
      const ReadResult r = std::string(name) == "users.csv"
                               ? file_formats::ReadCsv(in, name, no_sink, no_problem)
                               : file_formats::ReadLdif(in, name, no_sink, no_problem);
      EXPECT_LE(r.objects, 4u) << name << " cut at " << n;
    }
  }
}

TEST(FileFormatsTest, Base64GuidAndRdn) {
  using file_formats::DecodeBase64;
  EXPECT_EQ(DecodeBase64("w4VzYQ=="), std::optional<std::string>("Åsa"));
  EXPECT_EQ(DecodeBase64("w4VzYQ"), std::optional<std::string>("Åsa"));
  EXPECT_EQ(DecodeBase64(""), std::optional<std::string>(""));
  EXPECT_FALSE(DecodeBase64("w4V*YQ==").has_value());
  EXPECT_FALSE(DecodeBase64("w").has_value());
  const std::string bytes("\x3c\x2b\x1a\x8f\x5e\x4d\x70\x6f\x81\x92\xa3\xb4\xc5\xd6\xe7\xf8", 16);
  EXPECT_EQ(file_formats::GuidFromBytes(bytes),
            std::optional<std::string>("8f1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8"));
  EXPECT_FALSE(file_formats::GuidFromBytes("short").has_value());
  EXPECT_EQ(file_formats::FirstRdnValue("CN=Sales,OU=Groups,DC=x"), "Sales");
  EXPECT_EQ(file_formats::FirstRdnValue("CN=Smith\\, Anna,OU=x"), "Smith, Anna");
  EXPECT_EQ(file_formats::FirstRdnValue("CN=A\\2CB,OU=x"), "A,B");
  EXPECT_EQ(file_formats::FirstRdnValue("plain"), "plain");
}

TEST(MakeSourceTest, FileTypesAndScimHasNoPulledSource) {
  SourceConfig config = FileSourceConfig{"users.csv", ""};
  auto source = MakeSource(config, kFixtures);
  ASSERT_TRUE(source.ok()) << source.error().ToString();
  EXPECT_EQ((*source)->Describe(), "file:users.csv");
  size_t count = 0;
  const ReadResult result = (*source)->Read(
      {}, [&](SourceObject&&) { ++count; }, [](const std::string&, const std::string&) {});
  EXPECT_TRUE(result.complete) << result.ErrorMessage();
  EXPECT_EQ(count, 4u);

  config.As<FileSourceConfig>()->path = "users.txt";
  EXPECT_FALSE(MakeSource(config, kFixtures).ok());
  config.As<FileSourceConfig>()->format = "ldif";
  EXPECT_TRUE(MakeSource(config, kFixtures).ok());

  // A scim profile has no source to read: its mirror is fed by `telsync serve`.
  config = ScimSourceConfig{};
  auto scim = MakeSource(config, kFixtures);
  ASSERT_FALSE(scim.ok());
  EXPECT_EQ(scim.error().code, ErrorCode::kInvalid);
  EXPECT_NE(scim.error().message.find("telsync serve"), std::string::npos);
  config = SourceConfig();  // no source
  EXPECT_FALSE(MakeSource(config, kFixtures).ok());
}

}  // namespace
}  // namespace telsync
