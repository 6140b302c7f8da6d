// Service: what `telsync serve` runs, wired here so that a test can start it without the CLI.
//
//   - The store's secret key (secrets/store_secrets.h) and the profile catalog (the config
//     file's profiles and those stored over the REST API).
//   - The job workers and the schedule loop (schedule/), which every `serve` of the store
//     shares through the store's job queue.
//   - Unless worker_only: one HTTP server with /healthz, /readyz and /metrics
//     (ops/ops_routes.h, with the targets' metrics: ops/target_metrics.h), the desk phones'
//     phonebook (phonebook/routes.h), the SCIM endpoints of the tenants (scim/routes.h,
//     scim/tenants.h) and the REST API (api/rest_api.h), both behind one TokenAuth
//     (auth/token_auth.h).
//
// Start() checks and prepares; Serve() (or RunWorkers() for a worker node) runs until Stop(),
// then applies what SCIM pushes changed, stops the schedules and finishes the runs in
// progress. Stop() may be called from any thread (a signal), before or during Serve().
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "config/loader.h"
#include "schedule/catalog.h"
#include "schedule/schedule_loop.h"
#include "schedule/worker.h"
#include "server/api/rest_api.h"
#include "server/auth/token_auth.h"
#include "server/http/server.h"
#include "server/scim/routes.h"
#include "server/scim/tenants.h"
#include "store/store.h"

namespace telsync {

struct ServiceOptions {
  http::ServerOptions http;
  double rate_limit = 50;      // SCIM and REST requests per second per tenant; <= 0: none
  size_t workers = 2;          // job threads in this process
  bool worker_only = false;    // no HTTP: jobs and schedules only
  int64_t lease_seconds = 60;  // a job's lease
  size_t tenant_cap = 1;       // running jobs per tenant over all workers; 0 = no cap
  std::string worker_name;     // "host:pid"
  std::string base_dir = ".";  // the config file's directory
  std::string secret_key_path;
  std::function<int64_t()> clock;  // unix seconds
  std::function<void(const std::string&)> log;
};

class Service {
 public:
  // `config` and `store` (the config's store, open with OpenStore, so thread-safe:
  // store/store.h) outlive the service. kInvalid for a
  // configuration problem (a missing or wrong secret key, two SCIM profiles in one tenant);
  // other codes when the store fails.
  static Result<std::unique_ptr<Service>> Start(const Config& config, Store& store,
                                                ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Binds the HTTP listener (port 0: any free one) and returns the port.
  Result<int> Bind();
  // The tenants with a SCIM endpoint at start, with their profile.
  const std::vector<std::pair<std::string, std::string>>& ScimAtStart() const {
    return scim_at_start_;
  }
  // Serves HTTP until Stop(), then shuts down (see the file comment).
  Status Serve();
  // A worker node: runs jobs and schedules until Stop(), then finishes the jobs in progress.
  void RunWorkers();
  // Thread-safe; idempotent.
  void Stop();

 private:
  Service(const Config& config, Store& store, ServiceOptions options);
  Status Prepare();
  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  const Config& config_;
  Store& store_;
  ServiceOptions options_;
  // `store_` is thread-safe (store/store.h) and shared by the HTTP threads. This mutex is
  // only what the REST API and SCIM constructors still take and lock by hand; it goes when
  // they drop it (issue 16). Nothing else here locks it.
  std::function<Result<std::unique_ptr<Store>>()> open_store_;
  std::unique_ptr<ProfileCatalog> catalog_;
  std::vector<std::pair<std::string, std::string>> scim_at_start_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<ScheduleLoop> schedule_;
  std::unique_ptr<scim::ScimTenants> scim_tenants_;
  std::shared_ptr<TokenAuth> auth_;
  std::unique_ptr<scim::ScimEndpoint> endpoint_;
  std::unique_ptr<api::RestApi> rest_api_;
  std::unique_ptr<http::HttpServer> server_;

  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool serving_ = false;  // under stop_mutex_
  bool shut_down_ = false;
};

}  // namespace telsync
