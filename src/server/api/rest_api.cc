#include "server/api/rest_api.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <sstream>

#include "admin/tenants.h"
#include "admin/tokens.h"
#include "admin/views.h"
#include "apply/run_profile.h"
#include "config/loader.h"
#include "notify/notifier.h"
#include "report/html_report.h"
#include "report/report.h"
#include "report/xlsx_report.h"
#include "secrets/profile_secrets.h"
#include "sources/source.h"
#include "util/json_out.h"
#include "util/log.h"
#include "util/text.h"

namespace telsync::api {
namespace {

using Json = nlohmann::ordered_json;
constexpr std::string_view kPrefix = "/api/v1/";
constexpr std::string_view kTenants = "/api/v1/tenants/";
// The principal of an operator token (no tenant name can be "*"), and its token kind.
constexpr std::string_view kOperator = "*";
constexpr const char* kOperatorKind = "operator";
constexpr size_t kMaxDisplayName = 200;

Json TenantJson(const TenantInfo& t) {
  Json j = {{"name", t.name}, {"display_name", t.display_name}, {"origin", t.origin}};
  if (t.created_at != 0) j["created_at"] = t.created_at;
  if (t.updated_at != 0) j["updated_at"] = t.updated_at;
  return j;
}

Json TokenJson(const ApiToken& t) {
  return Json{{"id", t.id},
              {"kind", t.kind},
              {"label", t.label},
              {"created_at", t.created_at},
              {"revoked_at", t.revoked_at}};
}

// A JSON object body with only `allowed` keys, each a string no longer than `max`:
// the object, or the 400 naming the field at fault.
Result<Json> StringFieldsBody(const std::string& text, const std::vector<std::string>& allowed,
                              size_t max) {
  Json body = Json::parse(text.empty() ? "{}" : text, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return Error::Invalid("the body must be a JSON object", "body");
  for (const auto& [key, value] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string names;
      for (const std::string& a : allowed) names += (names.empty() ? "" : ", ") + a;
      return Error::Invalid("unknown key; allowed: " + names, "body." + key.substr(0, 64));
    }
    if (!value.is_string()) return Error::Invalid("must be a string", "body." + key);
    if (value.get<std::string>().size() > max)
      return Error::Invalid("longer than " + std::to_string(max) + " bytes", "body." + key);
  }
  return body;
}

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

http::Response FromError(const Error& e, const std::string& field = "") {
  return ErrorResponse(HttpStatusOf(e.code), field, e.message);
}

// An error answer of a handler: the status comes from the code (HttpStatusOf), never a
// literal; `field` names what caused it ("body.policy.mode", "If-Match", "id").
http::Response Fail(ErrorCode code, const std::string& field, const std::string& message) {
  return ErrorResponse(HttpStatusOf(code), field, message);
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

// A non-negative integer query parameter within [min, max]; `fallback` when absent.
Result<size_t> IntQuery(const http::Request& r, const std::string& name, size_t fallback,
                        size_t min, size_t max) {
  if (!r.HasQuery(name)) return fallback;
  const std::string v = r.Query(name);
  if (v.empty() || v.size() > 9 ||
      !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return Error::Invalid(name + " must be a whole number, got \"" + v.substr(0, 40) + "\"");
  }
  const size_t n = std::stoul(v);
  if (n < min || n > max) {
    return Error::Invalid(name + " must be between " + std::to_string(min) + " and " +
                          std::to_string(max) + ", got " + v);
  }
  return n;
}

// A positive id path capture.
Result<int64_t> IdParam(const http::Request& r, const std::string& name) {
  const std::string v = r.Param(name);
  if (v.empty() || v.size() > 18 ||
      !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      std::stoll(v) == 0) {
    return Error::Invalid(name + " must be a positive whole number, got \"" + v.substr(0, 40) +
                          "\"");
  }
  return std::stoll(v);
}

// The optional JSON object body of preview / sync: {"user": "NAME"}. Returns the user.
Result<std::string> UserFromBody(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return std::string();
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error::Invalid("the body must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "user")
      return Error::Invalid("unknown key \"" + it.key().substr(0, 40) + "\"", it.key());
  }
  if (!j.contains("user")) return std::string();
  if (!j["user"].is_string() || j["user"].get<std::string>().empty())
    return Error::Invalid("user must be a non-empty string (username, e-mail or source id)",
                          "user");
  return j["user"].get<std::string>();
}

Json RunJson(const Run& r) {
  Json j;
  j["id"] = r.id;
  j["tenant"] = r.tenant;
  j["profile"] = r.profile;
  j["kind"] = RunKindName(r.kind);
  j["trigger"] = r.trigger;
  j["status"] = RunStatusName(r.status);
  j["started_at"] = r.started_at;
  j["finished_at"] = r.finished_at;
  j["complete"] = r.complete;
  j["source"] = r.source;
  j["message"] = r.message;
  Json summary = Json::object();
  for (size_t i = 0; i < kActionCount; ++i)
    summary[std::string(SummaryKey(static_cast<Action>(i)))] = r.summary[i];
  j["summary"] = std::move(summary);
  j["approved_run"] = r.approved_run;
  return j;
}

const char* ModeName(SyncMode m) {
  switch (m) {
    case SyncMode::kPaused:
      return "paused";
    case SyncMode::kFull:
      return "full";
    case SyncMode::kNewOnly:
      return "new_only";
    case SyncMode::kReview:
      return "review";
  }
  return "full";
}

Json ProfileJson(const Profile& p) {
  Json j;
  j["tenant"] = p.tenant;
  j["name"] = p.name;
  Json src;
  src["type"] = p.source.type();
  if (const auto* file = p.source.As<FileSourceConfig>()) {
    src["path"] = file->path;
    src["format"] = file->format;
  } else if (const auto* graph = p.source.As<GraphSourceConfig>()) {
    src["tenant_id"] = graph->tenant_id;
    src["client_id"] = graph->client_id;
    src["client_secret"] = graph->client_secret.Masked();  // never the value
    src["groups"] = graph->groups;
    src["include_guests"] = graph->include_guests;
    src["filter"] = graph->odata_filter;
    src["authority"] = graph->authority;
    src["graph_url"] = graph->graph_url;
  } else if (const auto* ldap = p.source.As<LdapSourceConfig>()) {
    src["url"] = ldap->urls;
    src["bind_dn"] = ldap->bind_dn;
    src["bind_password"] = ldap->bind_password.Masked();  // never the value
    src["user_search_dn"] = ldap->user_search_dn;
    src["department_search_dn"] = ldap->department_search_dn;
    src["filter"] = ldap->ldap_filter;
    src["start_tls"] = ldap->start_tls;
    src["tls_verify"] = ldap->tls_verify;
  }
  j["source"] = std::move(src);
  Json policy;
  policy["mode"] = ModeName(p.policy.mode);
  policy["create"] = p.policy.create;
  policy["update"] = p.policy.update;
  policy["delete"] = p.policy.del;
  policy["grace_days"] = p.policy.grace_days;
  policy["max_deletes"] = p.policy.max_deletes;
  policy["max_delete_percent"] = p.policy.max_delete_percent;
  policy["exclusion_group"] = p.policy.exclusion_group;
  j["policy"] = std::move(policy);
  j["mapping"] = p.mapping;
  j["schedules"] = p.schedules;
  j["timezone"] = p.timezone;
  return j;
}

Json JobJson(const JobRecord& job) {
  Json j;
  j["job"] = job.id;
  j["tenant"] = job.tenant;
  j["profile"] = job.profile;
  j["kind"] = job.kind;
  j["trigger"] = job.trigger;
  j["status"] = std::string(JobStateName(job.state));
  j["run_id"] = job.run_id;
  j["exit_code"] = job.exit_code;
  j["message"] = job.message;
  j["attempts"] = job.attempts;
  j["worker"] = job.worker;
  j["created_at"] = job.created_at;
  j["started_at"] = job.started_at;
  j["finished_at"] = job.finished_at;
  Json progress = Json::parse(job.progress.empty() ? "{}" : job.progress, nullptr, false);
  j["progress"] = progress.is_discarded() ? Json::object() : progress;
  return j;
}

bool IsMasked(const Json& v) {
  return v.is_string() && v.get<std::string>().rfind("********", 0) == 0;
}

// The tenant segment of /api/v1/tenants/{tenant}/...; "" for other paths.
std::string TenantOf(const std::string& path) {
  if (path.compare(0, kTenants.size(), kTenants) != 0) return "";
  const size_t end = path.find('/', kTenants.size());
  return path.substr(kTenants.size(),
                     end == std::string::npos ? std::string::npos : end - kTenants.size());
}

}  // namespace

http::Response ErrorResponse(int status, const std::string& field, const std::string& message) {
  Json j;
  j["error"] = Json{{"code", CodeOf(status)}, {"field", field}, {"message", message}};
  http::Response r = http::Response::Json(status, DumpJson(j));
  // 503: the store cannot keep writes now; nothing was accepted, retry later.
  if (status == 503) r.headers.emplace_back("Retry-After", "5");
  return r;
}

// ---- routes

const std::vector<RouteSpec>& RestApi::Routes() {
  static const std::vector<RouteSpec> routes = {
      {"GET", "/api/v1/openapi.json", "openapi", "This OpenAPI document", {}, false, {200}, true},
      {"GET",
       "/api/v1/tenants",
       "listTenants",
       "Tenants: every tenant for an operator token, the token's own for an admin token",
       {},
       false,
       {200}},
      {"POST",
       "/api/v1/tenants",
       "createTenant",
       "Create a tenant (operator token); the answer carries its first admin token, shown once",
       {},
       true,
       {201, 400, 403, 409},
       false,
       R"({"type": "object", "required": ["name"], "additionalProperties": false,
           "properties": {"name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
                          "display_name": {"type": "string", "maxLength": 200}}})"},
      {"GET",
       "/api/v1/tenants/{tenant}",
       "getTenant",
       "The tenant: its display name, origin and profiles",
       {},
       false,
       {200, 404}},
      {"PATCH",
       "/api/v1/tenants/{tenant}",
       "updateTenant",
       "Change a tenant's display name (tenants created here)",
       {},
       true,
       {200, 400, 404, 409},
       false,
       R"({"type": "object", "required": ["display_name"], "additionalProperties": false,
           "properties": {"display_name": {"type": "string", "maxLength": 200}}})"},
      {"DELETE",
       "/api/v1/tenants/{tenant}",
       "deleteTenant",
       "Delete a tenant created here and everything it owns: users, runs, profiles, tokens "
       "(operator token; ?confirm= the tenant's name; refused while one of its jobs runs)",
       {{"confirm", "string", "the tenant's name again", {}}},
       false,
       {200, 400, 403, 404, 409}},
      {"GET",
       "/api/v1/tenants/{tenant}/tokens",
       "listTokens",
       "The tenant's admin and SCIM tokens (never the secrets)",
       {},
       false,
       {200, 404}},
      {"POST",
       "/api/v1/tenants/{tenant}/tokens",
       "createToken",
       "Create an admin or SCIM token; the answer carries the secret, shown once",
       {},
       true,
       {201, 400, 404},
       false,
       R"({"type": "object", "required": ["kind"], "additionalProperties": false,
           "properties": {"kind": {"type": "string", "enum": ["admin", "scim"]},
                          "label": {"type": "string", "maxLength": 200}}})"},
      {"DELETE",
       "/api/v1/tenants/{tenant}/tokens/{id}",
       "revokeToken",
       "Revoke one of the tenant's tokens",
       {},
       false,
       {204, 400, 404}},
      {"GET",
       "/api/v1/tenants/{tenant}/profiles",
       "listProfiles",
       "The tenant's profiles, from the config file and created here (secrets masked)",
       {},
       false,
       {200, 404}},
      {"POST",
       "/api/v1/tenants/{tenant}/profiles",
       "createProfile",
       "Create a profile from a document with the keys of a config profile (name, source, "
       "mapping, policy, schedules, ...); it may not name files on the server",
       {},
       true,
       {201, 400, 404, 409}},
      {"GET",
       "/api/v1/tenants/{tenant}/profiles/{profile}",
       "getProfile",
       "One profile (secrets masked) with its origin and version",
       {},
       false,
       {200, 404}},
      {"PUT",
       "/api/v1/tenants/{tenant}/profiles/{profile}",
       "replaceProfile",
       "Replace a profile created here; a secret left out or sent masked keeps its value; "
       "If-Match: the version to replace",
       {},
       true,
       {200, 400, 404, 409, 412}},
      {"DELETE",
       "/api/v1/tenants/{tenant}/profiles/{profile}",
       "deleteProfile",
       "Delete a profile created here (its users stay in the directory)",
       {},
       false,
       {204, 404, 409}},
      {"POST",
       "/api/v1/tenants/{tenant}/profiles/{profile}/test-connection",
       "testConnection",
       "Connect to the profile's source and read a sample: the reason in plain words",
       {},
       false,
       {200, 404}},
      {"GET",
       "/api/v1/tenants/{tenant}/departments",
       "listDepartments",
       "Departments and their ring groups",
       {},
       false,
       {200, 404}},
      {"GET",
       "/api/v1/tenants/{tenant}/jobs",
       "listJobs",
       "Jobs (scheduled and requested syncs), newest first",
       {{"profile", "string", "only this profile", {}},
        {"limit", "integer", "at most this many (1..1000, default 20)", {}}},
       false,
       {200, 400, 404}},
      {"POST",
       "/api/v1/tenants/{tenant}/profiles/{profile}/preview",
       "preview",
       "Run a preview now; returns the preview JSON (DESIGN §4)",
       {},
       true,
       {200, 400, 404}},
      {"POST",
       "/api/v1/tenants/{tenant}/profiles/{profile}/sync",
       "sync",
       "Queue a sync job (one per profile at a time); body {\"user\": NAME} syncs one user",
       {},
       true,
       {202, 400, 404, 409}},
      {"GET",
       "/api/v1/tenants/{tenant}/jobs/{id}",
       "getJob",
       "A sync job's status and progress",
       {},
       false,
       {200, 400, 404}},
      {"GET",
       "/api/v1/tenants/{tenant}/runs",
       "listRuns",
       "Runs, newest first",
       {{"profile", "string", "only this profile", {}},
        {"limit", "integer", "at most this many (1..1000, default 20)", {}}},
       false,
       {200, 400, 404}},
      {"GET",
       "/api/v1/tenants/{tenant}/runs/{id}",
       "getRun",
       "One run",
       {},
       false,
       {200, 400, 404}},
      {"GET",
       "/api/v1/tenants/{tenant}/runs/{id}/items",
       "getRunItems",
       "A run's items as the preview JSON (`runs show -f json`)",
       {{"action",
         "string",
         "only items of this action",
         {"create", "update", "delete", "pending_delete", "restore", "unsearchable", "relink",
          "unchanged", "skip", "conflict", "error", "blocked"}}},
       false,
       {200, 400, 404}},
      {"GET",
       "/api/v1/tenants/{tenant}/runs/{id}/report",
       "getRunReport",
       "A run's report as a download",
       {{"format", "string", "json (default), csv, html or xlsx", {"json", "csv", "html", "xlsx"}}},
       false,
       {200, 400, 404}},
      {"POST",
       "/api/v1/tenants/{tenant}/runs/{id}/approve",
       "approveRun",
       "Apply a held run: starts a sync job with approve",
       {},
       false,
       {202, 400, 404, 409}},
      {"GET",
       "/api/v1/tenants/{tenant}/users",
       "listUsers",
       "The PBX directory's users",
       {{"q", "string", "only users whose username, e-mail or name contains this", {}},
        {"limit", "integer", "at most this many (1..1000, default 100)", {}},
        {"offset", "integer", "skip this many (default 0)", {}}},
       false,
       {200, 400, 404}},
      {"GET",
       "/api/v1/tenants/{tenant}/users/{name}",
       "getUser",
       "One user (username or e-mail)",
       {},
       false,
       {200, 404}},
      {"POST",
       "/api/v1/tenants/{tenant}/users/{name}/unlink",
       "unlinkUser",
       "De-sync a user: no sync changes it until it is adopted again",
       {},
       false,
       {200, 404}},
  };
  return routes;
}

