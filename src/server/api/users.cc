// The REST API's user handlers: /api/v1/tenants/{tenant}/users[/{name}[/unlink|exclude|include]].
// Parse,
// call admin/users.h, render (admin::UserJson).
#include "admin/users.h"

#include "admin/views.h"
#include "server/api/detail/respond.h"
#include "server/api/rest_api.h"

namespace telsync::api {

using detail::Json;

http::Response RestApi::ListUsers(http::Request& r) {
  auto limit = detail::IntQuery(r, "limit", 100, 1, 1000);
  if (!limit.ok()) return detail::FromError(limit.error());
  auto offset = detail::IntQuery(r, "offset", 0, 0, 100000000);
  if (!offset.ok()) return detail::FromError(offset.error());
  const std::string q = r.Query("q");
  Result<std::vector<PbxUser>> users = Error::Internal("");
  if (q.empty()) {
    auto page = admin::ListUsers(store_, r.Param("tenant"), *limit, *offset);
    if (!page.ok()) return detail::FromError(page.error());
    users = std::move(page->users);
  } else {
    // The store lock is taken per page of the search, not for the scan.
    users = admin::SearchUsers(store_, r.Param("tenant"), q, *limit, *offset);
  }
  if (!users.ok()) return detail::FromError(users.error());
  Json arr = Json::array();
  for (const PbxUser& u : *users) arr.push_back(admin::UserJson(u));
  return detail::JsonOk(arr);
}

http::Response RestApi::GetUser(http::Request& r) {
  auto found = admin::GetUser(store_, r.Param("tenant"), r.Param("name"));
  if (!found.ok()) return detail::FromError(found.error());
  return detail::JsonOk(admin::UserJson(*found));
}

http::Response RestApi::UnlinkUser(http::Request& r) {
  auto unlinked = admin::UnlinkUser(store_, r.Param("tenant"), r.Param("name"));
  if (!unlinked.ok()) return detail::FromError(unlinked.error());
  return detail::JsonOk(Json{{"unlinked", std::string(unlinked->fields.Get(Field::kUsername))},
                             {"was", unlinked->source_key}});
}

http::Response RestApi::SetExcluded(http::Request& r, bool excluded) {
  const std::string tenant = r.Param("tenant");
  // Whose exclusion group: ?profile=, else the user's own profile, else the tenant's first.
  std::shared_ptr<const Profile> profile;
  if (r.HasQuery("profile")) {
    profile = FindProfile(tenant, r.Query("profile"));
    if (profile == nullptr)
      return detail::Fail(
          ErrorCode::kInvalid, "profile",
          "no profile " + r.Query("profile").substr(0, 64) + " in tenant " + tenant.substr(0, 64));
  } else {
    auto found = admin::GetUser(store_, tenant, r.Param("name"));
    if (!found.ok()) return detail::FromError(found.error());
    profile = FindProfile(tenant, found->profile);
    if (profile == nullptr) {
      const auto profiles = options_.catalog->List(tenant);
      if (!profiles.empty()) profile = profiles.front();
    }
  }
  const std::string group =
      profile ? profile->policy.exclusion_group : PolicyConfig{}.exclusion_group;
  auto user = admin::SetExcluded(store_, tenant, r.Param("name"), group, excluded);
  if (!user.ok()) return detail::FromError(user.error());
  return detail::JsonOk(Json{{"username", std::string(user->fields.Get(Field::kUsername))},
                             {"excluded", excluded},
                             {"group", group},
                             {"profile", profile ? profile->name : ""},
                             {"groups", user->groups}});
}

}  // namespace telsync::api
