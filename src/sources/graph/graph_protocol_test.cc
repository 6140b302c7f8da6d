#include "sources/graph/graph_protocol.h"

#include <gtest/gtest.h>

namespace telsync::graph {
namespace {

std::vector<SourceObject> Parse(std::string body, Result<PageInfo>* info_out = nullptr,
                                std::vector<std::string>* bad = nullptr) {
  std::vector<SourceObject> users;
  auto info = ParseUsersPage(
      body, [&](SourceObject&& u) { users.push_back(std::move(u)); },
      [&](const std::string& why) {
        if (bad) bad->push_back(why);
      });
  if (info_out) *info_out = info;
  return users;
}

TEST(GraphProtocolTest, MembersWithLimitedInformationAreCountedNotHandedOn) {
  // GroupMember.Read.All without User.Read.All: an id, the type, every property null.
  Result<PageInfo> info = Error::Internal("unset");
  auto users = Parse(R"({"value":[
      {"@odata.type":"#microsoft.graph.user","id":"1","displayName":null,"mail":null,
       "accountEnabled":null,"userType":null},
      {"@odata.type":"#microsoft.graph.user","id":"2","displayName":"Bo","mail":null,
       "accountEnabled":true},
      {"id":"3","@removed":{"reason":"changed"}},
      {"id":"4"}]})",
                     &info);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->limited, 1u);
  ASSERT_EQ(users.size(), 3u);  // a user with one value, a removal, a bare id are not limited
  EXPECT_EQ(users[0].id, "2");
  EXPECT_TRUE(users[1].deleted);
  EXPECT_EQ(users[2].id, "4");
}

TEST(GraphProtocolTest, ParsesUsersGroupsAndLinks) {
  Result<PageInfo> info = Error::Internal("unset");
  auto users = Parse(R"({"@odata.context":"x","@odata.nextLink":"https://g/v1.0/users?$skiptoken=A",
    "value":[{"id":"1","displayName":"Anna \"A\" Berg","accountEnabled":false,
      "businessPhones":["+46 8 1","+46 8 2"],"mobilePhone":null,"employeeId":42,
      "onPremisesExtensionAttributes":{"extensionAttribute1":"x"},
      "memberOf":[{"@odata.type":"#microsoft.graph.group","id":"g","displayName":"Sales"},
                  {"@odata.type":"#microsoft.graph.directoryRole","id":"r","displayName":"Admin"}]}]})",
                     &info);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->next_link, "https://g/v1.0/users?$skiptoken=A");
  ASSERT_EQ(users.size(), 1u);
  const SourceObject& u = users[0];
  EXPECT_EQ(u.id, "1");
  EXPECT_FALSE(u.enabled);
  EXPECT_EQ(u.First("displayName"), "Anna \"A\" Berg");
  ASSERT_NE(u.Find("businessPhones"), nullptr);
  EXPECT_EQ(u.Find("businessPhones")->size(), 2u);
  EXPECT_EQ(u.Find("mobilePhone"), nullptr);
  EXPECT_EQ(u.First("employeeId"), "42");
  EXPECT_EQ(u.First("onPremisesExtensionAttributes.extensionAttribute1"), "x");
  EXPECT_EQ(u.groups, std::vector<std::string>{"Sales"});  // the directory role is not a group
}

TEST(GraphProtocolTest, DeltaPageMarksRemovedAndGivesDeltaLink) {
  Result<PageInfo> info = Error::Internal("unset");
  auto users =
      Parse(R"({"value":[{"id":"1","@removed":{"reason":"deleted"}},{"id":"2","mail":"b@x"}],
    "@odata.deltaLink":"https://g/v1.0/users/delta?$deltatoken=T"})",
            &info);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->delta_link, "https://g/v1.0/users/delta?$deltatoken=T");
  EXPECT_TRUE(info->next_link.empty());
  ASSERT_EQ(users.size(), 2u);
  EXPECT_TRUE(users[0].deleted);
  EXPECT_FALSE(users[1].deleted);
}

TEST(GraphProtocolTest, BadRecordsAndBadPages) {
  Result<PageInfo> info = Error::Internal("unset");
  std::vector<std::string> bad;
  auto users = Parse(R"({"value":[{"displayName":"no id"},{"id":"2"}]})", &info, &bad);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(users.size(), 1u);
  EXPECT_EQ(info->bad, 1u);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].find("no id"), std::string::npos);
  for (const char* page : {R"({"value":[{"id":"1"})", "<html>", R"({"error":{}})", ""}) {
    Parse(page, &info);
    EXPECT_FALSE(info.ok()) << page;
  }
}

TEST(GraphProtocolTest, SelectUsesGraphSpellingAndAlwaysTheBasics) {
  EXPECT_EQ(
      SelectFor({"mobilephone", "memberof", "onpremisesextensionattributes.extensionattribute3",
                 "extension_abc_costCenter"}),
      (std::vector<std::string>{"accountEnabled", "extension_abc_costCenter", "id", "mobilePhone",
                                "onPremisesExtensionAttributes", "userType"}));
  EXPECT_EQ(SelectFor({}).size(), OfferedProperties().size());
}

struct TokenCase {
  long status;
  std::string body;
  std::string expect;  // in the message
};

