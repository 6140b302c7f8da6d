// Notifier: the mails of a run (F20, seed 001), sent over SMTP and recorded in the store.
//
// After a sync:
//   report   to notify.report_to: the summary in the body and the XLSX of the run's
//            changes attached; sent when the sync changed something (or always, with
//            notify.report_noop).
//   error    to notify.errors_to when the run reaches notify.error_level (warning: per-user
//            errors, conflicts, an incomplete read, a hold or a failure; error: a failure
//            or a hold; held: holds only). A held run's mail says how to approve it.
//   welcome  to each created user with an e-mail (notify.welcome), and a copy of each to
//            notify.welcome_copy_to. With notify.welcome_sip_credentials and a SIP login
//            lookup (SetSipLogins), the user's mail also carries its SIP user, domain and
//            password; the copy says the password went to the user only. A welcome mail
//            with a password that could not be sent is kept sealed with the secret key,
//            never in clear, and opened again only to resend it.
// Previews mail nothing. Texts come from templates: built-in defaults, or report.txt,
// error.txt and welcome.txt in notify.templates_dir ("Subject: ..." on the first line, a
// blank line, then the body; {{name}} placeholders, listed in docs/configuration.md).
//
// Every mail is recorded with its outcome (sent, or failed after smtp.attempts tries, with
// the reason and the rendered mail kept for RetryFailed): a failed send never fails the run
// and is never lost silently. No mail, record or error contains the SMTP password.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apply/engine.h"
#include "config/profile.h"
#include "notify/mime.h"
#include "notify/smtp.h"
#include "secrets/secret_box.h"
#include "store/mail_store.h"
#include "store/store.h"
#include "targets/sip_credentials.h"

namespace telsync {

// {{name}} replaced by vars[name]; an unknown name stays as written, so a typo shows.
std::string ExpandTemplate(const std::string& text, const std::map<std::string, std::string>& vars);

struct MailTemplate {
  std::string subject;
  std::string body;
};

// The template `name` ("report", "error", "welcome") from `dir`/name.txt when present,
// else the built-in one. Errors (kInvalid): a file without the "Subject:" first line.
Result<MailTemplate> LoadMailTemplate(const std::string& dir, const std::string& name);

// The SIP login of a created user (for its welcome mail), or nullopt when it has none.
using SipLoginLookup = std::function<Result<std::optional<SipLogin>>(const PbxUser& created)>;

// The lookup `telsync sync` and the workers use: the created user's stored row (by its
// username: a plan's created user has no id yet), then its login on the first of `targets`
// (Kamailio) that routes it, its password made now when it has none (SipLoginOf).
SipLoginLookup StoredSipLogins(Store& store, std::shared_ptr<const SecretKey> key,
                               std::string tenant, std::vector<TargetConfig> targets, int64_t now);

class Notifier {
 public:
  // `sleep` waits between SMTP tries (tests pass one that does not sleep).
  Notifier(const SmtpConfig& smtp, MailStore& store, std::function<void(int)> sleep = {});

  // notify.welcome_sip_credentials: how a created user's SIP login is found, and the key
  // that seals a mail carrying one while it waits to be resent. Without them, welcome
  // mails carry no SIP password.
  void SetSipLogins(SipLoginLookup lookup, std::shared_ptr<const SecretKey> key) {
    sip_logins_ = std::move(lookup);
    key_ = std::move(key);
  }
  // The key RetryFailed opens sealed mails with, asked for the first time one is met (a
  // sealed mail is left as it is, failed, without one).
  void SetSecretKeySource(std::function<std::shared_ptr<const SecretKey>()> source) {
    key_source_ = std::move(source);
  }

  // The mails of a finished run; returns what was recorded (nothing when no mail is due).
  // Without smtp.url, due mails are recorded failed ("no SMTP server configured") so the
  // admin sees what was missed.
  std::vector<NotificationRecord> AfterRun(const Profile& profile, const RunOutcome& outcome,
                                           int64_t now);

  // Resends the tenant's failed mails; returns them with their new outcome.
  std::vector<NotificationRecord> RetryFailed(const std::string& tenant, int64_t now);

  // A test mail to `to` (telsync notify test): checks the SMTP settings end to end.
  NotificationRecord SendTest(const std::string& tenant, const std::string& to, int64_t now);

 private:
  // `secret`: the mail carries a password; kept (when it fails) only sealed.
  NotificationRecord Deliver(NotificationRecord record, const std::vector<std::string>& to,
                             const std::string& mime, bool secret = false);
  NotificationRecord Compose(const Profile& profile, int64_t run_id, const std::string& kind,
                             const std::vector<std::string>& to, const MailTemplate& tmpl,
                             const std::map<std::string, std::string>& vars,
                             std::vector<MailAttachment> attachments, int64_t now,
                             bool secret = false);

  SmtpConfig smtp_;
  MailStore& store_;
  SmtpSender sender_;
  SipLoginLookup sip_logins_;
  std::shared_ptr<const SecretKey> key_;
  std::function<std::shared_ptr<const SecretKey>()> key_source_;
};

}  // namespace telsync
