#include "server/scim/applier.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>

namespace telsync::scim {
namespace {

MirrorApplierOptions Options(int delay_ms) {
  MirrorApplierOptions o;
  o.delay = std::chrono::milliseconds(delay_ms);
  o.retry_initial = std::chrono::milliseconds(1);
  o.retry_max = std::chrono::milliseconds(4);
  return o;
}

// The pending ids live in the store; this stands in for it: Touch() adds, run() takes.
struct Pending {
  std::mutex m;
  std::set<std::string> ids;
  std::vector<std::set<std::string>> batches;
  ApplyPass Run(size_t page = 1000) {
    std::lock_guard<std::mutex> lock(m);
    std::set<std::string> batch;
    while (!ids.empty() && batch.size() < page) {
      batch.insert(*ids.begin());
      ids.erase(ids.begin());
    }
    if (!batch.empty()) batches.push_back(batch);
    return ids.empty() ? ApplyPass::kDone : ApplyPass::kMore;
  }
  void Add(const std::string& id) {
    std::lock_guard<std::mutex> lock(m);
    ids.insert(id);
  }
};

TEST(MirrorApplierTest, ReplaysWhatIsPendingAtStartWithoutATouch) {
  Pending pending;
  pending.Add("left-by-a-crash");
  MirrorApplier applier([&] { return pending.Run(); }, Options(10000));
  applier.Flush();  // does not wait out the delay: the first pass runs at once
  std::lock_guard<std::mutex> lock(pending.m);
  ASSERT_EQ(pending.batches.size(), 1u);
  EXPECT_EQ(pending.batches[0].count("left-by-a-crash"), 1u);
}

TEST(MirrorApplierTest, CoalescesABurstIntoOneRun) {
  Pending pending;
  MirrorApplier applier([&] { return pending.Run(); }, Options(100));
  applier.Flush();  // the start pass, nothing pending
  const size_t before = applier.runs();
  for (int i = 0; i < 50; ++i) {
    pending.Add("u" + std::to_string(i % 10));
    applier.Touch({"u" + std::to_string(i % 10)});
  }
  applier.Flush();
  EXPECT_EQ(applier.runs(), before + 1);
  std::lock_guard<std::mutex> lock(pending.m);
  ASSERT_EQ(pending.batches.size(), 1u);
  EXPECT_EQ(pending.batches[0].size(), 10u);
}

TEST(MirrorApplierTest, AFullPageIsFollowedByTheNextAtOnce) {
  Pending pending;
  for (int i = 0; i < 25; ++i) pending.Add("u" + std::to_string(100 + i));
  MirrorApplier applier([&] { return pending.Run(10); }, Options(10000));
  applier.Flush();
  std::lock_guard<std::mutex> lock(pending.m);
  EXPECT_EQ(pending.batches.size(), 3u);
  EXPECT_TRUE(pending.ids.empty());
}

TEST(MirrorApplierTest, AFailedRunIsRetriedWithoutANewTouch) {
  std::atomic<int> calls{0};
  MirrorApplier applier([&] { return ++calls <= 3 ? ApplyPass::kFailed : ApplyPass::kDone; },
                        Options(1));
  applier.Flush();  // returns only once a pass succeeded
  EXPECT_EQ(calls.load(), 4);
  EXPECT_EQ(applier.failures(), 3u);
}

TEST(MirrorApplierTest, StopRunsThePendingBatch) {
  Pending pending;
  {
    MirrorApplier applier([&] { return pending.Run(); }, Options(10000));
    applier.Flush();
    pending.Add("a");
    pending.Add("b");
    applier.Touch({"a", "b"});
    applier.Stop();  // does not wait out the delay
  }
  std::lock_guard<std::mutex> lock(pending.m);
  EXPECT_TRUE(pending.ids.empty());
}

TEST(MirrorApplierTest, NothingTouchedRunsOnlyTheStartPass) {
  std::atomic<int> runs{0};
  MirrorApplier applier(
      [&] {
        ++runs;
        return ApplyPass::kDone;
      },
      Options(1));
  applier.Touch({});
  applier.Flush();
  applier.Stop();
  EXPECT_EQ(runs.load(), 1);
}

}  // namespace
}  // namespace telsync::scim
