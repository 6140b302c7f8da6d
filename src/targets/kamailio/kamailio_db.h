// KamailioDb: the rows of Kamailio's own schema that the Kamailio target writes, in the
// database Kamailio reads (SQLite through db_sqlite, PostgreSQL through db_postgres).
// The tables are Kamailio 5.6's, as shipped in /usr/share/kamailio/{db_sqlite,postgres}/:
//   subscriber (username, domain, password, ha1, ha1b; auth_db, version 7)
//   dbaliases  (alias_username, alias_domain, username, domain; alias_db, version 1)
//   version    (table_name, table_version)
// Errors: kUnavailable when the database cannot be opened or is busy (retry later);
// kInvalid when the schema is not the one telsync writes (CheckVersions names the table).
// Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace telsync {

struct KamailioSubscriber {
  std::string username;
  std::string domain;
  std::string ha1;
  std::string ha1b;
};

struct KamailioAlias {
  std::string alias_username;
  std::string alias_domain;
  std::string username;
  std::string domain;
};

class KamailioDb {
 public:
  virtual ~KamailioDb() = default;
  // `url`: sqlite:///abs/path, a plain file path, or postgres://... The SQLite file must
  // exist (Kamailio's schema is created by its own tools, not by telsync).
  static Result<std::unique_ptr<KamailioDb>> Open(const std::string& url);

  // kInvalid unless version says subscriber 7 and dbaliases 1.
  virtual Status CheckVersions() = 0;
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

  virtual Result<std::optional<KamailioSubscriber>> GetSubscriber(const std::string& username,
                                                                  const std::string& domain) = 0;
  // Inserts or updates (username, domain); the password column stays empty.
  virtual Status PutSubscriber(const KamailioSubscriber& subscriber) = 0;
  virtual Status DeleteSubscriber(const std::string& username, const std::string& domain) = 0;
  virtual Result<std::optional<KamailioAlias>> GetAlias(const std::string& alias_username,
                                                        const std::string& alias_domain) = 0;
  // Replaces every row of (alias_username, alias_domain) with this one.
  virtual Status PutAlias(const KamailioAlias& alias) = 0;
  // Inserts the row of an alias that has none (PutAlias without its delete).
  virtual Status AddAlias(const KamailioAlias& alias) = 0;

  // Every subscriber of `domain`, and every alias in `alias_domain` (the first row by id of
  // each alias, as GetAlias reads it): a full reconcile reads them in one scan each instead
  // of one lookup per user.
  virtual Result<std::vector<KamailioSubscriber>> ListSubscribers(const std::string& domain) = 0;
  virtual Result<std::vector<KamailioAlias>> ListAliases(const std::string& alias_domain) = 0;
  virtual Status DeleteAlias(const std::string& alias_username,
                             const std::string& alias_domain) = 0;
};

}  // namespace telsync
