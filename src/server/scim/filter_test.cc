#include "server/scim/filter.h"

#include <gtest/gtest.h>

namespace telsync::scim {
namespace {

using nlohmann::json;

const json kUser = json::parse(R"({
  "id": "2819c223-7f76-453a-919d-413861904646",
  "externalId": "Bjensen",
  "userName": "bjensen@example.com",
  "name": {"givenName": "Barbara", "familyName": "Jensen"},
  "title": "Tour Guide",
  "active": true,
  "userType": "Employee",
  "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
             {"value": "babs@jensen.org", "type": "home"}],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour Operations",
                                                                  "employeeNumber": "701984"},
  "meta": {"lastModified": "2011-05-13T04:42:34Z"},
  "loginCount": 42
})");

bool Eval(const std::string& text) {
  auto filter = ParseFilter(text);
  EXPECT_TRUE(filter.ok()) << text << ": " << (filter.ok() ? "" : filter.error().message);
  return filter.ok() && Matches(*filter, kUser);
}

TEST(ScimFilterTest, TableOfMatches) {
  struct Case {
    const char* filter;
    bool matches;
  };
  const Case cases[] = {
      {R"(userName eq "bjensen@example.com")", true},
      {R"(USERNAME EQ "BJENSEN@example.COM")", true},  // names, keywords, values caseless
      {R"(userName eq "other")", false},
      {R"(userName ne "other")", true},
      {R"(userName co "jensen")", true},
      {R"(userName sw "bj")", true},
      {R"(userName ew ".com")", true},
      {R"(userName ew "x.com")", false},
      {R"(title pr)", true},
      {R"(nickName pr)", false},
      {R"(name.familyName eq "Jensen")", true},
      {R"(emails eq "babs@jensen.org")", true},
      {R"(emails.value sw "babs")", true},
      {R"(emails[type eq "work"])", true},
      {R"(emails[type eq "work" and value co "babs"])", false},
      {R"(emails[type eq "home" and value co "babs"])", true},
      {R"(active eq true)", true},
      {R"(active eq false)", false},
      {R"(loginCount gt 41)", true},
      {R"(loginCount ge 42.0)", true},
      {R"(loginCount lt 42)", false},
      {R"(loginCount le 42)", true},
      {R"(meta.lastModified gt "2011-05-13T04:42:34Z")", false},
      {R"(meta.lastModified ge "2011-05-13T04:42:34Z")", true},
      {R"(title eq "Tour Guide" and userType eq "Employee")", true},
      {R"(title eq "x" or userType eq "Employee")", true},
      {R"(not (title eq "x"))", true},
      {R"(not(title eq "Tour Guide"))", false},
      {R"(userType eq "Employee" and (emails co "example.com" or emails.value co "example.org"))",
       true},
      // and binds tighter than or
      {R"(title eq "x" and title eq "y" or userType eq "Employee")", true},
      {R"(title eq "x" and (title eq "y" or userType eq "Employee"))", false},
      {R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour operations")",
       true},
      {R"(urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bjensen")", true},
      {R"(externalId eq "bjensen")", false},  // caseExact
      {R"(externalId eq "Bjensen")", true},
      {R"(nickName eq null)", true},
      {R"(userName eq "with \"quote\"")", false},
  };
  for (const Case& c : cases) EXPECT_EQ(Eval(c.filter), c.matches) << c.filter;
}

