#include "notify/notifier.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace telsync {
namespace {

TEST(NotifierTest, ExpandTemplateKeepsUnknownPlaceholders) {
  EXPECT_EQ(ExpandTemplate("Hi {{ first_name }}, ext {{extension}} {{nope}} {{",
                           {{"first_name", "Ann"}, {"extension", "201"}}),
            "Hi Ann, ext 201 {{nope}} {{");
}

TEST(NotifierTest, TemplatesComeFromTheDirectoryOrBuiltIn) {
  auto builtin = LoadMailTemplate("", "welcome");
  ASSERT_TRUE(builtin.ok());
  EXPECT_NE(builtin->subject.find("{{first_name}}"), std::string::npos);

  std::string dir = (std::filesystem::temp_directory_path() / "telsync-tmpl-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  std::ofstream(dir + "/welcome.txt")
      << "Subject: Välkommen {{first_name}}\n\nHej {{first_name}}!\n";
  std::ofstream(dir + "/error.txt") << "no subject line\n";
  auto custom = LoadMailTemplate(dir, "welcome");
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->subject, "Välkommen {{first_name}}");
  EXPECT_EQ(custom->body, "Hej {{first_name}}!\n");
  auto bad = LoadMailTemplate(dir, "error");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("Subject:"), std::string::npos);
  EXPECT_TRUE(LoadMailTemplate(dir, "report").ok());  // not overridden: built in
  std::filesystem::remove_all(dir);
}

Profile MailProfile() {
  Profile p;
  p.tenant = "acme";
  p.name = "main";
  p.notify.report_to = {"admin@acme.example"};
  p.notify.errors_to = {"it@acme.example"};
  p.notify.welcome = true;
  p.notify.welcome_copy_to = "hr@acme.example";
  return p;
}

RunOutcome Outcome(RunStatus status) {
  RunOutcome o;
  o.run.id = 7;
  o.run.tenant = "acme";
  o.run.profile = "main";
  o.run.kind = RunKind::kSync;
  o.run.status = status;
  o.run.complete = true;
  PlanItem create;
  create.action = Action::kCreate;
  create.key = "k1";
  create.username = "ann";
  create.target->fields.Set(Field::kEmail, "ann@acme.example");
  create.target->fields.Set(Field::kFirstName, "Ann");
  o.plan.items.push_back(create);
  PlanItem no_mail = create;
  no_mail.target->fields.Set(Field::kEmail, "");
  o.plan.items.push_back(no_mail);
  o.run.summary = o.plan.Summary();
  return o;
}

// Without a mail server every due mail is recorded failed, with the mail kept: this is
// what the admin finds in `telsync notify list --failed`, and what `retry` resends.
TEST(NotifierTest, DueMailsAreRecordedEvenWithoutAServer) {
  auto store = std::move(OpenStore(":memory:")).value();
  SmtpConfig smtp;  // no url
  Notifier notifier(smtp, *store, [](int) {});
  const auto records = notifier.AfterRun(MailProfile(), Outcome(RunStatus::kSuccess), 100);
  ASSERT_EQ(records.size(), 3u);  // report, welcome, welcome copy; no error mail
  EXPECT_EQ(records[0].kind, "report");
  EXPECT_EQ(records[1].kind, "welcome");
  EXPECT_EQ(records[1].recipients, "ann@acme.example");
  EXPECT_EQ(records[1].subject, "Welcome to the phone system, Ann");
  EXPECT_EQ(records[2].kind, "welcome_copy");
  EXPECT_EQ(records[2].recipients, "hr@acme.example");
  auto failed = store->ListNotifications("acme", 7, true);
  ASSERT_EQ(failed->size(), 3u);
  EXPECT_NE((*failed)[0].error.find("smtp.url"), std::string::npos);
  EXPECT_FALSE((*failed)[0].message.empty());
  EXPECT_TRUE(store->ListNotifications("other", 0, false)->empty());
}

TEST(NotifierTest, ErrorLevelDecidesTheErrorMail) {
  struct Case {
    RunStatus status;
    NotifyLevel level;
    bool mailed;
  };
  const Case cases[] = {
      {RunStatus::kPartial, NotifyLevel::kWarning, true},
      {RunStatus::kPartial, NotifyLevel::kError, false},
      {RunStatus::kFailed, NotifyLevel::kWarning, true},
      {RunStatus::kFailed, NotifyLevel::kError, true},
      {RunStatus::kFailed, NotifyLevel::kHeld, false},
      {RunStatus::kHeld, NotifyLevel::kHeld, true},
      {RunStatus::kHeld, NotifyLevel::kError, true},
      {RunStatus::kSuccess, NotifyLevel::kWarning, false},
  };
  for (const Case& c : cases) {
    auto store = std::move(OpenStore(":memory:")).value();
    Notifier notifier(SmtpConfig{}, *store, [](int) {});
    Profile p = MailProfile();
    p.notify.report_to.clear();
    p.notify.welcome = false;
    p.notify.error_level = c.level;
    const auto records = notifier.AfterRun(p, Outcome(c.status), 100);
    EXPECT_EQ(records.size(), c.mailed ? 1u : 0u)
        << RunStatusName(c.status) << " at level " << static_cast<int>(c.level);
    if (c.mailed && c.status == RunStatus::kHeld) {
      EXPECT_NE(records[0].message.find("base64"), std::string::npos);
    }
  }
}

TEST(NotifierTest, PreviewsMailNothing) {
  auto store = std::move(OpenStore(":memory:")).value();
  Notifier notifier(SmtpConfig{}, *store, [](int) {});
  RunOutcome o = Outcome(RunStatus::kFailed);
  o.run.kind = RunKind::kPreview;
  EXPECT_TRUE(notifier.AfterRun(MailProfile(), o, 1).empty());
}

TEST(NotifierTest, UnreachableServerIsTriedAgainThenRecordedWithoutThePassword) {
  auto store = std::move(OpenStore(":memory:")).value();
  SmtpConfig smtp;
  smtp.url = "smtp://127.0.0.1:1";  // nothing listens on port 1
  smtp.starttls = "off";
  smtp.username = "mailer";
  smtp.password = Secret("hunter2-secret");
  smtp.attempts = 3;
  std::vector<int> waits;
  Notifier notifier(smtp, *store, [&waits](int s) { waits.push_back(s); });
  const NotificationRecord r = notifier.SendTest("acme", "admin@acme.example", 5);
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(waits, (std::vector<int>{5, 10}));
  EXPECT_NE(r.error.find("cannot connect"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("hunter2"), std::string::npos);
  EXPECT_EQ(r.message.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace telsync
