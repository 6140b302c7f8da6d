// ScimService's writes (service.h): create, replace, PATCH and delete of users and groups,
// with the group memberships they change, run inside the group commit's transaction.
#include <algorithm>
#include <set>

#include "server/scim/detail/service_parts.h"

namespace telsync::scim {
using nlohmann::json;

// Uniqueness of userName / displayName against every other entry of the kind.
std::optional<ScimResponse> ScimService::Impl::CheckName(ResourceType type, const std::string& name,
                                                         const std::string& self_id) {
  auto holder = store.FindMirrorEntryByName(options.tenant, options.profile, KindOf(type), name);
  if (!holder.ok()) return FromError(holder.error());
  if (holder->has_value() && (*holder)->object.id != self_id) return NameTaken(type, name);
  return std::nullopt;
}

ScimResponse ScimService::Impl::NameTaken(ResourceType type, const std::string& name) {
  return ScimService::Error(ErrorCode::kConflict, "uniqueness",
                            std::string(type == ResourceType::kUser ? "userName" : "displayName") +
                                " '" + name + "' is already taken");
}

MirrorEntry ScimService::Impl::MakeEntry(ResourceType type, const json& resource,
                                         const std::string& id) {
  MirrorEntry entry;
  entry.object = ToSourceObject(type, resource, id);
  entry.name = NameOf(type, resource);
  entry.external_id = ExternalIdOf(resource);
  entry.payload = resource.dump(-1, ' ', false, json::error_handler_t::replace);
  return entry;
}

// Users whose `groups` change when a group goes from (old_name, old_members) to
// (new_name, new_members); "" new_name: the group is deleted.
Result<std::vector<MirrorEntry>> ScimService::Impl::MembershipChanges(
    const std::string& old_name, const std::vector<std::string>& old_members,
    const std::string& new_name, const std::vector<std::string>& new_members) {
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
    const bool member = std::find(new_members.begin(), new_members.end(), id) != new_members.end();
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
std::optional<ScimResponse> ScimService::Impl::CheckMembers(
    const std::vector<std::string>& members, const std::vector<std::string>& already) {
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
Result<int64_t> ScimService::Impl::Write(const MirrorEntry& entry, int64_t expected_version,
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

void ScimService::Impl::Succeed(Op& op, int status, json resource, const std::string& id,
                                int64_t version, int64_t created_at, int64_t updated_at) {
  op.response = ScimResponse{};
  op.response.status = status;
  op.response.etag = ETag(version);
  op.resource = std::move(resource);
  op.id = id;
  op.version = version;
  op.created_at = created_at;
  op.updated_at = updated_at;
}

ScimService::Impl::Changes ScimService::Impl::NewGroupMemberships(const json& resource,
                                                                  const std::string& name) {
  Changes changes;
  if (auto conflict = CheckName(ResourceType::kGroup, name, "")) {
    changes.refusal = *conflict;
    return changes;
  }
  const auto members = MemberIds(resource);
  if (auto bad = CheckMembers(members, {})) {
    changes.refusal = *bad;
    return changes;
  }
  auto users = MembershipChanges("", {}, name, members);
  if (!users.ok()) {
    changes.refusal = FromError(users.error());
    return changes;
  }
  changes.users = std::move(users).value();
  return changes;
}

void ScimService::Impl::Create(Op& op) {
  const ResourceType type = op.type;
  const std::string name = NameOf(type, *op.normalized);
  // A user's name is checked by the write itself (the writer looks the name up before
  // it inserts); a group's first (NewGroupMemberships).
  Changes changes;
  if (type == ResourceType::kGroup) {
    changes = NewGroupMemberships(*op.normalized, name);
    if (changes.refusal) {
      op.response = *changes.refusal;
      return;
    }
  }
  auto version = Write(*op.entry, 0, changes.users, op.now);
  if (!version.ok()) {
    // A new id has no version to conflict with: a conflict means the name is taken.
    const bool taken = version.error().code == ErrorCode::kConflict;
    op.response = taken ? NameTaken(type, name) : FromError(version.error());
    return;
  }
  if (type == ResourceType::kUser) touched.push_back(op.new_id);
  Succeed(op, 201, std::move(*op.normalized), op.new_id, *version, op.now, op.now);
  op.response.location = request.base_url + "/" + request.resource + "/" + op.new_id;
}

ScimService::Impl::Target ScimService::Impl::Existing(ResourceType type) {
  Target target;
  auto existing = Get(type, request.id);
  if (!existing.ok()) {
    target.refusal = FromError(existing.error());
  } else if (!existing->has_value()) {
    target.refusal =
        ScimService::Error(ErrorCode::kNotFound, "",
                           std::string(ResourceTypeName(type)) + " " + request.id + " not found");
  } else if (!IfMatchAccepts(request.if_match, (*existing)->version)) {
    target.refusal = ScimService::Error(
        ErrorCode::kPreconditionFailed, "",
        "the resource changed (version " + ETag((*existing)->version) + "); read it again");
  } else {
    target.entry = std::move(**existing);
  }
  return target;
}

ScimService::Impl::Changes ScimService::Impl::ReplacedMemberships(const MirrorEntry& current,
                                                                  const json& before,
                                                                  const json& after,
                                                                  const std::string& new_name) {
  Changes changes;
  const auto old_members = MemberIds(before);
  const auto new_members = MemberIds(after);
  if (auto bad = CheckMembers(new_members, old_members)) {
    changes.refusal = *bad;
    return changes;
  }
  auto users = MembershipChanges(current.name, old_members, new_name, new_members);
  if (!users.ok()) {
    changes.refusal = FromError(users.error());
    return changes;
  }
  changes.users = std::move(users).value();
  return changes;
}

ScimService::Impl::Replacement ScimService::Impl::Replacing(Op& op, bool patch,
                                                            const MirrorEntry& current) {
  const ResourceType type = op.type;
  Replacement next;
  json before = Parse(current.payload);
  if (!before.is_object()) before = json::object();
  if (patch) {
    next.after = before;
    if (auto s = ApplyPatch(type, next.after, op.body); !s.ok()) {
      next.refusal = FromError(s.error());
      return next;
    }
  } else {
    next.after = std::move(*op.normalized);
  }
  const std::string new_name = NameOf(type, next.after);
  if (!EqualsIgnoreCase(new_name, current.name)) {
    next.refusal = CheckName(type, new_name, current.object.id);
    if (next.refusal) return next;
  }
  next.entry = MakeEntry(type, next.after, current.object.id);
  if (type == ResourceType::kUser) {
    next.entry.object.groups = current.object.groups;  // kept from group memberships
    return next;
  }
  Changes changes = ReplacedMemberships(current, before, next.after, new_name);
  next.users = std::move(changes.users);
  next.refusal = std::move(changes.refusal);
  return next;
}

void ScimService::Impl::Replace(Op& op, bool patch) {
  Target target = Existing(op.type);
  if (!target.entry) {
    op.response = target.refusal;
    return;
  }
  if (op.bad) {
    op.response = *op.bad;
    return;
  }
  const MirrorEntry current = std::move(*target.entry);
  Replacement next = Replacing(op, patch, current);
  if (next.refusal) {
    op.response = *next.refusal;
    return;
  }
  auto version = Write(next.entry, current.version, next.users, op.now);
  if (!version.ok()) {
    op.response = FromError(version.error());
    return;
  }
  Replaced(op, patch, current, std::move(next.after), *version);
}

void ScimService::Impl::Replaced(Op& op, bool patch, const MirrorEntry& current, json after,
                                 int64_t version) {
  const ResourceType type = op.type;
  if (type == ResourceType::kUser) touched.push_back(current.object.id);
  // Entra expects 204 for a group PATCH (Microsoft: SCIM compatibility known issues);
  // users get the resource back (RFC 7644 §3.5.2: 200 with the body).
  if (patch && type == ResourceType::kGroup) {
    op.response = ScimResponse{};
    op.response.status = 204;
    op.response.etag = ETag(version);
    return;
  }
  // An unchanged resource keeps its version and its lastModified (the store wrote
  // nothing).
  const int64_t updated_at = version == current.version ? current.updated_at : op.now;
  Succeed(op, 200, std::move(after), current.object.id, version, current.created_at, updated_at);
}

Result<std::vector<MirrorEntry>> ScimService::Impl::LeaveGroups(const MirrorEntry& user) {
  std::vector<MirrorEntry> entries;
  for (const std::string& group_name : user.object.groups) {
    auto group = store.FindMirrorEntryByName(options.tenant, options.profile, ObjectKind::kGroup,
                                             group_name);
    if (!group.ok()) return group.error();
    if (!group->has_value()) continue;
    json payload = Parse((*group)->payload);
    if (json* members = FindMember(payload, "members"); members != nullptr && members->is_array()) {
      json kept = json::array();
      for (json& m : *members) {
        if (MemberValue(m) != user.object.id) kept.push_back(std::move(m));
      }
      if (kept.empty()) {
        payload.erase("members");
      } else {
        *members = std::move(kept);
      }
    }
    entries.push_back(MakeEntry(ResourceType::kGroup, payload, (*group)->object.id));
  }
  return entries;
}

ScimResponse ScimService::Impl::Delete(ResourceType type, int64_t now) {
  Target target = Existing(type);
  if (!target.entry) return target.refusal;
  const MirrorEntry& current = *target.entry;
  // Users and groups to rewrite: a deleted group's members lose it; a deleted user leaves
  // its groups (RFC 7644 §3.6).
  Result<std::vector<MirrorEntry>> entries =
      type == ResourceType::kGroup
          ? MembershipChanges(current.name, MemberIds(Parse(current.payload)), "", {})
          : LeaveGroups(current);
  if (!entries.ok()) return FromError(entries.error());
  return Remove(type, current, *entries, now);
}

ScimResponse ScimService::Impl::Remove(ResourceType type, const MirrorEntry& current,
                                       const std::vector<MirrorEntry>& entries, int64_t now) {
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
    if (auto committed = (*writer)->Commit(); !committed.ok()) return FromError(committed.error());
  }
  touched.insert(touched.end(), users_touched.begin(), users_touched.end());
  if (type == ResourceType::kUser) touched.push_back(current.object.id);
  ScimResponse r;
  r.status = 204;
  return r;
}

// One queued write, inside the batch's transaction.
void ScimService::Impl::Execute(Op& op) {
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

}  // namespace telsync::scim
