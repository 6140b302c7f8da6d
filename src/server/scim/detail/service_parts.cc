#include "server/scim/detail/service_parts.h"

#include <algorithm>
#include <charconv>
#include <ctime>

#include "server/scim/filter.h"
#include "server/scim/resource.h"
#include "util/text.h"

namespace telsync::scim::detail {
namespace {

constexpr int kUnavailableRetrySeconds = 5;

json SchemaAttr(const char* name, const char* type, bool multi = false, bool required = false,
                const char* mutability = "readWrite", const char* uniqueness = "none",
                json sub = json()) {
  json a = {{"name", name},          {"type", type},
            {"multiValued", multi},  {"required", required},
            {"caseExact", false},    {"mutability", mutability},
            {"returned", "default"}, {"uniqueness", uniqueness}};
  if (!sub.is_null()) a["subAttributes"] = std::move(sub);
  return a;
}

json MultiSub() {
  return json::array({SchemaAttr("value", "string"), SchemaAttr("display", "string"),
                      SchemaAttr("type", "string"), SchemaAttr("primary", "boolean")});
}

json ServiceProviderConfig(const std::string& base_url, size_t max_results) {
  return {{"schemas", json::array({"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"})},
          {"documentationUri", "https://github.com/telsync/telsync#entra-id-provisioning-scim"},
          {"patch", {{"supported", true}}},
          {"bulk", {{"supported", false}, {"maxOperations", 0}, {"maxPayloadSize", 0}}},
          {"filter", {{"supported", true}, {"maxResults", max_results}}},
          {"changePassword", {{"supported", false}}},
          {"sort", {{"supported", false}}},
          {"etag", {{"supported", true}}},
          {"authenticationSchemes",
           json::array({{{"type", "oauthbearertoken"},
                         {"name", "OAuth Bearer Token"},
                         {"description", "A secret token from `telsync scim token create`"},
                         {"primary", true}}})},
          {"meta",
           {{"resourceType", "ServiceProviderConfig"},
            {"location", base_url + "/ServiceProviderConfig"}}}};
}

}  // namespace

std::string ETag(int64_t version) { return "W/\"" + std::to_string(version) + "\""; }

// If-Match: "*" or a list of (weak or strong) tags; true when `version` is among them.
bool IfMatchAccepts(std::string_view header, int64_t version) {
  if (header.empty()) return true;
  const std::string want = std::to_string(version);
  size_t pos = 0;
  while (pos < header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view tag = header.substr(pos, comma - pos);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.size() >= 2 && (tag[0] == 'W' || tag[0] == 'w') && tag[1] == '/') tag.remove_prefix(2);
    if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"')
      tag = tag.substr(1, tag.size() - 2);
    if (tag == want) return true;
    pos = comma + 1;
  }
  return false;
}

ResourceType TypeOf(const std::string& resource) {
  return resource == "Groups" ? ResourceType::kGroup : ResourceType::kUser;
}

ObjectKind KindOf(ResourceType type) {
  return type == ResourceType::kUser ? ObjectKind::kUser : ObjectKind::kGroup;
}

const char* ResourceTypeName(ResourceType type) {
  return type == ResourceType::kUser ? "User" : "Group";
}

ScimResponse FromError(const telsync::Error& error) {
  const int status = HttpStatusOf(error.code);
  std::string scim_type = error.scim_type;
  if (error.code == ErrorCode::kConflict && scim_type.empty()) scim_type = "uniqueness";
  if (status == 503) {
    // The store cannot keep the write now (e.g. its file is gone): nothing was accepted,
    // and Entra retries a 503 after Retry-After.
    ScimResponse r = ScimService::Error(status, "", "the service cannot store writes right now");
    r.retry_after = kUnavailableRetrySeconds;
    return r;
  }
  if (status >= 500)
    return ScimService::Error(status, "", "the server could not complete the request");
  return ScimService::Error(status, scim_type, error.message);
}

json Parse(const std::string& body) {
  return json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
}

// Optional positive integer query parameter; nullopt when absent, error when malformed.
Result<std::optional<int64_t>> IntParam(const std::string& text, const char* name) {
  if (text.empty()) return std::optional<int64_t>();
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return telsync::Error::Invalid(std::string(name) + " must be an integer")
        .WithScimType("invalidValue");
  }
  return std::optional<int64_t>(value);
}

