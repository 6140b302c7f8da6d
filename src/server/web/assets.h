// The web admin page's files (issue 19), embedded in the binary at build time: web/* in the
// repository becomes a generated .cc (cmake/embed-web.cmake) that defines Assets(). Nothing
// is read from disk or fetched at run time.
//
// The assets are immutable static data, safe to read from any thread.
#pragma once

#include <span>
#include <string_view>

namespace telsync::web {

struct Asset {
  std::string_view name;          // the file name under web/, e.g. "app.js"
  std::string_view content_type;  // from the extension, e.g. "text/javascript; charset=utf-8"
  std::string_view body;
};

// Every embedded asset, sorted by name (defined by the generated source).
std::span<const Asset> Assets();

// The asset named `name`; nullptr when there is none (an unknown or nested name).
const Asset* FindAsset(std::string_view name);

}  // namespace telsync::web
