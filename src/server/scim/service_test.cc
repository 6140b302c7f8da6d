#include "server/scim/service.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace telsync::scim {
namespace {

using nlohmann::json;

class ScimServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenStore(":memory:");
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    service_ = MakeService("acme");
  }

  std::unique_ptr<ScimService> MakeService(const std::string& tenant) {
    ScimServiceOptions options;
    options.tenant = tenant;
    options.profile = "entra";
    options.clock = [] { return int64_t{1700000000}; };
    options.on_touched = [this](const std::vector<std::string>& ids) {
      touched_.insert(touched_.end(), ids.begin(), ids.end());
    };
    return std::make_unique<ScimService>(*store_, mutex_, options);
  }

  ScimResponse Call(const std::string& method, const std::string& resource,
                    const std::string& id = "", const std::string& body = "",
                    ScimService* service = nullptr) {
    ScimRequest r;
    r.method = method;
    r.resource = resource;
    r.id = id;
    r.body = body;
    r.base_url = "https://scim.example.com/scim/v2/acme";
    return (service ? service : service_.get())->Handle(r);
  }

  ScimResponse List(const std::string& resource, const std::string& filter) {
    ScimRequest r;
    r.method = "GET";
    r.resource = resource;
    r.filter = filter;
    r.base_url = "https://scim.example.com/scim/v2/acme";
    return service_->Handle(r);
  }

  std::string CreateUser(const std::string& user_name) {
    auto r = Call("POST", "Users", "",
                  R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": ")" +
                      user_name +
                      R"(", "active": true, "name": {"givenName": "A", "familyName": "B"},
                      "emails": [{"type": "work", "value": ")" +
                      user_name + R"("}]})");
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body)["id"];
  }

  std::unique_ptr<Store> store_;
  std::mutex mutex_;
  std::unique_ptr<ScimService> service_;
  std::vector<std::string> touched_;
};

TEST_F(ScimServiceTest, CreateGetAndEtag) {
  const std::string id = CreateUser("asa@example.com");
  EXPECT_EQ(touched_, std::vector<std::string>{id});
  auto r = Call("GET", "Users", id);
  ASSERT_EQ(r.status, 200);
  json user = json::parse(r.body);
  EXPECT_EQ(user["id"], id);
  EXPECT_EQ(user["meta"]["resourceType"], "User");
  EXPECT_EQ(user["meta"]["version"], "W/\"1\"");
  EXPECT_EQ(user["meta"]["location"], "https://scim.example.com/scim/v2/acme/Users/" + id);
  EXPECT_EQ(r.etag, "W/\"1\"");
  auto entry = store_->GetMirrorEntry("acme", "entra", ObjectKind::kUser, id);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  EXPECT_EQ((*entry)->name, "asa@example.com");
  EXPECT_EQ((*entry)->object.First("emails.work"), "asa@example.com");
}

TEST_F(ScimServiceTest, DuplicateUserNameIs409Uniqueness) {
  CreateUser("asa@example.com");
  auto r = Call(
      "POST", "Users", "",
      R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ASA@example.com"})");
  EXPECT_EQ(r.status, 409);
  json body = json::parse(r.body);
  EXPECT_EQ(body["scimType"], "uniqueness");
  EXPECT_EQ(body["status"], "409");
  EXPECT_EQ(body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
}

TEST_F(ScimServiceTest, EntraTestConnectionGetsEmptyList) {
  auto r = List("Users", R"(userName eq "d2c3f7a0-2b4e-4a55-9b1a-0c2f6b8d9e11")");
  ASSERT_EQ(r.status, 200);
  json body = json::parse(r.body);
  EXPECT_EQ(body["totalResults"], 0);
  EXPECT_EQ(body["Resources"], json::array());
  EXPECT_EQ(body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:ListResponse");
}

TEST_F(ScimServiceTest, FiltersAndPages) {
  CreateUser("a@example.com");
  CreateUser("b@example.com");
  CreateUser("c@other.org");
  json body = json::parse(List("Users", R"(userName eq "B@example.com")").body);
  EXPECT_EQ(body["totalResults"], 1);
  body = json::parse(List("Users", R"(emails[type eq "work" and value ew "example.com"])").body);
  EXPECT_EQ(body["totalResults"], 2);
  ScimRequest r;
  r.method = "GET";
  r.resource = "Users";
  r.start_index = "2";
  r.count = "1";
  r.attributes = "userName";
  body = json::parse(service_->Handle(r).body);
  EXPECT_EQ(body["totalResults"], 3);
  EXPECT_EQ(body["startIndex"], 2);
  EXPECT_EQ(body["itemsPerPage"], 1);
  EXPECT_FALSE(body["Resources"][0].contains("emails"));
  auto bad = List("Users", R"(userName eq)");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["scimType"], "invalidFilter");
  r.count = "x";
  EXPECT_EQ(service_->Handle(r).status, 400);
}

TEST_F(ScimServiceTest, PatchDisablesAndIfMatchGuards) {
  const std::string id = CreateUser("asa@example.com");
  ScimRequest r;
  r.method = "PATCH";
  r.resource = "Users";
  r.id = id;
  r.if_match = "W/\"7\"";
  r.body = R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
               "Operations": [{"op": "Replace", "path": "active", "value": "False"}]})";
  EXPECT_EQ(service_->Handle(r).status, 412);
  r.if_match = "W/\"1\"";
  auto ok = service_->Handle(r);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["active"], false);
  EXPECT_EQ(ok.etag, "W/\"2\"");
  auto entry = store_->GetMirrorEntry("acme", "entra", ObjectKind::kUser, id);
  EXPECT_FALSE((*entry)->object.enabled);
}

