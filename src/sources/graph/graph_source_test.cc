#include "sources/graph/graph_source.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

namespace telsync {
namespace {

constexpr const char* kSecret = "s3cr3t-VALUE";

// A tiny Graph on a local port; each test sets the handlers it needs.
class FakeGraph {
 public:
  FakeGraph() {
    server_.Post(R"(/([^/]+)/oauth2/v2\.0/token)", [this](const httplib::Request& req,
                                                          httplib::Response& res) {
      ++tokens;
      if (req.get_param_value("client_secret") != kSecret) {
        res.status = 401;
        res.set_content(
            R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]})",
            "application/json");
        return;
      }
      res.set_content(R"({"token_type":"Bearer","expires_in":3599,"access_token":"tok)" +
                          std::to_string(tokens.load()) + "\"}",
                      "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ~FakeGraph() {
    server_.stop();
    thread_.join();
  }
  httplib::Server& server() { return server_; }
  GraphSourceConfig Config(std::string secret = kSecret) const {
    GraphSourceConfig c;
    c.tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    c.client_id = "11111111-2222-3333-4444-555555555555";
    c.client_secret = Secret(std::move(secret));
    c.authority = c.graph_url = "http://127.0.0.1:" + std::to_string(port_);
    c.max_retry_seconds = 30;
    return c;
  }
  std::atomic<int> tokens{0};

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

const char* kPage = R"({"value":[{"id":"u1","displayName":"A","userType":"Member"},
                                  {"id":"u2","displayName":"G","userType":"Guest"}]})";

ReadResult ReadAll(GraphSource& source, std::vector<SourceObject>& out) {
  return source.Read(
      {}, [&](SourceObject&& o) { out.push_back(std::move(o)); },
      [](const std::string&, const std::string&) {});
}

TEST(GraphSourceTest, RenewsTokenOnceOn401AndSkipsGuests) {
  FakeGraph fake;
  std::atomic<int> calls{0};
  fake.server().Get(R"(/v1\.0/users.*)", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.path.find("/delta") != std::string::npos) {
      res.set_content(R"({"value":[],"@odata.deltaLink":"http://x/d"})", "application/json");
      return;
    }
    if (++calls == 1) {  // the first token "expired"
      res.status = 401;
      res.set_content(R"({"error":{"code":"InvalidAuthenticationToken","message":"expired"}})",
                      "application/json");
      return;
    }
    res.set_content(kPage, "application/json");
  });
  fake.server().Get(
      R"(/v1\.0/groups/delta.*)", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"value":[],"@odata.deltaLink":"http://x/g"})", "application/json");
      });
  GraphSource source(fake.Config(), [](double) {});
  std::vector<SourceObject> users;
  ReadResult r = ReadAll(source, users);
  ASSERT_TRUE(r.complete) << r.ErrorMessage();
  ASSERT_EQ(users.size(), 1u);  // the guest is skipped
  EXPECT_EQ(users[0].id, "u1");
  EXPECT_EQ(fake.tokens.load(), 2);
  EXPECT_FALSE(r.delta);
  EXPECT_NE(r.cursor.find("http://x/d"), std::string::npos);
}

TEST(GraphSourceTest, HonoursRetryAfterThenGivesUpWithinBudget) {
  FakeGraph fake;
  std::atomic<int> calls{0};
  fake.server().Get(R"(/v1\.0/users)", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls <= 2) {
      res.status = 429;
      res.set_header("Retry-After", "3");
      res.set_content(R"({"error":{"code":"TooManyRequests","message":"Too many requests."}})",
                      "application/json");
      return;
    }
    res.set_content(kPage, "application/json");
  });
  std::vector<double> waits;
  GraphSourceConfig config = fake.Config();
  config.groups = {};
  GraphSource source(config, [&](double s) { waits.push_back(s); });
  std::vector<SourceObject> users;
  ReadResult r = ReadAll(source, users);  // delta links fail (404): still a complete read
  ASSERT_TRUE(r.complete) << r.ErrorMessage();
  EXPECT_EQ(waits, (std::vector<double>{3, 3}));
  EXPECT_TRUE(r.cursor.empty());

  // Always throttled: the budget (10 s) runs out, the read is incomplete and says why.
  calls = -1000;
  config.max_retry_seconds = 10;
  GraphSource stubborn(config, [&](double) {});
  users.clear();
  r = ReadAll(stubborn, users);
  EXPECT_FALSE(r.complete);
  EXPECT_NE(r.ErrorMessage().find("429"), std::string::npos) << r.ErrorMessage();
  EXPECT_NE(r.ErrorMessage().find("retry budget"), std::string::npos) << r.ErrorMessage();
}

TEST(GraphSourceTest, WrongSecretIsPlainWordsAndNeverEchoed) {
  FakeGraph fake;
  GraphSource source(fake.Config("wrong-" + std::string(kSecret)), [](double) {});
  ConnectionReport report = source.TestConnection();
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.message.find("client secret is wrong"), std::string::npos) << report.message;
  EXPECT_EQ(report.message.find(kSecret), std::string::npos);
  std::vector<SourceObject> users;
  ReadResult r = ReadAll(source, users);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.ErrorMessage().find(kSecret), std::string::npos);
  EXPECT_EQ(source.Describe(), "graph:72f988bf-86f1-41af-91ab-2d7cd011db47");
}

TEST(GraphSourceTest, UnreachableGraphIsIncomplete) {
  GraphSourceConfig config;
  config.tenant_id = "t";
  config.client_id = "c";
  config.client_secret = Secret(kSecret);
  config.authority = config.graph_url = "http://127.0.0.1:1";
  GraphSource source(config, [](double) {});
  std::vector<SourceObject> users;
  ReadResult r = ReadAll(source, users);
  EXPECT_FALSE(r.complete);
  EXPECT_NE(r.ErrorMessage().find("cannot sign in"), std::string::npos) << r.ErrorMessage();
  EXPECT_TRUE(users.empty());
}

}  // namespace
}  // namespace telsync
