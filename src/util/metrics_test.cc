#include "util/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace telsync::metrics {
namespace {

// A small parser of the text format: the test reads the output back instead of comparing
// strings, so it checks what a Prometheus server would see.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Parsed {
  std::map<std::string, std::string> help;
  std::map<std::string, std::string> type;
  std::vector<Sample> samples;
  std::string error;  // first line that did not parse
};

Parsed Parse(const std::string& text) {
  Parsed out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) {
      out.error = "no final newline";
      break;
    }
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const size_t sp = line.find(' ', 7);
      const std::string name = line.substr(7, sp - 7);
      (line[2] == 'H' ? out.help : out.type)[name] =
          sp == std::string::npos ? "" : line.substr(sp + 1);
      continue;
    }
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') s.name += line[i++];
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const size_t eq = line.find('=', i);
        if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
          out.error = line;
          return out;
        }
        const std::string key = line.substr(i, eq - i);
        std::string value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) {
            ++j;
            value += line[j] == 'n' ? '\n' : line[j];
          } else {
            value += line[j];
          }
        }
        if (j >= line.size()) {
          out.error = line;
          return out;
        }
        s.labels[key] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') {
      out.error = line;
      return out;
    }
    const std::string number = line.substr(i + 1);
    if (number == "+Inf") {
      s.value = INFINITY;
    } else if (number == "NaN") {
      s.value = NAN;
    } else {
      size_t used = 0;
      s.value = std::stod(number, &used);
      if (used != number.size()) {
        out.error = line;
        return out;
      }
    }
    out.samples.push_back(std::move(s));
  }
  return out;
}

const Sample* Find(const Parsed& p, const std::string& name,
                   const std::map<std::string, std::string>& labels) {
  for (const Sample& s : p.samples) {
    if (s.name == name && s.labels == labels) return &s;
  }
  return nullptr;
}

TEST(MetricsTest, CountersRenderWithHelpTypeAndLabels) {
  Registry r;
  auto runs = r.AddCounter("telsync_runs_total", "Runs by result.", {"tenant", "status"});
  runs.With({"acme", "success"}).Inc();
  runs.With({"acme", "success"}).Inc(2);
  runs.With({"acme", "failed"}).Inc();
  const Parsed p = Parse(r.Render());
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.help.at("telsync_runs_total"), "Runs by result.");
  EXPECT_EQ(p.type.at("telsync_runs_total"), "counter");
  ASSERT_NE(Find(p, "telsync_runs_total", {{"tenant", "acme"}, {"status", "success"}}), nullptr);
  EXPECT_EQ(Find(p, "telsync_runs_total", {{"tenant", "acme"}, {"status", "success"}})->value, 3);
  EXPECT_EQ(Find(p, "telsync_runs_total", {{"tenant", "acme"}, {"status", "failed"}})->value, 1);
  EXPECT_EQ(runs.With({"acme", "success"}).Value(), 3);
}

TEST(MetricsTest, CountersNeverGoDown) {
  Registry r;
  auto c = r.AddCounter("c_total", "c").With({});
  c.Inc(5);
  c.Inc(-3);
  c.Inc(NAN);
  EXPECT_EQ(c.Value(), 5);
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Registry r;
  auto g = r.AddGauge("g", "help with \\ and\nnewline", {"v"});
  const std::string nasty = "a\\b\"c\nd";
  g.With({nasty}).Set(1.5);
  const std::string text = r.Render();
  EXPECT_NE(text.find(R"(g{v="a\\b\"c\nd"} 1.5)"), std::string::npos) << text;
  EXPECT_NE(text.find("# HELP g help with \\\\ and\\nnewline\n"), std::string::npos) << text;
  const Parsed p = Parse(text);
  ASSERT_EQ(p.error, "");
  ASSERT_NE(Find(p, "g", {{"v", nasty}}), nullptr);
  EXPECT_EQ(Find(p, "g", {{"v", nasty}})->value, 1.5);
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry r;
  auto h = r.AddHistogram("d_seconds", "durations", {"route"}, {1, 0.1, 10, 1});  // unsorted, dup
  auto s = h.With({"/x"});
  for (double v : {0.05, 0.1, 0.5, 2.0, 20.0, static_cast<double>(NAN)}) s.Observe(v);
  const Parsed p = Parse(r.Render());
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.type.at("d_seconds"), "histogram");
  auto bucket = [&](const std::string& le) {
    const Sample* x = Find(p, "d_seconds_bucket", {{"route", "/x"}, {"le", le}});
    return x == nullptr ? -1.0 : x->value;
  };
  EXPECT_EQ(bucket("0.1"), 2);  // le is inclusive: 0.1 counts in the 0.1 bucket
  EXPECT_EQ(bucket("1"), 3);
  EXPECT_EQ(bucket("10"), 4);
  EXPECT_EQ(bucket("+Inf"), 5);  // NaN dropped
  EXPECT_EQ(Find(p, "d_seconds_count", {{"route", "/x"}})->value, 5);
  EXPECT_NEAR(Find(p, "d_seconds_sum", {{"route", "/x"}})->value, 22.65, 1e-9);
  EXPECT_EQ(s.Count(), 5u);
  // Exactly three finite buckets plus +Inf: the duplicate bound was removed.
  int buckets = 0;
  for (const Sample& x : p.samples) buckets += x.name == "d_seconds_bucket";
  EXPECT_EQ(buckets, 4);
}

