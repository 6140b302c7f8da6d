// Metrics: a small thread-safe Prometheus registry of counters, gauges and histograms with
// label sets, rendered in the text exposition format 0.0.4 (issue 7 item 5).
//
// A family is one metric name with fixed label names; a series is one set of label values
// of a family. Families are registered once (AddCounter / AddGauge / AddHistogram return a
// cheap handle that stays valid as long as the registry); series are created on first use
// by With({values...}) and live as long as the registry, so the handles With() returns can
// be kept and used without a lookup.
//
// Thread safety: everything is thread-safe. Updating a series is a lock-free atomic; With()
// takes a family's reader lock (a writer lock only the first time a label set is seen);
// Render() takes each family's reader lock in turn. Callers keep label values bounded
// (route patterns, not raw paths; known tenants): every label set seen is kept.
//
// Bad input is not an error the caller handles: a wrong number of label values is padded
// with "" or cut; a counter never decreases (negative or NaN increments are ignored); a NaN
// observation is dropped; registering a name twice with the same shape returns the
// existing family, with another shape (or an invalid name) a family that is not rendered.
//
// Output (Render): families sorted by name, each with "# HELP" and "# TYPE" lines, series
// sorted by label values; label values escape backslash, double quote and newline; a
// histogram has cumulative name_bucket{le="..."} lines ending in le="+Inf", then name_sum
// and name_count.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace telsync::metrics {

enum class MetricType : uint8_t { kCounter, kGauge, kHistogram };

namespace detail {
struct Series;
class Family;
}  // namespace detail

// Handles to one series. Default-constructed handles ignore updates and read 0.
class Counter {
 public:
  Counter() = default;
  void Inc(double by = 1) const;
  double Value() const;

 private:
  friend class CounterFamily;
  explicit Counter(detail::Series* series) : series_(series) {}
  detail::Series* series_ = nullptr;
};

class Gauge {
 public:
  Gauge() = default;
  void Set(double value) const;
  void Add(double by) const;
  double Value() const;

 private:
  friend class GaugeFamily;
  explicit Gauge(detail::Series* series) : series_(series) {}
  detail::Series* series_ = nullptr;
};

class Histogram {
 public:
  Histogram() = default;
  void Observe(double value) const;
  uint64_t Count() const;
  double Sum() const;

 private:
  friend class HistogramFamily;
  explicit Histogram(detail::Series* series) : series_(series) {}
  detail::Series* series_ = nullptr;
};

// Handles to a family: copyable, valid as long as the registry that made them.
class CounterFamily {
 public:
  CounterFamily() = default;
  Counter With(std::initializer_list<std::string_view> label_values) const;
  Counter With(const std::vector<std::string>& label_values) const;

 private:
  friend class Registry;
  explicit CounterFamily(detail::Family* family) : family_(family) {}
  detail::Family* family_ = nullptr;
};

class GaugeFamily {
 public:
  GaugeFamily() = default;
  Gauge With(std::initializer_list<std::string_view> label_values) const;
  Gauge With(const std::vector<std::string>& label_values) const;

 private:
  friend class Registry;
  explicit GaugeFamily(detail::Family* family) : family_(family) {}
  detail::Family* family_ = nullptr;
};

class HistogramFamily {
 public:
  HistogramFamily() = default;
  Histogram With(std::initializer_list<std::string_view> label_values) const;
  Histogram With(const std::vector<std::string>& label_values) const;

 private:
  friend class Registry;
  explicit HistogramFamily(detail::Family* family) : family_(family) {}
  detail::Family* family_ = nullptr;
};

// Upper bounds (seconds) for durations from a millisecond to an hour.
std::vector<double> DefaultDurationBuckets();

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* and
  // do not start with "__"; a histogram has no "le" label. Histogram bounds are sorted and
  // deduplicated; non-finite bounds are dropped (+Inf is always the last bucket).
  CounterFamily AddCounter(std::string name, std::string help,
                           std::vector<std::string> label_names = {});
  GaugeFamily AddGauge(std::string name, std::string help,
                       std::vector<std::string> label_names = {});
  HistogramFamily AddHistogram(std::string name, std::string help,
                               std::vector<std::string> label_names, std::vector<double> bounds);

  // The text exposition format 0.0.4 of every registered family.
  std::string Render() const;

 private:
  detail::Family* Add(std::string name, std::string help, MetricType type,
                      std::vector<std::string> label_names, std::vector<double> bounds);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<detail::Family>> families_;
  std::vector<std::unique_ptr<detail::Family>> detached_;  // rejected registrations
};

// The process-wide registry the service renders at /metrics. Never destroyed, so threads
// still updating at exit are safe.
Registry& Metrics();

// The content type of Render()'s output.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Number formatting of the exposition format: integers without a fraction, others in the
// shortest form that reads back exactly, "+Inf", "-Inf", "NaN".
std::string FormatValue(double value);

// `value` escaped for a label value: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);

}  // namespace telsync::metrics
