#include "server/http/server.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <thread>

#include "util/text.h"

namespace telsync::http {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Find(const std::vector<std::pair<std::string, std::string>>& pairs,
                 std::string_view name, bool ignore_case) {
  for (const auto& [k, v] : pairs) {
    if (ignore_case ? EqualsIgnoreCase(k, name) : k == name) return v;
  }
  return "";
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end;
  }
  return out;
}

struct RouteEntry {
  std::string method;
  std::string pattern;
  std::vector<std::string> segments;  // "{name}" captures one segment
  Handler handler;
};

// Matches `path` against a route; fills captures on success.
bool MatchRoute(const RouteEntry& route, const std::vector<std::string_view>& path,
                std::vector<std::pair<std::string, std::string>>& params) {
  if (route.segments.size() != path.size()) return false;
  params.clear();
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& seg = route.segments[i];
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      if (path[i].empty()) return false;
      params.emplace_back(seg.substr(1, seg.size() - 2), std::string(path[i]));
    } else if (seg != path[i]) {
      return false;
    }
  }
  return true;
}

const char* ReasonFor(int status) {
  switch (status) {
    case 400:
      return "the request is malformed";
    case 404:
      return "no such resource";
    case 405:
      return "method not allowed here";
    case 413:
      return "the request body is larger than the server accepts";
    case 414:
      return "the request line is too long";
    case 429:
      return "too many requests";
    default:
      return "the server could not answer this request";
  }
}

}  // namespace

std::string Request::Param(std::string_view name) const { return Find(params, name, false); }
std::string Request::Query(std::string_view name) const { return Find(query, name, false); }
bool Request::HasQuery(std::string_view name) const {
  return std::any_of(query.begin(), query.end(), [&](const auto& p) { return p.first == name; });
}
std::string Request::Header(std::string_view name) const { return Find(headers, name, true); }

Response DefaultError(int status, const std::string& detail) {
  std::string body = "{\"error\":{\"status\":" + std::to_string(status) + ",\"message\":";
  AppendJsonQuoted(body, detail);
  return Response::Json(status, body + "}}");
}

double MonotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

RateLimiter::RateLimiter(double rate, double burst) : rate_(rate), burst_(std::max(burst, 1.0)) {}

double RateLimiter::Take(const std::string& key, double now_seconds) {
  if (rate_ <= 0) return 0;
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now_seconds});
  Bucket& b = it->second;
  if (!inserted) {
    b.tokens = std::min(burst_, b.tokens + (now_seconds - b.updated) * rate_);
    b.updated = now_seconds;
  }
  if (b.tokens >= 1.0 - 1e-9) {  // refills are computed in floating point
    b.tokens -= 1.0;
    return 0;
  }
  return (1.0 - b.tokens) / rate_;
}

struct HttpServer::Impl {
  ServerOptions options;
  std::unique_ptr<httplib::Server> server;
  std::vector<RouteEntry> routes;
  std::vector<std::pair<std::string, Middleware>> middleware;
  std::vector<std::pair<std::string, ErrorRenderer>> renderers;
  Observer observer;
  std::atomic<bool> stopping{false};
  std::atomic<bool> finished{false};

  Response RenderError(const std::string& path, int status, const std::string& detail) const {
    const ErrorRenderer* best = nullptr;
    size_t best_len = 0;
    for (const auto& [prefix, renderer] : renderers) {
      if (path.compare(0, prefix.size(), prefix) == 0 && prefix.size() >= best_len) {
        best = &renderer;
        best_len = prefix.size();
      }
    }
    return best != nullptr ? (*best)(status, detail) : DefaultError(status, detail);
  }

  Response Dispatch(Request& req) {
    const auto segments = Segments(req.path);
    bool path_matched = false;
    const RouteEntry* route = nullptr;
    for (const RouteEntry& r : routes) {
      if (!MatchRoute(r, segments, req.params)) continue;
      path_matched = true;
      if (r.method == req.method) {
        route = &r;
        break;
      }
    }
    if (route == nullptr) {
      req.params.clear();
      for (const auto& [prefix, m] : middleware) {
        // Unknown paths under a protected prefix still need credentials: a 404 must not
        // tell an unauthenticated caller what exists.
        if (req.path.compare(0, prefix.size(), prefix) == 0) {
          if (auto answer = m(req)) return *answer;
        }
      }
      Response r = RenderError(req.path, path_matched ? 405 : 404,
                               path_matched ? ReasonFor(405) : ReasonFor(404));
      return r;
    }
    // Captures are known: re-match so that req.params belong to the chosen route.
    MatchRoute(*route, segments, req.params);
    req.pattern = route->pattern;
    for (const auto& [prefix, m] : middleware) {
      if (req.path.compare(0, prefix.size(), prefix) == 0) {
        if (auto answer = m(req)) return *answer;
      }
    }
    return route->handler(req);
  }

