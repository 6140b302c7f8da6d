#include "server/scim/applier.h"

#include <gtest/gtest.h>

#include <atomic>

namespace telsync::scim {
namespace {

TEST(MirrorApplierTest, CoalescesABurstIntoOneRun) {
  std::mutex m;
  std::vector<std::vector<std::string>> batches;
  MirrorApplier applier(
      [&](const std::vector<std::string>& ids) {
        std::lock_guard<std::mutex> lock(m);
        batches.push_back(ids);
      },
      std::chrono::milliseconds(100));
  for (int i = 0; i < 50; ++i) applier.Touch({"u" + std::to_string(i % 10)});
  applier.Flush();
  std::lock_guard<std::mutex> lock(m);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].size(), 10u);  // unique ids
  EXPECT_EQ(batches[0].front(), "u0");
}

TEST(MirrorApplierTest, StopRunsThePendingBatch) {
  std::atomic<int> seen{0};
  {
    MirrorApplier applier(
        [&](const std::vector<std::string>& ids) { seen += static_cast<int>(ids.size()); },
        std::chrono::milliseconds(10000));
    applier.Touch({"a", "b"});
    applier.Stop();  // does not wait out the delay
  }
  EXPECT_EQ(seen.load(), 2);
}

TEST(MirrorApplierTest, NothingTouchedRunsNothing) {
  std::atomic<int> runs{0};
  MirrorApplier applier([&](const std::vector<std::string>&) { ++runs; },
                        std::chrono::milliseconds(1));
  applier.Touch({});
  applier.Flush();
  applier.Stop();
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(applier.runs(), 0u);
}

}  // namespace
}  // namespace telsync::scim
