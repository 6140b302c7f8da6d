// The SCIM client's mapping and diff (scim_mapping.h): what is POSTed, what a server's copy
// reads as, and that a PATCH touches only what differs (one row per case).
#include "targets/scim/scim_mapping.h"

#include <gtest/gtest.h>

#include <functional>

namespace telsync {
namespace {

using json = nlohmann::json;

const std::map<std::string, std::string> kFields = {
    {"username", "alice"},          {"first_name", "Alice"},         {"last_name", "Berg"},
    {"display_name", "Alice Berg"}, {"email", "alice@acme.example"}, {"landline", "+4681234567"},
    {"mobile", "+46701234567"},     {"job_title", "Seller"},         {"department", "Sales"},
};

ScimDesired Desired(const std::map<std::string, std::string>& fields = kFields,
                    PhoneRender render = PhoneRender::kE164) {
  return MakeScimDesired(*ScimMapping({}), fields, true, "acme:7", render);
}

TEST(ScimMappingTest, ResourceHasCoreAndEnterpriseAttributes) {
  const json r = ScimResource(Desired());
  EXPECT_EQ(r["schemas"], json::array({kScimUserSchema, kScimEnterpriseSchema}));
  EXPECT_EQ(r["externalId"], "acme:7");
  EXPECT_EQ(r["userName"], "alice");
  EXPECT_EQ(r["active"], true);
  EXPECT_EQ(r["name"], json({{"givenName", "Alice"}, {"familyName", "Berg"}}));
  EXPECT_EQ(r["emails"], json::array({{{"type", "work"}, {"value", "alice@acme.example"}}}));
  EXPECT_EQ(r["phoneNumbers"], json::array({{{"type", "work"}, {"value", "+4681234567"}},
                                            {{"type", "mobile"}, {"value", "+46701234567"}}}));
  EXPECT_EQ(r["title"], "Seller");
  EXPECT_EQ(r[kScimEnterpriseSchema]["department"], "Sales");
}

TEST(ScimMappingTest, DigitsRenderAndOverrides) {
  auto mapping = ScimMapping({{"job_title", ""}, {"city", "addresses[type eq \"work\"].locality"}});
  ASSERT_TRUE(mapping.ok());
  auto fields = kFields;
  fields["city"] = "Stockholm";
  const json r =
      ScimResource(MakeScimDesired(*mapping, fields, false, "t:1", PhoneRender::kDigits));
  EXPECT_FALSE(r.contains("title"));
  EXPECT_EQ(r["addresses"], json::array({{{"type", "work"}, {"locality", "Stockholm"}}}));
  EXPECT_EQ(r["phoneNumbers"][0]["value"], "4681234567");
  EXPECT_EQ(r["active"], false);
}

TEST(ScimMappingTest, RejectsBadPaths) {
  for (const char* bad :
       {"emails[type ne \"work\"].value", "name..x", "a b", "emails[type eq \"\"]"}) {
    EXPECT_FALSE(ScimMapping({{"email", bad}}).ok()) << bad;
  }
  EXPECT_FALSE(ScimMapping({{"username", "displayName"}}).ok());
}

TEST(ScimMappingTest, ReadsAServersCopy) {
  const json u = json::parse(R"({"userName": "alice", "active": false,
    "name": {"givenName": "Alice", "formatted": "Alice Berg"},
    "phoneNumbers": [{"type": "Mobile", "value": "+467"}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"}})");
  EXPECT_EQ(ScimRead(u, "userName"), "alice");
  EXPECT_EQ(ScimRead(u, "active"), "false");
  EXPECT_EQ(ScimRead(u, "name.givenName"), "Alice");
  EXPECT_EQ(ScimRead(u, "name.familyName"), "");
  EXPECT_EQ(ScimRead(u, "phoneNumbers[type eq \"mobile\"].value"), "+467");
  EXPECT_EQ(ScimRead(u, "phoneNumbers[type eq \"work\"].value"), "");
  EXPECT_EQ(ScimRead(u, std::string(kScimEnterpriseSchema) + ":department"), "Sales");
}

struct PatchCase {
  const char* name;
  std::function<void(json&)> server_change;  // applied to the server's copy of Desired()
  std::vector<std::string> changed;          // paths the diff reports
  const char* ops;                           // the Operations, as JSON
};

TEST(ScimMappingTest, PatchTouchesOnlyWhatDiffers) {
  const std::string dept = std::string(kScimEnterpriseSchema) + ":department";
  const std::vector<PatchCase> cases = {
      {"same", [](json&) {}, {}, "[]"},
      {"server extras are ignored",
       [](json& u) {
         u["id"] = "x";
         u["meta"] = {{"version", "1"}};
         u["name"]["formatted"] = "Alice Berg";
         u["emails"][0]["primary"] = true;
       },
       {},
       "[]"},
      {"title drifted",
       [](json& u) { u["title"] = "Boss"; },
       {"title"},
       R"([{"op":"replace","value":{"title":"Seller"}}])"},
      {"given name drifted, formatted kept",
       [](json& u) {
         u["name"]["givenName"] = "Al";
         u["name"]["formatted"] = "F";
       },
       {"name.givenName"},
       R"([{"op":"replace","value":{"name":{"familyName":"Berg","formatted":"F","givenName":"Alice"}}}])"},
      {"mobile drifted, a fax entry kept",
       [](json& u) {
         u["phoneNumbers"][1]["value"] = "+1";
         u["phoneNumbers"].push_back({{"type", "fax"}, {"value", "+2"}});
       },
       {"phoneNumbers[type eq \"mobile\"].value"},
       R"([{"op":"replace","path":"phoneNumbers","value":[{"type":"work","value":"+4681234567"},{"type":"mobile","value":"+46701234567"},{"type":"fax","value":"+2"}]}])"},
      {"department and active drifted",
       [](json& u) {
         u[kScimEnterpriseSchema]["department"] = "HR";
         u["active"] = false;
       },
       {"active", dept},
       R"([{"op":"replace","value":{"active":true,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}}}])"},
      {"externalId missing (adopted)",
       [](json& u) { u.erase("externalId"); },
       {"externalId"},
       R"([{"op":"replace","value":{"externalId":"acme:7"}}])"},
  };
  for (const PatchCase& c : cases) {
    json server = ScimResource(Desired());
    c.server_change(server);
    std::vector<std::string> changed;
    const json patch = ScimPatch(Desired(), server, &changed);
    EXPECT_EQ(changed, c.changed) << c.name;
    EXPECT_EQ(patch["Operations"], json::parse(c.ops)) << c.name;
  }
}

TEST(ScimMappingTest, EmptiedFieldsAreRemoved) {
  auto fields = kFields;
  fields.erase("job_title");
  fields.erase("mobile");
  fields.erase("landline");
  const json server = ScimResource(Desired());
  std::vector<std::string> changed;
  const json patch = ScimPatch(Desired(fields), server, &changed);
  EXPECT_EQ(patch["Operations"], json::parse(R"([{"op":"remove","path":"title"},
                                               {"op":"remove","path":"phoneNumbers"}])"));
}

}  // namespace
}  // namespace telsync
