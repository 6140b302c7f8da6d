// telsync serve: the HTTP service. Serves /healthz, the REST API at /api/v1
// (server/api/rest_api.h) and, for every tenant with a profile
// whose source.type is scim, the SCIM 2.0 endpoints at /scim/v2/<tenant>/ (Entra ID
// provisioning). SIGTERM / SIGINT stop accepting, finish requests in flight, apply what
// SCIM requests changed, and exit 0.
#include <iostream>
#include <map>
#include <mutex>

#include "cli/context.h"
#include "server/api/rest_api.h"
#include "server/http/server.h"
#include "server/http/signals.h"
#include "server/scim/applier.h"
#include "server/scim/routes.h"
#include "server/scim/service.h"

namespace telsync::cli {
namespace {

struct ServeOptions {
  std::string listen = "127.0.0.1:8443";
  std::string tls_cert;
  std::string tls_key;
  size_t max_body = 1 << 20;
  double rate_limit = 50;
  int threads = 32;
};

void Log(const std::string& line) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  std::cerr << line << std::endl;
}

// One tenant's applier: plans and applies touched ids on its own Store connection.
std::unique_ptr<scim::MirrorApplier> MakeApplier(Context& ctx, const Profile& profile) {
  auto store = std::make_shared<std::unique_ptr<Store>>();
  const std::string spec = ctx.config.store;
  Context* c = &ctx;
  return std::make_unique<scim::MirrorApplier>(
      [store, spec, &profile, c](const std::vector<std::string>& ids) {
        if (!*store) {
          auto opened = OpenStore(spec);
          if (!opened.ok()) {
            Log("scim " + profile.tenant + "/" + profile.name +
                ": store: " + opened.error().message);
            return;
          }
          *store = std::move(opened).value();
        }
        EngineOptions options;
        options.kind = RunKind::kSync;
        options.trigger = "scim";
        options.now = c->Now();
        options.clock = [c] { return c->Now(); };
        options.threads = 1;
        auto outcome = SyncMirror(profile, **store, ids, options);
        if (!outcome.ok()) {
          Log("scim " + profile.tenant + "/" + profile.name +
              ": run failed: " + outcome.error().ToString());
          return;
        }
        Log("scim " + profile.tenant + "/" + profile.name + ": run " +
            std::to_string(outcome->run.id) + " for " + std::to_string(ids.size()) +
            " touched object(s), exit " + std::to_string(outcome->exit_code));
      },
      std::chrono::milliseconds(200));
}

void Serve(Context& ctx, const ServeOptions& o) {
  // Before any thread starts: the signal mask is inherited.
  http::HttpServer* running = nullptr;
  std::mutex running_mutex;
  http::SignalWatcher watcher([&](int) {
    Log("serve: signal received, shutting down");
    std::lock_guard<std::mutex> lock(running_mutex);
    if (running != nullptr) running->Shutdown();
  });

  const Config& config = ctx.LoadConfig();
  std::map<std::string, const Profile*> scim_profiles;
  for (const Tenant& tenant : config.tenants) {
    for (const Profile& profile : tenant.profiles) {
      if (profile.source.type != "scim") continue;
      if (scim_profiles.count(tenant.name) != 0) {
        throw Exit{kExitUsage, "tenant " + tenant.name +
                                   " has more than one profile with source.type scim (" +
                                   scim_profiles[tenant.name]->name + ", " + profile.name +
                                   "): SCIM pushes need exactly one"};
      }
      scim_profiles[tenant.name] = &profile;
    }
  }
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
  std::map<std::string, std::unique_ptr<scim::MirrorApplier>> appliers;
  scim::ScimEndpointOptions endpoint_options;
  endpoint_options.rate_per_second = o.rate_limit;
  endpoint_options.burst = std::max(1.0, o.rate_limit * 2);
  scim::ScimEndpoint endpoint(store, store_mutex, endpoint_options);
  for (const auto& [tenant, profile] : scim_profiles) {
    appliers[tenant] = MakeApplier(ctx, *profile);
    scim::ScimServiceOptions service_options;
    service_options.tenant = tenant;
    service_options.profile = profile->name;
    service_options.clock = [&ctx] { return ctx.Now(); };
    scim::MirrorApplier* applier = appliers[tenant].get();
    service_options.on_touched = [applier](const std::vector<std::string>& ids) {
      applier->Touch(ids);
    };
    endpoint.AddTenant(tenant,
                       std::make_unique<scim::ScimService>(store, store_mutex, service_options));
  }

  // The REST API (/api/v1): its runs open their own store connections.
  api::RestApiOptions api_options;
  api_options.config = &config;
  api_options.base_dir = ctx.BaseDir();
  const std::string store_spec = config.store;
  api_options.open_store = [store_spec] { return telsync::OpenStore(store_spec); };
  api_options.clock = [&ctx] { return ctx.Now(); };
  api_options.rate_per_second = o.rate_limit;
  api_options.burst = std::max(1.0, o.rate_limit * 2);
  api::RestApi rest_api(store, store_mutex, api_options);

  http::HttpServer server(options);
  server.Route("GET", "/healthz",
               [](http::Request&) { return http::Response::Json(200, R"({"status":"ok"})"); });
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
  for (const auto& [tenant, profile] : scim_profiles) {
    Log("serve: SCIM tenant URL " + scheme + "://" + options.host + ":" + std::to_string(*port) +
        "/scim/v2/" + tenant + " (profile " + profile->name + ")");
  }
  Log("serve: REST API " + scheme + "://" + options.host + ":" + std::to_string(*port) +
      "/api/v1 (OpenAPI: /api/v1/openapi.json; tokens: telsync admin token create TENANT)");
  if (scim_profiles.empty()) Log("serve: no profile has source.type scim");
  auto served = server.Serve();
  {
    std::lock_guard<std::mutex> lock(running_mutex);
    running = nullptr;
  }
  for (auto& [tenant, applier] : appliers) applier->Stop();  // apply what was pushed
  rest_api.Stop();                                           // let sync jobs finish their runs
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
  serve->add_option("--threads", o.threads, "worker threads (default 32)");
  serve->callback([&ctx]() { Serve(ctx, o); });
}

}  // namespace telsync::cli