// Every attribute Entra can be set to match users by (Microsoft: "Tutorial: Develop and
// plan provisioning for a SCIM endpoint", matching attributes), in the form Entra sends.
TEST(ScimFilterTest, EntraMatchingAttributes) {
  const json user = json::parse(R"({
    "userName": "asa@acme.example", "externalId": "0a21f0f2-8d2a", "displayName": "Åsa Berg",
    "emails": [{"value": "asa@acme.example", "type": "work", "primary": true},
               {"value": "asa@home.example", "type": "home"}],
    "phoneNumbers": [{"value": "+46 8 123 45 67", "type": "work"},
                     {"value": "+46 70 123 45 67", "type": "mobile"}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
      "employeeNumber": "701984", "department": "Sales", "costCenter": "4130",
      "manager": {"value": "2819c223"}}
  })");
  struct Case {
    const char* filter;
    bool matches;
  };
  const Case cases[] = {
      {R"(emails[type eq "work"].value eq "asa@acme.example")", true},
      {R"(emails[type eq "work"].value eq "ASA@ACME.example")", true},   // caseExact false
      {R"(emails[type eq "home"].value eq "asa@acme.example")", false},  // same element only
      {R"(emails[type eq "work"].value eq "asa@home.example")", false},
      {R"(emails[type eq "work"].value co "acme")", true},
      {R"(emails[type eq "work"].value pr)", true},
      {R"(emails[type eq "other"].value pr)", false},
      {R"(emails[type eq "work"].value ne "x@y.z")", true},
      {R"(emails[type eq "work" and primary eq true].value eq "asa@acme.example")", true},
      {R"(EMAILS[TYPE EQ "WORK"].VALUE EQ "asa@acme.example")", true},
      {R"(phoneNumbers[type eq "mobile"].value eq "+46 70 123 45 67")", true},
      {R"(phoneNumbers[type eq "mobile"].value eq "+46 8 123 45 67")", false},
      {R"(userName eq "asa@acme.example")", true},
      {R"(externalId eq "0a21f0f2-8d2a")", true},
      {R"(displayName eq "Åsa Berg")", true},
      {R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984")",
       true},
      {R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales")", true},
      {R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter eq "4130")", true},
      {R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "2819c223")", true},
      {R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "2819c223")",
       true},
      {R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "other")",
       false},
      // combined with and / or, and with the value path's sub-attribute form
      {R"(userName eq "asa@acme.example" and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984")",
       true},
      {R"(userName eq "x" and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984")",
       false},
      {R"(externalId eq "nope" or urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales")",
       true},
      {R"(emails[type eq "work"].value eq "asa@acme.example" and externalId eq "0a21f0f2-8d2a")",
       true},
      {R"(emails[type eq "work"].value eq "nope" or phoneNumbers[type eq "mobile"].value sw "+46 70")",
       true},
      {R"(not (emails[type eq "work"].value eq "asa@acme.example"))", false},
      {R"((emails[type eq "work"].value eq "asa@acme.example"))", true},
  };
  for (const Case& c : cases) {
    auto filter = ParseFilter(c.filter);
    ASSERT_TRUE(filter.ok()) << c.filter << ": " << filter.error().message;
    EXPECT_EQ(Matches(*filter, user), c.matches) << c.filter;
  }
}

TEST(ScimFilterTest, ValuePathSubAttributeIsTheElementFilter) {
  auto filter = ParseFilter(R"(emails[type eq "work"].value eq "a@b.c")");
  ASSERT_TRUE(filter.ok()) << filter.error().message;
  ASSERT_EQ(filter->kind, Filter::Kind::kValuePath);
  EXPECT_EQ(filter->attr.name, "emails");
  ASSERT_EQ(filter->children.size(), 1u);
  const Filter& element = filter->children[0];
  ASSERT_EQ(element.kind, Filter::Kind::kAnd);
  EXPECT_EQ(element.children[0].attr.name, "type");
  EXPECT_EQ(element.children[1].attr.name, "value");
  EXPECT_EQ(element.children[1].op, CompareOp::kEq);
  EXPECT_EQ(element.children[1].value, "a@b.c");
}

TEST(ScimFilterTest, RejectsBadValuePathSubAttributes) {
  const char* bad[] = {
      R"(emails[type eq "work"].value)",           // no operator
      R"(emails[type eq "work"].value eq)",        // no value
      R"(emails[type eq "work"]. value eq "a")",   // nothing after the dot
      R"(emails[type eq "work"] .value eq "a")",   // the dot must follow ']'
      R"(emails[type eq "work"].1x eq "a")",       // not an attribute name
      R"(emails[type eq "work"].value.x eq "a")",  // one level only
      R"(emails[type eq "work"].value[type eq "x"])",
      R"(emails[type eq "work"].value co 1)",
  };
  for (const char* text : bad) {
    auto filter = ParseFilter(text);
    ASSERT_FALSE(filter.ok()) << text;
    EXPECT_EQ(filter.error().scim_type, "invalidFilter") << text;
  }
}

