// telsync targets list | status | publish [--full] [--dry-run] | retry (issue 17), and
// telsync users sip-credentials NAME --reset: the systems the PBX directory is published
// to, and the SIP passwords of its users.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "secrets/store_secrets.h"
#include "targets/publisher.h"
#include "targets/sip_credentials.h"
#include "util/json_out.h"

namespace telsync::cli {
namespace {

const std::vector<TargetConfig>& TenantTargets(Context& ctx, const std::string& tenant) {
  const Tenant* t = ctx.LoadConfig().FindTenant(tenant);
  static const std::vector<TargetConfig> kNone;
  return t == nullptr ? kNone : t->targets;
}

// The store's secret key, made beside the store when the store records none yet (as
// `serve` does): SIP passwords are sealed with it.
SecretKey StoreKey(Context& ctx) {
  auto prepared = PrepareServiceSecrets(ctx.OpenStore(), ctx.SecretKeyPath(), ctx.Now());
  if (!prepared.ok()) throw Exit{kExitFailed, prepared.error().ToString()};
  if (prepared->created && !ctx.quiet) {
    std::cerr << "telsync: created the secret key file " << ctx.SecretKeyPath()
              << " (it seals SIP passwords; back it up)\n";
  }
  return prepared->key;
}

std::unique_ptr<Target> Make(Context& ctx, const TargetConfig& config, const std::string& tenant,
                             const SecretKey& key) {
  auto target = MakeTarget(config, tenant, ctx.OpenStore(), key);
  if (!target.ok()) throw Exit{kExitUsage, target.error().ToString()};
  return std::move(*target);
}

std::string Lag(const PublishReport& r) {
  return std::to_string(r.pending) + (r.pending == 1 ? " event" : " events");
}

void PrintReport(const PublishReport& r, bool dry_run) {
  if (r.reconciled) {
    std::cout << r.target << ": full reconcile" << (dry_run ? " (dry run: nothing written)" : "")
              << ", " << r.reconcile.steps.size() << " step"
              << (r.reconcile.steps.size() == 1 ? "" : "s") << "\n";
    for (const ReconcileStep& s : r.reconcile.steps) {
      std::cout << "  " << s.action << " " << s.type << " " << s.key
                << (s.detail.empty() ? "" : "  (" + s.detail + ")") << "\n";
    }
  }
  if (dry_run) return;
  std::cout << r.target << ": delivered " << r.delivered << ", dead " << r.dead << ", waiting "
            << Lag(r);
  if (r.backing_off)
    std::cout << " (backing off until " << TableTime(r.cursor.next_attempt_at) << ")";
  std::cout << "\n";
  if (!r.error.empty()) std::cout << r.target << ": " << r.error << "\n";
}

}  // namespace

void PublishAfterSync(Context& ctx, const std::string& tenant) {
  // Never fails the sync and never waits for a target (the events stay in the outbox).
  try {
    const std::vector<TargetConfig>& targets = TenantTargets(ctx, tenant);
    Store& store = ctx.OpenStore();
    if (!targets.empty()) {
      const SecretKey key = StoreKey(ctx);
      for (const TargetConfig& config : targets) {
        auto target = Make(ctx, config, tenant, key);
        PublishOptions options;
        options.now = ctx.Now();
        auto report = PublishTarget(store, *target, tenant, options);
        if (!report.ok()) {
          std::cerr << "telsync: target " << config.name << ": " << report.error().ToString()
                    << "\n";
          continue;
        }
        if (!report->error.empty()) {
          std::cerr << "telsync: target " << config.name << " is behind by " << Lag(*report) << ": "
                    << report->error << " (`telsync targets status`)\n";
        } else if (!ctx.quiet && (report->delivered > 0 || report->dead > 0)) {
          std::cerr << "telsync: target " << config.name << ": delivered " << report->delivered
                    << (report->dead > 0 ? ", dead " + std::to_string(report->dead) : "") << "\n";
        }
      }
    }
    if (auto compacted = CompactDeliveredEvents(store, tenant, targets); !compacted.ok()) {
      std::cerr << "telsync: outbox: " << compacted.error().ToString() << "\n";
    }
  } catch (const Exit& e) {
    std::cerr << "telsync: targets: " << e.message << "\n";
  }
}

void AddTargetsCommand(CLI::App& app, Context& ctx) {
  auto* cmd =
      app.add_subcommand("targets", "the systems the PBX directory is published to (Kamailio)");
  cmd->require_subcommand(1);

  static std::string format = "table";
  auto* list = cmd->add_subcommand("list", "the tenant's targets, as configured");
  list->add_option("-f,--format", format, "table | json")->check(CLI::IsMember({"table", "json"}));
  list->callback([&ctx]() {
    const std::string tenant = ctx.SelectTenant();
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const TargetConfig& t : TenantTargets(ctx, tenant)) {
      arr.push_back({{"name", t.name},
                     {"type", t.type},
                     {"db", RedactStoreSpec(t.db)},
                     {"domain", t.domain},
                     {"render_phone", t.phone_render == PhoneRender::kE164 ? "e164" : "digits"},
                     {"disabled_sip", t.disabled_sip == DisabledSip::kBlock ? "block" : "keep"}});
    }
    if (format == "json") {
      std::cout << DumpJson(arr, 2) << "\n";
      return;
    }
    if (arr.empty()) std::cout << "no targets configured for tenant " << tenant << "\n";
    for (const auto& t : arr) {
      std::cout << t["name"].get<std::string>() << "  " << t["type"].get<std::string>() << "  "
                << t["db"].get<std::string>() << "  domain " << t["domain"].get<std::string>()
                << "\n";
    }
  });

