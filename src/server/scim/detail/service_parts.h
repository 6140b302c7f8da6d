// The pieces of ScimService (service.h) its files share: service.cc (Handle and the group
// commit), service_reads.cc (GET: one resource, lists with filters and paging),
// service_writes.cc (create, replace, PATCH, delete) and detail/service_parts.cc (the
// helpers below and the discovery endpoints). Private to server/scim.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/scim/filter.h"
#include "server/scim/resource.h"
#include "server/scim/service.h"
#include "store/store.h"

namespace telsync::scim {
namespace detail {

using nlohmann::json;

// The weak ETag of a mirror entry's version: W/"3".
std::string ETag(int64_t version);
// Whether an If-Match header accepts `version` ("" and "*" accept any).
bool IfMatchAccepts(std::string_view header, int64_t version);
ResourceType TypeOf(const std::string& resource);  // "Users" | "Groups"
ObjectKind KindOf(ResourceType type);
const char* ResourceTypeName(ResourceType type);  // "User" | "Group"
// The SCIM error answer of an Error: its status from HttpStatusOf, its scimType from
// Error::scim_type ("uniqueness" for a conflict without one); a 5xx without the details.
ScimResponse FromError(const telsync::Error& error);
// The body as JSON; discarded when it is not.
json Parse(const std::string& body);
// An optional integer query parameter; nullopt when absent, kInvalid when malformed.
Result<std::optional<int64_t>> IntParam(const std::string& text, const char* name);
// The discovery documents (RFC 7643 §5-7), and a list response of every one.
json Schemas(const std::string& base_url);
json ResourceTypes(const std::string& base_url);
json ListOf(const json& resources);
// GET ServiceProviderConfig | Schemas[/id] | ResourceTypes[/id].
ScimResponse Discovery(const ScimRequest& request, size_t max_results);
std::string MemberValue(const json& member);
std::vector<std::string> MemberIds(const json& group);
std::string NameOf(ResourceType type, const json& resource);
std::string ExternalIdOf(const json& resource);
// A resource with its id and meta, as the client sees it (before attribute projection).
json RenderJson(ResourceType type, json resource, const std::string& id, int64_t version,
                int64_t created_at, int64_t updated_at, const ScimRequest& request);
// `resource` with the request's attributes / excludedAttributes applied.
json Projected(json resource, const ScimRequest& request);

}  // namespace detail

// The helpers above by their short names, for the service's files (the only includers of
// this private header).
using detail::ETag;
using detail::ExternalIdOf;
using detail::FromError;
using detail::IfMatchAccepts;
using detail::IntParam;
using detail::KindOf;
using detail::MemberIds;
using detail::MemberValue;
using detail::NameOf;
using detail::Parse;
using detail::Projected;
using detail::RenderJson;
using detail::ResourceTypeName;

// One write request on its way through the group commit (service.h): what can be done
// without the store (parsing, validation) is done before it is queued, the mirror work
// by the batch's leader, the rendering after the commit on the request's own thread.
struct ScimService::Op {
  Op(const ScimRequest& r, ResourceType t, int64_t at) : request(r), type(t), now(at) {}

  const ScimRequest& request;
  ResourceType type;
  nlohmann::json body;                       // the parsed request body (discarded when invalid)
  std::optional<ScimResponse> bad;           // its parse / validation error, reported in order
  std::optional<nlohmann::json> normalized;  // POST and PUT: the validated resource
  std::string new_id;                        // POST
  std::optional<MirrorEntry> entry;          // POST: what it writes (flattening needs no store)
  int64_t now = 0;

  ScimResponse response;                   // the answer; with `resource`, its status and etag
  std::optional<nlohmann::json> resource;  // a success with a body, rendered after the commit
  std::string id;                          // of `resource`
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

  Result<std::optional<MirrorEntry>> Get(ResourceType type, const std::string& id);

  nlohmann::json Render(ResourceType type, const MirrorEntry& entry) const;

  ScimResponse One(ResourceType type, const MirrorEntry& entry, int status) const;

  // True for the filters Entra sends to find a resource by its matching attribute
  // (userName eq "x", displayName eq "x"): answered from the name index, not a scan.
  static bool ByName(ResourceType type, const Filter& filter);

  // Entries of one kind matching `filter`, in id order.
  Result<std::vector<MirrorEntry>> Query(ResourceType type, const Filter& filter);