TEST(MetricsTest, OutputIsSortedAndStable) {
  Registry r;
  auto b = r.AddCounter("b_total", "b", {"k"});
  auto a = r.AddGauge("a", "a");
  b.With({"z"}).Inc();
  b.With({"a"}).Inc();
  a.With({}).Set(-2);
  const std::string first = r.Render();
  EXPECT_EQ(first,
            "# HELP a a\n# TYPE a gauge\na -2\n"
            "# HELP b_total b\n# TYPE b_total counter\n"
            "b_total{k=\"a\"} 1\nb_total{k=\"z\"} 1\n");
  EXPECT_EQ(r.Render(), first);
}

TEST(MetricsTest, UnlabelledFamiliesRenderZeroFromTheStart) {
  Registry r;
  r.AddCounter("x_total", "x");
  r.AddCounter("y_total", "y", {"k"});
  const Parsed p = Parse(r.Render());
  ASSERT_NE(Find(p, "x_total", {}), nullptr);
  EXPECT_EQ(Find(p, "x_total", {})->value, 0);
  EXPECT_EQ(p.type.at("y_total"), "counter");  // listed, though it has no series yet
}

TEST(MetricsTest, WrongLabelCountIsPaddedOrCut) {
  Registry r;
  auto c = r.AddCounter("c_total", "c", {"a", "b"});
  c.With({"x"}).Inc();
  c.With({"x", "y", "z"}).Inc();
  const Parsed p = Parse(r.Render());
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(Find(p, "c_total", {{"a", "x"}, {"b", ""}})->value, 1);
  EXPECT_EQ(Find(p, "c_total", {{"a", "x"}, {"b", "y"}})->value, 1);
}

TEST(MetricsTest, BadOrConflictingRegistrationsAreNotRendered) {
  Registry r;
  auto c = r.AddCounter("same_total", "first", {"a"});
  auto again = r.AddCounter("same_total", "second", {"a"});
  again.With({"1"}).Inc();
  EXPECT_EQ(c.With({"1"}).Value(), 1);  // the same family
  auto clash = r.AddGauge("same_total", "a gauge now", {"a"});
  clash.With({"1"}).Set(100);
  r.AddCounter("bad name", "x").With({}).Inc();
  r.AddCounter("bad_label_total", "x", {"__reserved"}).With({"v"}).Inc();
  r.AddHistogram("h", "x", {"le"}, {1}).With({"v"}).Observe(1);
  const std::string text = r.Render();
  EXPECT_EQ(text, "# HELP same_total first\n# TYPE same_total counter\nsame_total{a=\"1\"} 1\n");
  CounterFamily unset;
  unset.With({"x"}).Inc();  // a default handle is inert, not a crash
  EXPECT_EQ(unset.With({"x"}).Value(), 0);
}

TEST(MetricsTest, FormatsNumbers) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(1e20), "1e+20");
  EXPECT_EQ(FormatValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatValue(NAN), "NaN");
  EXPECT_EQ(std::stod(FormatValue(0.1 + 0.2)), 0.1 + 0.2);  // reads back exactly
}

TEST(MetricsTest, ConcurrentIncrementsSumExactly) {
  Registry r;
  auto family = r.AddCounter("hits_total", "hits", {"tenant", "status"});
  auto hist = r.AddHistogram("lat_seconds", "lat", {"route"}, {0.5});
  constexpr int kThreads = 8;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        family.With({"acme", "200"}).Inc();
        // New label sets appear while others update and render.
        if (i % 1000 == 0) family.With({"t" + std::to_string(t), std::to_string(i)}).Inc();
        hist.With({"/r"}).Observe(i % 2 == 0 ? 0.25 : 1.0);
        if (i % 5000 == 0) (void)r.Render();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(family.With({"acme", "200"}).Value(), kThreads * kEach);
  EXPECT_EQ(hist.With({"/r"}).Count(), static_cast<uint64_t>(kThreads * kEach));
  const Parsed p = Parse(r.Render());
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(Find(p, "lat_seconds_bucket", {{"route", "/r"}, {"le", "0.5"}})->value,
            kThreads * kEach / 2);
  EXPECT_EQ(Find(p, "hits_total", {{"tenant", "acme"}, {"status", "200"}})->value,
            kThreads * kEach);
}

TEST(MetricsTest, GlobalRegistryIsOneInstance) {
  EXPECT_EQ(&Metrics(), &Metrics());
  auto g = Metrics().AddGauge("telsync_metrics_test_gauge", "test");
  g.With({}).Add(2);
  g.With({}).Add(-0.5);
  EXPECT_EQ(g.With({}).Value(), 1.5);
  EXPECT_NE(Metrics().Render().find("telsync_metrics_test_gauge 1.5\n"), std::string::npos);
}

}  // namespace
}  // namespace telsync::metrics
