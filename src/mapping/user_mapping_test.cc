#include "mapping/user_mapping.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace telsync {
namespace {

SourceObject GraphUser() {
  SourceObject o;
  o.id = "6f1c2a9e-0000-4000-8000-000000000001";
  o.Add("userPrincipalName", "Anna.Andersson@contoso.se");
  o.Add("mailNickname", "Anna.Andersson");
  o.Add("givenName", "Anna");
  o.Add("surname", "Andersson");
  o.Add("displayName", "Anna Andersson");
  o.Add("mail", "Anna.Andersson@Contoso.se");
  o.Add("businessPhones", "+46 8 123 45 67");
  o.Add("businessPhones", "+46 8 765 43 21");
  o.Add("mobilePhone", "+46 70 123 45 67");
  o.Add("department", "Sales");
  o.Add("jobTitle", "Account Manager");
  o.Add("city", "Stockholm");
  o.Add("country", "Sweden");
  o.Add("extensionAttribute1", "CC-4711");
  o.groups = {"Telephony Users", "Sales"};
  return o;
}

SourceObject AdUser() {
  SourceObject o;
  o.id = "b7e3c1d2-5f4a-4c3b-9a8e-7d6c5b4a3f21";
  o.Add("sAMAccountName", "OJohansson");
  o.Add("userPrincipalName", "orjan.johansson@corp.example");
  o.Add("givenName", "Örjan");
  o.Add("sn", "Johansson");
  o.Add("cn", "Örjan Johansson");
  o.Add("mail", "Orjan.Johansson@Corp.Example");
  o.Add("telephoneNumber", "08-123 45 67");
  o.Add("mobile", "070-123 45 67");
  o.Add("ipPhone", "4711");
  o.Add("department", "Support");
  o.Add("title", "Technician");
  o.Add("l", "Göteborg");
  o.Add("c", "SE");
  o.enabled = false;
  return o;
}

SourceObject ScimUser() {
  SourceObject o;
  o.id = "2819c223-7f76-453a-919d-413861904646";
  o.Add("userName", "Bjorn.Ek@Example.com");
  o.Add("name.givenName", "Björn");
  o.Add("name.familyName", "Ek");
  o.Add("name.formatted", "Björn Ek");
  o.Add("emails.work", "Bjorn.Ek@Example.com");
  o.Add("emails", "Bjorn.Ek@Example.com");
  o.Add("phoneNumbers.work", "+46 8 555 123 45");
  o.Add("phoneNumbers.mobile", "+46 70 555 12 34");
  o.Add("title", "Developer");
  o.Add("addresses.work.locality", "Malmö");
  o.Add("addresses.work.country", "SE");
  o.Add("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department", "R&D");
  return o;
}

UserMapping MustCompile(const std::map<std::string, std::string>& mapping,
                        const std::string& type) {
  auto m = UserMapping::Compile(mapping, type);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? std::move(m).value() : UserMapping();
}

using Want = std::map<Field, std::string>;

void ExpectFields(const MappedUser& user, const Want& want) {
  for (size_t i = 0; i < kFieldCount; ++i) {
    const auto f = static_cast<Field>(i);
    const auto it = want.find(f);
    EXPECT_EQ(user.fields.Get(f), it == want.end() ? "" : it->second) << FieldName(f);
  }
}

TEST(UserMappingTest, GraphDefaults) {
  const UserMapping m = MustCompile({}, "graph");
  const MappedUser u = m.Apply(GraphUser());
  EXPECT_EQ(u.source_key, "6f1c2a9e-0000-4000-8000-000000000001");
  EXPECT_EQ(u.upn, "Anna.Andersson@contoso.se");
  EXPECT_TRUE(u.enabled);
  EXPECT_FALSE(u.deleted);
  EXPECT_EQ(u.source_groups, (std::vector<std::string>{"Telephony Users", "Sales"}));
  EXPECT_TRUE(u.custom.empty());
  ExpectFields(u, {{Field::kUsername, "anna.andersson"},
                   {Field::kFirstName, "Anna"},
                   {Field::kLastName, "Andersson"},
                   {Field::kDisplayName, "Anna Andersson"},
                   {Field::kEmail, "anna.andersson@contoso.se"},
                   {Field::kLandline, "+46 8 123 45 67"},
                   {Field::kMobile, "+46 70 123 45 67"},
                   {Field::kDepartment, "Sales"},
                   {Field::kJobTitle, "Account Manager"},
                   {Field::kCity, "Stockholm"},
                   {Field::kCountry, "Sweden"}});
}

TEST(UserMappingTest, GraphUsernameFallsBackToUpnAndEmailToUpn) {
  SourceObject o;
  o.id = "x";
  o.Add("userPrincipalName", "Per.Persson@Contoso.se");
  const MappedUser u = MustCompile({}, "graph").Apply(o);
  EXPECT_EQ(u.fields.Get(Field::kUsername), "per.persson");
  EXPECT_EQ(u.fields.Get(Field::kEmail), "per.persson@contoso.se");
  EXPECT_EQ(u.fields.Get(Field::kLandline), "");
}

TEST(UserMappingTest, LdapDefaults) {
  const MappedUser u = MustCompile({}, "ldap").Apply(AdUser());
  EXPECT_EQ(u.source_key, "b7e3c1d2-5f4a-4c3b-9a8e-7d6c5b4a3f21");
  EXPECT_EQ(u.upn, "orjan.johansson@corp.example");
  EXPECT_FALSE(u.enabled);
  ExpectFields(u, {{Field::kUsername, "ojohansson"},
                   {Field::kFirstName, "Örjan"},
                   {Field::kLastName, "Johansson"},
                   {Field::kDisplayName, "Örjan Johansson"},
                   {Field::kEmail, "orjan.johansson@corp.example"},
                   {Field::kExtension, "4711"},
                   {Field::kLandline, "08-123 45 67"},
                   {Field::kMobile, "070-123 45 67"},
                   {Field::kDepartment, "Support"},
                   {Field::kJobTitle, "Technician"},
                   {Field::kCity, "Göteborg"},
                   {Field::kCountry, "SE"}});
}

TEST(UserMappingTest, LdapOpenLdapUidAndCo) {
  SourceObject o;
  o.id = "entry-uuid";
  o.Add("uid", "KLars");
  o.Add("co", "Sweden");
  o.Add("c", "SE");
  const MappedUser u = MustCompile({}, "ldap").Apply(o);
  EXPECT_EQ(u.fields.Get(Field::kUsername), "klars");
  EXPECT_EQ(u.fields.Get(Field::kCountry), "Sweden");
  EXPECT_EQ(u.upn, "");
}

TEST(UserMappingTest, FileDefaultsReadBothShapes) {
  const UserMapping m = MustCompile({}, "file");
  ExpectFields(m.Apply(GraphUser()), {{Field::kUsername, "anna.andersson"},
                                      {Field::kFirstName, "Anna"},
                                      {Field::kLastName, "Andersson"},
                                      {Field::kDisplayName, "Anna Andersson"},
                                      {Field::kEmail, "anna.andersson@contoso.se"},
                                      {Field::kLandline, "+46 8 123 45 67"},
                                      {Field::kMobile, "+46 70 123 45 67"},
                                      {Field::kDepartment, "Sales"},
                                      {Field::kJobTitle, "Account Manager"},
                                      {Field::kCity, "Stockholm"},
                                      {Field::kCountry, "Sweden"}});
  ExpectFields(m.Apply(AdUser()), {{Field::kUsername, "ojohansson"},
                                   {Field::kFirstName, "Örjan"},
                                   {Field::kLastName, "Johansson"},
                                   {Field::kDisplayName, "Örjan Johansson"},
                                   {Field::kEmail, "orjan.johansson@corp.example"},
                                   {Field::kExtension, "4711"},
                                   {Field::kLandline, "08-123 45 67"},
                                   {Field::kMobile, "070-123 45 67"},
                                   {Field::kDepartment, "Support"},
                                   {Field::kJobTitle, "Technician"},
                                   {Field::kCity, "Göteborg"},
                                   {Field::kCountry, "SE"}});
}

TEST(UserMappingTest, ScimDefaults) {
  const MappedUser u = MustCompile({}, "scim").Apply(ScimUser());
  ExpectFields(u, {{Field::kUsername, "bjorn.ek"},
                   {Field::kFirstName, "Björn"},
                   {Field::kLastName, "Ek"},
                   {Field::kDisplayName, "Björn Ek"},
                   {Field::kEmail, "bjorn.ek@example.com"},
                   {Field::kLandline, "+46 8 555 123 45"},
                   {Field::kMobile, "+46 70 555 12 34"},
                   {Field::kDepartment, "R&D"},
                   {Field::kJobTitle, "Developer"},
                   {Field::kCity, "Malmö"},
                   {Field::kCountry, "SE"}});
}

TEST(UserMappingTest, EveryDefaultParses) {
  for (const std::string type : {"graph", "ldap", "file", "scim"}) {
    const auto defaults = UserMapping::Defaults(type);
    EXPECT_GE(defaults.size(), 11u) << type;
    for (const auto& [key, text] : defaults) {
      EXPECT_TRUE(FieldFromName(key).has_value()) << type << " " << key;
      auto e = Expression::Parse(text);
      EXPECT_TRUE(e.ok()) << type << " " << key << ": " << (e.ok() ? "" : e.error().message);
    }
  }
  EXPECT_TRUE(UserMapping::Defaults("fake").empty());
}

TEST(UserMappingTest, UnknownSourceTypeMapsOnlyWhatTheProfileSays) {
  const MappedUser u = MustCompile({{"email", "{mail}"}}, "fake").Apply(GraphUser());
  ExpectFields(u, {{Field::kEmail, "Anna.Andersson@Contoso.se"}});
}

TEST(UserMappingTest, OverridesCustomFieldsAndUnmapping) {
  const UserMapping m =
      MustCompile({{"mobile", "e164({mobilePhone})"},
                   {"landline", ""},
                   {"city", "  "},
                   {"extension", "right(digits(first({businessPhones})), 4)"},
                   {"template", R"(switch({department}, "sales", "Sales", "Default"))"},
                   {"cost_center", "{extensionAttribute1}"},
                   {"alias", R"(lower(left({givenName}, 1) {surname}))"},
                   {"groups", R"(join(";", {memberOf}))"},
                   {"pager", "{pager}"}},
                  "graph");
  const MappedUser u = m.Apply(GraphUser());
  EXPECT_EQ(u.fields.Get(Field::kMobile), "+46701234567");
  EXPECT_EQ(u.fields.Get(Field::kLandline), "");
  EXPECT_EQ(u.fields.Get(Field::kCity), "");
  EXPECT_EQ(u.fields.Get(Field::kExtension), "4567");
  EXPECT_EQ(u.fields.Get(Field::kTemplate), "Sales");
  EXPECT_EQ(u.fields.Get(Field::kFirstName), "Anna");  // defaults stay
  using Custom = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(u.custom, (Custom{{"alias", "aandersson"},
                              {"cost_center", "CC-4711"},
                              {"groups", "Telephony Users;Sales"}}));  // pager: empty, skipped

  const auto attributes = m.Attributes();
  EXPECT_TRUE(std::is_sorted(attributes.begin(), attributes.end()));
  EXPECT_EQ(std::adjacent_find(attributes.begin(), attributes.end()), attributes.end());
  for (const char* want : {"id", "userprincipalname", "mobilephone", "businessphones",
                           "extensionattribute1", "memberof", "pager", "givenname"}) {
    EXPECT_NE(std::find(attributes.begin(), attributes.end(), want), attributes.end()) << want;
  }
  EXPECT_EQ(std::find(attributes.begin(), attributes.end(), "city"), attributes.end());
}

TEST(UserMappingTest, GraphAttributes) {
  const auto attributes = MustCompile({}, "graph").Attributes();
  EXPECT_EQ(attributes, (std::vector<std::string>{"businessphones", "city", "country", "department",
                                                  "displayname", "givenname", "id", "jobtitle",
                                                  "mail", "mailnickname", "mobilephone", "surname",
                                                  "userprincipalname"}));
}

TEST(UserMappingTest, DeletedObjectsKeepTheirFlags) {
  SourceObject o = GraphUser();
  o.deleted = true;
  o.enabled = false;
  const MappedUser u = MustCompile({}, "graph").Apply(o);
  EXPECT_TRUE(u.deleted);
  EXPECT_FALSE(u.enabled);
}

struct BadMapping {
  std::map<std::string, std::string> mapping;
  std::string want;
};

class UserMappingErrorTest : public ::testing::TestWithParam<BadMapping> {};

TEST_P(UserMappingErrorTest, Rejects) {
  auto m = UserMapping::Compile(GetParam().mapping, "graph");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(m.error().message, GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    All, UserMappingErrorTest,
    ::testing::Values(
        BadMapping{{{"mobile", "e165({mobile})"}},
                   "mapping.mobile: column 1: unknown function 'e165'"},
        BadMapping{{{"cost_center", "lower({a}"}},
                   "mapping.cost_center: column 10: expected ')' after arguments of lower"},
        BadMapping{{{"Mobile", "{x}"}},
                   "mapping.Mobile: not a valid field name (custom fields match [a-z][a-z0-9_]*)"},
        BadMapping{{{"9lives", "{x}"}},
                   "mapping.9lives: not a valid field name (custom fields match [a-z][a-z0-9_]*)"},
        BadMapping{{{"cost-center", ""}},
                   "mapping.cost-center: not a valid field name (custom fields match "
                   "[a-z][a-z0-9_]*)"}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

// `telsync explain`: per field the expression, the attributes it read and the value; a
// function that rejects its input says so. The mapped user is the one Apply gives alone.
TEST(UserMappingTest, TraceShowsExpressionInputsAndValue) {
  auto mapping = UserMapping::Compile({{"mobile", "e164({mobilePhone})"}}, "graph");
  ASSERT_TRUE(mapping.ok());
  SourceObject o = GraphUser();
  o.attributes.erase(std::remove_if(o.attributes.begin(), o.attributes.end(),
                                    [](const auto& a) { return a.first == "mobilePhone"; }),
                     o.attributes.end());
  o.Add("mobilePhone", "070-12");
  std::vector<ExplainMapping> trace;
  const MappedUser traced = mapping->Apply(o, &trace);
  const MappedUser plain = mapping->Apply(o);
  EXPECT_EQ(traced.fields.Get(Field::kUsername), plain.fields.Get(Field::kUsername));
  const ExplainMapping* mobile = nullptr;
  const ExplainMapping* email = nullptr;
  for (const auto& m : trace) {
    if (m.field == "mobile") mobile = &m;
    if (m.field == "email") email = &m;
  }
  ASSERT_NE(mobile, nullptr);
  EXPECT_EQ(mobile->expression, "e164({mobilePhone})");
  ASSERT_EQ(mobile->inputs.size(), 1u);
  EXPECT_EQ(mobile->inputs[0].values, std::vector<std::string>{"070-12"});
  EXPECT_EQ(mobile->value, "");
  EXPECT_NE(mobile->note.find("e164()"), std::string::npos) << mobile->note;
  ASSERT_NE(email, nullptr);
  EXPECT_EQ(email->value, std::string(plain.fields.Get(Field::kEmail)));
  EXPECT_TRUE(email->note.empty());
}

}  // namespace
}  // namespace telsync
