// telsync serve: the HTTP service. Serves /healthz, the REST API at /api/v1
// (server/api/rest_api.h) and, for every tenant with a profile
// whose source.type is scim, the SCIM 2.0 endpoints at /scim/v2/<tenant>/ (Entra ID
// provisioning). SIGTERM / SIGINT stop accepting, finish requests in flight, apply what
// SCIM requests changed, and exit 0.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>

#include "cli/context.h"
#include "mapping/user_mapping.h"
#include "schedule/catalog.h"
#include "schedule/schedule_loop.h"
#include "schedule/worker.h"
#include "secrets/store_secrets.h"
#include "server/api/rest_api.h"
#include "server/http/server.h"
#include "server/http/signals.h"
#include "server/ops/ops_routes.h"
#include "server/scim/applier.h"
#include "server/scim/routes.h"
#include "server/scim/service.h"
#include "util/log.h"

namespace telsync::cli {
namespace {

struct ServeOptions {
  std::string listen = "127.0.0.1:8443";
  std::string tls_cert;
  std::string tls_key;
  size_t max_body = 1 << 20;
  double rate_limit = 50;
  int threads = 32;
  size_t workers = 2;        // job-running threads in this process
  bool worker_only = false;  // --worker: run jobs and schedules, serve no HTTP
  int64_t lease_seconds = 60;
  size_t tenant_cap = 1;
  std::string log_format = "logfmt";  // --log-format logfmt | json (util/log.h)
  std::string log_level = "info";     // --log-level debug | info | warn | error
};

std::string WorkerName() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::string(host[0] != '\0' ? host : "telsync") + ":" + std::to_string(::getpid());
}

// One structured line per event on stderr (util/log.h: logfmt or JSON, thread-safe).
void Log(const std::string& line) { telsync::Log(LogLevel::kInfo, line); }

// One tenant's applier: plans and applies the ids the store holds as pending, on its own
// Store connection, and clears them once applied (issue 14 item 1: a write answered 201
// reaches the PBX directory even when this process dies before applying it). It keeps its
// profile alive: a profile replaced over the API retires the applier, whose last batch
// still runs with the profile it was made for.
std::shared_ptr<scim::MirrorApplier> MakeApplier(Context& ctx,
                                                 std::shared_ptr<const Profile> profile) {
  constexpr size_t kPage = 5000;  // ids per run
  auto store = std::make_shared<std::unique_ptr<Store>>();
  const std::string spec = ctx.config.store;
  Context* c = &ctx;
  return std::make_shared<scim::MirrorApplier>(
      [store, spec, profile, c]() -> scim::ApplyPass {
        const std::string who = "scim " + profile->tenant + "/" + profile->name;
        if (!*store) {
          auto opened = OpenStore(spec, StoreOpen::kMustExist);
          if (!opened.ok()) {
            Log(who + ": store: " + opened.error().message + " (retrying)");
            return scim::ApplyPass::kFailed;
          }
          *store = std::move(opened).value();
        }
        auto pending = (*store)->ListMirrorPending(profile->tenant, profile->name, kPage);
        if (!pending.ok()) {
          Log(who + ": store: " + pending.error().message + " (retrying)");
          store->reset();  // a fresh connection next time
          return scim::ApplyPass::kFailed;
        }
        if (pending->empty()) return scim::ApplyPass::kDone;
        std::vector<std::string> ids;
        std::vector<int64_t> seqs;
        for (const MirrorPending& p : *pending) {
          ids.push_back(p.id);
          seqs.push_back(p.seq);
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        EngineOptions options;
        options.kind = RunKind::kSync;
        options.trigger = "scim";
        options.now = c->Now();
        options.clock = [c] { return c->Now(); };
        options.threads = 1;
        auto outcome = SyncMirror(*profile, **store, ids, options);
        if (!outcome.ok()) {
          Log(who + ": run failed: " + outcome.error().ToString() + " (retrying)");
          store->reset();
          return scim::ApplyPass::kFailed;
        }
        if (Status s = (*store)->ClearMirrorPending(profile->tenant, profile->name, seqs);
            !s.ok()) {
          // Applied, not cleared: the next pass applies the same ids again (a no-op plan).
          Log(who + ": store: " + s.error().message + " (retrying)");
          store->reset();
          return scim::ApplyPass::kFailed;
        }
        Log(who + ": run " + std::to_string(outcome->run.id) + " for " +
            std::to_string(ids.size()) + " touched object(s), exit " +
            std::to_string(outcome->exit_code));
        return pending->size() == kPage ? scim::ApplyPass::kMore : scim::ApplyPass::kDone;
      },
      scim::MirrorApplierOptions{});
}

// The SCIM endpoints of the tenants, following the catalog: a SCIM profile created over
// the REST API (on this node or another: the schedule loop refreshes the catalog) gets
// its endpoint at its first request, a replaced one a new service, a deleted one none.
// A tenant's SCIM profile is its config file's, else its first stored one by name.
class ScimTenants {
 public:
  ScimTenants(Context& ctx, Store& store, std::mutex& store_mutex, const ProfileCatalog& catalog)
      : ctx_(ctx), store_(store), store_mutex_(store_mutex), catalog_(catalog) {}
  ~ScimTenants() { StopAll(); }

  std::shared_ptr<const Profile> ProfileOf(const std::string& tenant) const {
    std::shared_ptr<const Profile> first;
    for (const auto& p : catalog_.List(tenant)) {
      if (p->source.type != "scim") continue;
      if (catalog_.FromConfig(tenant, p->name)) return p;
      if (!first) first = p;
    }
    return first;
  }

  std::shared_ptr<scim::ScimService> Get(const std::string& tenant) {
    std::shared_ptr<const Profile> profile = ProfileOf(tenant);
    std::shared_ptr<scim::MirrorApplier> retired;
    std::shared_ptr<scim::ScimService> service;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(tenant);
      if (it != entries_.end() && it->second.profile == profile) return it->second.service;
      if (it != entries_.end()) {
        retired = std::move(it->second.applier);
        entries_.erase(it);
      }
      if (profile) {
        Entry entry;
        entry.profile = profile;
        entry.applier = MakeApplier(ctx_, profile);
        scim::ScimServiceOptions options;
        options.tenant = tenant;
        options.profile = profile->name;
        Context* c = &ctx_;
        options.clock = [c] { return c->Now(); };
        std::weak_ptr<scim::MirrorApplier> applier = entry.applier;
        options.on_touched = [applier](const std::vector<std::string>& ids) {
          if (auto a = applier.lock()) a->Touch(ids);
        };
        entry.service = std::make_shared<scim::ScimService>(store_, store_mutex_, options);
        service = entry.service;
        entries_[tenant] = std::move(entry);
        Log("serve: SCIM endpoint /scim/v2/" + tenant + " serves profile " + profile->name);
      }
    }
    if (retired) retired->Stop();  // applies what the old profile's endpoint took
    return service;
  }

  bool Has(std::string_view tenant) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.count(std::string(tenant)) != 0;
  }

