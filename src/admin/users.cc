#include "admin/users.h"

#include "util/text.h"

namespace telsync::admin {

Result<UserPage> ListUsers(Store& store, const std::string& tenant, size_t limit, size_t offset) {
  Result<std::vector<PbxUser>> listed = store.ListUsers(tenant, limit, offset);
  if (!listed.ok()) return listed.error();
  UserPage page;
  page.users = std::move(*listed);
  if (offset > 0 || (limit > 0 && page.users.size() >= limit)) {
    Result<size_t> total = store.CountUsers(tenant);
    if (!total.ok()) return total.error();
    page.total = *total;
  }
  return page;
}

Result<std::vector<PbxUser>> SearchUsers(Store& store, const std::string& tenant,
                                         const std::string& query, size_t limit, size_t offset) {
  if (query.size() > 200) return Error::Invalid("at most 200 characters").WithField("q");
  const std::string needle = AsciiLower(query);
  std::vector<PbxUser> found;
  size_t skipped = 0;
  constexpr size_t kPage = 5000;
  for (size_t page_offset = 0;; page_offset += kPage) {
    Result<std::vector<PbxUser>> page = Error::Internal("");
    { page = store.ListUsers(tenant, kPage, page_offset); }
    if (!page.ok()) return page.error();
    for (PbxUser& u : *page) {
      bool match = false;
      for (Field f : {Field::kUsername, Field::kEmail, Field::kDisplayName, Field::kExtension})
        match = match || AsciiLower(u.fields.Get(f)).find(needle) != std::string::npos;
      if (!match) continue;
      if (skipped++ < offset) continue;
      found.push_back(std::move(u));
      if (found.size() >= limit) return found;
    }
    if (page->size() < kPage) return found;
  }
}

Result<PbxUser> GetUser(Store& store, const std::string& tenant, const std::string& name) {
  Result<std::optional<PbxUser>> found = store.FindUser(tenant, name);
  if (!found.ok()) return found.error();
  if (!found->has_value())
    return Error::NotFound("no user " + name.substr(0, 100)).WithField("name");
  return std::move(**found);
}

Result<PbxUser> UnlinkUser(Store& store, const std::string& tenant, const std::string& name) {
  Result<PbxUser> user = GetUser(store, tenant, name);
  if (!user.ok()) return user.error();
  if (Status s = store.UnlinkUser(tenant, user->id); !s.ok()) return s.error();
  return user;
}

Result<PbxUser> SetExcluded(Store& store, const std::string& tenant, const std::string& name,
                            const std::string& group, bool excluded) {
  if (group.empty())
    return Error::Invalid("the profile names no exclusion group (policy.exclusion_group)")
        .WithField("group");
  Result<PbxUser> user = GetUser(store, tenant, name);
  if (!user.ok()) return user.error();
  std::vector<std::string> groups;
  for (const std::string& g : user->groups) {
    if (g != group) groups.push_back(g);
  }
  if (excluded) groups.push_back(group);
  if (Status s = store.SetUserGroups(tenant, user->id, groups); !s.ok()) return s.error();
  user->groups = std::move(groups);
  return user;
}

}  // namespace telsync::admin
