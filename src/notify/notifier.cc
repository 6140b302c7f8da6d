#include "notify/notifier.h"

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "notify/mime.h"
#include "report/xlsx_report.h"
#include "util/service_metrics.h"

namespace telsync {
namespace {

constexpr const char* kXlsxType =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

constexpr const char* kReportTemplate =
    "Subject: telsync {{tenant}}/{{profile}}: run {{run_id}} {{status}} ({{created}} added, "
    "{{updated}} updated, {{deleted}} deleted)\n"
    "\n"
    "Sync run {{run_id}} of {{tenant}}/{{profile}} finished: {{status}}.\n"
    "Started {{started}} from {{source}}.\n"
    "{{message}}\n"
    "\n"
    "{{summary}}\n"
    "The attached workbook lists every added, updated and deleted user, the pending\n"
    "deletions and every error, one sheet each.\n"
    "\n"
    "Details: telsync runs show {{run_id}} -p {{tenant}}/{{profile}}\n";

constexpr const char* kErrorTemplate =
    "Subject: telsync {{tenant}}/{{profile}}: run {{run_id}} {{status}}\n"
    "\n"
    "Run {{run_id}} of {{tenant}}/{{profile}} needs attention: {{status}}.\n"
    "{{message}}\n"
    "\n"
    "{{summary}}\n"
    "{{problems}}\n"
    "{{approve}}\n"
    "Details: telsync runs show {{run_id}} -p {{tenant}}/{{profile}}\n";

// Added to a welcome template that does not place the SIP login itself.
constexpr const char* kSipLoginText =
    "\n"
    "Your phone's SIP login:\n"
    "  User:     {{sip_username}}\n"
    "  Domain:   {{sip_domain}}\n"
    "  Password: {{sip_password}}\n"
    "Keep it to yourself, and delete this mail once your phone is set up.\n";

// Where a kept mail with a SIP password is sealed for (the key's associated data).
std::string MailPlace(const std::string& tenant) { return tenant + "/mail"; }

constexpr const char* kWelcomeTemplate =
    "Subject: Welcome to the phone system, {{first_name}}\n"
    "\n"
    "Hello {{display_name}},\n"
    "\n"
    "you now have a user in the company phone system.\n"
    "\n"
    "Username:  {{username}}\n"
    "Extension: {{extension}}\n"
    "Phone:     {{landline}}\n"
    "Mobile:    {{mobile}}\n"
    "\n"
    "Your administrator will tell you how to sign in.\n";

std::string IsoTime(int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M UTC", &tm);
  return out;
}

std::string Join(const std::vector<std::string>& list, const char* sep) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string Hostname() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "telsync";
  return name;
}

std::map<std::string, std::string> RunVars(const Profile& profile, const RunOutcome& outcome) {
  const Run& run = outcome.run;
  std::map<std::string, std::string> vars;
  auto count = [&run](Action a) { return run.summary[static_cast<size_t>(a)]; };
  vars["tenant"] = profile.tenant;
  vars["profile"] = profile.name;
  vars["run_id"] = std::to_string(run.id);
  vars["status"] = RunStatusName(run.status);
  vars["started"] = IsoTime(run.started_at);
  vars["source"] = run.source;
  vars["message"] = run.message;
  vars["created"] = std::to_string(count(Action::kCreate));
  vars["updated"] = std::to_string(count(Action::kUpdate));
  vars["deleted"] = std::to_string(count(Action::kDelete));
  vars["pending_delete"] = std::to_string(count(Action::kPendingDelete));
  vars["errors"] = std::to_string(count(Action::kError));
  vars["conflicts"] = std::to_string(count(Action::kConflict));
  std::string summary;
  for (size_t i = 0; i < kActionCount; ++i) {
    if (run.summary[i] == 0) continue;
    summary += "  " + std::string(SummaryKey(static_cast<Action>(i))) + ": " +
               std::to_string(run.summary[i]) + "\n";
  }
  vars["summary"] = summary.empty() ? "  nothing to do\n" : summary;
  // The first problems, so the mail is useful on a phone; the rest are in the report.
  std::string problems;
  size_t shown = 0;
  for (const auto& item : outcome.plan.items) {
    if (item.action != Action::kError && item.action != Action::kConflict &&
        item.action != Action::kBlocked) {
      continue;
    }
    if (++shown > 20) {
      problems += "  ...\n";
      break;
    }
    problems += "  " + std::string(ActionName(item.action)) + " " +
                (item.username.empty() ? item.key : item.username) + ": " + item.reason + "\n";
  }
  vars["problems"] = problems;
  vars["approve"] = run.status == RunStatus::kHeld
                        ? "To apply it: telsync sync -p " + profile.tenant + "/" + profile.name +
                              " --approve " + std::to_string(run.id) + "\n"
                        : "";
  return vars;
}

// How bad a run is, on the scale of notify.error_level; -1 when all went well.
int Severity(const RunOutcome& outcome) {
  switch (outcome.run.status) {
    case RunStatus::kHeld:
      return static_cast<int>(NotifyLevel::kHeld);
    case RunStatus::kFailed:
      return static_cast<int>(NotifyLevel::kError);
    case RunStatus::kPartial:
      return static_cast<int>(NotifyLevel::kWarning);
    default:
      return outcome.run.complete ? -1 : static_cast<int>(NotifyLevel::kWarning);
  }
}

bool Due(int severity, NotifyLevel level) {
  if (severity < 0) return false;
  // held is mailed at every level (an approval waits); error also at warning.
  if (severity == static_cast<int>(NotifyLevel::kHeld)) return true;
  return severity >= static_cast<int>(level) && level != NotifyLevel::kHeld;
}

}  // namespace

