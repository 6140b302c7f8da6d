#include "util/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <span>

namespace telsync::metrics {
namespace detail {

// One label set's values. Counters and gauges use `value`; a histogram counts each
// observation in the first bucket whose bound is >= it (buckets[bounds.size()] is +Inf)
// and makes them cumulative only when rendering, so Observe() touches one bucket.
struct Series {
  std::atomic<double> value{0};
  std::unique_ptr<std::atomic<uint64_t>[]> buckets;
  std::atomic<double> sum{0};
  const std::vector<double>* bounds = nullptr;
};

// Orders stored label values against a lookup's string_views without building strings.
struct LabelsLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](const auto& x, const auto& y) { return std::string_view(x) < std::string_view(y); });
  }
};

class Family {
 public:
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> labels,
         std::vector<double> bounds)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        labels_(std::move(labels)),
        bounds_(std::move(bounds)) {
    // A family without labels has its one series from the start: it renders as 0.
    if (labels_.empty()) Get(std::span<const std::string_view>());
  }

  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& labels() const { return labels_; }
  const std::vector<double>& bounds() const { return bounds_; }

  Series* Get(std::span<const std::string_view> values) {
    // Pad or cut to the family's label count (see the header: not an error).
    std::string_view fixed[16];
    if (values.size() != labels_.size() && labels_.size() <= 16) {
      for (size_t i = 0; i < labels_.size(); ++i) fixed[i] = i < values.size() ? values[i] : "";
      values = std::span<const std::string_view>(fixed, labels_.size());
    }
    {
      std::shared_lock lock(mutex_);
      auto it = series_.find(values);
      if (it != series_.end()) return it->second.get();
    }
    std::vector<std::string> key;
    key.reserve(labels_.size());
    for (size_t i = 0; i < labels_.size(); ++i) {
      key.emplace_back(i < values.size() ? values[i] : std::string_view());
    }
    std::unique_lock lock(mutex_);
    auto [it, inserted] = series_.try_emplace(std::move(key));
    if (inserted) {
      auto series = std::make_unique<Series>();
      if (type_ == MetricType::kHistogram) {
        series->bounds = &bounds_;
        series->buckets = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
        for (size_t i = 0; i <= bounds_.size(); ++i) series->buckets[i] = 0;
      }
      it->second = std::move(series);
    }
    return it->second.get();
  }

  Series* Get(const std::vector<std::string>& values) {
    std::vector<std::string_view> views(values.begin(), values.end());
    return Get(std::span<const std::string_view>(views));
  }

  void Render(std::string& out) const;

 private:
  void Labels(std::string& out, const std::vector<std::string>& values, std::string_view le) const;

  const std::string name_;
  const std::string help_;
  const MetricType type_;
  const std::vector<std::string> labels_;
  const std::vector<double> bounds_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Series>, LabelsLess> series_;
};

void Family::Labels(std::string& out, const std::vector<std::string>& values,
                    std::string_view le) const {
  if (labels_.empty() && le.empty()) return;
  out += '{';
  bool first = true;
  for (size_t i = 0; i < labels_.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += labels_[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (!le.empty()) {
    if (!first) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

void Family::Render(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  // HELP text escapes backslash and newline (exposition format 0.0.4).
  for (char c : help_) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += "\n# TYPE ";
  out += name_;
  out += type_ == MetricType::kCounter ? " counter\n"
         : type_ == MetricType::kGauge ? " gauge\n"
                                       : " histogram\n";
  std::shared_lock lock(mutex_);
  for (const auto& [values, series] : series_) {
    if (type_ != MetricType::kHistogram) {
      out += name_;
      Labels(out, values, "");
      out += ' ';
      out += FormatValue(series->value.load(std::memory_order_relaxed));
      out += '\n';
      continue;
    }
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += series->buckets[i].load(std::memory_order_relaxed);
      out += name_;
      out += "_bucket";
      Labels(out, values, i < bounds_.size() ? FormatValue(bounds_[i]) : "+Inf");
      out += ' ';
      out += std::to_string(cumulative);
      out += '\n';
    }
    out += name_;
    out += "_sum";
    Labels(out, values, "");
    out += ' ';
    out += FormatValue(series->sum.load(std::memory_order_relaxed));
    out += '\n';
    // _count equals the +Inf bucket by construction, even while observations race.
    out += name_;
    out += "_count";
    Labels(out, values, "");
    out += ' ';
    out += std::to_string(cumulative);
    out += '\n';
  }
}

}  // namespace detail

namespace {

bool ValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool ValidLabelNames(const std::vector<std::string>& names, MetricType type) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (!ValidName(names[i], false) || names[i].starts_with("__")) return false;
    if (type == MetricType::kHistogram && names[i] == "le") return false;
    for (size_t j = 0; j < i; ++j) {
      if (names[j] == names[i]) return false;
    }
  }
  return names.size() <= 16;
}

std::span<const std::string_view> Span(std::initializer_list<std::string_view> values) {
  return std::span<const std::string_view>(values.begin(), values.size());
}

void AtomicAdd(std::atomic<double>& target, double by) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + by, std::memory_order_relaxed)) {
  }
}

}  // namespace

