#include "server/scim/service.h"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

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

constexpr int kUnavailableRetrySeconds = 5;

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
  // RAND_bytes takes the DRBG's lock on every call: draw 64 ids' worth at once per thread.
  thread_local unsigned char pool[16 * 64];
  thread_local size_t used = sizeof pool;
  unsigned char b[16];
  if (used == sizeof pool && RAND_bytes(pool, sizeof pool) == 1) used = 0;
  if (used < sizeof pool) {
    std::memcpy(b, pool + used, sizeof b);
    std::memset(pool + used, 0, sizeof b);
    used += sizeof b;
  } else {
    // Ids need uniqueness, not secrecy: fall back to the clock and a counter.
    static std::atomic<uint64_t> counter{0};
    const uint64_t n = ++counter ^ static_cast<uint64_t>(std::time(nullptr)) << 20;
    for (int i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>(n >> ((i % 8) * 8));
  }
  // Version 7 (RFC 9562): 48 bits of Unix milliseconds first, so that ids created
  // together sort together and a batch of creates fills one page of the mirror's primary
  // key instead of dirtying a random page each; the other 74 bits stay random.
  const uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> ((5 - i) * 8));
  b[6] = (b[6] & 0x0F) | 0x70;
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

// A resource with its id and meta, as the client sees it (before attribute projection).
json RenderJson(ResourceType type, json resource, const std::string& id, int64_t version,
                int64_t created_at, int64_t updated_at, const ScimRequest& request) {
  if (!resource.is_object()) resource = json::object();
  resource["id"] = id;
  resource["meta"] = {{"resourceType", ResourceTypeName(type)},
                      {"created", IsoTime(created_at)},
                      {"lastModified", IsoTime(updated_at)},
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

// One write request on its way through the group commit (service.h): what can be done
// without the store (parsing, validation) is done before it is queued, the mirror work
// by the batch's leader, the rendering after the commit on the request's own thread.
struct ScimService::Op {
  Op(const ScimRequest& r, ResourceType t, int64_t at) : request(r), type(t), now(at) {}

  const ScimRequest& request;
  ResourceType type;
  json body;                         // the parsed request body (discarded when invalid)
  std::optional<ScimResponse> bad;   // its parse / validation error, reported in order
  std::optional<json> normalized;    // POST and PUT: the validated resource
  std::string new_id;                // POST
  std::optional<MirrorEntry> entry;  // POST: what it writes (flattening needs no store)
  int64_t now = 0;

  ScimResponse response;         // the answer; with `resource`, its status and etag
  std::optional<json> resource;  // a success with a body, rendered after the commit
  std::string id;                // of `resource`
  int64_t version = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::vector<std::string> touched;
  bool done = false;
};

// The request-scoped mirror work; runs with the store lock held.
struct ScimService::Impl {
  Store& store;
  const ScimServiceOptions& options;
  const ScimRequest& request;
  std::vector<std::string> touched;

  Result<std::optional<MirrorEntry>> Get(ResourceType type, const std::string& id) {
    return store.GetMirrorEntry(options.tenant, options.profile, KindOf(type), id);
  }

  json Render(ResourceType type, const MirrorEntry& entry) const {
    return RenderJson(type, Parse(entry.payload), entry.object.id, entry.version, entry.created_at,
                      entry.updated_at, request);
  }

  ScimResponse One(ResourceType type, const MirrorEntry& entry, int status) const {
    ScimResponse r;
    r.status = status;
    r.body = Projected(Render(type, entry), request)
                 .dump(-1, ' ', false, json::error_handler_t::replace);
    r.etag = ETag(entry.version);
    return r;
  }

  // True for the filters Entra sends to find a resource by its matching attribute
  // (userName eq "x", displayName eq "x"): answered from the name index, not a scan.
  static bool ByName(ResourceType type, const Filter& filter) {
    return filter.kind == Filter::Kind::kCompare && filter.op == CompareOp::kEq &&
           filter.value.is_string() && filter.attr.sub.empty() &&
           (filter.attr.uri.empty() ||
            EqualsIgnoreCase(filter.attr.uri,
                             type == ResourceType::kUser ? kUserSchema : kGroupSchema)) &&
           EqualsIgnoreCase(filter.attr.name,
                            type == ResourceType::kUser ? "userName" : "displayName");
  }

  // Entries of one kind matching `filter`, in id order.
  Result<std::vector<MirrorEntry>> Query(ResourceType type, const Filter& filter) {
    std::vector<MirrorEntry> out;
    if (ByName(type, filter)) {
      auto found = store.FindMirrorEntryByName(options.tenant, options.profile, KindOf(type),
                                               filter.value.get<std::string>());
      if (!found.ok()) return found.error();
      if (found->has_value()) out.push_back(std::move(**found));
      return out;
    }
    const ObjectKind kind = KindOf(type);
    auto scanned = store.ScanMirror(options.tenant, options.profile, [&](MirrorEntry&& e) {
      if (e.object.kind != kind) return true;
      if (!Matches(filter, Render(type, e))) return true;
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
    json resources = json::array();
    size_t total = 0;
    if (filter) {
      auto entries = Query(type, *filter);
      if (!entries.ok()) return FromError(entries.error());
      total = entries->size();
      for (size_t i = static_cast<size_t>(first - 1);
           i < entries->size() && static_cast<int64_t>(resources.size()) < limit; ++i) {
        resources.push_back(Projected(Render(type, (*entries)[i]), request));
      }
    } else {
      // No filter: count with COUNT and read just the page (from the primary key).
      auto counted = store.CountMirror(options.tenant, options.profile, KindOf(type));
      if (!counted.ok()) return FromError(counted.error());
      total = *counted;
      auto paged = store.ScanMirrorPage(options.tenant, options.profile, KindOf(type),
                                        static_cast<size_t>(first - 1), static_cast<size_t>(limit),
                                        [&](MirrorEntry&& e) {
                                          resources.push_back(Projected(Render(type, e), request));
                                          return true;
                                        });
      if (!paged.ok()) return FromError(paged.error());
    }
    json body = {{"schemas", json::array({kListSchema})},
                 {"totalResults", total},
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
          ErrorCode::kConflict, "uniqueness",
          std::string(type == ResourceType::kUser ? "userName" : "displayName") + " '" + name +
              "' is already taken");
    }
    return std::nullopt;
  }

  static MirrorEntry MakeEntry(ResourceType type, const json& resource, const std::string& id) {
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
        return ScimService::Error(ErrorCode::kInvalid, "invalidValue",
                                  "member '" + id + "' is not a user of this tenant");
      }
    }
    return std::nullopt;
  }

  // Writes the resource and the users its membership changes touch, all or nothing (a
  // savepoint inside the batch's transaction when group-committed).
  Result<int64_t> Write(const MirrorEntry& entry, int64_t expected_version,
                        const std::vector<MirrorEntry>& users, int64_t now) {
    auto writer =
        store.BeginMirrorWrite(options.tenant, options.profile, MirrorWriteMode::kPatch, now);
    if (!writer.ok()) return writer.error();
    auto version = (*writer)->Put(entry, expected_version);
    if (!version.ok()) return version.error();
    std::vector<std::string> users_touched;
    for (const MirrorEntry& user : users) {
      auto put = (*writer)->Put(user);
      if (!put.ok()) return put.error();
      users_touched.push_back(user.object.id);
    }
    // What must still reach the PBX directory, durable with the write (issue 14 item 1).
    std::vector<std::string> pending = users_touched;
    if (entry.object.kind == ObjectKind::kUser) pending.push_back(entry.object.id);
    if (Status s = (*writer)->MarkPending(pending); !s.ok()) return s.error();
    if (auto committed = (*writer)->Commit(); !committed.ok()) return committed.error();
    touched.insert(touched.end(), users_touched.begin(), users_touched.end());
    return *version;
  }

  static void Succeed(Op& op, int status, json resource, const std::string& id, int64_t version,
                      int64_t created_at, int64_t updated_at) {
    op.response = ScimResponse{};
    op.response.status = status;
    op.response.etag = ETag(version);
    op.resource = std::move(resource);
    op.id = id;
    op.version = version;
    op.created_at = created_at;
    op.updated_at = updated_at;
  }

  void Create(Op& op) {
    const ResourceType type = op.type;
    const json& resource = *op.normalized;
    const std::string name = NameOf(type, resource);
    // A user's name is checked by the write itself (the writer looks the name up before
    // it inserts); a group's first, so that a taken name is a 409 before its members' 400.
    if (type == ResourceType::kGroup) {
      if (auto conflict = CheckName(type, name, "")) {
        op.response = *conflict;
        return;
      }
    }
    std::vector<MirrorEntry> users;
    if (type == ResourceType::kGroup) {
      const auto members = MemberIds(resource);
      if (auto bad = CheckMembers(members, {})) {
        op.response = *bad;
        return;
      }
      auto changes = MembershipChanges("", {}, name, members);
      if (!changes.ok()) {
        op.response = FromError(changes.error());
        return;
      }
      users = std::move(changes).value();
    }
    auto version = Write(*op.entry, 0, users, op.now);
    if (!version.ok() && version.error().code == ErrorCode::kConflict) {
      // A new id has no version to conflict with: the name is taken.
      op.response =
          ScimService::Error(ErrorCode::kConflict, "uniqueness",
                             std::string(type == ResourceType::kUser ? "userName" : "displayName") +
                                 " '" + name + "' is already taken");
      return;
    }
    if (!version.ok()) {
      op.response = FromError(version.error());
      return;
    }
    if (type == ResourceType::kUser) touched.push_back(op.new_id);
    Succeed(op, 201, std::move(*op.normalized), op.new_id, *version, op.now, op.now);
    op.response.location = request.base_url + "/" + request.resource + "/" + op.new_id;
  }

  void Replace(Op& op, bool patch) {
    const ResourceType type = op.type;
    auto existing = Get(type, request.id);
    if (!existing.ok()) {
      op.response = FromError(existing.error());
      return;
    }
    if (!existing->has_value()) {
      op.response =
          ScimService::Error(ErrorCode::kNotFound, "",
                             std::string(ResourceTypeName(type)) + " " + request.id + " not found");
      return;
    }
    MirrorEntry current = std::move(**existing);
    if (!IfMatchAccepts(request.if_match, current.version)) {
      op.response = ScimService::Error(
          ErrorCode::kPreconditionFailed, "",
          "the resource changed (version " + ETag(current.version) + "); read it again");
      return;
    }
    if (op.bad) {
      op.response = *op.bad;
      return;
    }
    json before = Parse(current.payload);
    if (!before.is_object()) before = json::object();
    json after;
    if (patch) {
      after = before;
      if (auto s = ApplyPatch(type, after, op.body); !s.ok()) {
        op.response = FromError(s.error());
        return;
      }
    } else {
      after = std::move(*op.normalized);
    }
    const std::string new_name = NameOf(type, after);
    if (!EqualsIgnoreCase(new_name, current.name)) {
      if (auto conflict = CheckName(type, new_name, current.object.id)) {
        op.response = *conflict;
        return;
      }
    }
    std::vector<MirrorEntry> users;
    MirrorEntry entry = MakeEntry(type, after, current.object.id);
    if (type == ResourceType::kUser) {
      entry.object.groups = current.object.groups;  // kept from group memberships
    } else {
      const auto old_members = MemberIds(before);
      const auto new_members = MemberIds(after);
      if (auto bad = CheckMembers(new_members, old_members)) {
        op.response = *bad;
        return;
      }
      auto changes = MembershipChanges(current.name, old_members, new_name, new_members);
      if (!changes.ok()) {
        op.response = FromError(changes.error());
        return;
      }
      users = std::move(changes).value();
    }
    auto version = Write(entry, current.version, users, op.now);
    if (!version.ok()) {
      op.response = FromError(version.error());
      return;
    }
    if (type == ResourceType::kUser) touched.push_back(current.object.id);
    // Entra expects 204 for a group PATCH (Microsoft: SCIM compatibility known issues);
    // users get the resource back (RFC 7644 §3.5.2: 200 with the body).
    if (patch && type == ResourceType::kGroup) {
      op.response = ScimResponse{};
      op.response.status = 204;
      op.response.etag = ETag(*version);
      return;
    }
    // An unchanged resource keeps its version and its lastModified (the store wrote
    // nothing).
    const int64_t updated_at = *version == current.version ? current.updated_at : op.now;
    Succeed(op, 200, std::move(after), current.object.id, *version, current.created_at, updated_at);
  }

  ScimResponse Delete(ResourceType type, int64_t now) {
    auto existing = Get(type, request.id);
    if (!existing.ok()) return FromError(existing.error());
    if (!existing->has_value())
      return ScimService::Error(
          ErrorCode::kNotFound, "",
          std::string(ResourceTypeName(type)) + " " + request.id + " not found");
    const MirrorEntry& current = **existing;
    if (!IfMatchAccepts(request.if_match, current.version)) {
      return ScimService::Error(
          ErrorCode::kPreconditionFailed, "",
          "the resource changed (version " + ETag(current.version) + "); read it again");
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
    std::vector<std::string> users_touched;
    {
      auto writer =
          store.BeginMirrorWrite(options.tenant, options.profile, MirrorWriteMode::kPatch, now);
      if (!writer.ok()) return FromError(writer.error());
      for (const MirrorEntry& e : entries) {
        auto put = (*writer)->Put(e);
        if (!put.ok()) return FromError(put.error());
        if (e.object.kind == ObjectKind::kUser) users_touched.push_back(e.object.id);
      }
      if (auto removed = (*writer)->Remove(KindOf(type), current.object.id); !removed.ok())
        return FromError(removed.error());
      std::vector<std::string> pending = users_touched;
      if (type == ResourceType::kUser) pending.push_back(current.object.id);
      if (Status s = (*writer)->MarkPending(pending); !s.ok()) return FromError(s.error());
      if (auto committed = (*writer)->Commit(); !committed.ok())
        return FromError(committed.error());
    }
    touched.insert(touched.end(), users_touched.begin(), users_touched.end());
    if (type == ResourceType::kUser) touched.push_back(current.object.id);
    ScimResponse r;
    r.status = 204;
    return r;
  }

  // One queued write, inside the batch's transaction.
  void Execute(Op& op) {
    const std::string& method = request.method;
    if (method == "POST") {
      Create(op);
    } else if (method == "DELETE") {
      op.response = Delete(op.type, op.now);
    } else {
      Replace(op, method == "PATCH");
    }
    op.touched = std::move(touched);
  }
};

ScimService::ScimService(Store& store, std::mutex& store_mutex, ScimServiceOptions options)
    : store_(store), mutex_(store_mutex), options_(std::move(options)) {
  if (!options_.clock) options_.clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
}

ScimService::~ScimService() = default;

size_t ScimService::commits() const {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  return commits_;
}

size_t ScimService::waiting() const {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  return queue_.size();
}

// Runs one queued write inside the batch's transaction (its own savepoint).
void ScimService::RunOne(Op& op) {
  try {
    Impl impl{store_, options_, op.request, {}};
    impl.Execute(op);
  } catch (const std::exception&) {
    // The request's own writer unwound (its savepoint rolled back); the others stand.
    op.resource.reset();
    op.touched.clear();
    op.response = Error(ErrorCode::kInternal, "", "the server could not complete the request");
  }
}

// Runs `batch`, and every write queued while it runs (up to kMaxBatch), as one
// transaction: each request's writes in its own savepoint (a failing request undoes only
// its own), one COMMIT for all. Called with the store lock held, never the queue lock.
void ScimService::RunBatch(std::vector<Op*>& batch) {
  if (!store_.NestsMirrorWrites()) {
    // A store without savepoints: each request commits its own transaction.
    for (Op* op : batch) RunOne(*op);
    return;
  }
  auto outer = store_.BeginMirrorWrite(options_.tenant, options_.profile, MirrorWriteMode::kPatch,
                                       options_.clock());
  if (!outer.ok()) {
    for (Op* op : batch) op->response = FromError(outer.error());
    return;
  }
  size_t next = 0;
  for (;;) {
    for (; next < batch.size(); ++next) RunOne(*batch[next]);
    // Requests that arrived meanwhile join this commit instead of waiting for their own.
    // Before committing a small batch, let runnable request threads reach the queue once.
    if (batch.size() < 4) std::this_thread::yield();
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (queue_.empty() || batch.size() >= kMaxBatch) break;
    const size_t take = std::min(queue_.size(), kMaxBatch - batch.size());
    batch.insert(batch.end(), queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(take));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(take));
  }
  if (Status committed = (*outer)->Commit(); !committed.ok()) {
    // Nothing of the batch is durable: no request may be answered as if it were.
    for (Op* op : batch) {
      op->resource.reset();
      op->touched.clear();
      op->response = FromError(committed.error());
    }
  }
}

// Leader / follower group commit: the first request to find no batch running takes every
// queued write, runs them under the store lock and commits once; requests queued
// meanwhile join it or wait for the next. Each returns only after the commit holding its
// write.
void ScimService::Submit(Op& op) {
  std::unique_lock<std::mutex> lock(queue_mutex_);
  queue_.push_back(&op);
  while (!op.done) {
    if (leader_active_) {
      queue_cv_.wait(lock);
      continue;
    }
    leader_active_ = true;
    std::vector<Op*> batch;
    const size_t take = std::min(queue_.size(), kMaxBatch);
    batch.assign(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(take));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(take));
    lock.unlock();
    {
      std::lock_guard<std::mutex> store_lock(mutex_);
      RunBatch(batch);
    }
    lock.lock();
    for (Op* o : batch) o->done = true;
    ++commits_;
    leader_active_ = false;
    queue_cv_.notify_all();
  }
}

