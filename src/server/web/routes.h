// The web admin page (issue 19, SPEC F22): GET / answers index.html and GET /assets/{file}
// the page's scripts and styles, from the assets embedded in the binary (assets.h).
//
// The page is static: it holds no rule of its own and does everything through /api/v1 with
// the admin's Bearer token, so these routes need no authentication. Every answer of these
// routes, a 404 too, carries the page's security headers (PageHeaders): a strict
// Content-Security-Policy (no inline script or style, no framing, nothing from another
// origin), Referrer-Policy: no-referrer and X-Content-Type-Options: nosniff.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "server/http/server.h"

namespace telsync::web {

// The headers every page answer carries.
std::vector<std::pair<std::string, std::string>> PageHeaders();

// Mounts GET / and GET /assets/{file} on `server` (before Bind()).
void RegisterWebRoutes(http::HttpServer& server);

}  // namespace telsync::web