  auto* status =
      cmd->add_subcommand("status", "each target's cursor, lag, last error, dead events");
  status->add_option("-f,--format", format, "table | json")
      ->check(CLI::IsMember({"table", "json"}));
  status->callback([&ctx]() {
    const std::string tenant = ctx.SelectTenant();
    Store& store = ctx.OpenStore();
    auto last = store.LastOutboxSeq(tenant);
    if (!last.ok()) throw Exit{kExitFailed, last.error().ToString()};
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const TargetConfig& t : TenantTargets(ctx, tenant)) {
      auto cursor = store.GetTargetCursor(tenant, t.name);
      if (!cursor.ok()) throw Exit{kExitFailed, cursor.error().ToString()};
      const TargetCursor c = cursor->value_or(TargetCursor{});
      auto lag = store.CountOutbox(tenant, c.last_seq);
      if (!lag.ok()) throw Exit{kExitFailed, lag.error().ToString()};
      auto dead = store.ListDeadEvents(tenant, t.name);
      if (!dead.ok()) throw Exit{kExitFailed, dead.error().ToString()};
      nlohmann::ordered_json dead_list = nlohmann::ordered_json::array();
      for (const DeadEvent& d : *dead) {
        dead_list.push_back({{"seq", d.event.seq},
                             {"kind", d.event.kind},
                             {"object", d.event.object_key},
                             {"error", d.error},
                             {"dead_at", d.dead_at}});
      }
      arr.push_back({{"name", t.name},
                     {"type", t.type},
                     {"published", cursor->has_value()},
                     {"cursor", c.last_seq},
                     {"newest", *last},
                     {"lag", *lag},
                     {"delivered", c.delivered},
                     {"attempts", c.attempts},
                     {"failing_since", c.failing_since},
                     {"next_attempt_at", c.next_attempt_at},
                     {"last_error", c.last_error},
                     {"last_success_at", c.last_success_at},
                     {"dead", dead_list}});
    }
    if (format == "json") {
      std::cout << DumpJson(arr, 2) << "\n";
      return;
    }
    if (arr.empty()) std::cout << "no targets configured for tenant " << tenant << "\n";
    for (const auto& t : arr) {
      std::cout << t["name"].get<std::string>() << " (" << t["type"].get<std::string>() << ")\n";
      if (!t["published"].get<bool>()) {
        std::cout << "  never published: the next publish starts with a full reconcile\n";
        continue;
      }
      std::cout << "  cursor:       " << t["cursor"].get<int64_t>() << " of "
                << t["newest"].get<int64_t>() << "\n"
                << "  lag:          " << t["lag"].get<int64_t>() << " events waiting\n"
                << "  delivered:    " << t["delivered"].get<int64_t>() << "\n"
                << "  last success: " << TableTime(t["last_success_at"].get<int64_t>()) << "\n";
      const std::string error = t["last_error"].get<std::string>();
      std::cout << "  last error:   " << (error.empty() ? "-" : error) << "\n";
      if (t["attempts"].get<int>() > 0) {
        std::cout << "  failing:      " << t["attempts"].get<int>() << " attempts since "
                  << TableTime(t["failing_since"].get<int64_t>()) << ", next at "
                  << TableTime(t["next_attempt_at"].get<int64_t>()) << "\n";
      }
      std::cout << "  dead events:  " << t["dead"].size() << "\n";
      for (const auto& d : t["dead"]) {
        std::cout << "    #" << d["seq"].get<int64_t>() << " " << d["kind"].get<std::string>()
                  << " " << d["object"].get<std::string>() << ": " << d["error"].get<std::string>()
                  << "\n";
      }
    }
  });

  static bool full = false;
  static bool dry_run = false;
  static std::string only;
  auto* publish = cmd->add_subcommand("publish", "deliver waiting events now");
  publish->add_flag("--full", full, "first compare each target with the PBX directory and repair");
  publish->add_flag("--dry-run", dry_run, "with --full: show the repair plan, write nothing");
  publish->add_option("--target", only, "only this target");
  publish->callback([&ctx]() {
    if (dry_run && !full) throw Exit{kExitUsage, "--dry-run needs --full"};
    const std::string tenant = ctx.SelectTenant();
    const std::vector<TargetConfig>& targets = TenantTargets(ctx, tenant);
    if (targets.empty()) throw Exit{kExitUsage, "no targets configured for tenant " + tenant};
    const SecretKey key = StoreKey(ctx);
    bool failed = false;
    bool found = false;
    for (const TargetConfig& config : targets) {
      if (!only.empty() && config.name != only) continue;
      found = true;
      auto target = Make(ctx, config, tenant, key);
      PublishOptions options;
      options.now = ctx.Now();
      options.full = full;
      options.dry_run = dry_run;
      options.ignore_backoff = true;
      auto report = PublishTarget(ctx.OpenStore(), *target, tenant, options);
      if (!report.ok()) throw Exit{kExitFailed, report.error().ToString()};
      PrintReport(*report, dry_run);
      failed = failed || !report->error.empty();
    }
    if (!found) throw Exit{kExitUsage, "no target " + only + " in tenant " + tenant};
    if (!dry_run) {
      if (auto c = CompactDeliveredEvents(ctx.OpenStore(), tenant, targets); !c.ok()) {
        throw Exit{kExitFailed, c.error().ToString()};
      }
    }
    if (failed) throw Exit{kExitFailed, ""};
  });

  static std::string retry_target;
  auto* retry = cmd->add_subcommand("retry", "re-send dead events that are still current");
  retry->add_option("--target", retry_target, "only this target");
  retry->callback([&ctx]() {
    const std::string tenant = ctx.SelectTenant();
    const SecretKey key = StoreKey(ctx);
    bool failed = false;
    for (const TargetConfig& config : TenantTargets(ctx, tenant)) {
      if (!retry_target.empty() && config.name != retry_target) continue;
      auto target = Make(ctx, config, tenant, key);
      auto r = RetryDeadEvents(ctx.OpenStore(), *target, tenant, ctx.Now());
      if (!r.ok()) throw Exit{kExitFailed, r.error().ToString()};
      std::cout << config.name << ": delivered " << r->delivered << ", superseded " << r->superseded
                << ", still dead " << r->still_dead << "\n";
      if (!r->error.empty()) std::cout << config.name << ": " << r->error << "\n";
      failed = failed || r->still_dead > 0;
    }
    if (failed) throw Exit{kExitFailed, ""};
  });

  // users sip-credentials NAME --reset
  static std::string sip_user;
  static bool reset = false;
  CLI::App* users = app.get_subcommand("users");
  auto* sip = users->add_subcommand("sip-credentials",
                                    "a user's SIP password: made new and shown once (--reset)");
  sip->add_option("name", sip_user, "username or e-mail")->required();
  sip->add_flag("--reset", reset,
                "make a new password and show it (the old one stops working "
                "at the next publish)");
  sip->callback([&ctx]() {
    if (!reset) {
      throw Exit{kExitUsage,
                 "a SIP password is shown only when it is made: use --reset (then publish)"};
    }
    const std::string tenant = ctx.SelectTenant();
    auto found = ctx.OpenStore().FindUser(tenant, sip_user);
    if (!found.ok()) throw Exit{kExitFailed, found.error().ToString()};
    if (!found->has_value()) throw Exit{kExitUsage, "no user " + sip_user + " in tenant " + tenant};
    const PbxUser& user = **found;
    const SecretKey key = StoreKey(ctx);
    auto password = ResetSipPassword(ctx.OpenStore(), key, tenant, user.id, ctx.Now());
    if (!password.ok()) throw Exit{kExitFailed, password.error().ToString()};
    // The targets hold digests of the old password until they are told.
    PublishOptions options;
    options.now = ctx.Now();
    options.full = true;
    for (const TargetConfig& config : TenantTargets(ctx, tenant)) {
      auto target = Make(ctx, config, tenant, key);
      auto report = PublishTarget(ctx.OpenStore(), *target, tenant, options);
      if (!report.ok() || !report->error.empty()) {
        std::cerr << "telsync: target " << config.name << " not updated yet: "
                  << (report.ok() ? report->error : report.error().ToString())
                  << " (run `telsync targets publish --full`)\n";
      }
    }
    std::cout << "username: " << user.fields.Get(Field::kUsername) << "\n"
              << "password: " << *password << "\n";
    for (const TargetConfig& config : TenantTargets(ctx, tenant)) {
      std::cout << "domain:   " << config.domain << " (target " << config.name << ")\n";
    }
  });
}

}  // namespace telsync::cli
