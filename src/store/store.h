// Store: telsync's PBX directory, run history and sync state for all tenants, as one
// object that plays every role (DESIGN §3, issue 16):
//
//   DirectoryStore  directory_store.h  snapshot, Apply, users, departments
//   RunStore        run_store.h        runs, run items, last success, the run lock
//   MirrorStore     mirror_store.h     source mirrors (MirrorWriter: mirror_writer.h),
//                                      pending users, sync cursors
//   JobStore        job_store.h        the queue of runs and its leases
//   TokenStore      token_store.h      SCIM and REST bearer tokens (as hashes)
//   TenantStore     tenant_store.h     stored tenants, and their deletion
//   ProfileStore    profile_store.h    stored profiles, the secret key id and rewrite
//   MailStore       mail_store.h       the record of mails sent or tried
//   OutboxStore     outbox.h           the targets' outbox, their cursors, dead events
//   TargetStateStore target_state.h    objects telsync created on targets, SIP credentials
//
// A component takes the one role it needs (TokenAuth a TokenStore&, the notifier a
// MailStore&); a Store& converts to any of them. Database (database.h) opens a store and
// hands out its roles.
//
// Implementations: SQLite (the embedded default, WAL; store/sqlite) and PostgreSQL
// (store/postgres), behind the same tests (store/store_contract_test.cc). Every method
// is scoped by tenant: nothing crosses tenants (FindToken excepted: the token names the
// tenant). Errors are values, never exceptions: kNotFound for a missing run or user,
// kUnavailable when the database cannot be opened or is locked too long, kInternal
// otherwise; each role's header says the rest.
//
// Thread safety: a Store from OpenStore or Database is safe to call from several threads
// at once. Each call holds the store's lock (a recursive mutex, store/detail/locked_store.h)
// for its whole duration, so the calls of one store run one at a time, on its one
// connection; an open MirrorWriter holds that lock for its owning thread until it is
// committed or destroyed (mirror_store.h), and a run lock excludes the other threads of
// the process (run_store.h). Threads that want to run side by side open a store each (the
// workers do). A backend opened directly (OpenSqliteStore, OpenPostgresStore) is not
// thread-safe: one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "store/directory_store.h"
#include "store/job_store.h"
#include "store/mail_store.h"
#include "store/mirror_store.h"
#include "store/outbox.h"
#include "store/profile_store.h"
#include "store/run_store.h"
#include "store/target_state.h"
#include "store/tenant_store.h"
#include "store/token_store.h"
#include "util/result.h"

namespace telsync {

class Store : public DirectoryStore,
              public RunStore,
              public MirrorStore,
              public JobStore,
              public TokenStore,
              public TenantStore,
              public ProfileStore,
              public MailStore,
              public OutboxStore,        // issue 17: the targets' outbox (store/outbox.h)
              public TargetStateStore {  // and what they keep (store/target_state.h)
 public:
  ~Store() override = default;

  // The schema version (versioned migrations run on open).
  virtual int SchemaVersion() = 0;
};

// Whether an open may create a SQLite file that is not there. Only `telsync migrate` and
// a process's first open (a first start on a new path) create; every further connection
// of a running process (workers, the scheduler, the SCIM applier) must find the store it
// started with: a file removed under it is an error, never a new empty store.
enum class StoreOpen { kCreateIfMissing, kMustExist };

// Opens (migrating when needed) the store a config names: a SQLite file path, ":memory:"
// for a private in-memory database (tests), or a PostgreSQL URL
// (postgres://user:password@host:port/database, store/postgres). The store is thread-safe
// (see above). kUnavailable when it cannot be opened, kInvalid for an empty path, a
// malformed URL or a schema newer than this binary. Database::Open is the same open.
Result<std::unique_ptr<Store>> OpenStore(const std::string& spec,
                                         StoreOpen mode = StoreOpen::kCreateIfMissing);

// The schema version of the store a spec names and the version this binary writes, read
// without creating or migrating anything (`telsync migrate --check`). current is 0 for a
// store that does not exist yet.
struct StoreSchemaInfo {
  int current = 0;
  int latest = 0;
};
Result<StoreSchemaInfo> InspectStoreSchema(const std::string& spec);

// The spec as it may be shown in messages and logs: a URL's password becomes "***".
std::string RedactStoreSpec(const std::string& spec);

}  // namespace telsync
