#include "server/api/detail/respond.h"

#include <algorithm>
#include <cctype>

#include "server/api/rest_api.h"
#include "util/json_out.h"

namespace telsync::api::detail {

const char* CodeOf(int status) {
  switch (status) {
    case 400:
      return "invalid";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "too_large";
    case 429:
      return "throttled";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "internal" : "invalid";
  }
}

http::Response Fail(ErrorCode code, const std::string& field, const std::string& message) {
  return ErrorResponse(HttpStatusOf(code), field, message);
}

http::Response FromError(const Error& e, const std::string& field) {
  return ErrorResponse(HttpStatusOf(e.code), e.field.empty() ? field : e.field, e.message);
}

http::Response JsonOk(const Json& j) { return http::Response::Json(200, DumpJson(j)); }
http::Response Created(const Json& j) { return http::Response::Json(201, DumpJson(j)); }
http::Response Accepted(const Json& j) { return http::Response::Json(202, DumpJson(j)); }
http::Response JsonText(std::string text) { return http::Response::Json(200, std::move(text)); }

http::Response NoContent() {
  http::Response gone;
  gone.status = 204;
  gone.content_type.clear();
  return gone;
}

Result<Json> StringFieldsBody(const std::string& text, const std::vector<std::string>& allowed,
                              size_t max) {
  Json body = Json::parse(text.empty() ? "{}" : text, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return Error::Invalid("the body must be a JSON object").WithField("body");
  for (const auto& [key, value] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string names;
      for (const std::string& a : allowed) names += (names.empty() ? "" : ", ") + a;
      return Error::Invalid("unknown key; allowed: " + names)
          .WithField("body." + key.substr(0, 64));
    }
    if (!value.is_string()) return Error::Invalid("must be a string").WithField("body." + key);
    if (value.get<std::string>().size() > max)
      return Error::Invalid("longer than " + std::to_string(max) + " bytes")
          .WithField("body." + key);
  }
  return body;
}

Result<size_t> IntQuery(const http::Request& r, const std::string& name, size_t fallback,
                        size_t min, size_t max) {
  if (!r.HasQuery(name)) return fallback;
  const std::string v = r.Query(name);
  if (v.empty() || v.size() > 9 ||
      !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return Error::Invalid(name + " must be a whole number, got \"" + v.substr(0, 40) + "\"")
        .WithField(name);
  }
  const size_t n = std::stoul(v);
  if (n < min || n > max) {
    return Error::Invalid(name + " must be between " + std::to_string(min) + " and " +
                          std::to_string(max) + ", got " + v)
        .WithField(name);
  }
  return n;
}

Result<int64_t> IdParam(const http::Request& r, const std::string& name) {
  const std::string v = r.Param(name);
  if (v.empty() || v.size() > 18 ||
      !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      std::stoll(v) == 0) {
    return Error::Invalid(name + " must be a positive whole number, got \"" + v.substr(0, 40) +
                          "\"")
        .WithField(name);
  }
  return std::stoll(v);
}

Result<std::string> UserFromBody(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return std::string();
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Error::Invalid("the body must be a JSON object").WithField("body");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "user")
      return Error::Invalid("unknown key \"" + it.key().substr(0, 40) + "\"")
          .WithField("body." + it.key());
  }
  if (!j.contains("user")) return std::string();
  if (!j["user"].is_string() || j["user"].get<std::string>().empty())
    return Error::Invalid("user must be a non-empty string (username, e-mail or source id)")
        .WithField("body.user");
  return j["user"].get<std::string>();
}

std::string TenantOf(const std::string& path) {
  if (path.compare(0, kTenants.size(), kTenants) != 0) return "";
  const size_t end = path.find('/', kTenants.size());
  return path.substr(kTenants.size(),
                     end == std::string::npos ? std::string::npos : end - kTenants.size());
}

}  // namespace telsync::api::detail