std::string RestApi::OpenApiJson() {
  Json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = Json{{"title", "telsync REST API"}, {"version", "1"}};
  Json error_schema = {{"type", "object"},
                       {"properties",
                        {{"error",
                          {{"type", "object"},
                           {"properties",
                            {{"code", {{"type", "string"}}},
                             {"field", {{"type", "string"}}},
                             {"message", {{"type", "string"}}}}}}}}}};
  doc["components"]["securitySchemes"]["bearerAuth"] = Json{{"type", "http"}, {"scheme", "bearer"}};
  doc["components"]["schemas"]["Error"] = error_schema;
  doc["security"] = Json::array({Json{{"bearerAuth", Json::array()}}});
  Json paths = Json::object();
  for (const RouteSpec& r : Routes()) {
    Json op;
    op["operationId"] = r.operation_id;
    op["summary"] = r.summary;
    Json params = Json::array();
    for (size_t pos = r.path.find('{'); pos != std::string::npos; pos = r.path.find('{', pos + 1)) {
      const std::string name = r.path.substr(pos + 1, r.path.find('}', pos) - pos - 1);
      params.push_back(Json{{"name", name},
                            {"in", "path"},
                            {"required", true},
                            {"schema", {{"type", name == "id" ? "integer" : "string"}}}});
    }
    for (const QueryParam& q : r.query) {
      Json schema = {{"type", q.type}};
      if (!q.values.empty()) schema["enum"] = q.values;
      params.push_back(Json{{"name", q.name},
                            {"in", "query"},
                            {"required", false},
                            {"description", q.description},
                            {"schema", schema}});
    }
    if (!params.empty()) op["parameters"] = params;
    if (!r.body_schema.empty()) {
      op["requestBody"] =
          Json{{"required", true},
               {"content", {{"application/json", {{"schema", Json::parse(r.body_schema)}}}}}};
    } else if (r.body &&
               (r.operation_id == "createProfile" || r.operation_id == "replaceProfile")) {
      op["requestBody"] = Json{
          {"required", true},
          {"content",
           {{"application/json",
             {{"schema",
               {{"type", "object"},
                {"description",
                 "A profile: the keys of a profile in the config file (docs/configuration.md)"},
                {"required", Json::array({"source"})},
                {"properties",
                 {{"name", {{"type", "string"}}},
                  {"source", {{"type", "object"}}},
                  {"mapping", {{"type", "object"}}},
                  {"validation", {{"type", "object"}}},
                  {"policy", {{"type", "object"}}},
                  {"schedules", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                  {"timezone", {{"type", "string"}}},
                  {"notify", {{"type", "object"}}}}}}}}}}}};
    } else if (r.body) {
      op["requestBody"] = Json{{"required", false},
                               {"content",
                                {{"application/json",
                                  {{"schema",
                                    {{"type", "object"},
                                     {"properties", {{"user", {{"type", "string"}}}}},
                                     {"additionalProperties", false}}}}}}}};
    }
    Json responses = Json::object();
    for (int s : r.statuses) {
      Json resp = {{"description", s < 300 ? "OK" : CodeOf(s)}};
      if (s >= 400) {
        resp["content"]["application/json"]["schema"]["$ref"] = "#/components/schemas/Error";
      } else {
        resp["content"]["application/json"]["schema"]["type"] = "object";
      }
      responses[std::to_string(s)] = resp;
    }
    if (r.public_route) {
      op["security"] = Json::array();
    } else {
      responses["401"] = Json{{"description", "no valid admin token"}};
      responses["429"] = Json{{"description", "too many requests for this tenant"}};
    }
    op["responses"] = responses;
    std::string method = r.method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    paths[r.path][method] = op;
  }
  doc["paths"] = paths;
  return doc.dump();
}

// ---- RestApi

RestApi::RestApi(Store& store, std::mutex& store_mutex, RestApiOptions options)
    : store_(store),
      store_mutex_(store_mutex),
      options_(std::move(options)),
      limiter_(options_.rate_per_second, options_.burst),
      auth_(options_.auth ? options_.auth : std::make_shared<TokenAuth>(store, store_mutex)) {}

void RestApi::Register(http::HttpServer& server) {
  for (const RouteSpec& r : Routes()) {
    const std::string op = r.operation_id;
    server.Route(r.method, r.path, [this, op](http::Request& req) { return Dispatch(op, req); });
  }
  server.Use(std::string(kPrefix), [this](http::Request& r) { return Authenticate(r); });
  server.SetErrorRenderer(std::string(kPrefix), [](int status, const std::string& detail) {
    return ErrorResponse(status, "", detail);
  });
}

std::shared_ptr<const Profile> RestApi::FindProfile(const std::string& tenant,
                                                    const std::string& name) const {
  return options_.catalog->Find(tenant, name);
}

std::optional<http::Response> RestApi::Authenticate(http::Request& request) {
  if (request.path == "/api/v1/openapi.json") return std::nullopt;
  const std::string tenant = TenantOf(request.path);
  AuthScope scope{{"admin", kOperatorKind}, kOperatorKind, &limiter_};
  const AuthOutcome auth = auth_->Check(request.Header("Authorization"), scope, tenant);
  auto refused = Refusal(auth, [](ErrorCode code, const std::string& message) {
    return Fail(code, code == ErrorCode::kAuth ? "Authorization" : "", message);
  });
  if (refused) return refused;
  if (auth.is_operator && !tenant.empty() && !options_.catalog->HasTenant(tenant))
    return Fail(ErrorCode::kNotFound, "tenant", "no tenant " + tenant.substr(0, 64));
  request.principal = auth.is_operator ? std::string(kOperator) : auth.tenant;
  return std::nullopt;
}

http::Response RestApi::Dispatch(const std::string& op, http::Request& r) {
  if (op == "openapi") return JsonText(OpenApiJson());
  // The token names the tenant (Authenticate): a tenant exists once it has an admin token,
  // with or without profiles; an operator token reaches the tenants the catalog knows.
  if (op == "listTenants") return ListTenants(r);
  if (op == "createTenant") return CreateTenant(r);
  if (op == "getTenant") return GetTenant(r);
  if (op == "updateTenant") return UpdateTenant(r);
  if (op == "deleteTenant") return DeleteTenant(r);
  if (op == "listTokens") return ListTokens(r);
  if (op == "createToken") return CreateToken(r);
  if (op == "revokeToken") return RevokeToken(r);
  if (op == "listProfiles") return Profiles(r);
  if (op == "createProfile") return PutProfile(r, true);
  if (op == "getProfile") return GetProfile(r);
  if (op == "replaceProfile") return PutProfile(r, false);
  if (op == "deleteProfile") return DeleteProfile(r);
  if (op == "testConnection") return TestConnection(r);
  if (op == "listDepartments") return ListDepartments(r);
  if (op == "listJobs") return ListJobs(r);
  if (op == "preview") return Preview(r);
  if (op == "sync") return Sync(r);
  if (op == "getJob") return GetJob(r);
  if (op == "listRuns") return ListRuns(r);
  if (op == "getRun") return GetRun(r);
  if (op == "getRunItems") return RunReport(r, true);
  if (op == "getRunReport") return RunReport(r, false);
  if (op == "approveRun") return Approve(r);
  if (op == "listUsers") return ListUsers(r);
  if (op == "getUser") return GetUser(r);
  if (op == "unlinkUser") return UnlinkUser(r);
  return Fail(ErrorCode::kNotFound, "", "no such route");
}

http::Response RestApi::Profiles(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  Json list = Json::array();
  for (const auto& p : options_.catalog->List(tenant)) {
    Json j = ProfileJson(*p);
    j["origin"] = options_.catalog->FromConfig(tenant, p->name) ? "config" : "api";
    list.push_back(std::move(j));
  }
  return JsonOk(Json{{"profiles", list}});
}

http::Response RestApi::ListTenants(http::Request& r) {
  Json list = Json::array();
  for (const TenantInfo& t : options_.catalog->Tenants()) {
    if (r.principal == kOperator || t.name == r.principal) list.push_back(TenantJson(t));
  }
  // A tenant known only by its admin token (created before tenants were stored).
  if (r.principal != kOperator && list.empty())
    list.push_back(TenantJson({r.principal, "", "token", 0, 0}));
  return JsonOk(Json{{"tenants", list}});
}

http::Response RestApi::CreateTenant(http::Request& r) {
  if (r.principal != kOperator)
    return Fail(ErrorCode::kForbidden, "Authorization",
                "creating tenants needs an operator token (telsync admin token create "
                "--operator)");
  auto body = StringFieldsBody(r.body, {"name", "display_name"}, kMaxDisplayName);
  if (!body.ok()) return FromError(body.error(), body.error().context);
  if (!body->contains("name"))
    return Fail(ErrorCode::kInvalid, "body.name", "required: the tenant's name");
  const std::string name = (*body)["name"].get<std::string>();
  std::optional<TenantInfo> known = options_.catalog->FindTenant(name);
  const admin::TenantOrigin origin = !known                   ? admin::TenantOrigin::kUnknown
                                     : known->origin == "api" ? admin::TenantOrigin::kStore
                                                              : admin::TenantOrigin::kConfig;
  Result<admin::CreatedTenant> created = Error::Internal("");
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    created = admin::CreateTenant(store_, name, body->value("display_name", ""), origin,
                                  {.with_admin_token = true}, options_.clock());
  }
  auth_->Forget();  // no cached "invalid" answer outlives the new token
  if (!created.ok()) {
    const Error& e = created.error();
    return FromError(e, e.context == "name" ? "body.name" : e.context);
  }
  const TenantRecord& record = created->record;
  options_.catalog->SetTenant(record);
  Json j =
      TenantJson({record.name, record.display_name, "api", record.created_at, record.updated_at});
  j["admin_token"] = created->admin_token->secret;  // shown once; only its hash is kept
  j["admin_token_id"] = created->admin_token->token.id;
  http::Response resp = Created(j);
  resp.headers.emplace_back("Location", std::string(kTenants) + name);
  return resp;
}

