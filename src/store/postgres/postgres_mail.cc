#include "store/postgres/postgres_mail.h"

#include <utility>

namespace telsync::pg_detail {

Result<int64_t> AddPostgresNotification(Conn& conn, const NotificationRecord& n) {
  Params p;
  p.Add(n.tenant).Add(n.profile).Add(n.run_id).Add(n.kind).Add(n.recipients).Add(n.subject);
  p.Add(n.status).Add(n.attempts).Add(n.error).Add(n.created_at).Add(n.sent_at).Add(n.message);
  auto r = conn.Exec(
      "INSERT INTO notifications (tenant, profile, run_id, kind, recipients, subject, status, "
      "attempts, error, created_at, sent_at, message) VALUES ($1, $2, $3::bigint, $4, $5, $6, "
      "$7, $8::integer, $9, $10::bigint, $11::bigint, $12) RETURNING id",
      p, "add notification");
  if (!r.ok()) return r.error();
  return r->Int(0, 0);
}

Status UpdatePostgresNotification(Conn& conn, const NotificationRecord& n) {
  Params p;
  p.Add(n.id).Add(n.tenant).Add(n.status).Add(n.attempts).Add(n.error).Add(n.sent_at);
  p.Add(n.message);
  auto r = conn.Exec(
      "UPDATE notifications SET status = $3, attempts = $4::integer, error = $5, "
      "sent_at = $6::bigint, message = $7 WHERE id = $1::bigint AND tenant = $2",
      p, "update notification");
  if (!r.ok()) return r.error();
  if (r->Affected() == 0) return Error::NotFound("no notification " + std::to_string(n.id));
  return Ok();
}

Result<std::vector<NotificationRecord>> ListPostgresNotifications(Conn& conn,
                                                                  const std::string& tenant,
                                                                  int64_t run_id,
                                                                  bool failed_only) {
  Params p;
  p.Add(tenant).Add(run_id).Add(failed_only ? 1 : 0);
  auto r = conn.Exec(
      "SELECT id, tenant, profile, run_id, kind, recipients, subject, status, attempts, error, "
      "created_at, sent_at, message FROM notifications WHERE tenant = $1 AND ($2::bigint = 0 "
      "OR run_id = $2::bigint) AND ($3::integer = 0 OR status = 'failed') ORDER BY id",
      p, "list notifications");
  if (!r.ok()) return r.error();
  std::vector<NotificationRecord> out;
  for (int i = 0; i < r->rows(); ++i) {
    NotificationRecord n;
    n.id = r->Int(i, 0);
    n.tenant = r->String(i, 1);
    n.profile = r->String(i, 2);
    n.run_id = r->Int(i, 3);
    n.kind = r->String(i, 4);
    n.recipients = r->String(i, 5);
    n.subject = r->String(i, 6);
    n.status = r->String(i, 7);
    n.attempts = static_cast<int>(r->Int(i, 8));
    n.error = r->String(i, 9);
    n.created_at = r->Int(i, 10);
    n.sent_at = r->Int(i, 11);
    n.message = r->String(i, 12);
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace telsync::pg_detail
