// HttpClient: a small blocking HTTPS client over libcurl for the directory sources (Graph)
// and the HTTP targets (webhook, SCIM client).
//
// One request at a time per instance; the curl handle is reused so keep-alive connections
// and TLS sessions survive between pages. A transport failure (DNS, connect, TLS, timeout,
// a body cut mid-way) is an Error with code kUnavailable and a plain-words message; any HTTP
// status, 4xx and 5xx included, is a successful HttpResponse for the caller to judge.
//
// Never logs. Messages never contain request headers or bodies (they carry bearer tokens
// and client secrets), only the host and curl's reason. Not thread-safe; never throws.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace telsync {

struct HttpOptions {
  std::string ca_file;              // PEM bundle to trust instead of the system store; "" = system
  std::string proxy;                // "http://proxy:3128"; "" = none (curl still honours env vars)
  long connect_timeout_ms = 10000;  // NOLINT(runtime/int): curl's type
  long timeout_ms = 120000;         // NOLINT(runtime/int): whole request, body included
  bool verify_tls = true;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  long status = 0;  // NOLINT(runtime/int)
  Headers headers;  // names as sent by the server; the last response's headers only
  std::string body;

  // The value of a header (case-insensitive name), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
  // Retry-After in seconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3) relative to
  // `now_unix`; nullopt when absent or unreadable. Never negative.
  std::optional<double> RetryAfterSeconds(double now_unix) const;
};

// Receives the body as it arrives; return false to abort the transfer.
using BodyChunkSink = std::function<bool(std::string_view chunk)>;

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET; the body is collected into the response.
  Result<HttpResponse> Get(const std::string& url, const Headers& headers);
  // GET with the body streamed to `on_body` (response.body stays empty).
  Result<HttpResponse> Get(const std::string& url, const Headers& headers,
                           const BodyChunkSink& on_body);
  // POST application/x-www-form-urlencoded of `form` (values are encoded here).
  Result<HttpResponse> PostForm(const std::string& url, const Headers& form,
                                const Headers& headers);

  // Any method ("POST", "PUT", "PATCH", "DELETE", "GET") with `body` as it is (nullptr: no
  // body); the caller sets Content-Type. Sent without "Expect: 100-continue".
  Result<HttpResponse> Send(const std::string& method, const std::string& url,
                            const Headers& headers, const std::string* body);

  // RFC 3986 percent-encoding of everything but unreserved characters.
  static std::string Encode(std::string_view text);
  // "https://host:port" of a URL, for messages (never the path or query: they may hold tokens).
  static std::string Origin(std::string_view url);

 private:
  Result<HttpResponse> Perform(const std::string& url, const Headers& headers,
                               const std::string* post_body, const BodyChunkSink* on_body,
                               const char* method = nullptr);

  HttpOptions options_;
  void* curl_ = nullptr;  // CURL*; kept opaque so the header needs no curl include
};

}  // namespace telsync
