#include "server/phonebook/routes.h"

#include <cctype>

#include "server/phonebook/phonebook.h"
#include "util/result.h"
#include "util/token.h"

namespace telsync::phonebook {
namespace {

std::string Base64Decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0;
  uint32_t buffer = 0;
  for (const char c : text) {
    if (c == '=') break;
    const int v = value(c);
    if (v < 0) return "";
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

// A refusal in plain text (phones show it); the status comes from the code, never a literal.
http::Response Text(ErrorCode code, const std::string& text) {
  http::Response r;
  r.status = HttpStatusOf(code);
  r.body = text + "\n";
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

http::Response Unauthorized() {
  http::Response r =
      Text(ErrorCode::kAuth, "a phonebook token of this tenant is needed (Basic auth or ?token=)");
  r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"telsync phonebook\"");
  return r;
}

Result<std::vector<PbxUser>> AllUsers(Store& store, const std::string& tenant) {
  std::vector<PbxUser> users;
  constexpr size_t kPage = 5000;
  for (size_t offset = 0;; offset += kPage) {
    Result<std::vector<PbxUser>> page = store.ListUsers(tenant, kPage, offset);
    if (!page.ok()) return page.error();
    const size_t got = page->size();
    for (PbxUser& u : *page) users.push_back(std::move(u));
    if (got < kPage) break;
  }
  return users;
}

}  // namespace

std::string BasicPassword(const std::string& authorization) {
  if (authorization.size() < 6) return "";
  std::string scheme = authorization.substr(0, 6);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "basic ") return "";
  const std::string decoded = Base64Decode(authorization.substr(6));
  const size_t colon = decoded.find(':');
  return colon == std::string::npos ? "" : decoded.substr(colon + 1);
}

void RegisterPhonebookRoutes(http::HttpServer& server, Store& store, PhonebookOptions options) {
  server.Route("GET", "/phonebook/{file}", [&store, options](http::Request& req) {
    const std::string file = req.Param("file");
    constexpr std::string_view kXml = ".xml";
    if (file.size() <= kXml.size() || file.compare(file.size() - kXml.size(), kXml.size(), kXml))
      return Text(ErrorCode::kNotFound, "not found: the phonebook is /phonebook/TENANT.xml");
    const std::string tenant = file.substr(0, file.size() - kXml.size());
    const bool in_url = req.HasQuery("token");
    const std::string token =
        in_url ? req.Query("token") : BasicPassword(req.Header("Authorization"));
    if (token.empty()) return Unauthorized();
    Result<std::optional<ApiToken>> found = store.FindToken(kTokenKind, Sha256Hex(token));
    if (!found.ok()) return Text(ErrorCode::kUnavailable, "the store is unavailable; retry later");
    if (!found->has_value() || (*found)->tenant != tenant) return Unauthorized();

    const std::optional<Format> format = ParseFormat(req.Query("format"));
    if (!format) return Text(ErrorCode::kInvalid, "format must be yealink, grandstream or cisco");
    size_t page = 1;
    if (req.HasQuery("page")) {
      const std::string p = req.Query("page");
      if (p.empty() || p.size() > 6 || p.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(p) == 0)
        return Text(ErrorCode::kInvalid, "page must be a number from 1");
      page = std::stoul(p);
    }
    Result<std::vector<PbxUser>> users = AllUsers(store, tenant);
    if (!users.ok()) return Text(ErrorCode::kUnavailable, "the store is unavailable; retry later");
    const std::vector<Entry> entries = Entries(*users);
    std::string next;
    if (*format == Format::kCisco && page < CiscoPages(entries) && !req.Header("Host").empty()) {
      next = options.scheme + "://" + req.Header("Host") + "/phonebook/" + file +
             "?format=cisco&page=" + std::to_string(page + 1) + (in_url ? "&token=" + token : "");
    }
    http::Response r;  // 200
    r.body = Render(*format, entries, tenant + " phonebook", page, next);
    r.content_type = "text/xml; charset=utf-8";
    r.headers.emplace_back("Cache-Control", "private, no-store");
    return r;
  });
}

}  // namespace telsync::phonebook