http::Response RestApi::GetTenant(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  Json j = TenantJson(
      options_.catalog->FindTenant(tenant).value_or(TenantInfo{tenant, "", "token", 0, 0}));
  Json profiles = Json::array();
  for (const auto& p : options_.catalog->List(tenant)) {
    profiles.push_back(
        Json{{"name", p->name},
             {"source", p->source.type()},
             {"origin", options_.catalog->FromConfig(tenant, p->name) ? "config" : "api"}});
  }
  j["profiles"] = profiles;
  return JsonOk(j);
}

http::Response RestApi::UpdateTenant(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  auto body = StringFieldsBody(r.body, {"display_name"}, kMaxDisplayName);
  if (!body.ok()) return FromError(body.error(), body.error().context);
  if (!body->contains("display_name"))
    return Fail(ErrorCode::kInvalid, "body.display_name", "required: the new display name");
  std::optional<TenantInfo> found = options_.catalog->FindTenant(tenant);
  if (!found || found->origin != "api")
    return Fail(ErrorCode::kConflict, "tenant",
                "tenant " + tenant + " is defined in the config file; change it there");
  TenantRecord record{tenant, (*body)["display_name"].get<std::string>(), found->created_at,
                      options_.clock()};
  Status s = Ok();
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    s = store_.UpdateTenant(record);
  }
  if (!s.ok()) return FromError(s.error(), "tenant");
  options_.catalog->SetTenant(record);
  return JsonOk(
      TenantJson({tenant, record.display_name, "api", record.created_at, record.updated_at}));
}