void Counter::Inc(double by) const {
  if (series_ == nullptr || !(by >= 0)) return;  // also rejects NaN
  AtomicAdd(series_->value, by);
}
double Counter::Value() const {
  return series_ != nullptr ? series_->value.load(std::memory_order_relaxed) : 0;
}

void Gauge::Set(double value) const {
  if (series_ != nullptr) series_->value.store(value, std::memory_order_relaxed);
}
void Gauge::Add(double by) const {
  if (series_ != nullptr) AtomicAdd(series_->value, by);
}
double Gauge::Value() const {
  return series_ != nullptr ? series_->value.load(std::memory_order_relaxed) : 0;
}

void Histogram::Observe(double value) const {
  if (series_ == nullptr || std::isnan(value)) return;
  const auto& bounds = *series_->bounds;
  const size_t bucket =
      static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
  series_->buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(series_->sum, value);
}
uint64_t Histogram::Count() const {
  if (series_ == nullptr) return 0;
  uint64_t n = 0;
  for (size_t i = 0; i <= series_->bounds->size(); ++i) n += series_->buckets[i].load();
  return n;
}
double Histogram::Sum() const {
  return series_ != nullptr ? series_->sum.load(std::memory_order_relaxed) : 0;
}

Counter CounterFamily::With(std::initializer_list<std::string_view> values) const {
  return family_ != nullptr ? Counter(family_->Get(Span(values))) : Counter();
}
Counter CounterFamily::With(const std::vector<std::string>& values) const {
  return family_ != nullptr ? Counter(family_->Get(values)) : Counter();
}
Gauge GaugeFamily::With(std::initializer_list<std::string_view> values) const {
  return family_ != nullptr ? Gauge(family_->Get(Span(values))) : Gauge();
}
Gauge GaugeFamily::With(const std::vector<std::string>& values) const {
  return family_ != nullptr ? Gauge(family_->Get(values)) : Gauge();
}
Histogram HistogramFamily::With(std::initializer_list<std::string_view> values) const {
  return family_ != nullptr ? Histogram(family_->Get(Span(values))) : Histogram();
}
Histogram HistogramFamily::With(const std::vector<std::string>& values) const {
  return family_ != nullptr ? Histogram(family_->Get(values)) : Histogram();
}

std::vector<double> DefaultDurationBuckets() {
  return {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600};
}

Registry::Registry() = default;
Registry::~Registry() = default;

detail::Family* Registry::Add(std::string name, std::string help, MetricType type,
                              std::vector<std::string> label_names, std::vector<double> bounds) {
  std::erase_if(bounds, [](double b) { return !std::isfinite(b); });
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  std::lock_guard<std::mutex> lock(mutex_);
  const bool valid = ValidName(name, true) && ValidLabelNames(label_names, type);
  if (valid) {
    auto it = families_.find(name);
    if (it == families_.end()) {
      auto family = std::make_unique<detail::Family>(name, std::move(help), type,
                                                     std::move(label_names), std::move(bounds));
      detail::Family* raw = family.get();
      families_.emplace(std::move(name), std::move(family));
      return raw;
    }
    detail::Family& existing = *it->second;
    if (existing.type() == type && existing.labels() == label_names &&
        (type != MetricType::kHistogram || existing.bounds() == bounds)) {
      return &existing;
    }
  }
  // Updates to a rejected family go nowhere visible rather than corrupt the output.
  detached_.push_back(std::make_unique<detail::Family>(name, std::move(help), type,
                                                       std::vector<std::string>(), bounds));
  return detached_.back().get();
}

CounterFamily Registry::AddCounter(std::string name, std::string help,
                                   std::vector<std::string> label_names) {
  return CounterFamily(
      Add(std::move(name), std::move(help), MetricType::kCounter, std::move(label_names), {}));
}

GaugeFamily Registry::AddGauge(std::string name, std::string help,
                               std::vector<std::string> label_names) {
  return GaugeFamily(
      Add(std::move(name), std::move(help), MetricType::kGauge, std::move(label_names), {}));
}

HistogramFamily Registry::AddHistogram(std::string name, std::string help,
                                       std::vector<std::string> label_names,
                                       std::vector<double> bounds) {
  return HistogramFamily(Add(std::move(name), std::move(help), MetricType::kHistogram,
                             std::move(label_names), std::move(bounds)));
}

std::string Registry::Render() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [name, family] : families_) family->Render(out);
  return out;
}

Registry& Metrics() {
  static Registry* registry = new Registry();  // never destroyed: see the header
  return *registry;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace telsync::metrics