ScimResponse ScimService::Handle(const ScimRequest& request) {
  const std::string& resource = request.resource;
  const std::string& method = request.method;
  if (resource == "ServiceProviderConfig" || resource == "Schemas" || resource == "ResourceTypes") {
    if (method != "GET")
      return Error(ErrorCode::kMethodNotAllowed, "", "only GET is supported on " + resource);
    json body;
    if (resource == "ServiceProviderConfig") {
      if (!request.id.empty()) return Error(ErrorCode::kNotFound, "", "no such resource");
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
        if (it == all.end())
          return Error(ErrorCode::kNotFound, "", resource + " " + request.id + " not found");
        body = *it;
      }
    }
    ScimResponse r;
    r.body = body.dump();
    return r;
  }
  if (resource != "Users" && resource != "Groups")
    return Error(ErrorCode::kNotFound, "", "no such endpoint: " + resource);
  const ResourceType type = TypeOf(resource);

  if (method == "GET") {
    std::optional<MirrorEntry> found;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      Impl impl{store_, options_, request, {}};
      if (request.id.empty()) return impl.List(type);
      auto entry = impl.Get(type, request.id);
      if (!entry.ok()) return FromError(entry.error());
      found = std::move(*entry);
    }
    if (!found.has_value())
      return Error(ErrorCode::kNotFound, "",
                   std::string(ResourceTypeName(type)) + " " + request.id + " not found");
    Impl impl{store_, options_, request, {}};
    return impl.One(type, *found, 200);
  }
  const bool create = method == "POST" && request.id.empty();
  const bool replace = (method == "PUT" || method == "PATCH") && !request.id.empty();
  const bool remove = method == "DELETE" && !request.id.empty();
  if (!create && !replace && !remove)
    return Error(ErrorCode::kMethodNotAllowed, "", method + " is not supported here");

  // Before the queue: everything that needs no store.
  Op op(request, type, options_.clock());
  if (create || replace) {
    op.body = Parse(request.body);
    if (op.body.is_discarded()) {
      op.bad = Error(ErrorCode::kInvalid, "invalidSyntax", "the request body is not valid JSON");
    } else if (method != "PATCH") {
      auto normalized = NormalizeResource(type, std::move(op.body));
      if (normalized.ok()) {
        op.normalized = std::move(normalized).value();
      } else {
        op.bad = FromError(normalized.error());
      }
    }
    // A create reports a bad body at once; a replace only after 404 and 412.
    if (create && op.bad) return *op.bad;
    if (create) {
      op.new_id = NewResourceId();
      op.entry = Impl::MakeEntry(type, *op.normalized, op.new_id);
    }
  }

  Submit(op);

  if (!op.touched.empty() && options_.on_touched) {
    std::sort(op.touched.begin(), op.touched.end());
    op.touched.erase(std::unique(op.touched.begin(), op.touched.end()), op.touched.end());
    options_.on_touched(op.touched);
  }
  if (op.resource) {
    op.response.body = Projected(RenderJson(type, std::move(*op.resource), op.id, op.version,
                                            op.created_at, op.updated_at, request),
                                 request)
                           .dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return op.response;
}

}  // namespace telsync::scim
