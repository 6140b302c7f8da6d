#include "server/scim/resource.h"

#include <gtest/gtest.h>

#include "mapping/expression.h"

namespace telsync::scim {
namespace {

using nlohmann::json;

// Microsoft's "Create User" request (Tutorial: develop a sample SCIM endpoint).
const char* kEntraCreateUser = R"({
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
  "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
  "active": true,
  "emails": [{"primary": true, "type": "work",
              "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
  "meta": {"resourceType": "User"},
  "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
  "roles": []
})";

json User() {
  auto user = NormalizeResource(ResourceType::kUser, json::parse(kEntraCreateUser));
  EXPECT_TRUE(user.ok());
  return user.ok() ? *user : json();
}

json Patch(const std::string& operations) {
  return json::parse(
      R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": )" +
      operations + "}");
}

TEST(ScimResourceTest, NormalisesEntraCreateUser) {
  json user = User();
  EXPECT_FALSE(user.contains("meta"));
  EXPECT_EQ(user["schemas"], json::array({kUserSchema}));  // empty extension dropped
  EXPECT_EQ(user["active"], true);
}

TEST(ScimResourceTest, RejectsBadBodies) {
  struct Case {
    const char* body;
    const char* scim_type;
  };
  const Case cases[] = {
      {R"([1])", "invalidSyntax"},
      {R"({"userName": "a"})", "invalidValue"},  // no schemas
      {R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:example:unknown"], "userName": "a"})",
       "invalidValue"},
      {R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]})", "invalidValue"},
      {R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": ""})",
       "invalidValue"},
      {R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": 5})",
       "invalidValue"},
      {R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a", "active": "maybe"})",
       "invalidValue"},
      {R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a", "emails": "x"})",
       "invalidValue"},
      {R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "a"})",
       "invalidValue"},
  };
  for (const Case& c : cases) {
    auto r = NormalizeResource(ResourceType::kUser, json::parse(c.body));
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().scim_type, c.scim_type) << c.body;
  }
  auto group =
      NormalizeResource(ResourceType::kGroup,
                        json::parse(R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                                 "displayName": "g", "members": [{"display": "x"}]})"));
  EXPECT_FALSE(group.ok());
}

TEST(ScimResourceTest, AcceptsEntraGroupCreateWithMicrosoftSchema) {
  auto group = NormalizeResource(ResourceType::kGroup, json::parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "displayName",
    "meta": {"resourceType": "Group"}, "members": [{"$ref": null, "value": "u1"}, {"value": "u1"}]})"));
  ASSERT_TRUE(group.ok()) << group.error().message;
  EXPECT_EQ((*group)["schemas"], json::array({kGroupSchema}));
  EXPECT_EQ((*group)["members"], json::parse(R"([{"value": "u1"}])"));
}

