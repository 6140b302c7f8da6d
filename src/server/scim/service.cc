#include "server/scim/service.h"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "server/http/server.h"
#include "server/scim/filter.h"
#include "server/scim/resource.h"

namespace telsync::scim {
namespace {

using nlohmann::json;

std::string IsoTime(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

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
  const int status = http::HttpStatus(error.code);
  std::string scim_type = error.context;
  if (error.code == ErrorCode::kConflict && scim_type.empty()) scim_type = "uniqueness";
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
    return telsync::Error::Invalid(std::string(name) + " must be an integer", "invalidValue");
  }
  return std::optional<int64_t>(value);
}

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

}  // namespace

std::string NewResourceId() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    // Ids need uniqueness, not secrecy: fall back to the clock and a counter.
    static std::atomic<uint64_t> counter{0};
    const uint64_t n = ++counter ^ static_cast<uint64_t>(std::time(nullptr)) << 20;
    for (int i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>(n >> ((i % 8) * 8));
  }
  b[6] = (b[6] & 0x0F) | 0x40;
  b[8] = (b[8] & 0x3F) | 0x80;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xF]);
  }
  return out;
}

ScimResponse ScimService::Error(int status, std::string_view scim_type, const std::string& detail) {
  json body = {{"schemas", json::array({kErrorSchema})}, {"status", std::to_string(status)}};
  if (!scim_type.empty()) body["scimType"] = scim_type;
  body["detail"] = detail;
  ScimResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

// The request-scoped work; holds the store lock for its whole life.
struct ScimService::Impl {
  Store& store;
  const ScimServiceOptions& options;
  const ScimRequest& request;
  std::vector<std::string> touched;

  Result<std::optional<MirrorEntry>> Get(ResourceType type, const std::string& id) {
    return store.GetMirrorEntry(options.tenant, options.profile, KindOf(type), id);
  }

  json Render(ResourceType type, const MirrorEntry& entry) const {
    json resource = Parse(entry.payload);
    if (!resource.is_object()) resource = json::object();
    resource["id"] = entry.object.id;
    resource["meta"] = {
        {"resourceType", ResourceTypeName(type)},
        {"created", IsoTime(entry.created_at)},
        {"lastModified", IsoTime(entry.updated_at)},
        {"location", request.base_url + "/" + request.resource + "/" + entry.object.id},
        {"version", ETag(entry.version)}};
    return resource;
  }

  ScimResponse One(ResourceType type, const MirrorEntry& entry, int status) const {
    ScimResponse r;
    r.status = status;
    r.body = Project(Render(type, entry), request.attributes, request.excluded_attributes)
                 .dump(-1, ' ', false, json::error_handler_t::replace);
    r.etag = ETag(entry.version);
    return r;
  }

  // Entries of one kind matching `filter` (all when null), in id order.
  Result<std::vector<MirrorEntry>> Query(ResourceType type, const Filter* filter) {
    std::vector<MirrorEntry> out;
    // Entra looks users up by userName and groups by displayName (its matching
    // attributes): answer those from the name index, not a scan.
    if (filter != nullptr && filter->kind == Filter::Kind::kCompare &&
        filter->op == CompareOp::kEq && filter->value.is_string() && filter->attr.sub.empty() &&
        (filter->attr.uri.empty() ||
         EqualsIgnoreCase(filter->attr.uri,
                          type == ResourceType::kUser ? kUserSchema : kGroupSchema)) &&
        EqualsIgnoreCase(filter->attr.name,
                         type == ResourceType::kUser ? "userName" : "displayName")) {
      auto found = store.FindMirrorEntryByName(options.tenant, options.profile, KindOf(type),
                                               filter->value.get<std::string>());
      if (!found.ok()) return found.error();
      if (found->has_value()) out.push_back(std::move(**found));
      return out;
    }
    const ObjectKind kind = KindOf(type);
    auto scanned = store.ScanMirror(options.tenant, options.profile, [&](MirrorEntry&& e) {
      if (e.object.kind != kind) return true;
      if (filter != nullptr && !Matches(*filter, Render(type, e))) return true;
      out.push_back(std::move(e));
      return true;
    });
    if (!scanned.ok()) return scanned.error();
    return out;
  }

  ScimResponse List(ResourceType type) {
    std::optional<Filter> filter;
    if (!request.filter.empty()) {
      auto parsed = ParseFilter(request.filter);
      if (!parsed.ok()) return FromError(parsed.error());
      filter = std::move(parsed).value();
    }
    auto start = IntParam(request.start_index, "startIndex");
    if (!start.ok()) return FromError(start.error());
    auto count = IntParam(request.count, "count");
    if (!count.ok()) return FromError(count.error());
    // RFC 7644 §3.4.2.4: startIndex < 1 is 1; a negative count is 0.
    const int64_t first = std::max<int64_t>(1, start->value_or(1));
    const int64_t limit =
        std::clamp<int64_t>(count->value_or(static_cast<int64_t>(options.max_results)), 0,
                            static_cast<int64_t>(options.max_results));
    auto entries = Query(type, filter ? &*filter : nullptr);
    if (!entries.ok()) return FromError(entries.error());
    json resources = json::array();
    for (size_t i = static_cast<size_t>(first - 1);
         i < entries->size() && static_cast<int64_t>(resources.size()) < limit; ++i) {
      resources.push_back(
          Project(Render(type, (*entries)[i]), request.attributes, request.excluded_attributes));
    }
    json body = {{"schemas", json::array({kListSchema})},
                 {"totalResults", entries->size()},
                 {"startIndex", first},
                 {"itemsPerPage", resources.size()},
                 {"Resources", std::move(resources)}};
    ScimResponse r;
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    return r;
  }

  // Uniqueness of userName / displayName against every other entry of the kind.
  std::optional<ScimResponse> CheckName(ResourceType type, const std::string& name,
                                        const std::string& self_id) {
    auto holder = store.FindMirrorEntryByName(options.tenant, options.profile, KindOf(type), name);
    if (!holder.ok()) return FromError(holder.error());
    if (holder->has_value() && (*holder)->object.id != self_id) {
      return ScimService::Error(
          409, "uniqueness",
          std::string(type == ResourceType::kUser ? "userName" : "displayName") + " '" + name +
              "' is already taken");
    }
    return std::nullopt;
  }

  MirrorEntry MakeEntry(ResourceType type, const json& resource, const std::string& id) const {
    MirrorEntry entry;
    entry.object = ToSourceObject(type, resource, id);
    entry.name = NameOf(type, resource);
    entry.external_id = ExternalIdOf(resource);
    entry.payload = resource.dump(-1, ' ', false, json::error_handler_t::replace);
    return entry;
  }

  // Users whose `groups` change when a group goes from (old_name, old_members) to
  // (new_name, new_members); "" new_name: the group is deleted.
  Result<std::vector<MirrorEntry>> MembershipChanges(const std::string& old_name,
                                                     const std::vector<std::string>& old_members,
                                                     const std::string& new_name,
                                                     const std::vector<std::string>& new_members) {
    std::set<std::string> ids(old_members.begin(), old_members.end());
    ids.insert(new_members.begin(), new_members.end());
    std::vector<MirrorEntry> changed;
    for (const std::string& id : ids) {
      auto user = Get(ResourceType::kUser, id);
      if (!user.ok()) return user.error();
      if (!user->has_value()) continue;
      MirrorEntry entry = std::move(**user);
      std::vector<std::string>& groups = entry.object.groups;
      std::vector<std::string> before = groups;
      if (!old_name.empty())
        groups.erase(std::remove(groups.begin(), groups.end(), old_name), groups.end());
      const bool member =
          std::find(new_members.begin(), new_members.end(), id) != new_members.end();
      if (member && !new_name.empty() &&
          std::find(groups.begin(), groups.end(), new_name) == groups.end()) {
        groups.push_back(new_name);
      }
      if (groups != before) changed.push_back(std::move(entry));
    }
    return changed;
  }

  // Every member must be a user of this tenant's mirror: an id of another tenant (or a
  // typo) is a 400 that changes nothing.
  std::optional<ScimResponse> CheckMembers(const std::vector<std::string>& members,
                                           const std::vector<std::string>& already) {
    for (const std::string& id : members) {
      if (std::find(already.begin(), already.end(), id) != already.end()) continue;
      auto user = Get(ResourceType::kUser, id);
      if (!user.ok()) return FromError(user.error());
      if (!user->has_value()) {
        return ScimService::Error(400, "invalidValue",
                                  "member '" + id + "' is not a user of this tenant");
      }
    }
    return std::nullopt;
  }

  // Writes the resource and the users its membership changes touch, in one transaction.
  Result<int64_t> Write(const MirrorEntry& entry, int64_t expected_version,
                        const std::vector<MirrorEntry>& users) {
    auto writer = store.BeginMirrorWrite(options.tenant, options.profile, MirrorWriteMode::kPatch,
                                         options.clock());
    if (!writer.ok()) return writer.error();
    auto version = (*writer)->Put(entry, expected_version);
    if (!version.ok()) return version.error();
    for (const MirrorEntry& user : users) {
      auto put = (*writer)->Put(user);
      if (!put.ok()) return put.error();
      touched.push_back(user.object.id);
    }
    if (auto committed = (*writer)->Commit(); !committed.ok()) return committed.error();
    return *version;
  }

  ScimResponse Create(ResourceType type) {
    json body = Parse(request.body);
    if (body.is_discarded())
      return ScimService::Error(400, "invalidSyntax", "the request body is not valid JSON");
    auto resource = NormalizeResource(type, std::move(body));
    if (!resource.ok()) return FromError(resource.error());
    if (auto conflict = CheckName(type, NameOf(type, *resource), "")) return *conflict;
    const std::string id = NewResourceId();
    std::vector<MirrorEntry> users;
    if (type == ResourceType::kGroup) {
      const auto members = MemberIds(*resource);
      if (auto bad = CheckMembers(members, {})) return *bad;
      auto changes = MembershipChanges("", {}, NameOf(type, *resource), members);
      if (!changes.ok()) return FromError(changes.error());
      users = std::move(changes).value();
    }
    MirrorEntry entry = MakeEntry(type, *resource, id);
    auto version = Write(entry, 0, users);
    if (!version.ok()) return FromError(version.error());
    if (type == ResourceType::kUser) touched.push_back(id);
    auto stored = Get(type, id);
    if (!stored.ok() || !stored->has_value())
      return ScimService::Error(500, "", "the resource was not stored");
    ScimResponse r = One(type, **stored, 201);
    r.location = request.base_url + "/" + request.resource + "/" + id;
    return r;
  }

  ScimResponse Replace(ResourceType type, bool patch) {
    auto existing = Get(type, request.id);
    if (!existing.ok()) return FromError(existing.error());
    if (!existing->has_value())
      return ScimService::Error(
          404, "", std::string(ResourceTypeName(type)) + " " + request.id + " not found");
    MirrorEntry current = std::move(**existing);
    if (!IfMatchAccepts(request.if_match, current.version)) {
      return ScimService::Error(
          412, "", "the resource changed (version " + ETag(current.version) + "); read it again");
    }
    json body = Parse(request.body);
    if (body.is_discarded())
      return ScimService::Error(400, "invalidSyntax", "the request body is not valid JSON");
    json before = Parse(current.payload);
    if (!before.is_object()) before = json::object();
    json after;
    if (patch) {
      after = before;
      if (auto s = ApplyPatch(type, after, body); !s.ok()) return FromError(s.error());
    } else {
      auto normalized = NormalizeResource(type, std::move(body));
      if (!normalized.ok()) return FromError(normalized.error());
      after = std::move(normalized).value();
    }
    const std::string new_name = NameOf(type, after);
    if (!EqualsIgnoreCase(new_name, current.name)) {
      if (auto conflict = CheckName(type, new_name, current.object.id)) return *conflict;
    }
    std::vector<MirrorEntry> users;
    MirrorEntry entry = MakeEntry(type, after, current.object.id);
    if (type == ResourceType::kUser) {
      entry.object.groups = current.object.groups;  // kept from group memberships
    } else {
      const auto old_members = MemberIds(before);
      const auto new_members = MemberIds(after);
      if (auto bad = CheckMembers(new_members, old_members)) return *bad;
      auto changes = MembershipChanges(current.name, old_members, new_name, new_members);
      if (!changes.ok()) return FromError(changes.error());
      users = std::move(changes).value();
    }
    auto version = Write(entry, current.version, users);
    if (!version.ok()) return FromError(version.error());
    if (type == ResourceType::kUser) touched.push_back(current.object.id);
    // Entra expects 204 for a group PATCH (Microsoft: SCIM compatibility known issues);
    // users get the resource back (RFC 7644 §3.5.2: 200 with the body).
    if (patch && type == ResourceType::kGroup) {
      ScimResponse r;
      r.status = 204;
      r.etag = ETag(*version);
      return r;
    }
    auto stored = Get(type, current.object.id);
    if (!stored.ok() || !stored->has_value())
      return ScimService::Error(500, "", "the resource was not stored");
    return One(type, **stored, 200);
  }

  ScimResponse Delete(ResourceType type) {
    auto existing = Get(type, request.id);
    if (!existing.ok()) return FromError(existing.error());
    if (!existing->has_value())
      return ScimService::Error(
          404, "", std::string(ResourceTypeName(type)) + " " + request.id + " not found");
    const MirrorEntry& current = **existing;
    if (!IfMatchAccepts(request.if_match, current.version)) {
      return ScimService::Error(
          412, "", "the resource changed (version " + ETag(current.version) + "); read it again");
    }
    std::vector<MirrorEntry> entries;  // users and groups to rewrite
    if (type == ResourceType::kGroup) {
      auto changes = MembershipChanges(current.name, MemberIds(Parse(current.payload)), "", {});
      if (!changes.ok()) return FromError(changes.error());
      entries = std::move(changes).value();
    } else {
      // A deleted user leaves its groups (RFC 7644 §3.6).
      for (const std::string& group_name : current.object.groups) {
        auto group = store.FindMirrorEntryByName(options.tenant, options.profile,
                                                 ObjectKind::kGroup, group_name);
        if (!group.ok()) return FromError(group.error());
        if (!group->has_value()) continue;
        json payload = Parse((*group)->payload);
        if (json* members = FindMember(payload, "members");
            members != nullptr && members->is_array()) {
          json kept = json::array();
          for (json& m : *members) {
            if (MemberValue(m) != current.object.id) kept.push_back(std::move(m));
          }
          if (kept.empty()) {
            payload.erase("members");
          } else {
            *members = std::move(kept);
          }
        }
        MirrorEntry g = MakeEntry(ResourceType::kGroup, payload, (*group)->object.id);
        entries.push_back(std::move(g));
      }
    }
    auto writer = store.BeginMirrorWrite(options.tenant, options.profile, MirrorWriteMode::kPatch,
                                         options.clock());
    if (!writer.ok()) return FromError(writer.error());
    for (const MirrorEntry& e : entries) {
      auto put = (*writer)->Put(e);
      if (!put.ok()) return FromError(put.error());
      if (e.object.kind == ObjectKind::kUser) touched.push_back(e.object.id);
    }
    if (auto removed = (*writer)->Remove(KindOf(type), current.object.id); !removed.ok())
      return FromError(removed.error());
    if (auto committed = (*writer)->Commit(); !committed.ok()) return FromError(committed.error());
    if (type == ResourceType::kUser) touched.push_back(current.object.id);
    ScimResponse r;
    r.status = 204;
    return r;
  }
};

ScimService::ScimService(Store& store, std::mutex& store_mutex, ScimServiceOptions options)
    : store_(store), mutex_(store_mutex), options_(std::move(options)) {
  if (!options_.clock) options_.clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
}

ScimResponse ScimService::Handle(const ScimRequest& request) {
  const std::string& resource = request.resource;
  const std::string& method = request.method;
  if (resource == "ServiceProviderConfig" || resource == "Schemas" || resource == "ResourceTypes") {
    if (method != "GET") return Error(405, "", "only GET is supported on " + resource);
    json body;
    if (resource == "ServiceProviderConfig") {
      if (!request.id.empty()) return Error(404, "", "no such resource");
      body = {
          {"schemas", json::array({"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"})},
          {"documentationUri", "https://github.com/telsync/telsync#entra-id-provisioning-scim"},
          {"patch", {{"supported", true}}},
          {"bulk", {{"supported", false}, {"maxOperations", 0}, {"maxPayloadSize", 0}}},
          {"filter", {{"supported", true}, {"maxResults", options_.max_results}}},
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
            {"location", request.base_url + "/ServiceProviderConfig"}}}};
    } else {
      const json all =
          resource == "Schemas" ? Schemas(request.base_url) : ResourceTypes(request.base_url);
      if (request.id.empty()) {
        body = ListOf(all);
      } else {
        auto it = std::find_if(all.begin(), all.end(),
                               [&](const json& s) { return s["id"] == request.id; });
        if (it == all.end()) return Error(404, "", resource + " " + request.id + " not found");
        body = *it;
      }
    }
    ScimResponse r;
    r.body = body.dump();
    return r;
  }
  if (resource != "Users" && resource != "Groups")
    return Error(404, "", "no such endpoint: " + resource);
  const ResourceType type = TypeOf(resource);

  std::vector<std::string> touched;
  ScimResponse response;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Impl impl{store_, options_, request, {}};
    if (method == "GET") {
      if (request.id.empty()) {
        response = impl.List(type);
      } else {
        auto entry = impl.Get(type, request.id);
        if (!entry.ok()) {
          response = FromError(entry.error());
        } else if (!entry->has_value()) {
          response =
              Error(404, "", std::string(ResourceTypeName(type)) + " " + request.id + " not found");
        } else {
          response = impl.One(type, **entry, 200);
        }
      }
    } else if (method == "POST" && request.id.empty()) {
      response = impl.Create(type);
    } else if ((method == "PUT" || method == "PATCH") && !request.id.empty()) {
      response = impl.Replace(type, method == "PATCH");
    } else if (method == "DELETE" && !request.id.empty()) {
      response = impl.Delete(type);
    } else {
      response = Error(405, "", method + " is not supported here");
    }
    touched = std::move(impl.touched);
  }
  if (!touched.empty() && options_.on_touched) {
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    options_.on_touched(touched);
  }
  return response;
}

}  // namespace telsync::scim
