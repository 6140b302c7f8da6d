#include "util/http_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

namespace telsync {
namespace {

// A real HTTP server on a free local port for the duration of a test.
class LocalServer {
 public:
  LocalServer() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  httplib::Server& server() { return server_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(HttpClientTest, GetReturnsStatusHeadersAndBody) {
  LocalServer local;
  local.server().Get("/x", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "7");
    res.set_content("{\"auth\":\"" + req.get_header_value("Authorization") + "\"}",
                    "application/json");
  });
  HttpClient client({});
  auto r = client.Get(local.Url("/x"), {{"Authorization", "Bearer abc"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->body, "{\"auth\":\"Bearer abc\"}");
  EXPECT_EQ(r->Header("retry-after").value_or(""), "7");
  EXPECT_EQ(r->RetryAfterSeconds(0).value_or(-1), 7);
  EXPECT_FALSE(r->Header("X-Missing").has_value());
}

TEST(HttpClientTest, PostFormEncodesValues) {
  LocalServer local;
  std::string seen;
  local.server().Post("/token", [&](const httplib::Request& req, httplib::Response& res) {
    seen = req.body;
    res.set_content("ok", "text/plain");
  });
  HttpClient client({});
  auto r =
      client.PostForm(local.Url("/token"), {{"a", "x y&z"}, {"scope", "https://g/.default"}}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(seen, "a=x%20y%26z&scope=https%3A%2F%2Fg%2F.default");
}

TEST(HttpClientTest, StreamsBodyInChunksAndCanAbort) {
  LocalServer local;
  local.server().Get("/big", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(1 << 20, 'a'), "text/plain");
  });
  HttpClient client({});
  size_t total = 0;
  auto r = client.Get(local.Url("/big"), {}, [&](std::string_view chunk) {
    total += chunk.size();
    return true;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(total, size_t{1} << 20);
  EXPECT_TRUE(r->body.empty());
  auto stopped = client.Get(local.Url("/big"), {}, [](std::string_view) { return false; });
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().code, ErrorCode::kUnavailable);
}

TEST(HttpClientTest, ConnectionRefusedIsPlainWordsWithoutPathOrQuery) {
  int port = 0;
  {
    LocalServer local;  // a port that was free a moment ago and is closed now
    port = std::stoi(local.Url("").substr(17));
  }
  HttpClient client({});
  auto r = client.Get("http://127.0.0.1:" + std::to_string(port) + "/v1.0/users?$skiptoken=SECRET",
                      {{"Authorization", "Bearer TOKEN"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("refused"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("SECRET"), std::string::npos);
  EXPECT_EQ(r.error().message.find("TOKEN"), std::string::npos);
}

TEST(HttpClientTest, TimeoutIsReported) {
  LocalServer local;
  local.server().Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    res.set_content("late", "text/plain");
  });
  HttpOptions options;
  options.timeout_ms = 150;
  HttpClient client(options);
  auto r = client.Get(local.Url("/slow"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("timeout"), std::string::npos) << r.error().message;
}

TEST(HttpClientTest, RetryAfterHttpDateAndGarbage) {
  HttpResponse r;
  r.headers = {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}};
  EXPECT_DOUBLE_EQ(r.RetryAfterSeconds(1445412470).value_or(-1), 10);
  EXPECT_DOUBLE_EQ(r.RetryAfterSeconds(1445412490).value_or(-1), 0);  // in the past
  r.headers = {{"Retry-After", "soon"}};
  EXPECT_FALSE(r.RetryAfterSeconds(0).has_value());
  r.headers = {};
  EXPECT_FALSE(r.RetryAfterSeconds(0).has_value());
}

TEST(HttpClientTest, OriginDropsPathQueryAndCredentials) {
  EXPECT_EQ(HttpClient::Origin("https://graph.microsoft.com/v1.0/users?$top=1"),
            "https://graph.microsoft.com");
  EXPECT_EQ(HttpClient::Origin("http://user:pw@proxy:3128/x"), "http://proxy:3128");
  EXPECT_EQ(HttpClient::Encode("a b/é"), "a%20b%2F%C3%A9");
}

}  // namespace
}  // namespace telsync
