#include "notify/notifier.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <stdlib.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <memory>

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

// The text part of a rendered mail, decoded (mime.cc writes it in base64).
std::string MailText(const std::string& mime) {
  const std::string head =
      "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  const size_t at = mime.find(head);
  if (at == std::string::npos) return "";
  const size_t begin = at + head.size();
  const size_t end = mime.find("\r\n\r\n", begin);
  const std::string b64 = mime.substr(begin, end == std::string::npos ? end : end - begin);
  std::string out(b64.size(), '\0');
  size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), b64.data(),
                        b64.size(), "\r\n ", &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return "";
  }
  out.resize(length);
  return out;
}

// notify.welcome_sip_credentials: the user's mail carries its SIP login, the admin's copy
// does not, and a mail that could not be sent is kept only sealed.
TEST(NotifierTest, AWelcomeMailWithASipLoginIsKeptSealedAndTheCopyHasNoPassword) {
  auto store = std::move(OpenStore(":memory:")).value();
  std::array<unsigned char, SecretKey::kKeyBytes> bytes{};
  bytes.fill(7);
  auto key = std::make_shared<const SecretKey>(SecretKey::FromBytes(bytes));
  Profile profile = MailProfile();
  profile.notify.welcome_sip_credentials = true;
  Notifier notifier(SmtpConfig{}, *store, [](int) {});  // no server: every mail is kept
  std::vector<std::string> asked;
  notifier.SetSipLogins(
      [&](const PbxUser& created) -> Result<std::optional<SipLogin>> {
        asked.push_back(std::string(created.fields.Get(Field::kEmail)));
        return std::optional<SipLogin>(
            SipLogin{"sip", "ann", "sip.acme.example", "0123456789abcdef0123456789abcdef"});
      },
      key);
  const auto records = notifier.AfterRun(profile, Outcome(RunStatus::kSuccess), 100);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(asked, std::vector<std::string>{"ann@acme.example"});  // only users with a mail
  const std::string password = "0123456789abcdef0123456789abcdef";
  auto kept = store->ListNotifications("acme", 7, true);
  ASSERT_EQ(kept->size(), 3u);
  const NotificationRecord& welcome = (*kept)[1];
  const NotificationRecord& copy = (*kept)[2];
  ASSERT_EQ(welcome.kind, "welcome");
  EXPECT_TRUE(IsSealedSecret(welcome.message)) << welcome.message;
  EXPECT_EQ(welcome.message.find(password), std::string::npos);
  Result<std::string> opened = key->Open(welcome.message, "acme/mail");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  const std::string text = MailText(*opened);
  EXPECT_NE(text.find("Password: " + password), std::string::npos) << text;
  EXPECT_NE(text.find("User:     ann"), std::string::npos);
  EXPECT_NE(text.find("Domain:   sip.acme.example"), std::string::npos);
  ASSERT_EQ(copy.kind, "welcome_copy");
  EXPECT_FALSE(IsSealedSecret(copy.message));
  const std::string copy_text = MailText(copy.message);
  EXPECT_NE(copy_text.find("Password: (sent to ann@acme.example only)"), std::string::npos)
      << copy_text;
  EXPECT_EQ(copy_text.find(password), std::string::npos);

  // Resent later: opened with the key (then failed again: still no server, still sealed).
  Notifier later(SmtpConfig{}, *store, [](int) {});
  bool key_asked = false;
  later.SetSecretKeySource([&] {
    key_asked = true;
    return key;
  });
  const auto resent = later.RetryFailed("acme", 200);
  ASSERT_EQ(resent.size(), 3u);
  EXPECT_TRUE(key_asked);
  EXPECT_TRUE(IsSealedSecret(resent[1].message));
  EXPECT_NE(resent[1].error.find("smtp.url"), std::string::npos) << resent[1].error;

  // Without the key it stays as it is, and says why.
  Notifier keyless(SmtpConfig{}, *store, [](int) {});
  const auto left = keyless.RetryFailed("acme", 300);
  ASSERT_EQ(left.size(), 3u);
  EXPECT_NE(left[1].error.find("kept sealed and cannot be opened"), std::string::npos);
  EXPECT_TRUE(IsSealedSecret((*store->ListNotifications("acme", 7, true))[1].message));
}

TEST(NotifierTest, WithoutTheSettingOrALoginTheWelcomeMailHasNoSipBlock) {
  auto store = std::move(OpenStore(":memory:")).value();
  std::array<unsigned char, SecretKey::kKeyBytes> bytes{};
  auto key = std::make_shared<const SecretKey>(SecretKey::FromBytes(bytes));
  int asked = 0;
  auto lookup = [&](const PbxUser&) -> Result<std::optional<SipLogin>> {
    ++asked;
    return std::optional<SipLogin>();  // no Kamailio target routes the user
  };
  Profile profile = MailProfile();
  Notifier off(SmtpConfig{}, *store, [](int) {});
  off.SetSipLogins(lookup, key);
  (void)off.AfterRun(profile, Outcome(RunStatus::kSuccess), 100);
  EXPECT_EQ(asked, 0);  // notify.welcome_sip_credentials is off by default
  profile.notify.welcome_sip_credentials = true;
  Notifier on(SmtpConfig{}, *store, [](int) {});
  on.SetSipLogins(lookup, key);
  const auto records = on.AfterRun(profile, Outcome(RunStatus::kSuccess), 100);
  EXPECT_EQ(asked, 1);
  ASSERT_EQ(records[1].kind, "welcome");
  EXPECT_FALSE(IsSealedSecret(records[1].message));
  const std::string text = MailText(records[1].message);
  EXPECT_NE(text.find("Username:"), std::string::npos) << text;  // the mail was decoded
  EXPECT_EQ(text.find("SIP login"), std::string::npos);
}

}  // namespace
}  // namespace telsync