TEST(ScimPatchTest, EntraUpdateByFilterPathAndSubAttribute) {
  json user = User();
  auto s = ApplyPatch(ResourceType::kUser, user, Patch(R"([
    {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
    {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}])"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(user["emails"][0]["value"], "updatedEmail@microsoft.com");
  EXPECT_EQ(user["emails"][0]["primary"], true);
  EXPECT_EQ(user["name"]["familyName"], "updatedFamilyName");
  EXPECT_EQ(user["name"]["givenName"], "givenName");
}

TEST(ScimPatchTest, EntraDisableWithStringFalse) {
  json user = User();
  ASSERT_TRUE(ApplyPatch(ResourceType::kUser, user,
                         Patch(R"([{"op": "Replace", "path": "active", "value": "False"}])"))
                  .ok());
  EXPECT_EQ(user["active"], false);
  EXPECT_FALSE(ToSourceObject(ResourceType::kUser, user, "x").enabled);
}

TEST(ScimPatchTest, ReplaceWithoutPathAndDottedKeys) {
  json user = User();
  auto s = ApplyPatch(ResourceType::kUser, user, Patch(R"([{"op": "replace", "value": {
      "displayName": "Pat Doe", "name.givenName": "Pat", "active": "False",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "IT",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": "boss-id"}}])"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(user["displayName"], "Pat Doe");
  EXPECT_EQ(user["name"]["givenName"], "Pat");
  EXPECT_EQ(user["name"]["familyName"], "familyName");
  EXPECT_EQ(user["active"], false);
  EXPECT_EQ(user[std::string(kEnterpriseSchema)]["department"], "IT");
  EXPECT_EQ(user[std::string(kEnterpriseSchema)]["manager"]["value"], "boss-id");
  EXPECT_EQ(user["schemas"].size(), 2u);
}

const std::string kEnterprise(kEnterpriseSchema);

// Entra's tutorial: {"op":"Add","path":"manager","value":[{"$ref":null,"value":"<id>"}]}.
TEST(ScimPatchTest, EntraAddsManagerByBarePathWithAReferenceList) {
  json user = User();
  auto s = ApplyPatch(ResourceType::kUser, user, Patch(R"([
    {"op": "Add", "path": "manager", "value": [{"$ref": null, "value": "2819c223"}]}])"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_FALSE(user.contains("manager"));  // not a core attribute
  EXPECT_EQ(user[kEnterprise]["manager"], json::parse(R"({"value": "2819c223"})"));
  EXPECT_EQ(user["schemas"], json::array({kUserSchema, kEnterpriseSchema}));
  SourceObject object = ToSourceObject(ResourceType::kUser, user, "id1");
  EXPECT_EQ(object.First("manager"), "2819c223");
  EXPECT_EQ(object.First(kEnterprise + ".manager"), "2819c223");
  // The mapping sees it as {manager}.
  auto expression = Expression::Parse(R"("mgr-" {manager})");
  ASSERT_TRUE(expression.ok()) << expression.error().message;
  EXPECT_EQ(expression->EvaluateScalar(object), "mgr-2819c223");
}

TEST(ScimPatchTest, ManagerPathsAndValueShapes) {
  struct Case {
    const char* operations;
    const char* manager;  // the stored manager's JSON, or "" for none
  };
  const Case cases[] = {
      {R"([{"op": "Add", "path": "manager", "value": "m1"}])", R"({"value": "m1"})"},
      {R"([{"op": "add", "path": "MANAGER", "value": {"value": "m1", "$ref": "../Users/m1"}}])",
       R"({"value": "m1"})"},
      {R"([{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "value": "m2"}])",
       R"({"value": "m2"})"},
      {R"([{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "value": [{"$ref": null, "value": "m3"}]}])",
       R"({"value": "m3"})"},
      {R"([{"op": "Replace", "path": "manager.value", "value": "m4"}])", R"({"value": "m4"})"},
      {R"([{"op": "Add", "path": "manager", "value": {"value": "m5", "displayName": "Boss"}}])",
       R"({"value": "m5", "displayName": "Boss"})"},
      {R"([{"op": "Replace", "value": {"manager": "m6"}}])", R"({"value": "m6"})"},
      // a second Add replaces the single value
      {R"([{"op": "Add", "path": "manager", "value": [{"value": "m1"}]},
           {"op": "Add", "path": "manager", "value": [{"value": "m7"}]}])",
       R"({"value": "m7"})"},
      // cleared: Remove by either path, an empty id, an empty list, null
      {R"([{"op": "Add", "path": "manager", "value": "m1"}, {"op": "Remove", "path": "manager"}])",
       ""},
      {R"([{"op": "Add", "path": "manager", "value": "m1"},
           {"op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}])",
       ""},
      {R"([{"op": "Add", "path": "manager", "value": "m1"},
           {"op": "Remove", "path": "manager", "value": [{"value": "m1"}]}])",
       ""},
      {R"([{"op": "Add", "path": "manager", "value": "m1"},
           {"op": "Replace", "path": "manager", "value": ""}])",
       ""},
      {R"([{"op": "Add", "path": "manager", "value": "m1"},
           {"op": "Replace", "path": "manager", "value": []}])",
       ""},
      {R"([{"op": "Remove", "path": "manager"}])", ""},  // absent: nothing to do
  };
  for (const Case& c : cases) {
    json user = User();
    auto s = ApplyPatch(ResourceType::kUser, user, Patch(c.operations));
    ASSERT_TRUE(s.ok()) << c.operations << ": " << s.error().message;
    EXPECT_FALSE(user.contains("manager")) << c.operations;
    if (*c.manager == '\0') {
      EXPECT_FALSE(user.contains(kEnterprise)) << c.operations << " " << user.dump();
      EXPECT_EQ(user["schemas"], json::array({kUserSchema})) << c.operations;
      EXPECT_EQ(ToSourceObject(ResourceType::kUser, user, "id1").Find("manager"), nullptr);
    } else {
      EXPECT_EQ(user[kEnterprise]["manager"], json::parse(c.manager)) << c.operations;
    }
  }
}