TEST_F(ScimServiceTest, BadBodiesChangeNothing) {
  const std::string id = CreateUser("asa@example.com");
  EXPECT_EQ(Call("POST", "Users", "", "{not json").status, 400);
  EXPECT_EQ(json::parse(Call("POST", "Users", "", "{not json").body)["scimType"], "invalidSyntax");
  auto unknown = Call(
      "POST", "Users", "",
      R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:x:unknown"], "userName": "z"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(
      Call("PATCH", "Users", id, R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      "Operations": [{"op": "replace", "path": "emails[type eq", "value": "x"}]})")
          .status,
      400);
  EXPECT_EQ(Call("GET", "Users", "nope").status, 404);
  EXPECT_EQ(Call("DELETE", "Users", "nope").status, 404);
  auto count = store_->CountMirror("acme", "entra", ObjectKind::kUser);
  EXPECT_EQ(*count, 1u);
  auto entry = store_->GetMirrorEntry("acme", "entra", ObjectKind::kUser, id);
  EXPECT_EQ((*entry)->version, 1);
}

TEST_F(ScimServiceTest, GroupMembershipRenameAndDeleteReachUsers) {
  const std::string a = CreateUser("a@example.com");
  const std::string b = CreateUser("b@example.com");
  touched_.clear();
  auto created = Call("POST", "Groups", "",
                      R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                                      "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                          "displayName": "Sales", "externalId": "g-1", "members": [{"value": ")" +
                          a + R"("}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string g = json::parse(created.body)["id"];
  EXPECT_EQ(touched_, std::vector<std::string>{a});
  auto groups_of = [&](const std::string& id) {
    return (*store_->GetMirrorEntry("acme", "entra", ObjectKind::kUser, id))->object.groups;
  };
  EXPECT_EQ(groups_of(a), std::vector<std::string>{"Sales"});

  auto patch = Call("PATCH", "Groups", g,
                    R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      "Operations": [{"op": "Add", "path": "members", "value": [{"value": ")" +
                        b + R"("}]},
                     {"op": "Replace", "path": "displayName", "value": "Sales EMEA"}]})");
  EXPECT_EQ(patch.status, 204);
  EXPECT_TRUE(patch.body.empty());
  EXPECT_EQ(groups_of(a), std::vector<std::string>{"Sales EMEA"});
  EXPECT_EQ(groups_of(b), std::vector<std::string>{"Sales EMEA"});

  patch = Call("PATCH", "Groups", g,
               R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      "Operations": [{"op": "Remove", "path": "members[value eq \")" +
                   a + R"(\"]"}]})");
  EXPECT_EQ(patch.status, 204);
  EXPECT_TRUE(groups_of(a).empty());

  // Another tenant's user id is not a member here.
  auto other = MakeService("globex");
  auto foreign = Call(
      "POST", "Users", "",
      R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x@globex.com"})",
      other.get());
  ASSERT_EQ(foreign.status, 201);
  const std::string foreign_id = json::parse(foreign.body)["id"];
  patch = Call("PATCH", "Groups", g,
               R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      "Operations": [{"op": "Add", "path": "members", "value": [{"value": ")" +
                   foreign_id + R"("}]}]})");
  EXPECT_EQ(patch.status, 400);
  EXPECT_EQ(Call("GET", "Users", foreign_id).status, 404);

  ScimRequest r;
  r.method = "GET";
  r.resource = "Groups";
  r.id = g;
  r.excluded_attributes = "members";
  json group = json::parse(service_->Handle(r).body);
  EXPECT_EQ(group["displayName"], "Sales EMEA");
  EXPECT_FALSE(group.contains("members"));

  EXPECT_EQ(Call("DELETE", "Users", b).status, 204);
  group = json::parse(Call("GET", "Groups", g).body);
  EXPECT_FALSE(group.contains("members"));
  EXPECT_EQ(Call("DELETE", "Groups", g).status, 204);
  EXPECT_EQ(Call("GET", "Groups", g).status, 404);
}

TEST_F(ScimServiceTest, DiscoveryEndpoints) {
  json spc = json::parse(Call("GET", "ServiceProviderConfig").body);
  EXPECT_EQ(spc["patch"]["supported"], true);
  EXPECT_EQ(spc["etag"]["supported"], true);
  json types = json::parse(Call("GET", "ResourceTypes").body);
  EXPECT_EQ(types["totalResults"], 2);
  json schemas = json::parse(Call("GET", "Schemas").body);
  EXPECT_EQ(schemas["totalResults"], 3);
  EXPECT_EQ(Call("GET", "Schemas", "urn:ietf:params:scim:schemas:core:2.0:User").status, 200);
  EXPECT_EQ(Call("GET", "Schemas", "urn:nope").status, 404);
  EXPECT_EQ(Call("POST", "Schemas").status, 405);
}

}  // namespace
}  // namespace telsync::scim
