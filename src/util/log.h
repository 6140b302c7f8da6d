// Structured logs: one line per event, logfmt by default, JSON lines on request
// (issue 7 item 5; `telsync serve --log-format logfmt|json --log-level debug|info|warn|error`).
//
//   ts=2026-11-24T15:00:00.000Z level=info msg="run finished" tenant=acme profile=entra run=12
//   {"ts":"2026-11-24T15:00:00.000Z","level":"info","msg":"run finished","tenant":"acme",...}
//
// Every line starts with ts (UTC, RFC 3339 with milliseconds), level and msg, then the
// fields in the order given. A field whose key looks secret (it contains "password",
// "passwd", "secret", "token", "authorization", "api_key" or "credential", in any case) is
// always written as "***": a credential never reaches a log, whatever the caller passes.
// Keys are cut to [A-Za-z0-9_.-] (others become '_'); a field named ts, level or msg is
// written as field_ts etc. Values are text; invalid UTF-8 bytes become U+FFFD so that every
// JSON line parses.
//
// Thread safety: Logger and the global Log() are thread-safe; each event is written whole
// (one write under a mutex), so lines of concurrent events never interleave.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace telsync {

enum class LogLevel : uint8_t { kDebug, kInfo, kWarn, kError };
enum class LogFormat : uint8_t { kLogfmt, kJson };

using LogFields = std::vector<std::pair<std::string, std::string>>;

const char* LogLevelName(LogLevel level);  // "debug", "info", "warn", "error"
// "debug", "info", "warn" (or "warning"), "error"; nullopt for anything else.
std::optional<LogLevel> LogLevelFromName(std::string_view name);
// "logfmt", "json"; nullopt for anything else.
std::optional<LogFormat> LogFormatFromName(std::string_view name);

// True for keys whose values are masked (see above).
bool IsSecretLogKey(std::string_view key);

// One event as a line without the trailing newline. unix_ms: the event time.
std::string FormatLogLine(LogFormat format, int64_t unix_ms, LogLevel level, std::string_view msg,
                          const LogFields& fields);

class Logger {
 public:
  // Receives each line with its trailing newline. Default: stderr, flushed per line.
  using Sink = std::function<void(std::string_view line)>;
  // Default clock: the system clock, in unix milliseconds.
  explicit Logger(Sink sink = {}, std::function<int64_t()> clock_ms = {});

  // Thread-safe; takes effect for the next event.
  void Configure(LogFormat format, LogLevel min_level);
  bool Enabled(LogLevel level) const;
  void Log(LogLevel level, std::string_view msg, const LogFields& fields = {});

 private:
  Sink sink_;
  std::function<int64_t()> clock_ms_;
  mutable std::mutex mutex_;
  LogFormat format_ = LogFormat::kLogfmt;
  LogLevel min_level_ = LogLevel::kInfo;
};

// The process-wide logger (stderr, logfmt, info). Never destroyed.
Logger& GlobalLogger();

// Logs through GlobalLogger().
void Log(LogLevel level, std::string_view msg, const LogFields& fields = {});

// Configures GlobalLogger() from option values; kInvalid (naming the allowed values) for
// an unknown format or level, leaving the logger as it was.
Status ConfigureLogging(std::string_view format, std::string_view level);

}  // namespace telsync
