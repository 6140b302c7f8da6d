// The REST API's route table, its OpenAPI document, authentication and dispatch. The
// handlers are in tenants.cc, profiles.cc, runs.cc, users.cc, targets.cc and explain.cc.
#include <algorithm>

#include "server/api/detail/respond.h"
#include "server/api/rest_api.h"
#include "util/json_out.h"

namespace telsync::api {
namespace {

using detail::Json;

Json ErrorSchema() {
  return {{"type", "object"},
          {"properties",
           {{"error",
             {{"type", "object"},
              {"properties",
               {{"code", {{"type", "string"}}},
                {"field", {{"type", "string"}}},
                {"message", {{"type", "string"}}}}}}}}}};
}

// The path and query parameters of a route.
Json ParametersJson(const RouteSpec& r) {
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
  return params;
}

Json ProfileBodySchema() {
  return {{"type", "object"},
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
            {"notify", {{"type", "object"}}}}}};
}

// The route's requestBody; null when it takes none.
Json RequestBodyJson(const RouteSpec& r) {
  auto body = [](bool required, Json schema) {
    return Json{{"required", required},
                {"content", {{"application/json", {{"schema", std::move(schema)}}}}}};
  };
  if (!r.body_schema.empty()) return body(true, Json::parse(r.body_schema));
  if (!r.body) return nullptr;
  if (r.operation_id == "createProfile" || r.operation_id == "replaceProfile")
    return body(true, ProfileBodySchema());
  if (r.operation_id == "patchProfile") {
    Json schema = ProfileBodySchema();
    schema.erase("required");
    schema["description"] = "A JSON merge patch (RFC 7396) onto the stored profile document";
    return Json{{"required", true},
                {"content",
                 {{"application/merge-patch+json", {{"schema", schema}}},
                  {"application/json", {{"schema", schema}}}}}};
  }
  return body(false, {{"type", "object"},
                      {"properties", {{"user", {{"type", "string"}}}}},
                      {"additionalProperties", false}});
}

Json OperationJson(const RouteSpec& r) {
  Json op;
  op["operationId"] = r.operation_id;
  op["summary"] = r.summary;
  Json params = ParametersJson(r);
  if (!params.empty()) op["parameters"] = params;
  Json request_body = RequestBodyJson(r);
  if (!request_body.is_null()) op["requestBody"] = request_body;
  Json responses = Json::object();
  for (int s : r.statuses) {
    Json resp = {{"description", s < 300 ? "OK" : detail::CodeOf(s)}};
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
  return op;
}

}  // namespace

http::Response ErrorResponse(int status, const std::string& field, const std::string& message) {
  Json j;
  j["error"] = Json{{"code", detail::CodeOf(status)}, {"field", field}, {"message", message}};
  http::Response r = http::Response::Json(status, DumpJson(j));
  // 503: the store cannot keep writes now; nothing was accepted, retry later.
  if (status == 503) r.headers.emplace_back("Retry-After", "5");
  return r;
}

// ---- routes

