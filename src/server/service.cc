#include "server/service.h"

#include <map>

#include "mapping/user_mapping.h"
#include "secrets/store_secrets.h"
#include "server/ops/ops_routes.h"
#include "server/ops/target_metrics.h"
#include "server/phonebook/routes.h"
#include "server/web/routes.h"

namespace telsync {

Service::Service(const Config& config, Store& store, ServiceOptions options)
    : config_(config), store_(store), options_(std::move(options)) {}

Service::~Service() {
  Stop();
  // What Serve() or RunWorkers() did not get to: the appliers and threads stop here.
  if (scim_tenants_) scim_tenants_->StopAll();
  if (schedule_) schedule_->Stop();
  if (workers_) workers_->Stop();
}

Result<std::unique_ptr<Service>> Service::Start(const Config& config, Store& store,
                                                ServiceOptions options) {
  std::unique_ptr<Service> service(new Service(config, store, std::move(options)));
  if (Status s = service->Prepare(); !s.ok()) return s.error();
  return service;
}

Status Service::Prepare() {
  if (!options_.clock) return Error::Internal("service: no clock");
  const std::string store_spec = config_.store;
  open_store_ = [store_spec] { return OpenStore(store_spec, StoreOpen::kMustExist); };

  // Profiles: the config file's and those created over the REST API (in the store).
  catalog_ = std::make_unique<ProfileCatalog>(
      config_,
      [](const std::map<std::string, std::string>& mapping,
         const std::string& source_type) -> std::string {
        auto compiled = UserMapping::Compile(mapping, source_type);
        return compiled.ok() ? std::string() : compiled.error().message;
      });
  // Secrets at rest: the store's key, made (where it is looked for) on the first serve of a
  // store that records none.
  Result<ServiceSecrets> secrets =
      PrepareServiceSecrets(store_, options_.secret_key_path, options_.clock());
  if (!secrets.ok()) {
    Error e = secrets.error();
    e.code = ErrorCode::kInvalid;
    e.message = "secrets: " + e.message;
    return e;
  }
  if (secrets->created) {
    Log("serve: created the secret key file " + options_.secret_key_path + " (key " +
        secrets->key.id() +
        ", mode 0600); keep it and back it up: without it the store's secrets cannot be read");
  }
  if (secrets->sealed > 0) {
    Log("serve: sealed the plain secrets of " + std::to_string(secrets->sealed) +
        " stored profiles with key " + secrets->key.id() + " and compacted the store");
  }
  catalog_->SetSecretKey(std::make_shared<const SecretKey>(std::move(secrets->key)));
  if (Status s = catalog_->Refresh(store_); !s.ok()) {
    Error e = s.error();
    e.message = "store: " + e.message;
    return e;
  }
  for (const std::string& problem : catalog_->Problems()) Log("serve: profile " + problem);

  // SCIM endpoints: one per tenant with a scim profile. Two in the config file for one
  // tenant is a configuration error; stored ones follow the catalog (ScimTenants).
  std::map<std::string, std::string> seen;
  for (const auto& profile : catalog_->List("")) {
    if (profile->source.type() != "scim" || !catalog_->FromConfig(profile->tenant, profile->name))
      continue;
    auto [it, fresh] = seen.emplace(profile->tenant, profile->name);
    if (!fresh) {
      return Error::Invalid("tenant " + profile->tenant +
                            " has more than one profile with source.type scim (" + it->second +
                            ", " + profile->name + "): SCIM pushes need exactly one");
    }
  }

  // Jobs: scheduled and requested syncs, claimed from the store by this process's workers
  // and by those of any other `serve` on the same store.
  WorkerOptions worker_options;
  worker_options.name = options_.worker_name;
  worker_options.threads = options_.workers;
  worker_options.lease_seconds = options_.lease_seconds;
  worker_options.per_tenant_cap = options_.tenant_cap;
  worker_options.clock = options_.clock;
  worker_options.open_store = open_store_;
  worker_options.catalog = catalog_.get();
  worker_options.base_dir = options_.base_dir;
  worker_options.log = options_.log;
  workers_ = std::make_unique<WorkerPool>(worker_options);
  ScheduleLoopOptions schedule_options;
  schedule_options.clock = options_.clock;
  schedule_options.open_store = open_store_;
  schedule_options.catalog = catalog_.get();
  WorkerPool* workers = workers_.get();
  schedule_options.on_enqueued = [workers] { workers->Wake(); };
  schedule_options.log = options_.log;
  schedule_ = std::make_unique<ScheduleLoop>(schedule_options);
  if (Status s = schedule_->Start(); !s.ok()) Log("serve: schedules: " + s.error().ToString());
  if (options_.workers > 0) workers_->Start();
  Log("serve: worker " + options_.worker_name + " runs " + std::to_string(options_.workers) +
      " job thread(s), lease " + std::to_string(options_.lease_seconds) + " s");
  if (options_.worker_only) return Ok();

  scim::ScimTenantsOptions tenants_options;
  tenants_options.store_spec = store_spec;
  tenants_options.clock = options_.clock;
  tenants_options.log = options_.log;
  scim_tenants_ = std::make_unique<scim::ScimTenants>(store_, *catalog_, tenants_options);
  for (const TenantInfo& t : catalog_->Tenants()) {
    if (auto profile = scim_tenants_->ProfileOf(t.name)) {
      scim_at_start_.emplace_back(t.name, profile->name);
      // The endpoint and its applier now, not at the first request: the applier's first
      // pass applies what a previous process acknowledged and did not apply.
      (void)scim_tenants_->Get(t.name);
    }
  }
  // One authentication for SCIM and the REST API: a token revoked over the API is refused
  // by both at once.
  auth_ = std::make_shared<TokenAuth>(store_);
  const double burst = std::max(1.0, options_.rate_limit * 2);
  scim::ScimEndpointOptions endpoint_options;
  endpoint_options.auth = auth_;
  endpoint_options.rate_per_second = options_.rate_limit;
  endpoint_options.burst = burst;
  endpoint_ = std::make_unique<scim::ScimEndpoint>(store_, endpoint_options);
  scim::ScimTenants* tenants = scim_tenants_.get();
  endpoint_->SetResolver([tenants](const std::string& tenant) { return tenants->Get(tenant); });

  // The REST API (/api/v1): its runs open their own store connections.
  api::RestApiOptions api_options;
  api_options.catalog = catalog_.get();
  api_options.auth = auth_;
  api_options.base_dir = options_.base_dir;
  api_options.open_store = open_store_;
  api_options.on_job_queued = [workers] { workers->Wake(); };
  ScheduleLoop* schedule = schedule_.get();
  api_options.on_profiles_changed = [schedule] { schedule->Reload(); };
  api_options.clock = options_.clock;
  api_options.rate_per_second = options_.rate_limit;
  api_options.burst = burst;
  rest_api_ = std::make_unique<api::RestApi>(store_, api_options);

  server_ = std::make_unique<http::HttpServer>(options_.http);
  server_->Route("GET", "/healthz",
                 [](http::Request&) { return http::Response::Json(200, R"({"status":"ok"})"); });
  ops::OpsOptions ops_options;  // GET /metrics, GET /readyz (README "Operations")
  Store* store = &store_;
  ops_options.store_check = ops::MakeStoreCheck(store_spec, [store]() -> Status {
    auto cursor = store->GetCursor("", "");  // a trivial read
    return cursor.ok() ? Ok() : Status(cursor.error());
  });
  std::atomic<bool>* stopping = &stopping_;
  ops_options.shutting_down = [stopping] { return stopping->load(); };
  ops_options.is_scim_tenant = [tenants](std::string_view tenant) { return tenants->Has(tenant); };
  // The targets' lag, deliveries and failures, from the store at each scrape (issue 17).
  ops::RegisterTargetMetrics();
  std::vector<std::pair<std::string, std::vector<TargetConfig>>> targets;
  for (const Tenant& t : config_.tenants) {
    if (!t.targets.empty()) targets.emplace_back(t.name, t.targets);
  }
  ops_options.before_scrape = [store, targets, this] {
    if (Status s = ops::RefreshTargetMetrics(*store, targets); !s.ok())
      Log("metrics: targets: " + s.error().message);
  };
  ops::RegisterOpsRoutes(*server_, std::move(ops_options));
  // The desk phones' company phonebook (issue 17 §4), behind its own per-tenant token.
  phonebook::PhonebookOptions phonebook_options;
  phonebook_options.scheme = options_.http.tls_cert.empty() ? "http" : "https";
  phonebook::RegisterPhonebookRoutes(*server_, store_, phonebook_options);
  endpoint_->Register(*server_);
  rest_api_->Register(*server_);
  web::RegisterWebRoutes(*server_);  // the admin page at / (issue 19), over /api/v1
  return Ok();
}

Result<int> Service::Bind() {
  if (!server_) return Error::Internal("service: a worker node serves no HTTP");
  return server_->Bind();
}

Status Service::Serve() {
  if (!server_) return Error::Internal("service: a worker node serves no HTTP");
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    if (shut_down_) return Ok();  // stopped before it started
    serving_ = true;
  }
  Status served = server_->Serve();
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    serving_ = false;
  }
  scim_tenants_->StopAll();  // apply what was pushed
  schedule_->Stop();
  workers_->Stop();  // finish the runs in progress; queued jobs wait for the next start
  return served;
}

void Service::RunWorkers() {
  {
    std::unique_lock<std::mutex> lock(stop_mutex_);
    stop_cv_.wait(lock, [this] { return shut_down_; });
  }
  Log("serve: finishing the jobs in progress");
  schedule_->Stop();
  workers_->Stop();
}

void Service::Stop() {
  stopping_ = true;
  std::lock_guard<std::mutex> lock(stop_mutex_);
  shut_down_ = true;
  stop_cv_.notify_all();
  if (serving_ && server_) server_->Shutdown();
}

}  // namespace telsync
