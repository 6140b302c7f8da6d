// Progress of a long run, for a person watching it (issue 20 §3): which phase, how far,
// how fast, and when it ends.
//
//   Progress       one report: phase, done of total (total 0: unknown), whether the total
//                  is a guess, and the unit ("bytes" for a file read; items otherwise).
//   ProgressMeter  the rate and the ETA of the current phase, from reports and the times
//                  the caller gives (no clock of its own: the same ticks give the same
//                  numbers, so tests are exact).
//   ProgressRenderer  the terminal view of `telsync preview|sync --progress`: a bar redrawn
//                  in place (at most ~10 times a second, each finished phase kept on its
//                  own line), or one plain line every few seconds and one per phase change,
//                  with no control characters. It writes through the given function only
//                  (the CLI gives stderr: stdout carries reports and JSON).
//
// Not thread-safe: a meter or renderer is fed by one thread at a time (the engine reports
// from the thread that runs it). Never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace telsync {

struct Progress {
  Progress() = default;
  Progress(std::string phase_name, size_t done_count, size_t total_count, bool is_estimate = false,
           std::string unit_name = {})
      : phase(std::move(phase_name)),
        done(done_count),
        total(total_count),
        estimated(is_estimate),
        unit(std::move(unit_name)) {}

  // "read", "map" (map and validate the read's last batches), "plan", "apply", "record",
  // "publish" (the tenant's targets after a CLI sync).
  std::string phase;
  size_t done = 0;
  size_t total = 0;        // 0 when unknown
  bool estimated = false;  // total is a guess (the previous run's count), not a count
  std::string unit;        // "bytes" when done/total count bytes (a file read); "" = items
};

// The rate and ETA of the phase being reported.
class ProgressMeter {
 public:
  struct Reading {
    double rate = 0;  // units per second since the phase began; 0 in its first 250 ms
    // Seconds until done reaches total at that rate; none when the total is unknown, the
    // rate is 0, or done passed an estimated total.
    std::optional<int64_t> eta_seconds;
  };

  // Notes `p` at `now_ms` (any monotonic milliseconds) and returns the phase's numbers. A
  // new phase (another name) starts its own clock.
  Reading Update(const Progress& p, int64_t now_ms);

 private:
  std::string phase_;
  int64_t phase_started_ms_ = 0;
  size_t phase_started_done_ = 0;
};

enum class ProgressStyle { kNone, kBar, kPlain };

// "auto" | "bar" | "plain" | "none" -> the style; "auto" is a bar when `tty`, else plain.
// nullopt for another word.
std::optional<ProgressStyle> ParseProgressStyle(std::string_view word, bool tty);

class ProgressRenderer {
 public:
  static constexpr int64_t kBarRedrawMs = 100;    // at most ~10 redraws a second
  static constexpr int64_t kPlainEveryMs = 5000;  // a plain line every 5 s within a phase

  // `clock_ms`: monotonic milliseconds; `write`: where the text goes (stderr in the CLI).
  ProgressRenderer(ProgressStyle style, std::function<int64_t()> clock_ms,
                   std::function<void(std::string_view)> write);

  // Takes a report; draws when the style's pace allows it or the phase changed.
  void Update(const Progress& p);
  // Draws the last report as final and ends its line (bar), so what follows starts on a
  // clean line. Idempotent; nothing when nothing was reported.
  void Finish();

  // One report as a line, without control characters: "read  [#####.....]  50%  5,000/10,000
  // users  1,000/s  ETA 0:05". Exposed for tests and the plain style.
  static std::string Line(const Progress& p, const ProgressMeter::Reading& reading, bool bar);

 private:
  void Draw();

  ProgressStyle style_;
  std::function<int64_t()> clock_ms_;
  std::function<void(std::string_view)> write_;
  ProgressMeter meter_;
  Progress last_;
  ProgressMeter::Reading reading_;
  bool have_ = false;       // a report not yet finished
  bool drawn_ = false;      // the last report is on screen (plain: printed)
  bool open_line_ = false;  // bar: a line is drawn and not ended
  int64_t last_draw_ms_ = 0;
};

}  // namespace telsync