std::string ExpandTemplate(const std::string& text,
                           const std::map<std::string, std::string>& vars) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find("{{", i);
    if (open == std::string::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    out.append(text, i, open - i);
    std::string name = text.substr(open + 2, close - open - 2);
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (auto it = vars.find(name); it != vars.end()) {
      out += it->second;
    } else {
      out.append(text, open, close + 2 - open);
    }
    i = close + 2;
  }
  out.append(text, i, std::string::npos);
  return out;
}

Result<MailTemplate> LoadMailTemplate(const std::string& dir, const std::string& name) {
  std::string text = name == "report"    ? kReportTemplate
                     : name == "error"   ? kErrorTemplate
                     : name == "welcome" ? kWelcomeTemplate
                                         : "";
  std::string origin = "the built-in " + name + " template";
  if (!dir.empty()) {
    const std::filesystem::path path = std::filesystem::path(dir) / (name + ".txt");
    if (std::filesystem::exists(path)) {
      std::ifstream in(path, std::ios::binary);
      std::stringstream buffer;
      buffer << in.rdbuf();
      if (!in.good() && !in.eof()) return Error::Invalid("cannot read " + path.string());
      text = buffer.str();
      origin = path.string();
    }
  }
  if (text.empty()) return Error::Invalid("no template named " + name);
  // "Subject: ..." first, then a blank line, then the body.
  const size_t eol = text.find('\n');
  std::string first = text.substr(0, eol);
  if (!first.empty() && first.back() == '\r') first.pop_back();
  if (first.rfind("Subject:", 0) != 0) {
    return Error::Invalid(origin + ": the first line must be 'Subject: ...'");
  }
  MailTemplate out;
  out.subject = first.substr(8);
  while (!out.subject.empty() && out.subject.front() == ' ') out.subject.erase(0, 1);
  std::string body = eol == std::string::npos ? "" : text.substr(eol + 1);
  if (!body.empty() && (body.front() == '\n' || body.rfind("\r\n", 0) == 0)) {
    body.erase(0, body.front() == '\n' ? 1 : 2);
  }
  out.body = std::move(body);
  return out;
}

SipLoginLookup StoredSipLogins(Store& store, std::shared_ptr<const SecretKey> key,
                               std::string tenant, std::vector<TargetConfig> targets, int64_t now) {
  return [&store, key = std::move(key), tenant = std::move(tenant), targets = std::move(targets),
          now](const PbxUser& created) -> Result<std::optional<SipLogin>> {
    const std::string username(created.fields.Get(Field::kUsername));
    Result<std::optional<PbxUser>> stored = store.FindUser(tenant, username);
    if (!stored.ok()) return stored.error();
    if (!*stored) return std::optional<SipLogin>();
    return SipLoginOf(store, *key, tenant, targets, **stored, now);
  };
}

Notifier::Notifier(const SmtpConfig& smtp, MailStore& store, std::function<void(int)> sleep)
    : smtp_(smtp), store_(store), sender_(smtp, std::move(sleep)) {}