http::Response RestApi::DeleteTenant(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  if (r.principal != kOperator)
    return Fail(ErrorCode::kForbidden, "Authorization",
                "deleting a tenant needs an operator token");
  std::optional<TenantInfo> found = options_.catalog->FindTenant(tenant);
  // A tenant the catalog does not know is refused as the config's, as before.
  const admin::TenantOrigin origin =
      found && found->origin == "api" ? admin::TenantOrigin::kStore : admin::TenantOrigin::kConfig;
  Result<TenantDeletion> deleted = Error::Internal("");
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    deleted = admin::DeleteTenant(store_, tenant, origin, r.Query("confirm"), "?confirm=" + tenant,
                                  options_.clock());
  }
  auth_->Forget();  // its tokens are gone: refused from the next request on
  if (!deleted.ok()) return FromError(deleted.error(), deleted.error().context);
  options_.catalog->RemoveTenant(tenant);
  if (options_.on_profiles_changed) options_.on_profiles_changed();
  return JsonOk(admin::TenantDeletionJson(tenant, *deleted));
}

Result<std::vector<ApiToken>> RestApi::TenantTokens(const std::string& tenant) {
  std::vector<ApiToken> all;
  std::lock_guard<std::mutex> lock(store_mutex_);
  for (const char* kind : {"admin", "scim"}) {
    Result<std::vector<ApiToken>> tokens = store_.ListTokens(tenant, kind);
    if (!tokens.ok()) return tokens.error();
    all.insert(all.end(), tokens->begin(), tokens->end());
  }
  return all;
}

