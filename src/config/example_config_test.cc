// The config and the sources together: what the loader fills is what MakeSource reads. The
// test sits in config/ because config is above sources (docs/architecture.md, Module layers).
#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"
#include "sources/source.h"

namespace telsync {
namespace {

// The path from config to users: LoadConfig, then MakeSource with the config's directory.
TEST(MakeSourceTest, ReadsEveryProfileOfTheExampleConfig) {
  const std::string path = std::string(TELSYNC_SOURCE_DIR) + "/tests/fixtures/config/example.yaml";
  auto config = LoadConfig(path);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  ASSERT_EQ(config->tenants.size(), 1u);
  const size_t expected[] = {3, 4, 4};
  for (size_t i = 0; i < 3; ++i) {
    const Profile& profile = config->tenants[0].profiles[i];
    SCOPED_TRACE(profile.name);
    auto source = MakeSource(profile.source, config->BaseDir());
    ASSERT_TRUE(source.ok()) << source.error().ToString();
    const ConnectionReport report = (*source)->TestConnection();
    EXPECT_TRUE(report.ok) << report.message;
    EXPECT_EQ(report.message.rfind(std::to_string(expected[i]) + " users readable", 0), 0u)
        << report.message;
  }
}

}  // namespace
}  // namespace telsync
