// The REST API's request parsing and response helpers, shared by its handler files
// (routes.cc, tenants.cc, profiles.cc, runs.cc, users.cc). Private to server/api.
//
// A handler never writes an HTTP status: errors go through Fail / FromError (the status
// from HttpStatusOf(code)), successes through JsonOk / Created / Accepted / NoContent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "server/auth/token_auth.h"
#include "server/http/server.h"
#include "util/result.h"

namespace telsync::api::detail {

using Json = nlohmann::ordered_json;
inline constexpr std::string_view kPrefix = "/api/v1/";
inline constexpr std::string_view kTenants = "/api/v1/tenants/";
// The principal of an operator token (server/auth/token_auth.h), and its token kind.
using ::telsync::kOperator;
inline constexpr const char* kOperatorKind = "operator";
inline constexpr size_t kMaxDisplayName = 200;

// The error code name of a status in the error body ("invalid", "not_found", ...).
const char* CodeOf(int status);

// An error answer: the status comes from the code (HttpStatusOf), never a literal; `field`
// names what caused it ("body.policy.mode", "If-Match", "id").
http::Response Fail(ErrorCode code, const std::string& field, const std::string& message);
// The answer to an error: its own field (Error::field) or, when it has none, `field`.
http::Response FromError(const Error& e, const std::string& field = "");

http::Response JsonOk(const Json& j);
http::Response Created(const Json& j);
http::Response Accepted(const Json& j);
http::Response JsonText(std::string text);
http::Response NoContent();

// A JSON object body with only `allowed` keys, each a string no longer than `max`: the
// object, or kInvalid naming the field at fault ("body.kind").
Result<Json> StringFieldsBody(const std::string& text, const std::vector<std::string>& allowed,
                              size_t max);
// A non-negative integer query parameter within [min, max]; `fallback` when absent.
// kInvalid (field `name`).
Result<size_t> IntQuery(const http::Request& r, const std::string& name, size_t fallback,
                        size_t min, size_t max);
// A positive id path capture. kInvalid (field `name`).
Result<int64_t> IdParam(const http::Request& r, const std::string& name);
// The optional JSON object body of preview / sync: {"user": "NAME"}. Returns the user ("" for
// none). kInvalid (field "body" or "body.KEY").
Result<std::string> UserFromBody(const std::string& body);
// The tenant segment of /api/v1/tenants/{tenant}/...; "" for other paths.
std::string TenantOf(const std::string& path);

}  // namespace telsync::api::detail