NotificationRecord Notifier::Deliver(NotificationRecord record, const std::vector<std::string>& to,
                                     const std::string& mime, bool secret) {
  // What is kept of a mail that failed, to resend it: a password only sealed.
  auto keep = [&] {
    return secret && key_ != nullptr ? key_->Seal(mime, MailPlace(record.tenant)) : mime;
  };
  if (!smtp_.enabled()) {
    record.status = "failed";
    record.error = "no SMTP server configured (set smtp.url)";
    record.message = keep();
    metrics::MailTotal().With({record.kind, record.status}).Inc();
    return record;
  }
  const SendResult sent = sender_.Send(to, mime);
  record.attempts += sent.attempts;
  if (sent.ok) {
    record.status = "sent";
    record.error.clear();
    record.message.clear();
  } else {
    record.status = "failed";
    record.error = sent.error;
    record.message = keep();
  }
  metrics::MailTotal().With({record.kind, record.status}).Inc();
  return record;
}

NotificationRecord Notifier::Compose(const Profile& profile, int64_t run_id,
                                     const std::string& kind, const std::vector<std::string>& to,
                                     const MailTemplate& tmpl,
                                     const std::map<std::string, std::string>& vars,
                                     std::vector<MailAttachment> attachments, int64_t now,
                                     bool secret) {
  NotificationRecord record;
  record.tenant = profile.tenant;
  record.profile = profile.name;
  record.run_id = run_id;
  record.kind = kind;
  record.recipients = Join(to, ", ");
  record.created_at = now;
  MailMessage message;
  message.from = smtp_.from;
  message.to = to;
  message.subject = ExpandTemplate(tmpl.subject, vars);
  // A subject is one line, whatever a template or a directory value put into it.
  for (char& c : message.subject) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  message.text = ExpandTemplate(tmpl.body, vars);
  message.attachments = std::move(attachments);
  record.subject = message.subject;
  auto mime = RenderMail(message, now, Hostname());
  if (!mime.ok()) {
    record.status = "failed";
    record.error = mime.error().message;
  } else {
    record = Deliver(std::move(record), to, *mime, secret);
  }
  if (record.sent_at == 0 && record.status == "sent") record.sent_at = now;
  auto id = store_.AddNotification(record);
  if (id.ok()) record.id = *id;
  return record;
}