  void Serve(const httplib::Request& raw, httplib::Response& out) {
    const double started = MonotonicSeconds();
    Request req;
    req.method = raw.method;
    req.path = raw.path;
    req.body = raw.body;
    req.remote_addr = raw.remote_addr;
    req.tls = !options.tls_cert.empty();
    for (const auto& [k, v] : raw.params) req.query.emplace_back(k, v);
    for (const auto& [k, v] : raw.headers) req.headers.emplace_back(k, v);
    Response res;
    try {
      res = Dispatch(req);
    } catch (const std::exception&) {
      res = RenderError(req.path, 500, ReasonFor(500));
    }
    out.status = res.status;
    for (const auto& [k, v] : res.headers) out.set_header(k, v);
    if (!res.body.empty() || res.status != 204) out.set_content(res.body, res.content_type);
    if (res.status == 204) out.body.clear();
    if (observer) observer(req, res, MonotonicSeconds() - started);
  }
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

HttpServer::~HttpServer() = default;

void HttpServer::Route(std::string method, std::string pattern, Handler handler) {
  RouteEntry r;
  r.method = std::move(method);
  for (auto s : Segments(pattern)) r.segments.emplace_back(s);
  r.pattern = std::move(pattern);
  r.handler = std::move(handler);
  impl_->routes.push_back(std::move(r));
}

void HttpServer::Use(std::string path_prefix, Middleware middleware) {
  impl_->middleware.emplace_back(std::move(path_prefix), std::move(middleware));
}

void HttpServer::SetErrorRenderer(std::string path_prefix, ErrorRenderer renderer) {
  impl_->renderers.emplace_back(std::move(path_prefix), std::move(renderer));
}

void HttpServer::SetObserver(Observer observer) { impl_->observer = std::move(observer); }

Result<int> HttpServer::Bind() {
  Impl& d = *impl_;
  if (!d.options.tls_cert.empty() || !d.options.tls_key.empty()) {
    if (d.options.tls_cert.empty() || d.options.tls_key.empty()) {
      return Error::Invalid("TLS needs both a certificate and a key file");
    }
    auto ssl =
        std::make_unique<httplib::SSLServer>(d.options.tls_cert.c_str(), d.options.tls_key.c_str());
    if (!ssl->is_valid()) {
      return Error::Invalid("cannot load the TLS certificate '" + d.options.tls_cert +
                            "' or key '" + d.options.tls_key + "' (PEM files that match)");
    }
    d.server = std::move(ssl);
  } else {
    d.server = std::make_unique<httplib::Server>();
  }
  httplib::Server& s = *d.server;
  const int threads = std::max(1, d.options.threads);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_payload_max_length(d.options.max_body);
  s.set_keep_alive_max_count(100000);
  s.set_keep_alive_timeout(d.options.keep_alive_seconds);
  s.set_read_timeout(30);
  s.set_write_timeout(30);
  s.set_tcp_nodelay(true);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    impl_->Serve(req, res);
  };
  // Requests with a body are read here, not by httplib: a request with neither
  // Content-Length nor chunked Transfer-Encoding has no body (RFC 9112 §6.3), where httplib
  // would wait for the connection to close (`curl -X POST` with no data waited the read
  // timeout, 30 s, before its 400).
  const size_t max_body = d.options.max_body;
  auto with_body = [this, max_body](const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& read) {
    const bool chunked =
        req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos;
    if (!req.has_header("Content-Length") && !chunked) return impl_->Serve(req, res);
    httplib::Request full = req;
    bool too_large = false;
    const bool ok = read([&](const char* data, size_t size) {
      if (full.body.size() + size > max_body) {
        too_large = true;
        return false;
      }
      full.body.append(data, size);
      return true;
    });
    if (too_large || !ok) {
      const int status = too_large || res.status == 413 ? 413 : 400;
      Response r = impl_->RenderError(req.path, status, ReasonFor(status));
      res.status = status;
      res.set_content(r.body, r.content_type);
      return;
    }
    impl_->Serve(full, res);
  };
  for (const char* pattern : {"/.*"}) {
    s.Get(pattern, handler);
    s.Post(pattern, with_body);
    s.Put(pattern, with_body);
    s.Patch(pattern, with_body);
    s.Delete(pattern, handler);
  }
  // Errors httplib answers itself (413 body too large, 400 unparsable request, 404 for
  // methods we route nowhere) get the API's error body.
  s.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    Response r = impl_->RenderError(req.path, res.status, ReasonFor(res.status));
    res.set_content(r.body, r.content_type);
  });
  s.set_exception_handler(
      [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        Response r = impl_->RenderError(req.path, 500, ReasonFor(500));
        res.status = 500;
        res.set_content(r.body, r.content_type);
      });
  int port = d.options.port;
  if (port == 0) {
    port = s.bind_to_any_port(d.options.host);
    if (port < 0) return Error::Unavailable("cannot listen on " + d.options.host);
  } else if (!s.bind_to_port(d.options.host, port)) {
    return Error::Unavailable("cannot listen on " + d.options.host + ":" + std::to_string(port) +
                              " (in use, or not an address of this machine)");
  }
  return port;
}

Status HttpServer::Serve() {
  if (!impl_->server) return Error::Internal("Serve() before Bind()");
  const bool listened = impl_->server->listen_after_bind();
  impl_->finished = true;
  if (!listened && !impl_->stopping) {
    return Error::Unavailable("the server stopped listening unexpectedly");
  }
  return Ok();
}

void HttpServer::Shutdown() {
  impl_->stopping = true;
  if (!impl_->server) return;
  // stop() only acts on a running server: a shutdown that races the start of Serve()
  // waits (briefly) for it to be listening.
  for (int i = 0; i < 400 && !impl_->server->is_running() && !impl_->finished; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->server->stop();
}

}  // namespace telsync::http
