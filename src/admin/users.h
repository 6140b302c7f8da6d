// The PBX directory's users for the CLI (`telsync users`) and the REST API
// (/api/v1/tenants/{t}/users), issue 16 item 1: list a page (with the directory's size when
// the page is not all of it), search, find one, unlink one. Functions returning Result<T>;
// the adapters render (admin::UserJson, the CLI's table).
//
// Errors name the request part at fault in Error::field ("name", "q"); the store's errors
// are returned as they are.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/result.h"

namespace telsync::admin {

struct UserPage {
  std::vector<PbxUser> users;  // as the store orders them
  // The tenant's number of users when the page may not be all of them (an offset, or a full
  // page); nullopt when the page is the whole directory.
  std::optional<size_t> total;
};

// At most `limit` users of `tenant` from `offset` on. The caller holds the store's lock, if
// it has one.
Result<UserPage> ListUsers(Store& store, const std::string& tenant, size_t limit, size_t offset);

// The users whose username, e-mail, display name or extension contains `query` (ASCII case
// ignored), `offset` matches skipped, at most `limit`. The directory is read in pages of
// 5,000, each page one store call (the store is thread-safe), not the whole scan. kInvalid (field
// "q") for a query over 200 characters.
Result<std::vector<PbxUser>> SearchUsers(Store& store, const std::string& tenant,
                                         const std::string& query, size_t limit, size_t offset);

// The user with username or e-mail `name`: kNotFound (field "name", "no user NAME") when the
// tenant has none. The caller holds the store's lock, if it has one.
Result<PbxUser> GetUser(Store& store, const std::string& tenant, const std::string& name);

// De-syncs user `name` (F18: no sync changes it until it is adopted again) and returns the
// user as it was before (its source_key is what it was linked to). Errors as GetUser's, and
// the store's. The caller holds the store's lock, if it has one.
Result<PbxUser> UnlinkUser(Store& store, const std::string& tenant, const std::string& name);

// Puts user `name` into the exclusion group `group` (`excluded`) or takes it out, keeping its
// other groups in their order (F11: a sync of a profile whose policy.exclusion_group is `group`
// never changes or deletes a user in it). Returns the user as it is now; doing what is already
// so is no error. kInvalid (field "group") when `group` is empty (the profile names none);
// errors as GetUser's, and the store's. The CLI's `users exclude|include` and the REST API's
// .../users/{name}/exclude|include both call this. The caller holds the store's lock, if any.
Result<PbxUser> SetExcluded(Store& store, const std::string& tenant, const std::string& name,
                            const std::string& group, bool excluded);

}  // namespace telsync::admin