http::Response RestApi::ListTokens(http::Request& r) {
  Result<std::vector<ApiToken>> tokens = TenantTokens(r.Param("tenant"));
  if (!tokens.ok()) return FromError(tokens.error());
  Json list = Json::array();
  for (const ApiToken& t : *tokens) list.push_back(TokenJson(t));
  return JsonOk(Json{{"tokens", list}});
}

http::Response RestApi::CreateToken(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  auto body = StringFieldsBody(r.body, {"kind", "label"}, kMaxDisplayName);
  if (!body.ok()) return FromError(body.error(), body.error().context);
  const std::string kind = body->value("kind", "");
  if (kind != "admin" && kind != "scim")
    return Fail(ErrorCode::kInvalid, "body.kind",
                "required: \"admin\" (this API) or \"scim\" (Entra provisioning)");
  Result<admin::MintedToken> minted = Error::Internal("");
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    minted = admin::MintToken(store_, tenant, kind, body->value("label", ""), options_.clock());
  }
  auth_->Forget();  // no cached "invalid" answer outlives the new token
  if (!minted.ok()) return FromError(minted.error());
  Json j = TokenJson(minted->token);
  j["token"] = minted->secret;  // shown once; only its hash is kept
  return Created(j);
}

http::Response RestApi::RevokeToken(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  auto id = IdParam(r, "id");
  if (!id.ok()) return FromError(id.error(), "id");
  Result<std::vector<ApiToken>> tokens = TenantTokens(tenant);
  if (!tokens.ok()) return FromError(tokens.error());
  for (const ApiToken& t : *tokens) {
    if (t.id != *id || t.revoked_at != 0) continue;
    Status s = Ok();
    {
      std::lock_guard<std::mutex> lock(store_mutex_);
      s = store_.RevokeToken(tenant, t.kind, *id, options_.clock());
    }
    if (!s.ok()) return FromError(s.error(), "id");
    auth_->Forget();  // refused from the next request on (other nodes: within 5 s)
    return NoContent();
  }
  return Fail(ErrorCode::kNotFound, "id", "no valid token " + std::to_string(*id));
}

http::Response RestApi::GetProfile(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  auto profile = FindProfile(tenant, r.Param("profile"));
  if (!profile)
    return Fail(ErrorCode::kNotFound, "profile", "no profile " + r.Param("profile").substr(0, 64));
  Json j = ProfileJson(*profile);
  const bool from_config = options_.catalog->FromConfig(tenant, profile->name);
  j["origin"] = from_config ? "config" : "api";
  if (!from_config) {
    Result<std::optional<StoredProfile>> stored = Error::Internal("");
    {
      std::lock_guard<std::mutex> lock(store_mutex_);
      stored = store_.GetStoredProfile(tenant, profile->name);
    }
    if (stored.ok() && stored->has_value()) {
      j["version"] = (*stored)->version;
      j["updated_at"] = (*stored)->updated_at;
      http::Response resp = JsonOk(j);
      resp.headers.emplace_back("ETag", "\"" + std::to_string((*stored)->version) + "\"");
      return resp;
    }
  }
  return JsonOk(j);
}

