// The Graph source's throttling reaches /metrics (issue 7 item 5): a 429 with Retry-After
// counts one telsync_throttled_requests_total{source="graph"} and adds the seconds waited
// to telsync_throttle_wait_seconds_total{source="graph"}.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "sources/graph/graph_source.h"
#include "util/service_metrics.h"

namespace telsync {
namespace {

TEST(GraphMetricsTest, ThrottlingIsCounted) {
  httplib::Server server;
  server.Post(R"(/([^/]+)/oauth2/v2\.0/token)",
              [](const httplib::Request&, httplib::Response& res) {
                res.set_content(R"({"token_type":"Bearer","expires_in":3599,"access_token":"t"})",
                                "application/json");
              });
  std::atomic<int> calls{0};
  server.Get(R"(/v1\.0/users.*)", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls == 1) {
      res.status = 429;
      res.set_header("Retry-After", "7");
      res.set_content(R"({"error":{"code":"TooManyRequests","message":"slow down"}})",
                      "application/json");
      return;
    }
    res.set_content(R"({"value":[{"id":"u1","displayName":"A","userType":"Member"}]})",
                    "application/json");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));

  const auto throttled = metrics::ThrottledRequestsTotal().With({"graph"});
  const auto waited = metrics::ThrottleWaitSecondsTotal().With({"graph"});
  const double throttled_before = throttled.Value();
  const double waited_before = waited.Value();

  GraphSourceConfig config;
  config.tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  config.client_id = "11111111-2222-3333-4444-555555555555";
  config.client_secret = Secret("x");
  config.authority = config.graph_url = "http://127.0.0.1:" + std::to_string(port);
  config.max_retry_seconds = 30;
  std::vector<double> sleeps;
  size_t objects = 0;
  {  // the source (and its keep-alive connection) ends before the server stops
    GraphSource source(config, [&](double s) { sleeps.push_back(s); });
    (void)source.Read(
        {}, [&](SourceObject&&) { ++objects; }, [](const std::string&, const std::string&) {});
  }
  server.stop();
  thread.join();

  EXPECT_GE(objects, 1u);
  ASSERT_EQ(sleeps, std::vector<double>{7});
  EXPECT_EQ(throttled.Value() - throttled_before, 1);
  EXPECT_EQ(waited.Value() - waited_before, 7);
}

}  // namespace
}  // namespace telsync