const std::vector<RouteSpec>& RestApi::Routes() {
  // The filter and paging of a preview's or a run's items (the admin page's AD report).
  static const std::vector<QueryParam> kPlanPageQuery = {
      {"action",
       "string",
       "only items of this action",
       {"create", "update", "delete", "pending_delete", "restore", "unsearchable", "relink",
        "unchanged", "skip", "conflict", "error", "blocked"}},
      {"q", "string", "only items whose username, key, reason or a value contains this", {}},
      {"offset", "integer", "skip this many matching items (default 0)", {}},
      {"limit", "integer", "at most this many items (1..1000, default 50)", {}}};
  static const std::vector<QueryParam> kPreviewQuery = [] {
    std::vector<QueryParam> q = kPlanPageQuery;
    q.push_back({"job", "boolean", "run the preview as a job (202) instead of in the request", {}});
    return q;
  }();
  static const std::vector<RouteSpec> routes = {
      {"GET", "/api/v1/openapi.json", "openapi", "This OpenAPI document", {}, false, {200}, true},
      {"GET",
       "/api/v1/tenants",
       "listTenants",
       "Tenants: every tenant for an operator token, the token's own for an admin token; "
       "operator: whether the token is the operator's",
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
       "One profile (secrets masked) with its origin and version; a profile created here "
       "also has `document`, its whole stored document (secrets masked), which a PUT may send "
       "back as it is",
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
      {"PATCH",
       "/api/v1/tenants/{tenant}/profiles/{profile}",
       "patchProfile",
       "Change a profile created here with a JSON merge patch (RFC 7396) onto its stored "
       "document: the keys sent are set, a null removes one, every other key is kept; a "
       "secret sent masked keeps its value; If-Match: the version to change",
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
      {"POST",
       "/api/v1/tenants/{tenant}/profiles/{profile}/map",
       "mapUser",
       "Map one sample user with a draft mapping laid over the profile's source defaults "
       "(the mapping editor): the PBX fields, custom fields and the mapping in effect",
       {},
       true,
       {200, 400, 404},
       false,
       R"({"type": "object", "additionalProperties": false,
           "properties": {"mapping": {"type": "object",
                                      "additionalProperties": {"type": "string"}},
                          "user": {"type": "object"},
                          "groups": {"type": "array", "items": {"type": "string"}}}})"},
      {"GET",
       "/api/v1/schedule/next",
       "nextRuns",
       "The next times a cron expression fires in a time zone (the profile editor)",
       {{"cron", "string", "a schedule of a profile, e.g. 0 2 * * *", {}},
        {"timezone", "string", "an IANA time zone (default UTC)", {}},
        {"count", "integer", "how many (1..20, default 5)", {}}},
       false,
       {200, 400}},
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
       "Run a preview now; returns the preview JSON (DESIGN §4); with q, offset or limit, one "
       "page of its items (and page.matched) with the whole plan's summary. With job=true it "
       "runs as a job instead: 202 {job}, GET .../jobs/{id} gives its progress and run_id, "
       "and GET .../runs/{run_id}/items its pages; 409 while a job of the profile is queued "
       "or running",
       kPreviewQuery,
       true,
       {200, 202, 400, 404, 409}},
      {"GET",
       "/api/v1/tenants/{tenant}/profiles/{profile}/explain",
       "explain",
       "Why one user is planned the way it is (`telsync explain USER -f json`): source, "
       "scope (why in or out: group path, guest, filter, disabled, exclusion group), mapping, "
       "validation, identity, uniqueness, policy, rules, the preview's result and per target "
       "what it would receive and holds; records no run",
       {{"user", "string", "username, e-mail, UPN, source id or user:<id> (required)", {}},
        {"fresh",
         "string",
         "1: read the user from the source now, alone, instead of from the source mirror "
         "(Graph); 400 for a scim profile",
         {}}},
       false,
       {200, 400, 404, 503}},
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
       "Runs, newest first; each run's purged_at is RFC 3339 when its items were purged after "
       "history.keep_days (its counts stay), else null",
       {{"profile", "string", "only this profile", {}},
        {"limit", "integer", "at most this many (1..1000, default 20)", {}}},
       false,
       {200, 400, 404}},
      {"GET",
       "/api/v1/tenants/{tenant}/runs/{id}",
       "getRun",
       "One run: id, kind, status, summary, ..., purged_at (RFC 3339 when its items were purged "
       "after history.keep_days, else null) and, when purged, purged (the sentence reports show)",
       {},
       false,
       {200, 400, 404}},
      {"GET",
       "/api/v1/tenants/{tenant}/runs/{id}/items",
       "getRunItems",
       "A run's items as the preview JSON (`runs show -f json`); with q, offset or limit, one "
       "page of them (and page.matched) with the whole run's summary. purged_at and purged say "
       "when a run's items were purged (history.keep_days): it then lists none",
       kPlanPageQuery,
       false,
       {200, 400, 404}},
      {"GET",
       "/api/v1/tenants/{tenant}/runs/{id}/report",
       "getRunReport",
       "A run's report as a download (a purged run's report says its items were purged)",
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
      {"POST",
       "/api/v1/tenants/{tenant}/runs/{id}/revert",
       "revertRun",
       "The inverse of applied run {id} (issue 18): a preview by default; apply: true applies it "
       "as a run of kind revert (pause: true also pauses the profile, approve: true applies it "
       "past the deletion threshold). JSON: the preview JSON plus a revert object",
       {{"format", "string", "json (default), csv, html or xlsx", {"json", "csv", "html", "xlsx"}}},
       true,
       {200, 400, 404, 409, 503},
       false,
       R"({"type": "object", "additionalProperties": false,
           "properties": {"apply": {"type": "boolean"}, "pause": {"type": "boolean"},
                          "approve": {"type": "boolean"}}})"},
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
      {"POST",
       "/api/v1/tenants/{tenant}/users/{name}/exclude",
       "excludeUser",
       "Put a user in the exclusion group (policy.exclusion_group, \"Non AD sync\" by "
       "default; `telsync users exclude`): syncs of that profile leave it alone",
       {{"profile",
         "string",
         "whose exclusion group (default: the user's profile, else the first)",
         {}}},
       false,
       {200, 400, 404}},
      {"POST",
       "/api/v1/tenants/{tenant}/users/{name}/include",
       "includeUser",
       "Take a user out of the exclusion group (`telsync users include`): syncs manage it again",
       {{"profile",
         "string",
         "whose exclusion group (default: the user's profile, else the first)",
         {}}},
       false,
       {200, 400, 404}},
      {"POST",
       "/api/v1/tenants/{tenant}/users/{name}/sip-credentials",
       "resetSipCredentials",
       "Make a new SIP password for a user and show it, this once (Cache-Control: no-store); "
       "the targets are then published with a full reconcile",
       {},
       false,
       {200, 404, 503}},
      {"GET",
       "/api/v1/tenants/{tenant}/targets",
       "listTargets",
       "The tenant's targets: cursor, lag (waiting events), last delivery, last error, "
       "back-off, dead events",
       {},
       false,
       {200, 404}},
      {"GET",
       "/api/v1/tenants/{tenant}/targets/{target}/dead",
       "listDeadEvents",
       "A target's dead events, oldest first",
       {{"limit", "integer", "at most this many (1..1000, default 100)", {}},
        {"offset", "integer", "skip this many (default 0)", {}}},
       false,
       {200, 400, 404}},
      {"POST",
       "/api/v1/tenants/{tenant}/targets/{target}/retry",
       "retryTarget",
       "Re-send a target's dead events that still carry their object's state",
       {},
       false,
       {200, 404, 409, 503}},
      {"POST",
       "/api/v1/tenants/{tenant}/targets/{target}/publish",
       "publishTarget",
       "Deliver a target's waiting events now (full: reconcile with the PBX directory first; "
       "dry_run: with full, only the plan); returns the publish report",
       {},
       true,
       {200, 400, 404, 409, 503},
       false,
       R"({"type": "object", "additionalProperties": false,
           "properties": {"full": {"type": "boolean"}, "dry_run": {"type": "boolean"}}})"},
  };
  return routes;
}