http::Response RestApi::PutProfile(http::Request& r, bool create) {
  const std::string tenant = r.Param("tenant");
  Json body = Json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return Fail(ErrorCode::kInvalid, "body", "the body must be a JSON object: the profile");
  std::string name;
  if (create) {
    if (!body.contains("name") || !body["name"].is_string())
      return Fail(ErrorCode::kInvalid, "body.name", "required: the profile's name");
    name = body["name"].get<std::string>();
  } else {
    name = r.Param("profile");
    if (body.contains("name") && body["name"] != name)
      return Fail(ErrorCode::kInvalid, "body.name",
                  "differs from the profile in the path; a profile cannot be renamed");
    body["name"] = name;
  }
  if (options_.catalog->FromConfig(tenant, name)) {
    return Fail(
        ErrorCode::kConflict, create ? "body.name" : "profile",
        "profile " + name.substr(0, 64) + " is defined in the config file; change it there");
  }
  int64_t expected = 0;
  if (!create) {
    Result<std::optional<StoredProfile>> stored = Error::Internal("");
    {
      std::lock_guard<std::mutex> lock(store_mutex_);
      stored = store_.GetStoredProfile(tenant, name);
    }
    if (!stored.ok()) return FromError(stored.error());
    if (!stored->has_value())
      return Fail(ErrorCode::kNotFound, "profile", "no profile " + name.substr(0, 64));
    expected = (*stored)->version;
    const std::string if_match = r.Header("If-Match");
    if (!if_match.empty() && if_match != "*" &&
        if_match != "\"" + std::to_string(expected) + "\"") {
      return Fail(ErrorCode::kPreconditionFailed, "If-Match",
                  "the profile is at version " + std::to_string(expected) +
                      "; read it again before replacing it");
    }
    // Secrets are write-only: one left out or sent masked keeps its stored value.
    Result<std::string> opened =
        OpenProfileDocument((*stored)->document, tenant, name, options_.catalog->secret_key());
    if (!opened.ok()) {
      Log(LogLevel::kError, "api: stored profile secrets do not open",
          {{"tenant", tenant}, {"profile", name}, {"reason", opened.error().ToString()}});
      return Fail(ErrorCode::kInternal, "profile",
                  "the stored profile's secrets cannot be opened with this server's "
                  "key; see the server log");
    }
    Json old = Json::parse(*opened, nullptr, false);
    for (const SecretField& field : kProfileSecretFields) {
      const std::string section(field.section);
      const std::string key(field.key);
      if (old.is_discarded() || !old.contains(section) || !old[section].is_object() ||
          !old[section].contains(key))
        continue;
      if (!body.contains(section) || !body[section].is_object()) continue;
      if (!body[section].contains(key) || IsMasked(body[section][key]))
        body[section][key] = old[section][key];
    }
  }
  bool has_secret = false;
  for (const SecretField& field : kProfileSecretFields) {
    const std::string section(field.section);
    const std::string key(field.key);
    if (!body.contains(section) || !body[section].is_object() || !body[section].contains(key))
      continue;
    has_secret = true;
    if (IsMasked(body[section][key]))
      return Fail(ErrorCode::kInvalid, "body." + section + "." + key,
                  "send the secret itself; a masked value is only kept on a PUT");
  }
  const std::string plain_document = body.dump();
  Result<Profile> loaded = options_.catalog->Load(tenant, plain_document);
  if (!loaded.ok()) {
    return Fail(ErrorCode::kInvalid,
                loaded.error().context.empty() ? "body" : loaded.error().context,
                loaded.error().message);
  }
  if (loaded->source.type() == "scim") {
    // Entra pushes to one tenant URL: the tenant's SCIM endpoint serves one profile.
    for (const auto& p : options_.catalog->List(tenant)) {
      if (p->source.type() == "scim" && p->name != name)
        return Fail(ErrorCode::kConflict, "body.source.type",
                    "profile " + p->name +
                        " already receives this tenant's SCIM pushes; a tenant has one "
                        "SCIM profile");
    }
  }
  // Secrets are sealed before they reach the store (SPEC R4); never stored plain.
  const SecretKey* secret_key = options_.catalog->secret_key();
  if (has_secret && secret_key == nullptr) {
    return Fail(ErrorCode::kUnavailable, "body.source",
                "this server has no secret key, so it cannot keep the profile's secret");
  }
  Result<std::string> document =
      secret_key == nullptr ? Result<std::string>(plain_document)
                            : SealProfileDocument(plain_document, tenant, name, *secret_key);
  if (!document.ok()) return FromError(document.error(), "body");
  StoredProfile stored{tenant, name, *document, 0, 0, 0};
  Result<int64_t> version = Error::Internal("");
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    version = store_.PutStoredProfile(stored, expected, options_.clock());
  }
  if (!version.ok()) return FromError(version.error(), create ? "body.name" : "profile");
  options_.catalog->Set(tenant, name, std::make_shared<const Profile>(std::move(*loaded)));
  if (options_.on_profiles_changed) options_.on_profiles_changed();
  Json j = ProfileJson(*options_.catalog->Find(tenant, name));
  j["origin"] = "api";
  j["version"] = *version;
  http::Response resp = create ? Created(j) : JsonOk(j);
  resp.headers.emplace_back("ETag", "\"" + std::to_string(*version) + "\"");
  if (create) {
    resp.headers.emplace_back("Location", "/api/v1/tenants/" + tenant + "/profiles/" + name);
  }
  return resp;
}

http::Response RestApi::DeleteProfile(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  const std::string name = r.Param("profile");
  if (options_.catalog->FromConfig(tenant, name))
    return Fail(
        ErrorCode::kConflict, "profile",
        "profile " + name.substr(0, 64) + " is defined in the config file; remove it there");
  Status deleted = Ok();
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    deleted = store_.DeleteStoredProfile(tenant, name);
  }
  if (!deleted.ok()) return FromError(deleted.error(), "profile");
  options_.catalog->Set(tenant, name, nullptr);
  if (options_.on_profiles_changed) options_.on_profiles_changed();
  return NoContent();
}

