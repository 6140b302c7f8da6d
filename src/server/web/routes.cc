#include "server/web/routes.h"

#include "server/web/assets.h"

namespace telsync::web {
namespace {

http::Response Page(const Asset* asset) {
  http::Response r;
  r.headers = PageHeaders();
  if (asset == nullptr) {
    r.status = 404;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "no such file\n";
    return r;
  }
  r.body = std::string(asset->body);
  r.content_type = std::string(asset->content_type);
  // The assets change with the binary only; revalidating each load keeps an upgrade visible.
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> PageHeaders() {
  return {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
  };
}

void RegisterWebRoutes(http::HttpServer& server) {
  server.Route("GET", "/", [](http::Request&) { return Page(FindAsset("index.html")); });
  server.Route("GET", "/assets/{file}", [](http::Request& r) {
    const std::string file = r.Param("file");
    // index.html is the page itself, served at /; the rest are its assets.
    return Page(file == "index.html" ? nullptr : FindAsset(file));
  });
}

}  // namespace telsync::web
