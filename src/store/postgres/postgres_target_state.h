// The PostgreSQL side of the targets' own state (store/target_state.h), used by
// PostgresStore: the TargetStateStore methods, on the store's connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/postgres/detail/pg_conn.h"
#include "store/target_state.h"
#include "util/result.h"

namespace telsync::pg_detail {

Result<std::vector<TargetObject>> ListPostgresTargetObjects(Conn& conn, const std::string& tenant,
                                                            const std::string& target);
Status PutPostgresTargetObject(Conn& conn, const TargetObject& object);
Status RemovePostgresTargetObject(Conn& conn, const std::string& tenant, const std::string& target,
                                  const std::string& type, const std::string& key);
Result<std::optional<std::string>> GetPostgresSipCredential(Conn& conn, const std::string& tenant,
                                                            int64_t user_id);
Status PutPostgresSipCredential(Conn& conn, const std::string& tenant, int64_t user_id,
                                const std::string& sealed, int64_t now);

Result<std::vector<SipCredential>> ListPostgresSipCredentials(Conn& conn,
                                                              const std::string& tenant);
Status PutPostgresSipCredentials(Conn& conn, const std::string& tenant,
                                 const std::vector<SipCredential>& credentials, int64_t now);
Status SavePostgresTargetObjects(Conn& conn, const std::string& tenant, const std::string& target,
                                 const std::vector<TargetObject>& put,
                                 const std::vector<std::pair<std::string, std::string>>& removed);
Result<std::vector<PbxUser>> ListPostgresUsersFields(Conn& conn, const std::string& tenant,
                                                     const std::vector<Field>& fields);

}  // namespace telsync::pg_detail