json Schemas(const std::string& base_url) {
  json user = {
      {"id", kUserSchema},
      {"name", "User"},
      {"description", "User Account"},
      {"attributes",
       json::array(
           {SchemaAttr("userName", "string", false, true, "readWrite", "server"),
            SchemaAttr(
                "name", "complex", false, false, "readWrite", "none",
                json::array({SchemaAttr("formatted", "string"), SchemaAttr("familyName", "string"),
                             SchemaAttr("givenName", "string"), SchemaAttr("middleName", "string"),
                             SchemaAttr("honorificPrefix", "string"),
                             SchemaAttr("honorificSuffix", "string")})),
            SchemaAttr("displayName", "string"), SchemaAttr("nickName", "string"),
            SchemaAttr("title", "string"), SchemaAttr("userType", "string"),
            SchemaAttr("preferredLanguage", "string"), SchemaAttr("locale", "string"),
            SchemaAttr("timezone", "string"), SchemaAttr("active", "boolean"),
            SchemaAttr("emails", "complex", true, false, "readWrite", "none", MultiSub()),
            SchemaAttr("phoneNumbers", "complex", true, false, "readWrite", "none", MultiSub()),
            SchemaAttr(
                "addresses", "complex", true, false, "readWrite", "none",
                json::array({SchemaAttr("formatted", "string"),
                             SchemaAttr("streetAddress", "string"),
                             SchemaAttr("locality", "string"), SchemaAttr("region", "string"),
                             SchemaAttr("postalCode", "string"), SchemaAttr("country", "string"),
                             SchemaAttr("type", "string"), SchemaAttr("primary", "boolean")}))})}};
  json group = {
      {"id", kGroupSchema},
      {"name", "Group"},
      {"description", "Group"},
      {"attributes",
       json::array(
           {SchemaAttr("displayName", "string", false, true, "readWrite", "server"),
            SchemaAttr(
                "members", "complex", true, false, "readWrite", "none",
                json::array({SchemaAttr("value", "string", false, false, "immutable"),
                             SchemaAttr("display", "string", false, false, "readOnly")}))})}};
  json enterprise = {
      {"id", kEnterpriseSchema},
      {"name", "EnterpriseUser"},
      {"description", "Enterprise User"},
      {"attributes",
       json::array({SchemaAttr("employeeNumber", "string"), SchemaAttr("costCenter", "string"),
                    SchemaAttr("organization", "string"), SchemaAttr("division", "string"),
                    SchemaAttr("department", "string"),
                    SchemaAttr("manager", "complex", false, false, "readWrite", "none",
                               json::array({SchemaAttr("value", "string"),
                                            SchemaAttr("displayName", "string", false, false,
                                                       "readOnly")}))})}};
  json out = json::array();
  for (json* s : {&user, &group, &enterprise}) {
    (*s)["schemas"] = json::array({"urn:ietf:params:scim:schemas:core:2.0:Schema"});
    (*s)["meta"] = {{"resourceType", "Schema"},
                    {"location", base_url + "/Schemas/" + (*s)["id"].get<std::string>()}};
    out.push_back(std::move(*s));
  }
  return out;
}

json ResourceTypes(const std::string& base_url) {
  json user = {
      {"schemas", json::array({"urn:ietf:params:scim:schemas:core:2.0:ResourceType"})},
      {"id", "User"},
      {"name", "User"},
      {"endpoint", "/Users"},
      {"description", "User Account"},
      {"schema", kUserSchema},
      {"schemaExtensions", json::array({{{"schema", kEnterpriseSchema}, {"required", false}}})},
      {"meta", {{"resourceType", "ResourceType"}, {"location", base_url + "/ResourceTypes/User"}}}};
  json group = {
      {"schemas", json::array({"urn:ietf:params:scim:schemas:core:2.0:ResourceType"})},
      {"id", "Group"},
      {"name", "Group"},
      {"endpoint", "/Groups"},
      {"description", "Group"},
      {"schema", kGroupSchema},
      {"meta",
       {{"resourceType", "ResourceType"}, {"location", base_url + "/ResourceTypes/Group"}}}};
  return json::array({user, group});
}

json ListOf(const json& resources) {
  return {{"schemas", json::array({kListSchema})},
          {"totalResults", resources.size()},
          {"startIndex", 1},
          {"itemsPerPage", resources.size()},
          {"Resources", resources}};
}

std::string MemberValue(const json& member) {
  const json* v = FindMember(member, "value");
  return v != nullptr && v->is_string() ? v->get<std::string>() : "";
}

std::vector<std::string> MemberIds(const json& group) {
  std::vector<std::string> out;
  if (const json* members = FindMember(group, "members");
      members != nullptr && members->is_array()) {
    for (const json& m : *members) out.push_back(MemberValue(m));
  }
  return out;
}

std::string NameOf(ResourceType type, const json& resource) {
  const json* name = FindMember(resource, type == ResourceType::kUser ? "userName" : "displayName");
  return name != nullptr && name->is_string() ? name->get<std::string>() : "";
}

std::string ExternalIdOf(const json& resource) {
  const json* v = FindMember(resource, "externalId");
  return v != nullptr && v->is_string() ? v->get<std::string>() : "";
}

// A resource with its id and meta, as the client sees it (before attribute projection).
json RenderJson(ResourceType type, json resource, const std::string& id, int64_t version,
                int64_t created_at, int64_t updated_at, const ScimRequest& request) {
  if (!resource.is_object()) resource = json::object();
  resource["id"] = id;
  resource["meta"] = {{"resourceType", ResourceTypeName(type)},
                      {"created", Rfc3339Utc(created_at)},
                      {"lastModified", Rfc3339Utc(updated_at)},
                      {"location", request.base_url + "/" + request.resource + "/" + id},
                      {"version", ETag(version)}};
  return resource;
}

// `resource` with the request's attributes / excludedAttributes applied; no copy when it
// asks for neither (the common case).
json Projected(json resource, const ScimRequest& request) {
  if (request.attributes.empty() && request.excluded_attributes.empty()) return resource;
  return Project(resource, request.attributes, request.excluded_attributes);
}

ScimResponse Discovery(const ScimRequest& request, size_t max_results) {
  const std::string& resource = request.resource;
  if (request.method != "GET")
    return ScimService::Error(ErrorCode::kMethodNotAllowed, "",
                              "only GET is supported on " + resource);
  json body;
  if (resource == "ServiceProviderConfig") {
    if (!request.id.empty())
      return ScimService::Error(ErrorCode::kNotFound, "", "no such resource");
    body = ServiceProviderConfig(request.base_url, max_results);
  } else {
    const json all =
        resource == "Schemas" ? Schemas(request.base_url) : ResourceTypes(request.base_url);
    if (request.id.empty()) {
      body = ListOf(all);
    } else {
      auto it = std::find_if(all.begin(), all.end(),
                             [&](const json& s) { return s["id"] == request.id; });
      if (it == all.end())
        return ScimService::Error(ErrorCode::kNotFound, "",
                                  resource + " " + request.id + " not found");
      body = *it;
    }
  }
  ScimResponse r;
  r.body = body.dump();
  return r;
}

}  // namespace telsync::scim::detail