  // Applies what was pushed, then stops every applier (shutdown).
  void StopAll() {
    std::map<std::string, Entry> entries;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      entries.swap(entries_);
    }
    for (auto& [tenant, entry] : entries) entry.applier->Stop();
  }

 private:
  struct Entry {
    std::shared_ptr<const Profile> profile;
    std::shared_ptr<scim::MirrorApplier> applier;
    std::shared_ptr<scim::ScimService> service;
  };
  Context& ctx_;
  Store& store_;
  std::mutex& store_mutex_;
  const ProfileCatalog& catalog_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

void Serve(Context& ctx, const ServeOptions& o) {
  if (Status s = ConfigureLogging(o.log_format, o.log_level); !s.ok())
    throw Exit{kExitUsage, s.error().ToString()};
  std::atomic<bool> stopping{false};  // /readyz answers 503 from the signal on
  // Before any thread starts: the signal mask is inherited.
  http::HttpServer* running = nullptr;
  std::mutex running_mutex;
  std::condition_variable stop_cv;
  bool stop = false;
  http::SignalWatcher watcher([&](int) {
    Log("serve: signal received, shutting down");
    stopping = true;
    std::lock_guard<std::mutex> lock(running_mutex);
    stop = true;
    stop_cv.notify_all();
    if (running != nullptr) running->Shutdown();
  });

  const Config& config = ctx.LoadConfig();
  const size_t colon = o.listen.rfind(':');
  if (colon == std::string::npos)
    throw Exit{kExitUsage, "--listen must be HOST:PORT, got " + o.listen};
  http::ServerOptions options;
  options.host = o.listen.substr(0, colon);
  if (options.host.size() > 2 && options.host.front() == '[')
    options.host = options.host.substr(1, options.host.size() - 2);
  try {
    options.port = std::stoi(o.listen.substr(colon + 1));
  } catch (const std::exception&) {
    throw Exit{kExitUsage, "--listen must be HOST:PORT, got " + o.listen};
  }
  options.tls_cert = o.tls_cert;
  options.tls_key = o.tls_key;
  options.max_body = o.max_body;
  options.threads = o.threads;

  Store& store = ctx.OpenStore();
  std::mutex store_mutex;
  const std::string store_spec = config.store;
  auto open_store = [store_spec] { return telsync::OpenStore(store_spec, StoreOpen::kMustExist); };

  // Profiles: the config file's and those created over the REST API (in the store).
  ProfileCatalog catalog(config,
                         [](const std::map<std::string, std::string>& mapping,
                            const std::string& source_type) -> std::string {
                           auto compiled = UserMapping::Compile(mapping, source_type);
                           return compiled.ok() ? std::string() : compiled.error().message;
                         });
  {
    // Secrets at rest: the store's key, made (where it is looked for) on the first serve of
    // a store that records none.
    const std::string key_path = ctx.SecretKeyPath();
    Result<ServiceSecrets> secrets = PrepareServiceSecrets(store, key_path, true, ctx.Now());
    if (!secrets.ok()) throw Exit{kExitUsage, "secrets: " + secrets.error().message};
    if (secrets->created) {
      Log("serve: created the secret key file " + key_path + " (key " + secrets->key.id() +
          ", mode 0600); keep it and back it up: without it the store's secrets cannot be read");
    }
    if (secrets->sealed > 0) {
      Log("serve: sealed the plain secrets of " + std::to_string(secrets->sealed) +
          " stored profiles with key " + secrets->key.id() + " and compacted the store");
    }
    catalog.SetSecretKey(std::make_shared<const SecretKey>(std::move(secrets->key)));
  }
  if (Status s = catalog.Refresh(store); !s.ok())
    throw Exit{kExitFailed, "store: " + s.error().message};
  for (const std::string& problem : catalog.Problems()) Log("serve: profile " + problem);

  // SCIM endpoints: one per tenant with a scim profile. Two in the config file for one
  // tenant is a configuration error; stored ones follow the catalog (ScimTenants).
  std::vector<std::pair<std::string, std::string>> scim_at_start;  // tenant, profile
  {
    std::map<std::string, std::string> seen;
    for (const auto& profile : catalog.List("")) {
      if (profile->source.type != "scim" || !catalog.FromConfig(profile->tenant, profile->name))
        continue;
      auto [it, fresh] = seen.emplace(profile->tenant, profile->name);
      if (!fresh) {
        throw Exit{kExitUsage, "tenant " + profile->tenant +
                                   " has more than one profile with source.type scim (" +
                                   it->second + ", " + profile->name +
                                   "): SCIM pushes need exactly one"};
      }
    }
  }

  // Jobs: scheduled and requested syncs, claimed from the store by this process's workers
  // and by those of any other `serve` on the same store.
  WorkerOptions worker_options;
  worker_options.name = WorkerName();
  worker_options.threads = o.workers;
  worker_options.lease_seconds = o.lease_seconds;
  worker_options.per_tenant_cap = o.tenant_cap;
  worker_options.clock = [&ctx] { return ctx.Now(); };
  worker_options.open_store = open_store;
  worker_options.catalog = &catalog;
  worker_options.base_dir = ctx.BaseDir();
  worker_options.log = [](const std::string& line) { Log(line); };
  WorkerPool workers(worker_options);
  ScheduleLoopOptions schedule_options;
  schedule_options.clock = [&ctx] { return ctx.Now(); };
  schedule_options.open_store = open_store;
  schedule_options.catalog = &catalog;
  schedule_options.on_enqueued = [&workers] { workers.Wake(); };
  schedule_options.log = [](const std::string& line) { Log(line); };
  ScheduleLoop schedule(schedule_options);
  if (Status s = schedule.Start(); !s.ok()) Log("serve: schedules: " + s.error().ToString());
  if (o.workers > 0) workers.Start();
  Log("serve: worker " + worker_options.name + " runs " + std::to_string(o.workers) +
      " job thread(s), lease " + std::to_string(o.lease_seconds) + " s");
  if (o.worker_only) {
    // A worker node: no HTTP; runs until SIGTERM, then finishes the jobs in progress.
    std::cout << "worker " << worker_options.name << " running" << std::endl;
    {
      std::unique_lock<std::mutex> lock(running_mutex);
      stop_cv.wait(lock, [&] { return stop; });
    }
    Log("serve: finishing the jobs in progress");
    schedule.Stop();
    workers.Stop();
    Log("serve: stopped");
    return;
  }
  ScimTenants scim_tenants(ctx, store, store_mutex, catalog);
  for (const TenantInfo& t : catalog.Tenants()) {
    if (auto profile = scim_tenants.ProfileOf(t.name)) {
      scim_at_start.emplace_back(t.name, profile->name);
      // The endpoint and its applier now, not at the first request: the applier's first
      // pass applies what a previous process acknowledged and did not apply.
      (void)scim_tenants.Get(t.name);
    }
  }
  // One authentication for SCIM and the REST API: a token revoked over the API is refused
  // by both at once.
  auto auth = std::make_shared<TokenAuth>(store, store_mutex);
  scim::ScimEndpointOptions endpoint_options;
  endpoint_options.auth = auth;
  endpoint_options.rate_per_second = o.rate_limit;
  endpoint_options.burst = std::max(1.0, o.rate_limit * 2);
  scim::ScimEndpoint endpoint(store, store_mutex, endpoint_options);
  endpoint.SetResolver(
      [&scim_tenants](const std::string& tenant) { return scim_tenants.Get(tenant); });

  // The REST API (/api/v1): its runs open their own store connections.
  api::RestApiOptions api_options;
  api_options.catalog = &catalog;
  api_options.auth = auth;
  api_options.base_dir = ctx.BaseDir();
  api_options.open_store = open_store;
  api_options.on_job_queued = [&workers] { workers.Wake(); };
  api_options.on_profiles_changed = [&schedule] { schedule.Reload(); };
  api_options.clock = [&ctx] { return ctx.Now(); };
  api_options.rate_per_second = o.rate_limit;
  api_options.burst = std::max(1.0, o.rate_limit * 2);
  api::RestApi rest_api(store, store_mutex, api_options);

  http::HttpServer server(options);
  server.Route("GET", "/healthz",
               [](http::Request&) { return http::Response::Json(200, R"({"status":"ok"})"); });
  ops::OpsOptions ops_options;  // GET /metrics, GET /readyz (README "Operations")
  ops_options.store_check = ops::MakeStoreCheck(store_spec, [&store, &store_mutex]() -> Status {
    std::lock_guard<std::mutex> lock(store_mutex);
    auto cursor = store.GetCursor("", "");  // a trivial read
    return cursor.ok() ? Ok() : Status(cursor.error());
  });
  ops_options.shutting_down = [&stopping] { return stopping.load(); };
  ops_options.is_scim_tenant = [&scim_tenants](std::string_view tenant) {
    return scim_tenants.Has(tenant);
  };
  ops::RegisterOpsRoutes(server, std::move(ops_options));
  endpoint.Register(server);
  rest_api.Register(server);
  auto port = server.Bind();
  if (!port.ok())
    throw Exit{port.error().code == ErrorCode::kInvalid ? kExitUsage : kExitFailed,
               port.error().message};
  {
    std::lock_guard<std::mutex> lock(running_mutex);
    running = &server;
  }
  const std::string scheme = options.tls_cert.empty() ? "http" : "https";
  // Tests and scripts read the port from this line (--listen HOST:0 picks a free one).
  std::cout << "listening on " << scheme << "://" << options.host << ":" << *port << std::endl;
  for (const auto& [tenant, profile] : scim_at_start) {
    Log("serve: SCIM tenant URL " + scheme + "://" + options.host + ":" + std::to_string(*port) +
        "/scim/v2/" + tenant + " (profile " + profile + ")");
  }
  Log("serve: REST API " + scheme + "://" + options.host + ":" + std::to_string(*port) +
      "/api/v1 (OpenAPI: /api/v1/openapi.json; tokens: telsync admin token create TENANT)");
  if (scim_at_start.empty()) Log("serve: no profile has source.type scim yet");
  auto served = server.Serve();
  {
    std::lock_guard<std::mutex> lock(running_mutex);
    running = nullptr;
  }
  scim_tenants.StopAll();  // apply what was pushed
  schedule.Stop();
  workers.Stop();  // finish the runs in progress; queued jobs wait for the next start
  if (!served.ok()) throw Exit{kExitFailed, served.error().message};
  Log("serve: stopped");
}

}  // namespace

