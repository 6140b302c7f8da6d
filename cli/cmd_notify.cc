// telsync notify: the mails telsync sends (F20) — test the SMTP settings, list what was
// sent or failed, and resend the failed ones.
#include <iostream>

#include "cli/context.h"
#include "notify/notifier.h"

namespace telsync::cli {

namespace {

void PrintRecord(const NotificationRecord& r) {
  std::cout << r.id << "  run " << r.run_id << "  " << r.kind << "  " << r.status << "  "
            << r.recipients << "  \"" << r.subject << "\"";
  if (r.attempts > 1) std::cout << "  (" << r.attempts << " tries)";
  if (!r.error.empty()) std::cout << "  " << r.error;
  std::cout << "\n";
}

}  // namespace

void AddNotifyCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("notify", "test the mail settings; list and resend mails");
  cmd->require_subcommand(1);

  auto* test = cmd->add_subcommand("test", "send a test mail with the smtp settings");
  auto to = std::make_shared<std::string>();
  test->add_option("--to", *to, "recipient")->required();
  test->callback([&ctx, to]() {
    const std::string tenant = ctx.SelectTenant();
    if (!ctx.LoadConfig().smtp.enabled()) {
      // Nothing to test, and nothing recorded: a "failed" mail would only be noise.
      throw Exit{kExitUsage,
                 "no mail server is configured: set smtp.url (and smtp.from) in the config"};
    }
    Notifier notifier(ctx.LoadConfig().smtp, ctx.OpenStore());
    const NotificationRecord r = notifier.SendTest(tenant, *to, ctx.Now());
    if (r.status != "sent") throw Exit{kExitFailed, "test mail not sent: " + r.error};
    std::cout << "Test mail sent to " << *to << "\n";
  });

  auto* list = cmd->add_subcommand("list", "the mails of a run, or the failed ones");
  auto run = std::make_shared<int64_t>(0);
  auto failed = std::make_shared<bool>(false);
  list->add_option("--run", *run, "only this run's mails");
  list->add_flag("--failed", *failed, "only mails not sent yet");
  list->callback([&ctx, run, failed]() {
    auto records = ctx.OpenStore().ListNotifications(ctx.SelectTenant(), *run, *failed);
    if (!records.ok()) throw Exit{kExitFailed, records.error().ToString()};
    for (const auto& r : *records) PrintRecord(r);
    if (records->empty()) std::cout << "No mails.\n";
  });

  auto* retry = cmd->add_subcommand("retry", "resend the mails that failed");
  retry->callback([&ctx]() {
    Notifier notifier(ctx.LoadConfig().smtp, ctx.OpenStore());
    // A failed welcome mail with a SIP password is kept sealed with the store's key.
    notifier.SetSecretKeySource([&ctx] { return LoadStoreKey(ctx); });
    const auto records = notifier.RetryFailed(ctx.SelectTenant(), ctx.Now());
    size_t still = 0;
    for (const auto& r : records) {
      PrintRecord(r);
      if (r.status != "sent") ++still;
    }
    if (records.empty()) std::cout << "No failed mails.\n";
    if (still != 0) throw Exit{kExitFailed, std::to_string(still) + " mails still not sent"};
  });
}

}  // namespace telsync::cli
