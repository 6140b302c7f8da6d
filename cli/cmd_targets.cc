// telsync targets list | status | publish [--full] [--dry-run] | retry (issue 17), and
// telsync users sip-credentials NAME --reset: the systems the PBX directory is published
// to, and the SIP passwords of its users.
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "admin/targets.h"
#include "admin/tokens.h"
#include "cli/context.h"
#include "notify/notifier.h"
#include "secrets/store_secrets.h"
#include "targets/publisher.h"
#include "targets/tenant_publish.h"
#include "util/json_out.h"

namespace telsync::cli {
namespace {

// A target URL as shown: no user:password, no query (a token may sit in either).
std::string RedactUrl(std::string url) {
  if (const size_t q = url.find_first_of("?#"); q != std::string::npos) url.resize(q);
  const size_t scheme = url.find("://");
  const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t at = url.find('@', start);
  if (at != std::string::npos && at < url.find('/', start)) url.erase(start, at + 1 - start);
  return url;
}

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

// A publish with more steps than this lists only its conflicts and deletions.
constexpr size_t kListedSteps = 200;

std::string Lag(const PublishReport& r) {
  return std::to_string(r.pending) + (r.pending == 1 ? " event" : " events");
}

void PrintReport(const PublishReport& r, bool dry_run) {
  if (r.reconciled) {
    const std::vector<ReconcileStep>& steps = r.reconcile.steps;
    std::map<std::string, size_t> by_action;  // "create subscriber" -> count
    for (const ReconcileStep& s : steps) ++by_action[s.action + " " + s.type];
    std::cout << r.target << ": full reconcile" << (dry_run ? " (dry run: nothing written)" : "")
              << ", " << steps.size() << " step" << (steps.size() == 1 ? "" : "s");
    std::string counts;
    for (const auto& [what, n] : by_action) {
      counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + what;
    }
    std::cout << (counts.empty() ? "" : ": " + counts) << "\n";
    // A dry run lists its plan in full. A publish that wrote many objects lists only what
    // needs a look (conflicts and deletions), not one line per user created.
    const bool every = dry_run || steps.size() <= kListedSteps;
    size_t unlisted = 0;
    for (const ReconcileStep& s : steps) {
      if (!every && s.action != "conflict" && s.action != "delete") {
        ++unlisted;
        continue;
      }
      std::cout << "  " << s.action << " " << s.type << " " << s.key
                << (s.detail.empty() ? "" : "  (" + s.detail + ")") << "\n";
    }
    if (unlisted > 0) {
      std::cout
          << "  (" << unlisted << " creates, updates and adoptions not listed; "
          << "`targets publish --full --dry-run` lists every step before anything is written)\n";
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

std::shared_ptr<const SecretKey> LoadStoreKey(Context& ctx) {
  return std::make_shared<const SecretKey>(StoreKey(ctx));
}

void EnableWelcomeSipLogins(Context& ctx, const Profile& profile, Notifier& notifier) {
  if (!profile.notify.welcome || !profile.notify.welcome_sip_credentials) return;
  const std::vector<TargetConfig>& targets = TenantTargets(ctx, profile.tenant);
  const bool kamailio = std::any_of(targets.begin(), targets.end(),
                                    [](const TargetConfig& t) { return t.type == "kamailio"; });
  if (!kamailio) return;
  std::shared_ptr<const SecretKey> key = LoadStoreKey(ctx);
  notifier.SetSipLogins(StoredSipLogins(ctx.OpenStore(), key, profile.tenant, targets, ctx.Now()),
                        key);
}

void PublishAfterSync(Context& ctx, const std::string& tenant,
                      const std::function<void(const Progress&)>& on_progress) {
  // Never fails the sync and never waits for a target (the events stay in the outbox).
  try {
    const std::vector<TargetConfig>& targets = TenantTargets(ctx, tenant);
    Store& store = ctx.OpenStore();
    if (targets.empty()) {  // nothing reads the outbox: it is compacted, and no key is made
      if (auto compacted = CompactDeliveredEvents(store, tenant, targets); !compacted.ok()) {
        std::cerr << "telsync: outbox: " << compacted.error().ToString() << "\n";
      }
      return;
    }
    const SecretKey key = StoreKey(ctx);
    TenantPublishOptions options;
    options.now = ctx.Now();
    if (on_progress) {
      // Counted in events as the targets take each batch, of the events that waited.
      options.on_events = [&on_progress](int64_t done, int64_t total) {
        on_progress({"publish", static_cast<size_t>(done), static_cast<size_t>(total)});
      };
    }
    const TenantPublishReport published =
        PublishTenantTargets(store, tenant, targets, key, options);
    for (const TargetPublishOutcome& t : published.targets) {
      if (!t.error.empty()) {
        std::cerr << "telsync: target " << t.target << ": " << t.error << "\n";
      } else if (t.busy) {
        std::cerr << "telsync: target " << t.target << " is being published by another process ("
                  << t.busy_note << "): it delivers the new events\n";
      } else if (t.report && !t.report->error.empty() && t.report->cursor.last_success_at == 0) {
        std::cerr << "telsync: target " << t.target
                  << " is not published yet (its first publish reconciles every user): "
                  << t.report->error << " (`telsync targets status`)\n";
      } else if (t.report && !t.report->error.empty()) {
        std::cerr << "telsync: target " << t.target << " is behind by " << Lag(*t.report) << ": "
                  << t.report->error << " (`telsync targets status`)\n";
      } else if (t.report && !ctx.quiet && (t.report->delivered > 0 || t.report->dead > 0)) {
        std::cerr << "telsync: target " << t.target << ": delivered " << t.report->delivered
                  << (t.report->dead > 0 ? ", dead " + std::to_string(t.report->dead) : "") << "\n";
      }
    }
    if (!published.compact_error.empty()) {
      std::cerr << "telsync: outbox: " << published.compact_error << "\n";
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
      nlohmann::ordered_json j = {{"name", t.name}, {"type", t.type}};
      if (t.type == "kamailio") {
        j["db"] = RedactStoreSpec(t.db);
        j["domain"] = t.domain;
        j["disabled_sip"] = t.disabled_sip == DisabledSip::kBlock ? "block" : "keep";
      } else {
        j["url"] = RedactUrl(t.url);
      }
      j["render_phone"] = t.phone_render == PhoneRender::kE164 ? "e164" : "digits";
      j["rule"] = RuleText(t.rule);
      arr.push_back(std::move(j));
    }
    if (format == "json") {
      std::cout << DumpJson(arr, 2) << "\n";
      return;
    }
    if (arr.empty()) std::cout << "no targets configured for tenant " << tenant << "\n";
    for (const auto& t : arr) {
      std::cout << t["name"].get<std::string>() << "  " << t["type"].get<std::string>() << "  "
                << (t.contains("db")
                        ? t["db"].get<std::string>() + "  domain " + t["domain"].get<std::string>()
                        : t["url"].get<std::string>())
                << "  (" << t["rule"].get<std::string>() << ")\n";
    }
  });

  auto* status =
      cmd->add_subcommand("status", "each target's cursor, lag, last error, dead events");
  status->add_option("-f,--format", format, "table | json")
      ->check(CLI::IsMember({"table", "json"}));
  status->callback([&ctx]() {
    const std::string tenant = ctx.SelectTenant();
    auto statuses = admin::TargetStatuses(ctx.OpenStore(), tenant, TenantTargets(ctx, tenant));
    if (!statuses.ok()) throw Exit{kExitFailed, statuses.error().ToString()};
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const admin::TargetStatus& t : *statuses) {
      const TargetCursor& c = t.cursor;
      nlohmann::ordered_json dead_list = nlohmann::ordered_json::array();
      for (const DeadEvent& d : t.dead) dead_list.push_back(admin::DeadEventJson(d));
      arr.push_back({{"name", t.name},
                     {"type", t.type},
                     {"published", t.published},
                     {"cursor", c.last_seq},
                     {"newest", t.newest},
                     {"lag", t.lag},
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
      admin::PublishNowOptions options;
      options.now = ctx.Now();
      options.full = full;
      options.dry_run = dry_run;
      auto report = admin::PublishNow(ctx.OpenStore(), tenant, targets, config.name, key, options);
      if (!report.ok()) {
        throw Exit{report.error().code == ErrorCode::kInvalid ? kExitUsage : kExitFailed,
                   report.error().ToString()};
      }
      PrintReport(*report, dry_run);
      failed = failed || !report->error.empty();
    }
    if (!found) throw Exit{kExitUsage, "no target " + only + " in tenant " + tenant};
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
      auto r = admin::RetryTarget(ctx.OpenStore(), tenant, TenantTargets(ctx, tenant), config.name,
                                  key, ctx.Now());
      if (!r.ok()) throw Exit{kExitFailed, r.error().ToString()};
      std::cout << config.name << ": delivered " << r->delivered << ", superseded " << r->superseded
                << ", still dead " << r->still_dead << "\n";
      if (!r->error.empty()) std::cout << config.name << ": " << r->error << "\n";
      failed = failed || r->still_dead > 0;
    }
    if (failed) throw Exit{kExitFailed, ""};
  });

  // tenant phonebook-token TENANT: the desk phones' company phonebook (issue 17 §4)
  static std::string phonebook_tenant;
  static std::string phonebook_label;
  auto* phonebook = app.get_subcommand("tenant")->add_subcommand(
      "phonebook-token",
      "make a token for the tenant's phonebook at /phonebook/TENANT.xml and print it (once)");
  phonebook->add_option("TENANT", phonebook_tenant, "tenant name")->required();
  phonebook->add_option("--label", phonebook_label, "a note for the admin (which phones)");
  static bool phonebook_revoke = false;
  phonebook->add_flag("--revoke", phonebook_revoke,
                      "revoke every phonebook token of the tenant instead");
  phonebook->callback([&ctx]() {
    if (ctx.LoadConfig().FindTenant(phonebook_tenant) == nullptr) {
      auto stored = ctx.OpenStore().GetTenant(phonebook_tenant);
      if (!stored.ok()) throw Exit{kExitFailed, stored.error().ToString()};
      if (!stored->has_value())
        throw Exit{kExitUsage, "no tenant " + phonebook_tenant + " in the config or the store"};
    }
    if (phonebook_revoke) {
      Status revoked =
          admin::RevokeTokens(ctx.OpenStore(), phonebook_tenant, "phonebook", 0, ctx.Now());
      if (!revoked.ok()) throw Exit{ExitCodeOf(revoked.error().code), revoked.error().ToString()};
      std::cerr << "every phonebook token of tenant " << phonebook_tenant << " revoked\n";
      return;
    }
    auto minted = admin::MintToken(ctx.OpenStore(), phonebook_tenant, "phonebook", phonebook_label,
                                   ctx.Now());
    if (!minted.ok()) throw Exit{kExitFailed, minted.error().ToString()};
    std::cout << minted->secret << "\n";
    std::cerr << "phonebook token " << minted->token.id << " for tenant " << phonebook_tenant
              << ": phones fetch /phonebook/" << phonebook_tenant
              << ".xml?format=yealink|grandstream|cisco with it as the Basic auth password (or "
                 "&token=); it is not shown again (revoke: telsync tenant phonebook-token "
              << phonebook_tenant << " --revoke)\n";
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
    const SecretKey key = StoreKey(ctx);
    auto reset = admin::ResetSipCredentials(ctx.OpenStore(), tenant, TenantTargets(ctx, tenant),
                                            sip_user, key, ctx.Now());
    if (!reset.ok()) {
      if (reset.error().code == ErrorCode::kNotFound)
        throw Exit{kExitUsage, "no user " + sip_user + " in tenant " + tenant};
      throw Exit{kExitFailed, reset.error().ToString()};
    }
    for (const auto& [target, why] : reset->not_updated) {
      std::cerr << "telsync: target " << target << " not updated yet: " << why
                << " (run `telsync targets publish --full`)\n";
    }
    std::cout << "username: " << reset->username << "\n"
              << "password: " << reset->password << "\n";
    for (const auto& [target, domain] : reset->domains) {
      std::cout << "domain:   " << domain << " (target " << target << ")\n";
    }
  });
}

}  // namespace telsync::cli