TEST(ScimPatchTest, RemovingTheManagerKeepsTheRestOfTheExtension) {
  json user = User();
  ASSERT_TRUE(ApplyPatch(ResourceType::kUser, user, Patch(R"([
    {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
     "value": "Sales"},
    {"op": "Add", "path": "manager", "value": [{"$ref": null, "value": "m1"}]}])"))
                  .ok());
  ASSERT_TRUE(
      ApplyPatch(ResourceType::kUser, user, Patch(R"([{"op": "Remove", "path": "manager"}])"))
          .ok());
  EXPECT_EQ(user[kEnterprise], json::parse(R"({"department": "Sales"})"));
  EXPECT_EQ(user["schemas"].size(), 2u);
}

TEST(ScimPatchTest, BadManagerValuesAreInvalidAndChangeNothing) {
  const char* bad[] = {
      R"([{"op": "Add", "path": "manager", "value": [{"value": "a"}, {"value": "b"}]}])",
      R"([{"op": "Add", "path": "manager", "value": 42}])",
      R"([{"op": "Add", "path": "manager", "value": {"value": 42}}])",
      R"([{"op": "Add", "path": "manager", "value": {"displayName": "no id"}}])",
  };
  for (const char* operations : bad) {
    json user = User();
    const json before = user;
    auto s = ApplyPatch(ResourceType::kUser, user, Patch(operations));
    ASSERT_FALSE(s.ok()) << operations;
    EXPECT_EQ(s.error().scim_type, "invalidValue") << operations;
    EXPECT_NE(s.error().message.find("manager"), std::string::npos) << s.error().message;
    EXPECT_EQ(user, before) << operations;
  }
}

TEST(ScimResourceTest, CreateAndReplaceCarryTheManager) {
  // POST / PUT with the extension's manager object, with a bare id, and a top-level
  // "manager" (not a core attribute: it is moved into the extension).
  const char* bodies[] = {
      R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
          "userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
          {"manager": {"value": "boss", "$ref": "https://x/Users/boss"}}})",
      R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
          "userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"Manager": "boss"}})",
      R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a",
          "manager": [{"$ref": null, "value": "boss"}]})",
  };
  for (const char* body : bodies) {
    auto user = NormalizeResource(ResourceType::kUser, json::parse(body));
    ASSERT_TRUE(user.ok()) << body << ": " << user.error().message;
    EXPECT_EQ((*user)[kEnterprise], json::parse(R"({"manager": {"value": "boss"}})")) << body;
    EXPECT_FALSE(user->contains("manager")) << body;
    EXPECT_EQ((*user)["schemas"], json::array({kUserSchema, kEnterpriseSchema})) << body;
    EXPECT_EQ(ToSourceObject(ResourceType::kUser, *user, "x").First("manager"), "boss");
  }
}

TEST(ScimPatchTest, AddCreatesMissingTypedElement) {
  json user = User();
  ASSERT_TRUE(ApplyPatch(ResourceType::kUser, user, Patch(R"([
    {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+46701234567"},
    {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
     "value": "701984"}])"))
                  .ok());
  SourceObject object = ToSourceObject(ResourceType::kUser, user, "id1");
  EXPECT_EQ(object.First("phoneNumbers.mobile"), "+46701234567");
  EXPECT_EQ(object.First("employeeNumber"), "701984");
  EXPECT_EQ(
      object.First("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.employeeNumber"),
      "701984");
}

TEST(ScimPatchTest, RemoveByFilterAndSubAttribute) {
  json user = User();
  ASSERT_TRUE(ApplyPatch(ResourceType::kUser, user,
                         Patch(R"([{"op": "remove", "path": "emails[type eq \"work\"]"},
                                   {"op": "remove", "path": "name.formatted"}])"))
                  .ok());
  EXPECT_FALSE(user.contains("emails"));
  EXPECT_FALSE(user["name"].contains("formatted"));
}

TEST(ScimPatchTest, GroupMembersAddRemoveByValueListAndFilter) {
  auto normalized = NormalizeResource(
      ResourceType::kGroup,
      json::parse(
          R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales"})"));
  ASSERT_TRUE(normalized.ok());
  json group = *normalized;
  ASSERT_TRUE(ApplyPatch(ResourceType::kGroup, group, Patch(R"([
    {"op": "Add", "path": "members", "value": [{"$ref": null, "value": "a"}, {"value": "b"}, {"value": "c"}]},
    {"op": "Add", "path": "members", "value": [{"value": "a"}]}])"))
                  .ok());
  ASSERT_EQ(group["members"].size(), 3u);
  ASSERT_TRUE(ApplyPatch(ResourceType::kGroup, group, Patch(R"([
    {"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "a"}]},
    {"op": "Remove", "path": "members[value eq \"c\"]"}])"))
                  .ok());
  EXPECT_EQ(group["members"], json::parse(R"([{"value": "b"}])"));
  ASSERT_TRUE(ApplyPatch(ResourceType::kGroup, group, Patch(R"([
    {"op": "Replace", "path": "displayName", "value": "Sales EMEA"}])"))
                  .ok());
  EXPECT_EQ(group["displayName"], "Sales EMEA");
  ASSERT_TRUE(
      ApplyPatch(ResourceType::kGroup, group, Patch(R"([{"op": "Remove", "path": "members"}])"))
          .ok());
  EXPECT_FALSE(group.contains("members"));
}

TEST(ScimPatchTest, BadPatchesChangeNothing) {
  struct Case {
    const char* body;
    const char* scim_type;
  };
  const Case cases[] = {
      {R"({"Operations": [{"op": "add", "path": "title", "value": "x"}]})", "invalidSyntax"},
      {R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": []})",
       "invalidSyntax"},
      {R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "move"}]})",
       "invalidSyntax"},
      {R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "remove"}]})",
       "noTarget"},
      {R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
           "Operations": [{"op": "add", "path": "title", "value": "ok"}, {"op": "add", "path": "emails[", "value": 1}]})",
       "invalidPath"},
      {R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
           "Operations": [{"op": "replace", "path": "id", "value": "x"}]})",
       "mutability"},
      {R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
           "Operations": [{"op": "replace", "path": "userName", "value": ""}]})",
       "invalidValue"},
      {R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
           "Operations": [{"op": "replace", "path": "urn:example:x:User:foo", "value": "x"}]})",
       "invalidPath"},
      {R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
           "Operations": [{"op": "replace", "path": "emails[type ne \"work\"].value", "value": "x"}]})",
       "noTarget"},
  };
  for (const Case& c : cases) {
    json user = User();
    const json before = user;
    auto s = ApplyPatch(ResourceType::kUser, user, json::parse(c.body));
    ASSERT_FALSE(s.ok()) << c.body;
    EXPECT_EQ(s.error().scim_type, c.scim_type) << c.body << " " << s.error().message;
    EXPECT_EQ(user, before) << c.body;
  }
}