std::string RestApi::OpenApiJson() {
  Json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = Json{{"title", "telsync REST API"}, {"version", "1"}};
  doc["components"]["securitySchemes"]["bearerAuth"] = Json{{"type", "http"}, {"scheme", "bearer"}};
  doc["components"]["schemas"]["Error"] = ErrorSchema();
  doc["security"] = Json::array({Json{{"bearerAuth", Json::array()}}});
  Json paths = Json::object();
  for (const RouteSpec& r : Routes()) {
    std::string method = r.method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    paths[r.path][method] = OperationJson(r);
  }
  doc["paths"] = paths;
  return doc.dump();
}

// ---- RestApi

RestApi::RestApi(Store& store, RestApiOptions options)
    : store_(store),
      options_(std::move(options)),
      limiter_(options_.rate_per_second, options_.burst),
      auth_(options_.auth ? options_.auth
                          : std::make_shared<TokenAuth>(store, TokenAuth::Options{})) {}

void RestApi::Register(http::HttpServer& server) {
  for (const RouteSpec& r : Routes()) {
    const std::string op = r.operation_id;
    server.Route(r.method, r.path, [this, op](http::Request& req) { return Dispatch(op, req); });
  }
  server.Use(std::string(detail::kPrefix), [this](http::Request& r) { return Authenticate(r); });
  server.SetErrorRenderer(std::string(detail::kPrefix), [](int status, const std::string& message) {
    return ErrorResponse(status, "", message);
  });
}