  // A list request's query (RFC 7644 §3.4.2): its filter, the 1-based index of the first
  // resource and the page size, clamped to the service's max_results.
  struct ListQuery {
    std::optional<Filter> filter;
    int64_t first = 1;
    int64_t limit = 0;
  };
  // kInvalid for a malformed filter, startIndex or count (in that order).
  Result<ListQuery> ParseListQuery() const;
  // One page of resources, projected, and how many the whole list holds.
  struct ListPage {
    nlohmann::json resources = nlohmann::json::array();
    size_t total = 0;
  };
  // With a filter: every match is read, the page cut from them.
  Result<ListPage> FilteredPage(ResourceType type, const ListQuery& query);
  // Without: counted, and only the page read (from the primary key).
  Result<ListPage> StoredPage(ResourceType type, const ListQuery& query);
  ScimResponse List(ResourceType type);

  // 409 uniqueness: userName / displayName `name` belongs to another entry.
  static ScimResponse NameTaken(ResourceType type, const std::string& name);

  // Uniqueness of userName / displayName against every other entry of the kind.
  std::optional<ScimResponse> CheckName(ResourceType type, const std::string& name,
                                        const std::string& self_id);

  static MirrorEntry MakeEntry(ResourceType type, const nlohmann::json& resource,
                               const std::string& id);

  // Users whose `groups` change when a group goes from (old_name, old_members) to
  // (new_name, new_members); "" new_name: the group is deleted.
  Result<std::vector<MirrorEntry>> MembershipChanges(const std::string& old_name,
                                                     const std::vector<std::string>& old_members,
                                                     const std::string& new_name,
                                                     const std::vector<std::string>& new_members);

  // Every member must be a user of this tenant's mirror: an id of another tenant (or a
  // typo) is a 400 that changes nothing.
  std::optional<ScimResponse> CheckMembers(const std::vector<std::string>& members,
                                           const std::vector<std::string>& already);

  // Writes the resource and the users its membership changes touch, all or nothing (a
  // savepoint inside the batch's transaction when group-committed).
  Result<int64_t> Write(const MirrorEntry& entry, int64_t expected_version,
                        const std::vector<MirrorEntry>& users, int64_t now);

  static void Succeed(Op& op, int status, nlohmann::json resource, const std::string& id,
                      int64_t version, int64_t created_at, int64_t updated_at);

  // A group replace or create: the users whose memberships change, or the answer refusing
  // it.
  struct Changes {
    std::vector<MirrorEntry> users;
    std::optional<ScimResponse> refusal;
  };
  // A new group's name (checked first: a taken name is a 409 before its members' 400) and
  // members.
  Changes NewGroupMemberships(const nlohmann::json& resource, const std::string& name);
  void Create(Op& op);

  // The entry the request's id names when it exists and If-Match accepts its version;
  // else the answer (404, 412, or the store's error).
  struct Target {
    std::optional<MirrorEntry> entry;
    ScimResponse refusal;
  };
  Target Existing(ResourceType type);

  Changes ReplacedMemberships(const MirrorEntry& current, const nlohmann::json& before,
                              const nlohmann::json& after, const std::string& new_name);

  // What a replace of `current` writes: the resource after it (the PUT's body, or the
  // stored one with the PATCH applied), its entry and the users whose memberships change;
  // or the answer refusing it (an invalid patch, a taken name, a bad member).
  struct Replacement {
    nlohmann::json after;
    MirrorEntry entry;
    std::vector<MirrorEntry> users;
    std::optional<ScimResponse> refusal;
  };
  Replacement Replacing(Op& op, bool patch, const MirrorEntry& current);
  void Replace(Op& op, bool patch);
  // The answer to a replace written at `version`.
  void Replaced(Op& op, bool patch, const MirrorEntry& current, nlohmann::json after,
                int64_t version);

  // The groups of a deleted user, without it.
  Result<std::vector<MirrorEntry>> LeaveGroups(const MirrorEntry& user);
  // Writes `entries` and removes `current`, all or nothing: 204.
  ScimResponse Remove(ResourceType type, const MirrorEntry& current,
                      const std::vector<MirrorEntry>& entries, int64_t now);

  ScimResponse Delete(ResourceType type, int64_t now);

  // One queued write, inside the batch's transaction.
  void Execute(Op& op);
};

}  // namespace telsync::scim