TEST(ScimResourceTest, FlattensForTheMapping) {
  auto user = NormalizeResource(ResourceType::kUser, json::parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "userName": "asa@example.com", "displayName": "Åsa", "title": "Engineer",
    "name": {"givenName": "Åsa", "familyName": "Örn"},
    "emails": [{"value": "home@x.org", "type": "home"}, {"value": "asa@example.com", "type": "work", "primary": "True"}],
    "phoneNumbers": [{"value": "08-123 45 67", "type": "work"}, {"value": "070-123 45 67", "type": "mobile"}],
    "addresses": [{"type": "work", "locality": "Stockholm", "country": "SE"}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Support", "manager": {"value": "m1"}}
  })"));
  ASSERT_TRUE(user.ok()) << user.error().message;
  SourceObject o = ToSourceObject(ResourceType::kUser, *user, "id-1");
  EXPECT_EQ(o.id, "id-1");
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.First("userName"), "asa@example.com");
  EXPECT_EQ(o.First("name.givenName"), "Åsa");
  EXPECT_EQ(o.First("name.familyName"), "Örn");
  EXPECT_EQ(o.First("emails"), "asa@example.com");  // primary first
  EXPECT_EQ(o.First("emails.work"), "asa@example.com");
  EXPECT_EQ(o.First("emails.home"), "home@x.org");
  EXPECT_EQ(o.First("phoneNumbers.mobile"), "070-123 45 67");
  EXPECT_EQ(o.First("phoneNumbers.work"), "08-123 45 67");
  EXPECT_EQ(o.First("addresses.work.locality"), "Stockholm");
  EXPECT_EQ(o.First("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department"),
            "Support");
  EXPECT_EQ(o.First("department"), "Support");
  EXPECT_EQ(o.First("manager"), "m1");
}

TEST(ScimResourceTest, ProjectsAttributes) {
  json user = User();
  user["id"] = "x";
  json only = Project(user, "userName, name.givenName", "");
  EXPECT_EQ(only["userName"], user["userName"]);
  EXPECT_EQ(only["name"], json({{"givenName", "givenName"}}));
  EXPECT_EQ(only["id"], "x");
  EXPECT_FALSE(only.contains("emails"));
  json without = Project(user, "", "emails,name.formatted,id");
  EXPECT_FALSE(without.contains("emails"));
  EXPECT_FALSE(without["name"].contains("formatted"));
  EXPECT_EQ(without["id"], "x");  // id is always returned
}

}  // namespace
}  // namespace telsync::scim
