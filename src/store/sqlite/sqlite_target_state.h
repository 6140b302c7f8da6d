// The SQLite side of the targets' own state (store/target_state.h), used by SqliteStore:
// the TargetStateStore methods, on the store's connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/sqlite/detail/sqlite_db.h"
#include "store/target_state.h"
#include "util/result.h"

namespace telsync::sqlite_detail {

Result<std::vector<TargetObject>> ListSqliteTargetObjects(Db& db, const std::string& tenant,
                                                          const std::string& target);
Status PutSqliteTargetObject(Db& db, const TargetObject& object);
Status RemoveSqliteTargetObject(Db& db, const std::string& tenant, const std::string& target,
                                const std::string& type, const std::string& key);
Result<std::optional<std::string>> GetSqliteSipCredential(Db& db, const std::string& tenant,
                                                          int64_t user_id);
Status PutSqliteSipCredential(Db& db, const std::string& tenant, int64_t user_id,
                              const std::string& sealed, int64_t now);
Result<std::vector<SipCredential>> ListSqliteSipCredentials(Db& db, const std::string& tenant);
Status PutSqliteSipCredentials(Db& db, const std::string& tenant,
                               const std::vector<SipCredential>& credentials, int64_t now);
Status SaveSqliteTargetObjects(Db& db, const std::string& tenant, const std::string& target,
                               const std::vector<TargetObject>& put,
                               const std::vector<std::pair<std::string, std::string>>& removed);
Result<std::vector<PbxUser>> ListSqliteUsersFields(Db& db, const std::string& tenant,
                                                   const std::vector<Field>& fields);

}  // namespace telsync::sqlite_detail
