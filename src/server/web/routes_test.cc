#include "server/web/routes.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <regex>
#include <set>
#include <thread>

#include "server/web/assets.h"

namespace telsync::web {
namespace {

class WebRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ServerOptions options;
    options.port = 0;
    options.threads = 2;
    server_ = std::make_unique<http::HttpServer>(options);
    RegisterWebRoutes(*server_);
    auto port = server_->Bind();
    ASSERT_TRUE(port.ok()) << port.error().message;
    port_ = *port;
    thread_ = std::thread([this] { EXPECT_TRUE(server_->Serve().ok()); });
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    if (thread_.joinable()) thread_.join();
  }
  httplib::Result Get(const std::string& path) {
    httplib::Client c("127.0.0.1", port_);
    return c.Get(path);
  }
  static void ExpectSecurityHeaders(const httplib::Response& r) {
    const std::string csp = r.get_header_value("Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("style-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;  // no inline, no eval
    EXPECT_EQ(csp.find("http"), std::string::npos) << csp;    // no other origin
    EXPECT_EQ(r.get_header_value("Referrer-Policy"), "no-referrer");
    EXPECT_EQ(r.get_header_value("X-Content-Type-Options"), "nosniff");
  }

  std::unique_ptr<http::HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(WebRoutesTest, TheRootServesThePageWithItsSecurityHeaders) {
  auto r = Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r->body.find("<html lang=\"en\">"), std::string::npos);
  ExpectSecurityHeaders(*r);
}

TEST_F(WebRoutesTest, AssetsAreServedWithTheirTypeAndUnknownOnesAre404WithTheHeaders) {
  auto js = Get("/assets/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js->body, std::string(FindAsset("app.js")->body));
  ExpectSecurityHeaders(*js);
  auto css = Get("/assets/style.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  EXPECT_EQ(css->get_header_value("Content-Type"), "text/css; charset=utf-8");

  for (const char* path : {"/assets/nope.js", "/assets/index.html"}) {
    auto missing = Get(path);
    ASSERT_TRUE(missing) << path;
    EXPECT_EQ(missing->status, 404) << path;
    ExpectSecurityHeaders(*missing);
  }
}

// The CSP forbids inline script and style: the page must not need them, and every module a
// script imports must be embedded.
TEST(WebAssetsTest, NoInlineScriptOrStyleAndEveryImportIsEmbedded) {
  const Asset* index = FindAsset("index.html");
  ASSERT_NE(index, nullptr);
  const std::string html(index->body);
  const std::regex script_tag(R"(<script\b[^>]*>)");
  int scripts = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), script_tag);
       it != std::sregex_iterator(); ++it, ++scripts) {
    EXPECT_NE(it->str().find("src=\"/assets/"), std::string::npos) << it->str();
  }
  EXPECT_GE(scripts, 1);
  EXPECT_EQ(html.find("<style"), std::string::npos);
  EXPECT_EQ(html.find(" style="), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\son[a-z]+=)")));  // onclick= is inline

  const std::regex import_from(R"re(from\s+"\./([A-Za-z0-9_.-]+)")re");
  std::set<std::string> checked;
  for (const Asset& a : Assets()) {
    if (!a.name.ends_with(".js")) continue;
    const std::string body(a.body);
    EXPECT_EQ(body.find(".innerHTML"), std::string::npos) << a.name << ": build nodes instead";
    for (auto it = std::sregex_iterator(body.begin(), body.end(), import_from);
         it != std::sregex_iterator(); ++it) {
      const std::string target = (*it)[1];
      checked.insert(target);
      EXPECT_NE(FindAsset(target), nullptr) << a.name << " imports " << target;
    }
  }
  EXPECT_FALSE(checked.empty());
}

}  // namespace
}  // namespace telsync::web
