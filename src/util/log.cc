#include "util/log.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "util/text.h"

namespace telsync {
namespace {

bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (unsigned char c : value) {
    if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c >= 0x7F) return true;
  }
  return false;
}

std::string CleanKey(std::string_view key) {
  std::string out;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    out += ok ? c : '_';
  }
  if (out.empty()) out = "_";
  if (out == "ts" || out == "level" || out == "msg") out = "field_" + out;
  return out;
}

std::string Timestamp(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms >= 0 ? unix_ms / 1000 : 0);
  const int ms = static_cast<int>(unix_ms >= 0 ? unix_ms % 1000 : 0);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];  // sized for any int, so the compiler sees no truncation
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

int64_t SystemMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::optional<LogLevel> LogLevelFromName(std::string_view name) {
  const std::string n = AsciiLower(name);
  if (n == "debug") return LogLevel::kDebug;
  if (n == "info") return LogLevel::kInfo;
  if (n == "warn" || n == "warning") return LogLevel::kWarn;
  if (n == "error") return LogLevel::kError;
  return std::nullopt;
}

std::optional<LogFormat> LogFormatFromName(std::string_view name) {
  const std::string n = AsciiLower(name);
  if (n == "logfmt") return LogFormat::kLogfmt;
  if (n == "json") return LogFormat::kJson;
  return std::nullopt;
}

bool IsSecretLogKey(std::string_view key) {
  const std::string k = AsciiLower(key);
  for (const char* word :
       {"password", "passwd", "secret", "token", "authorization", "api_key", "credential"}) {
    if (k.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string FormatLogLine(LogFormat format, int64_t unix_ms, LogLevel level, std::string_view msg,
                          const LogFields& fields) {
  std::string out;
  out.reserve(64 + msg.size() + fields.size() * 24);
  const std::string ts = Timestamp(unix_ms);
  if (format == LogFormat::kJson) {
    out += "{\"ts\":\"" + ts + "\",\"level\":\"" + LogLevelName(level) + "\",\"msg\":";
    AppendJsonQuoted(out, msg);
    for (const auto& [key, value] : fields) {
      out += ',';
      AppendJsonQuoted(out, CleanKey(key));
      out += ':';
      AppendJsonQuoted(out,
                       IsSecretLogKey(key) ? std::string_view("***") : std::string_view(value));
    }
    out += '}';
    return out;
  }
  out += "ts=" + ts + " level=" + LogLevelName(level) + " msg=";
  AppendJsonQuoted(out, msg);  // msg is always quoted: it is prose
  for (const auto& [key, value] : fields) {
    out += ' ';
    out += CleanKey(key);
    out += '=';
    const std::string_view v = IsSecretLogKey(key) ? std::string_view("***") : value;
    if (NeedsQuotes(v)) {
      AppendJsonQuoted(out, v);
    } else {
      out += v;
    }
  }
  return out;
}

Logger::Logger(Sink sink, std::function<int64_t()> clock_ms)
    : sink_(std::move(sink)), clock_ms_(std::move(clock_ms)) {
  if (!sink_) {
    sink_ = [](std::string_view line) {
      std::fwrite(line.data(), 1, line.size(), stderr);
      std::fflush(stderr);
    };
  }
  if (!clock_ms_) clock_ms_ = SystemMs;
}

void Logger::Configure(LogFormat format, LogLevel min_level) {
  std::lock_guard<std::mutex> lock(mutex_);
  format_ = format;
  min_level_ = min_level;
}

bool Logger::Enabled(LogLevel level) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return level >= min_level_;
}

void Logger::Log(LogLevel level, std::string_view msg, const LogFields& fields) {
  LogFormat format;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (level < min_level_) return;
    format = format_;
  }
  std::string line = FormatLogLine(format, clock_ms_(), level, msg, fields);
  line += '\n';
  std::lock_guard<std::mutex> lock(mutex_);
  sink_(line);
}

Logger& GlobalLogger() {
  static Logger* logger = new Logger();  // never destroyed: threads may log during exit
  return *logger;
}

void Log(LogLevel level, std::string_view msg, const LogFields& fields) {
  GlobalLogger().Log(level, msg, fields);
}

Status ConfigureLogging(std::string_view format, std::string_view level) {
  auto f = LogFormatFromName(format);
  if (!f) {
    return Error::Invalid("unknown log format '" + std::string(format) + "' (logfmt or json)",
                          "--log-format");
  }
  auto l = LogLevelFromName(level);
  if (!l) {
    return Error::Invalid(
        "unknown log level '" + std::string(level) + "' (debug, info, warn or error)",
        "--log-level");
  }
  GlobalLogger().Configure(*f, *l);
  return Ok();
}

}  // namespace telsync