std::vector<NotificationRecord> Notifier::AfterRun(const Profile& profile,
                                                   const RunOutcome& outcome, int64_t now) {
  std::vector<NotificationRecord> out;
  const Run& run = outcome.run;
  if (run.kind != RunKind::kSync) return out;
  const NotifyConfig& n = profile.notify;
  const std::map<std::string, std::string> vars = RunVars(profile, outcome);
  auto fail_template = [&](const std::string& kind, const std::vector<std::string>& to,
                           const Error& e) {
    NotificationRecord r;
    r.tenant = profile.tenant;
    r.profile = profile.name;
    r.run_id = run.id;
    r.kind = kind;
    r.recipients = Join(to, ", ");
    r.status = "failed";
    r.error = e.message;
    r.created_at = now;
    if (auto id = store_.AddNotification(r); id.ok()) r.id = *id;
    out.push_back(std::move(r));
  };

  const bool applied = run.status == RunStatus::kSuccess || run.status == RunStatus::kPartial;
  if (!n.report_to.empty() && applied && (n.report_noop || !outcome.plan.IsNoop())) {
    if (auto tmpl = LoadMailTemplate(n.templates_dir, "report"); !tmpl.ok()) {
      fail_template("report", n.report_to, tmpl.error());
    } else {
      std::vector<MailAttachment> attachments;
      auto xlsx = XlsxBytes(outcome.plan, &run);
      if (xlsx.ok()) {
        attachments.push_back(
            {"telsync-run-" + std::to_string(run.id) + ".xlsx", kXlsxType, std::move(*xlsx)});
      }
      out.push_back(Compose(profile, run.id, "report", n.report_to, *tmpl, vars,
                            std::move(attachments), now));
    }
  }

  if (!n.errors_to.empty() && Due(Severity(outcome), n.error_level)) {
    if (auto tmpl = LoadMailTemplate(n.templates_dir, "error"); !tmpl.ok()) {
      fail_template("error", n.errors_to, tmpl.error());
    } else {
      out.push_back(Compose(profile, run.id, "error", n.errors_to, *tmpl, vars, {}, now));
    }
  }

  if (n.welcome && applied && profile.policy.mode != SyncMode::kPaused) {
    auto tmpl = LoadMailTemplate(n.templates_dir, "welcome");
    for (const PlanItem& item : outcome.plan.items) {
      if (item.action != Action::kCreate) continue;
      const PbxUser& user = *item.target;
      const std::string email(user.fields.Get(Field::kEmail));
      if (email.empty()) continue;
      if (!tmpl.ok()) {
        fail_template("welcome", {email}, tmpl.error());
        break;
      }
      std::map<std::string, std::string> user_vars = vars;
      for (size_t f = 0; f < kFieldCount; ++f) {
        const Field field = static_cast<Field>(f);
        user_vars[std::string(FieldName(field))] = std::string(user.fields.Get(field));
      }
      MailTemplate mail = *tmpl;
      std::optional<SipLogin> login;
      std::string login_error;
      if (n.welcome_sip_credentials && sip_logins_ && key_ != nullptr) {
        Result<std::optional<SipLogin>> found = sip_logins_(user);
        if (found.ok()) {
          login = std::move(*found);
        } else {
          login_error = found.error().message;
        }
      }
      if (login) {
        user_vars["sip_username"] = login->username;
        user_vars["sip_domain"] = login->domain;
        user_vars["sip_password"] = login->password;
        if (mail.body.find("{{sip_password}}") == std::string::npos) mail.body += kSipLoginText;
      }
      out.push_back(Compose(profile, run.id, "welcome", {email}, mail, user_vars, {}, now,
                            login.has_value()));
      if (!login_error.empty()) {
        // The mail went without the login; the record says why.
        NotificationRecord& sent = out.back();
        sent.error = "without the SIP login: " + login_error;
        (void)store_.UpdateNotification(sent);
      }
      if (!n.welcome_copy_to.empty()) {
        MailTemplate copy = mail;
        copy.subject = "[copy for " + email + "] " + copy.subject;
        if (login) user_vars["sip_password"] = "(sent to " + email + " only)";
        out.push_back(Compose(profile, run.id, "welcome_copy", {n.welcome_copy_to}, copy, user_vars,
                              {}, now));
      }
    }
  }
  return out;
}

std::vector<NotificationRecord> Notifier::RetryFailed(const std::string& tenant, int64_t now) {
  std::vector<NotificationRecord> out;
  auto failed = store_.ListNotifications(tenant, 0, /*failed_only=*/true);
  if (!failed.ok()) return out;
  for (auto& record : *failed) {
    if (record.message.empty()) continue;  // nothing was rendered (a template error)
    std::vector<std::string> to;
    std::stringstream list(record.recipients);
    for (std::string a; std::getline(list, a, ',');) {
      while (!a.empty() && a.front() == ' ') a.erase(0, 1);
      if (!a.empty()) to.push_back(a);
    }
    std::string mime = record.message;
    const bool secret = IsSealedSecret(mime);
    if (secret) {
      // A welcome mail with a SIP password: kept sealed, opened only to be sent.
      if (key_ == nullptr && key_source_) key_ = key_source_();
      Result<std::string> opened =
          key_ != nullptr ? key_->Open(mime, MailPlace(record.tenant))
                          : Result<std::string>(Error::Invalid("the secret key is not loaded"));
      if (!opened.ok()) {
        record.error = "kept sealed and cannot be opened: " + opened.error().message;
        (void)store_.UpdateNotification(record);
        out.push_back(std::move(record));
        continue;
      }
      mime = std::move(*opened);
    }
    NotificationRecord next = Deliver(record, to, mime, secret);
    if (next.status == "sent") next.sent_at = now;
    (void)store_.UpdateNotification(next);
    out.push_back(std::move(next));
  }
  return out;
}

NotificationRecord Notifier::SendTest(const std::string& tenant, const std::string& to,
                                      int64_t now) {
  Profile profile;
  profile.tenant = tenant;
  MailTemplate tmpl{"telsync test mail",
                    "This is a test mail from telsync. The SMTP settings work.\n"};
  return Compose(profile, 0, "test", {to}, tmpl, {}, {}, now);
}

}  // namespace telsync