TEST(ScimFilterTest, EntraTestConnectionFilterParses) {
  auto filter = ParseFilter(R"(userName eq "6a3c11d2-0f7e-4a5c-9c55-6c5b1f1f2f6d")");
  ASSERT_TRUE(filter.ok());
  EXPECT_EQ(filter->kind, Filter::Kind::kCompare);
  EXPECT_EQ(filter->attr.name, "userName");
  EXPECT_FALSE(Matches(*filter, kUser));
}

TEST(ScimFilterTest, RejectsBadSyntaxWithInvalidFilter) {
  const char* bad[] = {
      "",
      "userName",
      "userName eq",
      "userName xx \"a\"",
      "userName eq bjensen",  // unquoted string
      "userName eq \"unterminated",
      "(userName eq \"a\"",
      "userName eq \"a\")",
      "not userName eq \"a\"",
      "emails[type eq \"work\"",
      "userName eq \"a\" and",
      "userName eq \"a\" or or",
      "1abc eq \"a\"",
      "userName co 12",
      "userName eq \"a\" userName",
      "urn: eq \"a\"",
  };
  for (const char* text : bad) {
    auto filter = ParseFilter(text);
    ASSERT_FALSE(filter.ok()) << text;
    EXPECT_EQ(filter.error().scim_type, "invalidFilter") << text;
    EXPECT_NE(filter.error().message.find("filter"), std::string::npos);
  }
}

TEST(ScimFilterTest, LimitsNestingDepth) {
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += "(";
  auto filter = ParseFilter(deep + "userName pr");
  ASSERT_FALSE(filter.ok());
  EXPECT_NE(filter.error().message.find("nested"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 100; ++i) nots += "not (";
  EXPECT_FALSE(ParseFilter(nots + "userName pr").ok());
}

TEST(ScimPathTest, ParsesSimpleSubAndUrnPaths) {
  auto p = ParsePath("name.givenName");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->attr.name, "name");
  EXPECT_EQ(p->attr.sub, "givenName");
  EXPECT_FALSE(p->filter.has_value());

  p = ParsePath("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->attr.uri, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  EXPECT_EQ(p->attr.name, "department");

  p = ParsePath("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->attr.name, "manager");
  EXPECT_EQ(p->attr.sub, "value");
}

TEST(ScimPathTest, ParsesValuePathsWithFilters) {
  auto p = ParsePath(R"(emails[type eq "work"].value)");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->attr.name, "emails");
  ASSERT_TRUE(p->filter.has_value());
  EXPECT_EQ(p->sub, "value");
  EXPECT_TRUE(Matches(*p->filter, json{{"type", "work"}}));
  EXPECT_FALSE(Matches(*p->filter, json{{"type", "home"}}));

  p = ParsePath(R"(members[value eq "2819c223-7f76-453a-919d-413861904646"])");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->sub, "");
  EXPECT_TRUE(Matches(*p->filter, json{{"value", "2819c223-7f76-453a-919d-413861904646"}}));

  p = ParsePath(R"(addresses[type eq "work" and value co "]"].locality)");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->sub, "locality");
}

TEST(ScimPathTest, RejectsBadPathsWithInvalidPath) {
  const char* bad[] = {"",
                       "emails[",
                       "emails[type eq]",
                       "emails[type eq \"w\"]value",
                       "emails[type eq \"w\"].",
                       "name..x",
                       "9x",
                       "emails[type eq \"w\"].va lue",
                       "name.givenName[type eq \"w\"]",
                       "em ails",
                       "urn:ietf:params$scim:x\x01\xbe:User:department"};
  for (const char* text : bad) {
    auto p = ParsePath(text);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(p.error().scim_type, "invalidPath") << text;
  }
}

}  // namespace
}  // namespace telsync::scim
