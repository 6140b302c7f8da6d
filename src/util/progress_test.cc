#include "util/progress.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace telsync {
namespace {

TEST(ProgressMeterTest, RateAndEtaComeFromTheGivenTicks) {
  ProgressMeter meter;
  auto r = meter.Update({"read", 0, 1000}, 10'000);
  EXPECT_EQ(r.rate, 0);
  EXPECT_FALSE(r.eta_seconds);
  r = meter.Update({"read", 50, 1000}, 10'100);  // under 250 ms: no rate yet
  EXPECT_EQ(r.rate, 0);
  r = meter.Update({"read", 400, 1000}, 12'000);
  EXPECT_DOUBLE_EQ(r.rate, 200);
  ASSERT_TRUE(r.eta_seconds);
  EXPECT_EQ(*r.eta_seconds, 3);
  // A new phase starts its own clock and count.
  r = meter.Update({"apply", 0, 10}, 12'000);
  EXPECT_EQ(r.rate, 0);
  r = meter.Update({"apply", 10, 10}, 13'000);
  EXPECT_DOUBLE_EQ(r.rate, 10);
  EXPECT_EQ(r.eta_seconds, 0);
}

TEST(ProgressMeterTest, NoEtaPastAnEstimateOrWithoutATotal) {
  ProgressMeter meter;
  (void)meter.Update({"read", 0, 100, true}, 0);
  auto r = meter.Update({"read", 150, 100, true}, 1000);
  EXPECT_DOUBLE_EQ(r.rate, 150);
  EXPECT_FALSE(r.eta_seconds);
  ProgressMeter unknown;
  (void)unknown.Update({"read", 0, 0}, 0);
  r = unknown.Update({"read", 500, 0}, 1000);
  EXPECT_DOUBLE_EQ(r.rate, 500);
  EXPECT_FALSE(r.eta_seconds);
}

TEST(ProgressStyleTest, AutoIsABarOnATerminalOnly) {
  EXPECT_EQ(ParseProgressStyle("auto", true), ProgressStyle::kBar);
  EXPECT_EQ(ParseProgressStyle("auto", false), ProgressStyle::kPlain);
  EXPECT_EQ(ParseProgressStyle("bar", false), ProgressStyle::kBar);
  EXPECT_EQ(ParseProgressStyle("plain", true), ProgressStyle::kPlain);
  EXPECT_EQ(ParseProgressStyle("none", true), ProgressStyle::kNone);
  EXPECT_FALSE(ParseProgressStyle("fancy", true));
}

struct LineCase {
  Progress progress;
  ProgressMeter::Reading reading;
  bool bar;
  std::string line;
};

TEST(ProgressRendererTest, LineShowsPercentRateAndEta) {
  const std::vector<LineCase> cases = {
      {{"read", 5000, 10000},
       {1000, 5},
       true,
       "read     [############............]   50%  5,000/10,000  1,000/s  ETA 0:05"},
      {{"read", 5000, 10000}, {1000, 5}, false, "read      50%  5,000/10,000  1,000/s  ETA 0:05"},
      // An unknown total: the count and the rate, no bar, no percentage, no ETA.
      {{"read", 4096, 0}, {2048, {}}, true, "read     4,096  2,048/s"},
      // An estimate: marked "~", never shown as reached, no ETA once passed.
      {{"read", 1500, 1000, true},
       {500, {}},
       true,
       "read     [#######################.]  ~99%  1,500/~1,000  500/s"},
      {{"read", 250, 1000, true}, {50, 15}, false, "read     ~25%  250/~1,000  50/s  ETA ~0:15"},
      // A file read counts bytes.
      {{"read", 2'500'000, 10'000'000, false, "bytes"},
       {1e6, 8},
       true,
       "read     [######..................]   25%  2.5/10.0 MB  1.0 MB/s  ETA 0:08"},
      {{"apply", 10, 1'000'000},
       {2, 499'995},
       false,
       "apply      0%  10/1,000,000  2/s  ETA 138:53:15"},
      {{"plan", 0, 0}, {}, true, "plan"},
      {{"publish", 12, 0}, {}, false, "publish  12"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ProgressRenderer::Line(c.progress, c.reading, c.bar), c.line) << c.line;
  }
}

class Ticks {
 public:
  int64_t now = 0;
  std::string out;
  ProgressRenderer Make(ProgressStyle style) {
    return ProgressRenderer(
        style, [this] { return now; }, [this](std::string_view s) { out += s; });
  }
};

TEST(ProgressRendererTest, BarRedrawsInPlaceAtMostTenTimesASecondAndKeepsFinishedPhases) {
  Ticks t;
  ProgressRenderer r = t.Make(ProgressStyle::kBar);
  r.Update({"read", 0, 1000});
  t.now = 50;
  r.Update({"read", 100, 1000});  // 50 ms after the last draw: not drawn
  t.now = 500;
  r.Update({"read", 500, 1000});
  t.now = 560;
  r.Update({"read", 1000, 1000});  // not drawn now, but drawn before the next phase
  t.now = 600;
  r.Update({"plan", 0, 0});
  t.now = 700;
  r.Finish();
  r.Finish();  // idempotent
  EXPECT_EQ(t.out,
            "\r\x1b[Kread     [........................]    0%  0/1,000"
            "\r\x1b[Kread     [############............]   50%  500/1,000  1,000/s  ETA 0:01"
            "\r\x1b[Kread     [########################]  100%  1,000/1,000  1,786/s"
            "\n"
            "\r\x1b[Kplan"
            "\n");
}

TEST(ProgressRendererTest, PlainWritesALineEveryFiveSecondsAndPerPhaseWithoutControls) {
  Ticks t;
  ProgressRenderer r = t.Make(ProgressStyle::kPlain);
  r.Update({"read", 0, 0, false, "bytes"});
  t.now = 1000;
  r.Update({"read", 1'000'000, 0, false, "bytes"});  // within 5 s: not written
  t.now = 5000;
  r.Update({"read", 5'000'000, 0, false, "bytes"});
  t.now = 5500;
  r.Update({"read", 5'500'000, 0, false, "bytes"});  // written when the phase ends
  t.now = 6000;
  r.Update({"map", 100, 200});
  t.now = 6100;
  r.Update({"map", 200, 200});
  t.now = 6200;
  r.Finish();
  EXPECT_EQ(t.out,
            "read\n"
            "read     5.0 MB  1.0 MB/s\n"
            "read     5.5 MB  1.0 MB/s\n"
            "map       50%  100/200\n"
            "map      100%  200/200\n");
  EXPECT_EQ(t.out.find_first_of("\r\x1b"), std::string::npos);
}

TEST(ProgressRendererTest, NoneWritesNothing) {
  Ticks t;
  ProgressRenderer r = t.Make(ProgressStyle::kNone);
  r.Update({"read", 1, 2});
  r.Finish();
  EXPECT_EQ(t.out, "");
}

}  // namespace
}  // namespace telsync