http::Response RestApi::TestConnection(http::Request& r) {
  auto profile = FindProfile(r.Param("tenant"), r.Param("profile"));
  if (!profile)
    return Fail(ErrorCode::kNotFound, "profile", "no profile " + r.Param("profile").substr(0, 64));
  Json j;
  j["profile"] = profile->name;
  j["source"] = profile->source.type();
  if (profile->source.type() == "scim") {
    Result<size_t> users = Error::Internal("");
    {
      std::lock_guard<std::mutex> lock(store_mutex_);
      users = store_.CountMirror(profile->tenant, profile->name, ObjectKind::kUser);
    }
    j["ok"] = users.ok();
    j["message"] = users.ok() ? "SCIM pushes: " + std::to_string(*users) +
                                    " users received from the identity provider so far"
                              : users.error().message;
    return JsonOk(j);
  }
  auto source = MakeSource(profile->source, options_.base_dir);
  if (!source.ok()) {
    j["ok"] = false;
    j["message"] = source.error().message;
    return JsonOk(j);
  }
  ConnectionReport report = (*source)->TestConnection();
  j["ok"] = report.ok;
  j["message"] = report.message;
  j["attributes"] = report.attributes;
  j["sample"] = report.sample;
  return JsonOk(j);
}

http::Response RestApi::ListDepartments(http::Request& r) {
  Result<std::vector<Department>> departments = Error::Internal("");
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    departments = store_.ListDepartments(r.Param("tenant"));
  }
  if (!departments.ok()) return FromError(departments.error());
  Json list = Json::array();
  for (const Department& d : *departments) {
    list.push_back(Json{{"name", d.name},
                        {"profile", d.profile},
                        {"ring_group", d.ring_group},
                        {"members", d.members}});
  }
  return JsonOk(Json{{"departments", list}});
}

http::Response RestApi::ListJobs(http::Request& r) {
  auto limit = IntQuery(r, "limit", 20, 1, 1000);
  if (!limit.ok()) return FromError(limit.error(), "limit");
  Result<std::vector<JobRecord>> jobs = Error::Internal("");
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    jobs = store_.ListJobs(r.Param("tenant"), r.Query("profile"), *limit);
  }
  if (!jobs.ok()) return FromError(jobs.error());
  Json list = Json::array();
  for (const JobRecord& j : *jobs) list.push_back(JobJson(j));
  return JsonOk(Json{{"jobs", list}});
}

http::Response RestApi::Preview(http::Request& r) {
  auto profile = FindProfile(r.Param("tenant"), r.Param("profile"));
  if (profile == nullptr)
    return Fail(ErrorCode::kNotFound, "profile", "no profile " + r.Param("profile").substr(0, 64));
  auto user = UserFromBody(r.body);
  if (!user.ok())
    return FromError(user.error(),
                     "body" + (user.error().context.empty() ? "" : "." + user.error().context));
  auto store = options_.open_store();
  if (!store.ok())
    return Fail(ErrorCode::kUnavailable, "", "the store is unavailable; retry later");
  EngineOptions options;
  options.kind = RunKind::kPreview;
  options.trigger = user->empty() ? "api" : "user:" + *user;
  options.lock_wait_seconds = 10;  // a run of the profile in progress ends first
  if (!user->empty()) options.only_user = *user;
  options.now = options_.clock();
  options.clock = options_.clock;
  auto prepared = PreparedRun::Make(*profile, options_.base_dir);
  if (!prepared.ok()) return FromError(prepared.error(), "profile");
  auto outcome = prepared->Run(**store, options);
  if (!outcome.ok()) return FromError(outcome.error());
  std::ostringstream out;
  WriteJson(out, outcome->plan, outcome->run.id);
  return JsonText(out.str());
}

http::Response RestApi::StartSync(const std::string& tenant, const Profile& profile,
                                  int64_t approve, const std::string& user) {
  JobRecord job;
  job.tenant = tenant;
  job.profile = profile.name;
  job.kind = approve != 0 ? "approve" : "sync";
  job.approve_run = approve;
  job.trigger = !user.empty() ? "user:" + user : "api";
  job.created_at = options_.clock();
  Result<int64_t> id = Error::Internal("");
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    id = store_.EnqueueJob(job);
  }
  if (!id.ok()) return FromError(id.error(), "profile");
  if (options_.on_job_queued) options_.on_job_queued();
  Json j;
  j["job"] = *id;
  j["status"] = "queued";
  http::Response resp = Accepted(j);
  resp.headers.emplace_back("Location",
                            "/api/v1/tenants/" + tenant + "/jobs/" + std::to_string(*id));
  return resp;
}

http::Response RestApi::Sync(http::Request& r) {
  auto profile = FindProfile(r.Param("tenant"), r.Param("profile"));
  if (profile == nullptr)
    return Fail(ErrorCode::kNotFound, "profile", "no profile " + r.Param("profile").substr(0, 64));
  auto user = UserFromBody(r.body);
  if (!user.ok())
    return FromError(user.error(),
                     "body" + (user.error().context.empty() ? "" : "." + user.error().context));
  return StartSync(r.Param("tenant"), *profile, 0, *user);
}

http::Response RestApi::Approve(http::Request& r) {
  auto id = IdParam(r, "id");
  if (!id.ok()) return FromError(id.error(), "id");
  const std::string tenant = r.Param("tenant");
  Result<Run> run = Error::Internal("");
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    run = store_.GetRun(tenant, *id);
  }
  if (!run.ok()) return FromError(run.error(), "id");
  if (run->status != RunStatus::kHeld)
    return Fail(ErrorCode::kConflict, "id",
                "run " + std::to_string(*id) + " is " + RunStatusName(run->status) + ", not held");
  auto profile = FindProfile(tenant, run->profile);
  if (profile == nullptr)
    return Fail(ErrorCode::kNotFound, "profile",
                "run " + std::to_string(*id) + "'s profile " + run->profile +
                    " is no longer in the config");
  return StartSync(tenant, *profile, *id, "");
}

http::Response RestApi::GetJob(http::Request& r) {
  auto id = IdParam(r, "id");
  if (!id.ok()) return FromError(id.error(), "id");
  Result<JobRecord> job = Error::Internal("");
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    job = store_.GetJob(r.Param("tenant"), *id);
  }
  if (!job.ok()) return FromError(job.error(), "id");
  return JsonOk(JobJson(*job));
}

