// The PostgreSQL side of the mail record (store/mail_store.h), used by PostgresStore.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/mail_store.h"
#include "store/postgres/detail/pg_conn.h"
#include "util/result.h"

namespace telsync::pg_detail {

Result<int64_t> AddPostgresNotification(Conn& conn, const NotificationRecord& record);
Status UpdatePostgresNotification(Conn& conn, const NotificationRecord& record);
Result<std::vector<NotificationRecord>> ListPostgresNotifications(Conn& conn,
                                                                  const std::string& tenant,
                                                                  int64_t run_id, bool failed_only);

}  // namespace telsync::pg_detail
