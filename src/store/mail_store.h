// MailStore: the record of every mail telsync sent or tried to send (F20: never lost
// silently), kept so that a failed one can be resent (one role of store/store.h).
//
// Ownership: results are values the caller owns.
// Absence: a tenant or run without mails lists none; UpdateNotification of a record that
// is not there (or belongs to another tenant) is kNotFound.
// Errors: kNotFound as said, kUnavailable when the database cannot be reached or stays
// locked too long, kInternal otherwise.
// Thread safety: as the Store that implements it (store.h): a store from OpenStore or
// Database may be called from several threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace telsync {

// A mail telsync sent or tried to send (F20): never lost silently.
struct NotificationRecord {
  int64_t id = 0;
  std::string tenant;
  std::string profile;
  int64_t run_id = 0;      // 0 for a test mail
  std::string kind;        // "report" | "error" | "welcome" | "welcome_copy" | "test"
  std::string recipients;  // comma-separated addresses
  std::string subject;
  std::string status;  // "sent" | "failed"
  int attempts = 0;
  std::string error;  // the last failure in plain words; "" when sent
  int64_t created_at = 0;
  int64_t sent_at = 0;  // 0 while failed
  std::string message;  // the rendered mail, kept while failed so that it can be resent
};

class MailStore {
 public:
  virtual ~MailStore() = default;

  // Records the mail (record.id is ignored); returns its new id.
  virtual Result<int64_t> AddNotification(const NotificationRecord& record) = 0;
  // Writes status, attempts, error, sent_at and message by record.id within
  // record.tenant. kNotFound otherwise.
  virtual Status UpdateNotification(const NotificationRecord& record) = 0;
  // The tenant's mails, oldest first. run_id 0 = every run; failed_only = those still to
  // be resent.
  virtual Result<std::vector<NotificationRecord>> ListNotifications(const std::string& tenant,
                                                                    int64_t run_id,
                                                                    bool failed_only) = 0;
};

}  // namespace telsync
