// Mails reach /metrics (issue 7 item 5): each delivery attempt's result counts one
// telsync_mail_total{kind,status}; an unconfigured SMTP server is a failed mail, not a
// silent one.
#include <gtest/gtest.h>

#include "notify/notifier.h"
#include "store/store.h"
#include "util/service_metrics.h"

namespace telsync {
namespace {

TEST(MailMetricsTest, FailedMailIsCounted) {
  auto store = std::move(OpenStore(":memory:")).value();
  Notifier notifier(SmtpConfig{}, *store, [](int) {});
  const auto failed = metrics::MailTotal().With({"test", "failed"});
  const auto sent = metrics::MailTotal().With({"test", "sent"});
  const double failed_before = failed.Value();
  const double sent_before = sent.Value();
  NotificationRecord r = notifier.SendTest("acme", "admin@acme.example", 1790000000);
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(failed.Value() - failed_before, 1);
  EXPECT_EQ(sent.Value() - sent_before, 0);
}

}  // namespace
}  // namespace telsync
