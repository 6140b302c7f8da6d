// The service as `serve` runs it, started without the CLI.
#include "server/service.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "util/token.h"

namespace telsync {
namespace {

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/telsync-serviceXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void WriteConfig(const std::string& profiles) {
    std::ofstream(dir_ + "/telsync.yaml") << "store: " << dir_ << "/telsync.db\n"
                                          << "tenants:\n  - name: acme\n    profiles:\n"
                                          << profiles;
  }
  ServiceOptions Options() {
    ServiceOptions o;
    o.http.host = "127.0.0.1";
    o.http.port = 0;
    o.http.threads = 4;
    o.workers = 1;
    o.worker_name = "test:1";
    o.base_dir = dir_;
    o.secret_key_path = dir_ + "/telsync.db.key";
    o.clock = [] { return int64_t{1790000000}; };
    return o;
  }

  std::string dir_;
};

TEST_F(ServiceTest, ServesHealthScimAndTheRestApiBehindOneAuthenticationAndStops) {
  WriteConfig("      - name: entra\n        source: {type: scim}\n");
  auto config = LoadConfig(dir_ + "/telsync.yaml");
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  auto store = OpenStore(config->store);
  ASSERT_TRUE(store.ok());
  const std::string scim_token = "scim-token-for-acme";
  ASSERT_TRUE((*store)->AddToken({0, "acme", "scim", "t", Sha256Hex(scim_token), 1, 0}).ok());

  auto service = Service::Start(*config, **store, Options());
  ASSERT_TRUE(service.ok()) << service.error().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/telsync.db.key"));  // made on the first start
  ASSERT_EQ((*service)->ScimAtStart().size(), 1u);
  EXPECT_EQ((*service)->ScimAtStart()[0].second, "entra");
  auto port = (*service)->Bind();
  ASSERT_TRUE(port.ok()) << port.error().ToString();
  std::thread serving([&] { EXPECT_TRUE((*service)->Serve().ok()); });

  httplib::Client client("127.0.0.1", *port);
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const httplib::Headers auth{{"Authorization", "Bearer " + scim_token}};
  auto users = client.Get("/scim/v2/acme/Users", auth);
  ASSERT_TRUE(users);
  EXPECT_EQ(users->status, 200) << users->body;
  // A SCIM token is no REST token: the one authentication says so.
  auto runs = client.Get("/api/v1/tenants/acme/runs", auth);
  ASSERT_TRUE(runs);
  EXPECT_EQ(runs->status, 401);
  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;

  (*service)->Stop();
  serving.join();
}

TEST_F(ServiceTest, AStopBeforeServeReturnsAtOnceAndConfigurationProblemsAreInvalid) {
  WriteConfig("      - name: entra\n        source: {type: scim}\n");
  auto config = LoadConfig(dir_ + "/telsync.yaml");
  ASSERT_TRUE(config.ok());
  auto store = OpenStore(config->store);
  ASSERT_TRUE(store.ok());
  auto service = Service::Start(*config, **store, Options());
  ASSERT_TRUE(service.ok());
  ASSERT_TRUE((*service)->Bind().ok());
  (*service)->Stop();
  EXPECT_TRUE((*service)->Serve().ok());  // does not hang
  service->reset();

  // Without its key, a store whose key is recorded does not start.
  std::filesystem::remove(dir_ + "/telsync.db.key");
  auto keyless = Service::Start(*config, **store, Options());
  ASSERT_FALSE(keyless.ok());
  EXPECT_EQ(keyless.error().code, ErrorCode::kInvalid);
  EXPECT_NE(keyless.error().message.find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace telsync