TEST(GraphProtocolTest, TokenErrorsInPlainWords) {
  const std::vector<TokenCase> cases = {
      {400,
       R"({"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x' not found.\r\nTrace ID: 1","error_codes":[90002],"trace_id":"t1","correlation_id":"c"})",
       "tenant T does not exist"},
      {400,
       R"({"error":"unauthorized_client","error_description":"AADSTS700016: Application with identifier 'C' was not found","error_codes":[700016]})",
       "application C is not registered in tenant T"},
      {401,
       R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]})",
       "the client secret is wrong"},
      {401,
       R"({"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys are expired.","error_codes":[7000222]})",
       "the client secret has expired"},
      {500, "<html>oops</html>", "without an OAuth error body"},
      {400, R"({"error":"invalid_scope","error_codes":[70011]})", "sign-in to Entra ID failed"},
  };
  for (const auto& c : cases) {
    auto token = ParseTokenAnswer(c.status, c.body, "T", "C");
    ASSERT_FALSE(token.ok()) << c.body;
    EXPECT_EQ(token.error().code, ErrorCode::kAuth);
    EXPECT_NE(token.error().message.find(c.expect), std::string::npos) << token.error().message;
    EXPECT_EQ(token.error().message.find("Trace ID: 1"), std::string::npos);
  }
  auto ok = ParseTokenAnswer(
      200, R"({"token_type":"Bearer","expires_in":3599,"access_token":"abc"})", "T", "C");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->access_token, "abc");
  EXPECT_EQ(ok->expires_in, 3599);
}

TEST(GraphProtocolTest, GraphErrorsNamePermissionAndRequestId) {
  const std::string forbidden =
      R"({"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2026-01-01T00:00:00","request-id":"rid-1","client-request-id":"rid-1"}}})";
  Error e = GraphError(403, forbidden, "reading users", "User.Read.All");
  EXPECT_EQ(e.code, ErrorCode::kAuth);
  EXPECT_NE(e.message.find("permission User.Read.All"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("rid-1"), std::string::npos);
  EXPECT_EQ(GraphError(404, "{}", "x", "p").code, ErrorCode::kNotFound);
  EXPECT_EQ(GraphError(503, "", "x", "p").code, ErrorCode::kUnavailable);
  EXPECT_EQ(GraphError(400, "", "x", "p").code, ErrorCode::kInvalid);
  EXPECT_EQ(GraphErrorCode(R"({"error":{"code":"syncStateNotFound","message":"m"}})"),
            "syncStateNotFound");
  EXPECT_EQ(GraphErrorCode("not json"), "");
}

TEST(GraphProtocolTest, RetryDelayHonoursRetryAfterElseBacksOffWithJitter) {
  EXPECT_DOUBLE_EQ(RetryDelay(0, 7.0, 0.9), 7.0);
  EXPECT_DOUBLE_EQ(RetryDelay(0, std::nullopt, 0.0), 0.5);
  EXPECT_DOUBLE_EQ(RetryDelay(0, std::nullopt, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(RetryDelay(3, std::nullopt, 1.0), 8.0);
  EXPECT_DOUBLE_EQ(RetryDelay(30, std::nullopt, 1.0), 60.0);  // capped
  EXPECT_DOUBLE_EQ(RetryDelay(0, 100000.0, 0.0), 300.0);      // a silly Retry-After is capped
}

TEST(GraphProtocolTest, CursorRoundTripAndRejectsOthers) {
  Cursor c{"https://g/u?$deltatoken=1", "https://g/g?$deltatoken=2", 1790000000};
  auto back = DecodeCursor(EncodeCursor(c));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->users, c.users);
  EXPECT_EQ(back->groups, c.groups);
  EXPECT_EQ(back->full_read_at, c.full_read_at);
  for (const char* bad :
       {"", "12345", "{\"users\":\"x\"}", "{\"graph\":1,\"users\":\"\"}", "[1]"}) {
    EXPECT_FALSE(DecodeCursor(bad).has_value()) << bad;
  }
}

TEST(GraphProtocolTest, QuotingAndGuids) {
  EXPECT_EQ(ODataQuote("O'Brien"), "'O''Brien'");
  EXPECT_TRUE(LooksLikeGuid("72f988bf-86f1-41af-91ab-2d7cd011db47"));
  EXPECT_FALSE(LooksLikeGuid("Sales"));
  EXPECT_FALSE(LooksLikeGuid("72f988bf-86f1-41af-91ab-2d7cd011db4g"));
}

}  // namespace
}  // namespace telsync::graph

namespace telsync::graph {
namespace {

// Found by the fuzzer: members of the wrong type must not throw out of the parsers.
TEST(GraphProtocolTest, ErrorBodiesWithMembersOfTheWrongTypeAreStillErrors) {
  auto token = ParseTokenAnswer(401, R"({"error":"invalid_client","error":[7000215]})", "t", "c");
  ASSERT_FALSE(token.ok());
  auto odd = ParseTokenAnswer(400, R"({"error":1,"error_description":[],"trace_id":{}})", "t", "c");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(GraphErrorCode(R"({"error":{"code":5}})"), "");
  const Error e = GraphError(503, R"({"error":{"code":[],"innerError":{"request-id":7}}})",
                             "reading users", "User.Read.All");
  EXPECT_EQ(e.code, ErrorCode::kUnavailable);
  EXPECT_FALSE(DecodeCursor(R"({"graph":"1","users":"x"})").has_value());
  EXPECT_EQ(StringMember(nlohmann::json::parse(R"({"a":1})"), "a", "d"), "d");
}

}  // namespace
}  // namespace telsync::graph
