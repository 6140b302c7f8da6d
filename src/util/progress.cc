#include "util/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace telsync {
namespace {

constexpr int64_t kMinRateMs = 250;  // a rate over less is noise
constexpr size_t kBarWidth = 24;

// 1234567 -> "1,234,567"
std::string Grouped(size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Megabytes(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", bytes / 1e6);
  return buf;
}

// 65 -> "1:05", 3725 -> "1:02:05"
std::string Duration(int64_t seconds) {
  char buf[32];
  if (seconds >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(seconds / 60),
                  static_cast<long long>(seconds % 60));
  }
  return buf;
}

}  // namespace

ProgressMeter::Reading ProgressMeter::Update(const Progress& p, int64_t now_ms) {
  if (p.phase != phase_) {
    phase_ = p.phase;
    phase_started_ms_ = now_ms;
    phase_started_done_ = p.done;
  }
  Reading r;
  const int64_t elapsed = now_ms - phase_started_ms_;
  if (elapsed >= kMinRateMs && p.done > phase_started_done_) {
    r.rate =
        static_cast<double>(p.done - phase_started_done_) * 1000.0 / static_cast<double>(elapsed);
  }
  if (p.total != 0) {
    if (p.done >= p.total) {
      if (!p.estimated) r.eta_seconds = 0;
    } else if (r.rate > 0) {
      r.eta_seconds =
          static_cast<int64_t>(std::ceil(static_cast<double>(p.total - p.done) / r.rate));
    }
  }
  return r;
}

std::optional<ProgressStyle> ParseProgressStyle(std::string_view word, bool tty) {
  if (word == "auto") return tty ? ProgressStyle::kBar : ProgressStyle::kPlain;
  if (word == "bar") return ProgressStyle::kBar;
  if (word == "plain") return ProgressStyle::kPlain;
  if (word == "none") return ProgressStyle::kNone;
  return std::nullopt;
}

ProgressRenderer::ProgressRenderer(ProgressStyle style, std::function<int64_t()> clock_ms,
                                   std::function<void(std::string_view)> write)
    : style_(style), clock_ms_(std::move(clock_ms)), write_(std::move(write)) {}

std::string ProgressRenderer::Line(const Progress& p, const ProgressMeter::Reading& reading,
                                   bool bar) {
  const bool bytes = p.unit == "bytes";
  std::string line = p.phase;
  line.resize(std::max<size_t>(line.size(), 7), ' ');
  if (p.total != 0) {
    size_t percent = std::min<size_t>(100, p.done * 100 / p.total);
    // An estimate is not reached until the phase says it is done.
    if (p.estimated && percent == 100) percent = 99;
    if (bar) {
      const size_t filled = kBarWidth * percent / 100;
      line += "  [" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "]";
    }
    std::string pct = std::to_string(percent) + "%";
    if (p.estimated) pct = "~" + pct;
    line += "  " + std::string(pct.size() < 4 ? 4 - pct.size() : 0, ' ') + pct;
    const std::string approx = p.estimated ? "~" : "";
    line += "  " + (bytes ? Megabytes(static_cast<double>(p.done)) + "/" + approx +
                                Megabytes(static_cast<double>(p.total)) + " MB"
                          : Grouped(p.done) + "/" + approx + Grouped(p.total));
  } else if (p.done != 0) {
    line += "  " + (bytes ? Megabytes(static_cast<double>(p.done)) + " MB" : Grouped(p.done));
  }
  if (reading.rate > 0) {
    line += "  " + (bytes ? Megabytes(reading.rate) + " MB/s"
                          : Grouped(static_cast<size_t>(std::llround(reading.rate))) + "/s");
  }
  if (reading.eta_seconds && p.done < p.total) {
    line += std::string("  ETA ") + (p.estimated ? "~" : "") + Duration(*reading.eta_seconds);
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

void ProgressRenderer::Update(const Progress& p) {
  if (style_ == ProgressStyle::kNone) return;
  const int64_t now = clock_ms_();
  const bool new_phase = !have_ || p.phase != last_.phase;
  if (new_phase && have_ && !drawn_) Draw();  // the last state of the phase
  if (new_phase && open_line_) {
    write_("\n");  // the finished phase keeps its line
    open_line_ = false;
  }
  reading_ = meter_.Update(p, now);
  last_ = p;
  have_ = true;
  drawn_ = false;
  const int64_t pace = style_ == ProgressStyle::kBar ? kBarRedrawMs : kPlainEveryMs;
  if (new_phase || now - last_draw_ms_ >= pace) {
    last_draw_ms_ = now;
    Draw();
  }
}

void ProgressRenderer::Finish() {
  if (style_ == ProgressStyle::kNone || !have_) return;
  if (!drawn_) Draw();
  if (open_line_) write_("\n");
  open_line_ = false;
  have_ = false;
}

void ProgressRenderer::Draw() {
  const std::string line = Line(last_, reading_, style_ == ProgressStyle::kBar);
  if (style_ == ProgressStyle::kBar) {
    // Back to the line's start, clear it, draw: the bar stays in place.
    write_("\r\x1b[K" + line);
    open_line_ = true;
  } else {
    write_(line + "\n");
  }
  drawn_ = true;
}

}  // namespace telsync