void AddServeCommand(CLI::App& app, Context& ctx) {
  static ServeOptions o;
  auto* serve = app.add_subcommand(
      "serve", "run the HTTP service (REST API at /api/v1, SCIM endpoints for Entra ID)");
  serve->add_option("--listen", o.listen,
                    "HOST:PORT to listen on (default 127.0.0.1:8443; port 0 = any free)");
  serve->add_option("--tls-cert", o.tls_cert, "PEM certificate file (with --tls-key: HTTPS)");
  serve->add_option("--tls-key", o.tls_key, "PEM private key file");
  serve->add_option("--max-body", o.max_body, "largest request body in bytes (default 1048576)");
  serve->add_option("--rate-limit", o.rate_limit,
                    "SCIM and REST API requests per second per tenant (default 50; 0 = none)");
  serve->add_option("--threads", o.threads, "HTTP threads (default 32)");
  serve->add_option("--workers", o.workers,
                    "threads that run sync jobs (default 2; 0 = this process runs none)");
  serve->add_flag("--worker", o.worker_only,
                  "a worker node: run jobs and schedules only, no HTTP listener");
  serve
      ->add_option("--lease-seconds", o.lease_seconds,
                   "a job's lease: another worker takes it over this long after its worker "
                   "stopped (default 60)")
      ->check(CLI::Range(3, 3600));
  serve->add_option("--tenant-cap", o.tenant_cap,
                    "running jobs per tenant over all workers (default 1; 0 = no cap)");
  serve->add_option("--log-format", o.log_format,
                    "stderr log lines: logfmt (default) or json (one object per line)");
  serve->add_option("--log-level", o.log_level,
                    "least level logged: debug, info (default), "
                    "warn or error");
  serve->callback([&ctx]() { Serve(ctx, o); });
}

}  // namespace telsync::cli
