// The phonebook's XML (server/phonebook/phonebook.h): who is listed, each vendor's shape,
// Cisco's 32-entry pages, and escaping. The integration test parses the served documents.
#include "server/phonebook/phonebook.h"

#include <gtest/gtest.h>

#include "model/fields.h"
#include "server/phonebook/routes.h"

namespace telsync::phonebook {
namespace {

PbxUser User(const std::string& name, const std::string& ext, bool searchable = true) {
  PbxUser u;
  u.fields.Set(Field::kUsername, name);
  u.fields.Set(Field::kDisplayName, name == "amp" ? "Tom & \"Jerry\" <Co>" : "User " + name);
  u.fields.Set(Field::kFirstName, name == "amp" ? "Tom & <J>" : "User");
  u.fields.Set(Field::kLastName, name);
  u.fields.Set(Field::kExtension, ext);
  u.fields.Set(Field::kLandline, "+4685000" + ext);
  u.searchable = searchable;
  return u;
}

TEST(PhonebookTest, ListsSearchableActiveUsersWithANumberSortedByName) {
  PbxUser gone = User("gone", "1004");
  gone.state = UserState::kPendingDelete;
  PbxUser nonumber = User("none", "");
  nonumber.fields.Set(Field::kLandline, "");
  const auto entries = Entries(
      {User("b", "1002"), User("a", "1001"), User("hidden", "1003", false), gone, nonumber});
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "User a");
  EXPECT_EQ(entries[1].name, "User b");
}

TEST(PhonebookTest, EscapesEveryValue) {
  EXPECT_EQ(XmlEscape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  const auto entries = Entries({User("amp", "1001")});
  for (Format f : {Format::kYealink, Format::kGrandstream, Format::kCisco}) {
    const std::string xml = Render(f, entries, "acme & co");
    EXPECT_EQ(xml.find("Tom & "), std::string::npos) << xml;
    EXPECT_EQ(xml.find("<Co>"), std::string::npos) << xml;
  }
  EXPECT_NE(Render(Format::kYealink, entries, "t")
                .find("<Name>Tom &amp; &quot;Jerry&quot; &lt;Co&gt;</Name>"),
            std::string::npos);
  EXPECT_NE(
      Render(Format::kGrandstream, entries, "t").find("<FirstName>Tom &amp; &lt;J&gt;</FirstName>"),
      std::string::npos);
  EXPECT_NE(Render(Format::kCisco, entries, "acme & co").find("<Title>acme &amp; co</Title>"),
            std::string::npos);
}

TEST(PhonebookTest, EachVendorsShape) {
  const auto entries = Entries({User("a", "1001")});
  EXPECT_EQ(Render(Format::kYealink, entries, "t"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<YealinkIPPhoneDirectory>\n"
            "  <DirectoryEntry>\n"
            "    <Name>User a</Name>\n"
            "    <Telephone>1001</Telephone>\n"
            "    <Telephone>+46850001001</Telephone>\n"
            "  </DirectoryEntry>\n"
            "</YealinkIPPhoneDirectory>\n");
  EXPECT_EQ(Render(Format::kGrandstream, entries, "t"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<AddressBook>\n"
            "  <version>1</version>\n"
            "  <Contact>\n"
            "    <LastName>a</LastName>\n"
            "    <FirstName>User</FirstName>\n"
            "    <Phone type=\"Work\">\n"
            "      <phonenumber>1001</phonenumber>\n"
            "      <accountindex>0</accountindex>\n"
            "    </Phone>\n"
            "    <Phone type=\"Work\">\n"
            "      <phonenumber>+46850001001</phonenumber>\n"
            "      <accountindex>0</accountindex>\n"
            "    </Phone>\n"
            "  </Contact>\n"
            "</AddressBook>\n");
}

TEST(PhonebookTest, CiscoComesIn32EntryPagesWithANextSoftKey) {
  std::vector<PbxUser> users;
  for (int i = 0; i < 20; ++i)
    users.push_back(User("u" + std::to_string(100 + i), std::to_string(1000 + i)));
  const auto entries = Entries(users);  // 40 numbers: two pages
  EXPECT_EQ(CiscoPages(entries), 2u);
  auto count = [](const std::string& xml) {
    size_t n = 0;
    for (size_t p = xml.find("<DirectoryEntry>"); p != std::string::npos;
         p = xml.find("<DirectoryEntry>", p + 1))
      ++n;
    return n;
  };
  const std::string first = Render(Format::kCisco, entries, "t", 1, "http://h/next?a=1&b=2");
  EXPECT_EQ(count(first), 32u);
  EXPECT_NE(first.find("<Prompt>Page 1 of 2</Prompt>"), std::string::npos);
  EXPECT_NE(first.find("<URL>http://h/next?a=1&amp;b=2</URL>"), std::string::npos) << first;
  const std::string second = Render(Format::kCisco, entries, "t", 2, "");
  EXPECT_EQ(count(second), 8u);
  EXPECT_EQ(second.find("<Name>Next</Name>"), std::string::npos);
}

TEST(PhonebookTest, BasicPasswordIsTheSecondPartOfTheCredentials) {
  EXPECT_EQ(BasicPassword("Basic cGhvbmU6czNjcjN0"), "s3cr3t");  // phone:s3cr3t
  EXPECT_EQ(BasicPassword("basic OnRvaw=="), "tok");             // :tok
  EXPECT_EQ(BasicPassword("Bearer abc"), "");
  EXPECT_EQ(BasicPassword("Basic !!"), "");
  EXPECT_EQ(BasicPassword("Basic bm9jb2xvbg=="), "");  // "nocolon"
}

TEST(PhonebookTest, ParsesOnlyTheThreeFormats) {
  EXPECT_EQ(ParseFormat("yealink"), Format::kYealink);
  EXPECT_EQ(ParseFormat("grandstream"), Format::kGrandstream);
  EXPECT_EQ(ParseFormat("cisco"), Format::kCisco);
  EXPECT_FALSE(ParseFormat("Cisco").has_value());
  EXPECT_FALSE(ParseFormat("").has_value());
}

}  // namespace
}  // namespace telsync::phonebook
