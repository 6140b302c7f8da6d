// The PostgreSQL side of the PBX directory's reads and admin writes (store/directory_store.h),
// used by PostgresStore, whose LoadSnapshot and Apply read users with the same helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "model/pbx.h"
#include "store/postgres/detail/pg_conn.h"
#include "util/result.h"

namespace telsync::pg_detail {

// ", <prefix>username, <prefix>email, ...": every field column, in Field order.
std::string FieldList(std::string_view prefix);
// "SELECT <user columns> FROM users <tail>": the columns ReadUsers reads (id, profile,
// source_key, the fields, searchable, state, pending_since, groups, custom, subscription).
std::string SelectUsersSql(std::string_view tail);
// The rows of a SelectUsersSql result, appended to `*out` when given (then the returned
// vector is empty), else returned. kInternal (context "user id N") for a row that does not
// decode.
Result<std::vector<PbxUser>> ReadUsers(const PgResult& r, std::vector<PbxUser>* out = nullptr);
// The rows of "SELECT id, profile, name, ring_group, members FROM departments ...".
Result<std::vector<Department>> ReadDepartments(const PgResult& r);

Result<std::optional<PbxUser>> FindPostgresUser(Conn& conn, const std::string& tenant,
                                                const std::string& name);
Result<std::vector<PbxUser>> ListPostgresUsers(Conn& conn, const std::string& tenant, size_t limit,
                                               size_t offset);
Result<size_t> CountPostgresUsers(Conn& conn, const std::string& tenant);
Result<std::vector<std::string>> ListPostgresPendingDeleteKeys(Conn& conn,
                                                               const std::string& tenant,
                                                               const std::string& profile);
Result<std::vector<std::string>> ListPostgresWaitingKeys(Conn& conn, const std::string& tenant,
                                                         const std::string& profile);
Status SetPostgresWaitingKeys(Conn& conn, const std::string& tenant, const std::string& profile,
                              const std::vector<std::string>& keys,
                              const std::unordered_set<std::string>* scope);
Status UnlinkPostgresUser(Conn& conn, const std::string& tenant, int64_t user_id);
Status SetPostgresUserGroups(Conn& conn, const std::string& tenant, int64_t user_id,
                             const std::vector<std::string>& groups);
Result<std::vector<Department>> ListPostgresDepartments(Conn& conn, const std::string& tenant);

}  // namespace telsync::pg_detail
