// telsync serve: the HTTP service. Serves /healthz, the REST API at /api/v1
// (server/api/rest_api.h) and, for every tenant with a profile
// whose source.type is scim, the SCIM 2.0 endpoints at /scim/v2/<tenant>/ (Entra ID
// provisioning). SIGTERM / SIGINT stop accepting, finish requests in flight, apply what
// SCIM requests changed, and exit 0.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <mutex>

#include "cli/context.h"
#include "server/http/signals.h"
#include "server/service.h"
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

void Serve(Context& ctx, const ServeOptions& o) {
  if (Status s = ConfigureLogging(o.log_format, o.log_level); !s.ok())
    throw Exit{kExitUsage, s.error().ToString()};
  // Before any thread starts: the signal mask is inherited. A signal before the service
  // exists is kept and given to it once it does.
  std::mutex service_mutex;
  Service* running = nullptr;
  bool signalled = false;
  http::SignalWatcher watcher([&](int) {
    Log("serve: signal received, shutting down");
    std::lock_guard<std::mutex> lock(service_mutex);
    signalled = true;
    if (running != nullptr) running->Stop();
  });

  const Config& config = ctx.LoadConfig();
  const size_t colon = o.listen.rfind(':');
  if (colon == std::string::npos)
    throw Exit{kExitUsage, "--listen must be HOST:PORT, got " + o.listen};
  ServiceOptions options;
  options.http.host = o.listen.substr(0, colon);
  if (options.http.host.size() > 2 && options.http.host.front() == '[')
    options.http.host = options.http.host.substr(1, options.http.host.size() - 2);
  try {
    options.http.port = std::stoi(o.listen.substr(colon + 1));
  } catch (const std::exception&) {
    throw Exit{kExitUsage, "--listen must be HOST:PORT, got " + o.listen};
  }
  options.http.tls_cert = o.tls_cert;
  options.http.tls_key = o.tls_key;
  options.http.max_body = o.max_body;
  options.http.threads = o.threads;
  options.rate_limit = o.rate_limit;
  options.workers = o.workers;
  options.worker_only = o.worker_only;
  options.lease_seconds = o.lease_seconds;
  options.tenant_cap = o.tenant_cap;
  options.worker_name = WorkerName();
  options.base_dir = ctx.BaseDir();
  options.secret_key_path = ctx.SecretKeyPath();
  options.clock = [&ctx] { return ctx.Now(); };
  options.log = [](const std::string& line) { Log(line); };

  auto started = Service::Start(config, ctx.OpenStore(), options);
  if (!started.ok()) {
    throw Exit{ExitCodeOf(started.error().code), started.error().message};
  }
  std::unique_ptr<Service> service = std::move(started).value();
  {
    std::lock_guard<std::mutex> lock(service_mutex);
    running = service.get();
    if (signalled) service->Stop();
  }
  struct Detach {  // the watcher never calls a service that is gone
    std::mutex& m;
    Service*& r;
    ~Detach() {
      std::lock_guard<std::mutex> lock(m);
      r = nullptr;
    }
  } detach{service_mutex, running};

  if (o.worker_only) {
    // A worker node: no HTTP; runs until SIGTERM, then finishes the jobs in progress.
    std::cout << "worker " << options.worker_name << " running" << std::endl;
    service->RunWorkers();
    Log("serve: stopped");
    return;
  }
  auto port = service->Bind();
  if (!port.ok()) throw Exit{ExitCodeOf(port.error().code), port.error().message};
  const std::string scheme = o.tls_cert.empty() ? "http" : "https";
  const std::string base = scheme + "://" + options.http.host + ":" + std::to_string(*port);
  // Tests and scripts read the port from this line (--listen HOST:0 picks a free one).
  std::cout << "listening on " << base << std::endl;
  for (const auto& [tenant, profile] : service->ScimAtStart()) {
    Log("serve: SCIM tenant URL " + base + "/scim/v2/" + tenant + " (profile " + profile + ")");
  }
  Log("serve: REST API " + base +
      "/api/v1 (OpenAPI: /api/v1/openapi.json; tokens: telsync admin token create TENANT)");
  if (service->ScimAtStart().empty()) Log("serve: no profile has source.type scim yet");
  Status served = service->Serve();
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
