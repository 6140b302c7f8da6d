// HttpServer: telsync's HTTP layer for SCIM and the REST API (DESIGN §5: cpp-httplib, chosen
// by benchmark; see README "SCIM" bench rows).
//
// What it gives every API built on it:
//   - routing by method and path pattern ("/scim/v2/{tenant}/Users/{id}"): 404 when no
//     pattern matches the path, 405 when one does but not for the method;
//   - middleware per path prefix (authentication, rate limits) that may answer instead of
//     the handler, and a renderer per path prefix for the errors the layer itself produces
//     (404, 405, 413, 429, 500), so SCIM errors look like SCIM and REST errors like REST;
//   - a request body limit (413 before the body is read when Content-Length says so);
//   - TLS from PEM cert and key files (optional);
//   - a thread pool; Shutdown() stops accepting, lets requests in flight finish, returns.
// Handlers run on pool threads, concurrently: they must be thread-safe. Handlers and
// middleware must not throw; an exception is caught at the edge and becomes a 500 whose
// body names no internals.
//
// Config (serve flags, docs/configuration.md): listen address, tls cert/key, max body
// (default 1 MiB), threads (default 32).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util/result.h"

namespace telsync::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8443;            // 0: any free port (Bind() returns it)
  std::string tls_cert;       // PEM file; with tls_key: serve HTTPS
  std::string tls_key;        // PEM file
  size_t max_body = 1 << 20;  // bytes; larger requests get 413
  int threads = 32;           // worker threads (one per keep-alive connection in use)
  int keep_alive_seconds = 5;
};

struct Request {
  std::string method;
  std::string path;     // decoded, without the query
  std::string pattern;  // the route pattern that matched ("" in middleware before routing)
  std::vector<std::pair<std::string, std::string>> params;   // {name} captures
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent
  std::string body;
  std::string remote_addr;
  bool tls = false;
  std::string principal;  // set by an authentication middleware: who is asking

  // The capture, query parameter or header (case-insensitive name); "" when absent.
  std::string Param(std::string_view name) const;
  std::string Query(std::string_view name) const;
  bool HasQuery(std::string_view name) const;
  std::string Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;

  static Response Json(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
};

using Handler = std::function<Response(Request&)>;
// Returns a response to answer instead of the handler, or nullopt to go on.
using Middleware = std::function<std::optional<Response>(Request&)>;
// Renders an error the layer produces: status and a reason in an admin's words.
using ErrorRenderer = std::function<Response(int status, const std::string& detail)>;
// Sees every answered request (metrics, logs): method, route pattern, status, seconds.
using Observer = std::function<void(const Request&, const Response&, double seconds)>;

// A JSON error body for APIs without their own format: {"error": {"status", "message"}}.
Response DefaultError(int status, const std::string& detail);

class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registration happens before Bind(); not thread-safe.
  void Route(std::string method, std::string pattern, Handler handler);
  void Use(std::string path_prefix, Middleware middleware);
  void SetErrorRenderer(std::string path_prefix, ErrorRenderer renderer);
  void SetObserver(Observer observer);

  // Binds the listening socket; returns the port. kInvalid for unreadable TLS files,
  // kUnavailable when the address cannot be bound.
  Result<int> Bind();
  // Serves until Shutdown(); returns when the last request in flight is answered.
  Status Serve();
  // Thread-safe and async-signal-unsafe: call from a normal thread (see signals.h).
  void Shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Per-key token buckets (per tenant): `rate` tokens a second, at most `burst` saved.
// Thread-safe. rate <= 0 disables the limit.
class RateLimiter {
 public:
  RateLimiter(double rate, double burst);
  // 0 when a request of `key` may proceed now (and takes a token); else the seconds
  // until one may.
  double Take(const std::string& key, double now_seconds);

 private:
  struct Bucket {
    double tokens = 0;
    double updated = 0;
  };
  double rate_;
  double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// Seconds on a monotonic clock (rate limits, durations).
double MonotonicSeconds();

}  // namespace telsync::http
