#include "server/ops/ops_routes.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "util/service_metrics.h"

namespace telsync::ops {
namespace {

TEST(OpsRoutesTest, ReadinessNamesTheFailingCheck) {
  http::Response ok = ReadinessResponse({{"store", Ok()}, {"server", Ok()}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(nlohmann::json::parse(ok.body),
            nlohmann::json::parse(R"({"status":"ready","checks":{"store":"ok","server":"ok"}})"));
  http::Response bad = ReadinessResponse(
      {{"store", Error::Unavailable("the store file x is gone")}, {"server", Ok()}});
  EXPECT_EQ(bad.status, 503);
  auto doc = nlohmann::json::parse(bad.body);
  EXPECT_EQ(doc["status"], "not ready");
  EXPECT_EQ(doc["checks"]["store"], "the store file x is gone");
  EXPECT_EQ(doc["checks"]["server"], "ok");
}

TEST(OpsRoutesTest, StoreCheckFailsWhenTheQueryFailsOrTheFileIsGone) {
  const std::string path =
      ::testing::TempDir() + "ops_store_check_" + std::to_string(::getpid()) + ".db";
  std::ofstream(path) << "x";
  bool query_ok = true;
  auto check = MakeStoreCheck("sqlite:" + path, [&]() -> Status {
    return query_ok ? Ok() : Status(Error::Internal("disk I/O error"));
  });
  EXPECT_TRUE(check().ok());
  query_ok = false;
  ASSERT_FALSE(check().ok());
  EXPECT_NE(check().error().message.find("disk I/O error"), std::string::npos);
  query_ok = true;
  std::filesystem::remove(path);
  ASSERT_FALSE(check().ok());
  EXPECT_NE(check().error().message.find("is gone"), std::string::npos);
  // A PostgreSQL spec is not a path: only the query counts (and the URL, which may hold a
  // password, is never in a message).
  auto pg = MakeStoreCheck("postgres://u:pw@db/telsync", [] { return Ok(); });
  EXPECT_TRUE(pg().ok());
}

class OpsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ServerOptions options;
    options.port = 0;
    options.threads = 4;
    server_ = std::make_unique<http::HttpServer>(options);
    server_->Route("GET", "/scim/v2/{tenant}/Users/{id}",
                   [](http::Request&) { return http::Response::Json(200, "{}"); });
    OpsOptions ops;
    ops.store_check = [this]() -> Status {
      return store_ok_ ? Ok() : Status(Error::Unavailable("store down"));
    };
    ops.shutting_down = [this] { return stopping_.load(); };
    ops.scim_tenants = {"opsacme"};
    RegisterOpsRoutes(*server_, ops);
    auto port = server_->Bind();
    ASSERT_TRUE(port.ok());
    port_ = *port;
    thread_ = std::thread([this] { EXPECT_TRUE(server_->Serve().ok()); });
  }
  void TearDown() override {
    server_->Shutdown();
    thread_.join();
  }

  std::unique_ptr<http::HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> store_ok_{true};
  std::atomic<bool> stopping_{false};
};

TEST_F(OpsServerTest, MetricsAndReadinessOverHttp) {
  httplib::Client c("127.0.0.1", port_);
  const double before = metrics::ScimRequestsTotal().With({"opsacme", "GET", "200"}).Value();
  ASSERT_EQ(c.Get("/scim/v2/opsacme/Users/1")->status, 200);
  ASSERT_EQ(c.Get("/scim/v2/opsacme/Users/2")->status, 200);
  ASSERT_EQ(c.Get("/scim/v2/random-tenant-xyz/Users/2")->status, 200);
  ASSERT_EQ(c.Get("/nowhere/at/all")->status, 404);

  auto ready = c.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  store_ok_ = false;
  ready = c.Get("/readyz");
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(nlohmann::json::parse(ready->body)["checks"]["store"], "store down");
  store_ok_ = true;
  stopping_ = true;
  ready = c.Get("/readyz");
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(nlohmann::json::parse(ready->body)["checks"]["server"], "shutting down");

  auto scrape = c.Get("/metrics");
  ASSERT_TRUE(scrape);
  EXPECT_EQ(scrape->status, 200);
  EXPECT_EQ(scrape->get_header_value("Content-Type"), std::string(metrics::kContentType));
  const std::string& text = scrape->body;
  for (const char* name :
       {"telsync_runs_total", "telsync_run_duration_seconds", "telsync_users",
        "telsync_source_read_errors_total", "telsync_throttle_wait_seconds_total",
        "telsync_throttled_requests_total", "telsync_scim_requests_total",
        "telsync_http_requests_total", "telsync_http_request_duration_seconds",
        "telsync_mail_total"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + name + " "), std::string::npos) << name;
  }
  EXPECT_EQ(metrics::ScimRequestsTotal().With({"opsacme", "GET", "200"}).Value(), before + 2);
  EXPECT_GE(metrics::ScimRequestsTotal().With({"unknown", "GET", "200"}).Value(), 1);
  // Route patterns, not raw paths, label the HTTP counter.
  EXPECT_NE(text.find("telsync_http_requests_total{route=\"/scim/v2/{tenant}/Users/{id}\","
                      "status=\"200\"}"),
            std::string::npos);
  EXPECT_NE(text.find("telsync_http_requests_total{route=\"unmatched\",status=\"404\"}"),
            std::string::npos);
  EXPECT_EQ(text.find("random-tenant-xyz"), std::string::npos);
  EXPECT_EQ(text.find("/nowhere"), std::string::npos);
}

}  // namespace
}  // namespace telsync::ops