http::Response RestApi::ListRuns(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  auto limit = IntQuery(r, "limit", 20, 1, 1000);
  if (!limit.ok()) return FromError(limit.error(), "limit");
  const std::string profile = r.Query("profile");
  if (!profile.empty() && FindProfile(tenant, profile) == nullptr)
    return Fail(ErrorCode::kInvalid, "profile",
                "no profile " + profile.substr(0, 64) + " in tenant " + tenant);
  Json runs = Json::array();
  Json last = Json::object();
  const auto profiles = options_.catalog->List(tenant);
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    auto listed = store_.ListRuns(tenant, profile, *limit);
    if (!listed.ok()) return FromError(listed.error());
    for (const Run& run : *listed) runs.push_back(RunJson(run));
    for (const auto& p : profiles) {
      if (!profile.empty() && p->name != profile) continue;
      auto ok = store_.LastSuccessfulSync(tenant, p->name);
      if (ok.ok()) last[p->name] = ok->has_value() ? Json((*ok)->id) : Json(nullptr);
    }
  }
  return JsonOk(Json{{"runs", runs}, {"last_successful_sync", last}});
}

http::Response RestApi::GetRun(http::Request& r) {
  auto id = IdParam(r, "id");
  if (!id.ok()) return FromError(id.error(), "id");
  std::lock_guard<std::mutex> lock(store_mutex_);
  auto run = store_.GetRun(r.Param("tenant"), *id);
  if (!run.ok()) return FromError(run.error(), "id");
  return JsonOk(RunJson(*run));
}

http::Response RestApi::RunReport(http::Request& r, bool items) {
  auto id = IdParam(r, "id");
  if (!id.ok()) return FromError(id.error(), "id");
  std::optional<Action> filter;
  std::string format = "json";
  if (items && r.HasQuery("action")) {
    filter = ActionFromName(r.Query("action"));
    if (!filter)
      return Fail(ErrorCode::kInvalid, "action",
                  "unknown action \"" + r.Query("action").substr(0, 40) + "\"");
  }
  if (!items && r.HasQuery("format")) {
    format = r.Query("format");
    if (format != "json" && format != "csv" && format != "html" && format != "xlsx")
      return Fail(ErrorCode::kInvalid, "format",
                  "format must be json, csv, html or xlsx, got \"" + format.substr(0, 40) + "\"");
  }
  const std::string tenant = r.Param("tenant");
  Result<Run> run = Error::Internal("");
  Result<std::vector<PlanItem>> listed = Error::Internal("");
  Result<std::vector<DepartmentChange>> departments = Error::Internal("");
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    run = store_.GetRun(tenant, *id);
    if (!run.ok()) return FromError(run.error(), "id");
    listed = store_.GetRunItems(tenant, *id, filter);
    departments = store_.GetRunDepartments(tenant, *id);
  }
  if (!listed.ok()) return FromError(listed.error());
  if (!departments.ok()) return FromError(departments.error());
  const Plan plan = PlanFromRun(*run, std::move(listed).value(), std::move(departments).value());
  http::Response resp;
  const std::string file = "telsync-run-" + std::to_string(*id);
  if (format == "xlsx") {
    auto bytes = XlsxBytes(plan, &*run);
    if (!bytes.ok()) return FromError(bytes.error());
    resp.body = std::move(bytes).value();
    resp.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    resp.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file + ".xlsx\"");
    return resp;
  }
  std::ostringstream out;
  if (format == "json") {
    WriteJson(out, plan, run->id);
  } else if (format == "csv") {
    WriteCsv(out, plan);
    resp.content_type = "text/csv; charset=utf-8";
    resp.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file + ".csv\"");
  } else {
    WriteHtml(out, plan, &*run);
    resp.content_type = "text/html; charset=utf-8";
  }
  resp.body = out.str();
  return resp;
}

http::Response RestApi::ListUsers(http::Request& r) {
  auto limit = IntQuery(r, "limit", 100, 1, 1000);
  if (!limit.ok()) return FromError(limit.error(), "limit");
  auto offset = IntQuery(r, "offset", 0, 0, 100000000);
  if (!offset.ok()) return FromError(offset.error(), "offset");
  const std::string q = r.Query("q");
  if (q.size() > 200) return Fail(ErrorCode::kInvalid, "q", "at most 200 characters");
  Json arr = Json::array();
  if (q.empty()) {
    std::lock_guard<std::mutex> lock(store_mutex_);
    auto listed = store_.ListUsers(r.Param("tenant"), *limit, *offset);
    if (!listed.ok()) return FromError(listed.error());
    for (const PbxUser& u : *listed) arr.push_back(admin::UserJson(u));
    return JsonOk(arr);
  }
  // Search: case-insensitive substring of username, e-mail, display name or extension,
  // over pages of the directory (the store lock is taken per page, not for the scan).
  const std::string needle = AsciiLower(q);
  size_t skipped = 0;
  constexpr size_t kPage = 5000;
  for (size_t page_offset = 0;; page_offset += kPage) {
    Result<std::vector<PbxUser>> page = Error::Internal("");
    {
      std::lock_guard<std::mutex> lock(store_mutex_);
      page = store_.ListUsers(r.Param("tenant"), kPage, page_offset);
    }
    if (!page.ok()) return FromError(page.error());
    for (const PbxUser& u : *page) {
      bool match = false;
      for (Field f : {Field::kUsername, Field::kEmail, Field::kDisplayName, Field::kExtension})
        match = match || AsciiLower(u.fields.Get(f)).find(needle) != std::string::npos;
      if (!match) continue;
      if (skipped++ < *offset) continue;
      arr.push_back(admin::UserJson(u));
      if (arr.size() >= *limit) return JsonOk(arr);
    }
    if (page->size() < kPage) return JsonOk(arr);
  }
}

http::Response RestApi::GetUser(http::Request& r) {
  std::lock_guard<std::mutex> lock(store_mutex_);
  auto found = store_.FindUser(r.Param("tenant"), r.Param("name"));
  if (!found.ok()) return FromError(found.error());
  if (!found->has_value())
    return Fail(ErrorCode::kNotFound, "name", "no user " + r.Param("name").substr(0, 100));
  return JsonOk(admin::UserJson(**found));
}

http::Response RestApi::UnlinkUser(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  std::lock_guard<std::mutex> lock(store_mutex_);
  auto found = store_.FindUser(tenant, r.Param("name"));
  if (!found.ok()) return FromError(found.error());
  if (!found->has_value())
    return Fail(ErrorCode::kNotFound, "name", "no user " + r.Param("name").substr(0, 100));
  const PbxUser& u = **found;
  if (auto s = store_.UnlinkUser(tenant, u.id); !s.ok()) return FromError(s.error());
  return JsonOk(
      Json{{"unlinked", std::string(u.fields.Get(Field::kUsername))}, {"was", u.source_key}});
}

}  // namespace telsync::api