std::shared_ptr<const Profile> RestApi::FindProfile(const std::string& tenant,
                                                    const std::string& name) const {
  return options_.catalog->Find(tenant, name);
}

std::optional<http::Response> RestApi::Authenticate(http::Request& request) {
  if (request.path == "/api/v1/openapi.json") return std::nullopt;
  const std::string tenant = detail::TenantOf(request.path);
  AuthScope scope{{"admin", detail::kOperatorKind}, detail::kOperatorKind, &limiter_};
  const AuthOutcome auth = auth_->Check(request.Header("Authorization"), scope, tenant);
  auto refused = Refusal(auth, [](ErrorCode code, const std::string& message) {
    return detail::Fail(code, code == ErrorCode::kAuth ? "Authorization" : "", message);
  });
  if (refused) return refused;
  if (auth.is_operator && !tenant.empty() && !options_.catalog->HasTenant(tenant))
    return detail::Fail(ErrorCode::kNotFound, "tenant", "no tenant " + tenant.substr(0, 64));
  request.principal = auth.is_operator ? std::string(detail::kOperator) : auth.tenant;
  return std::nullopt;
}

http::Response RestApi::Dispatch(const std::string& op, http::Request& r) {
  if (op == "openapi") return detail::JsonText(OpenApiJson());
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
  if (op == "patchProfile") return PutProfile(r, false, true);
  if (op == "deleteProfile") return DeleteProfile(r);
  if (op == "testConnection") return TestConnection(r);
  if (op == "nextRuns") return NextRuns(r);
  if (op == "mapUser") return MapUser(r);
  if (op == "listDepartments") return ListDepartments(r);
  if (op == "listJobs") return ListJobs(r);
  if (op == "preview") return Preview(r);
  if (op == "explain") return Explain(r);
  if (op == "sync") return Sync(r);
  if (op == "getJob") return GetJob(r);
  if (op == "listRuns") return ListRuns(r);
  if (op == "getRun") return GetRun(r);
  if (op == "getRunItems") return RunReport(r, true);
  if (op == "getRunReport") return RunReport(r, false);
  if (op == "approveRun") return Approve(r);
  if (op == "revertRun") return Revert(r);
  if (op == "listUsers") return ListUsers(r);
  if (op == "getUser") return GetUser(r);
  if (op == "unlinkUser") return UnlinkUser(r);
  if (op == "excludeUser") return SetExcluded(r, true);
  if (op == "includeUser") return SetExcluded(r, false);
  if (op == "resetSipCredentials") return ResetSipCredentials(r);
  if (op == "listTargets") return ListTargets(r);
  if (op == "listDeadEvents") return ListDeadEvents(r);
  if (op == "retryTarget") return RetryTarget(r);
  if (op == "publishTarget") return PublishTargetNow(r);
  return detail::Fail(ErrorCode::kNotFound, "", "no such route");
}

}  // namespace telsync::api
