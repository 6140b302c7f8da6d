// Config values: tenants, profiles and everything a profile says about a sync.
//
// Loaded from YAML by config/loader.h, which validates every key and reports errors with
// file, line, field path and reason. Each field below lists its YAML key and default;
// docs/configuration.md documents the same keys.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "phone/phone_settings.h"
#include "sources/source_config.h"
#include "targets/target_config.h"
#include "util/secret.h"

namespace telsync {

enum class SyncMode { kPaused, kFull, kNewOnly, kReview };
enum class DisabledAction { kUnsearchable, kSkip, kDelete };

struct ValidationConfig {
  // validation.required: PBX field names that must be non-empty. Default: email,
  // first_name, last_name and "phone" (a landline or a mobile).
  std::vector<std::string> required = {"email", "first_name", "last_name", "phone"};
  PhoneMode phone_mode = PhoneMode::kStrict;  // validation.phone_mode: strict | lenient
  std::string default_region = "SE";          // validation.default_region (lenient mode)
  int extension_length = 0;                   // validation.extension_length; 0 = any length
};

struct PolicyConfig {
  SyncMode mode = SyncMode::kFull;  // policy.mode: paused | full | new_only | review
  bool create = true;               // policy.create
  bool update = true;               // policy.update
  bool del = true;                  // policy.delete
  DisabledAction disabled = DisabledAction::kUnsearchable;  // policy.disabled
  std::string exclusion_group = "Non AD sync";              // policy.exclusion_group
  int grace_days = 7;                                       // policy.grace_days; 0 = delete at once
  bool protect_mobile = true;                               // policy.protect_mobile
  int64_t max_deletes = 500;         // policy.max_deletes; -1 = no limit (Entra Connect: 500)
  double max_delete_percent = 10.0;  // policy.max_delete_percent; <0 = no limit
};

struct TemplateConfig {
  std::string name;
  std::vector<std::string> groups;
  std::string caller_id;
  std::map<std::string, std::string> settings;
};

// rules: [{field: department, equals: Support, template: support}] or `matches: <regex>`.
struct RuleConfig {
  std::string field;
  std::string equals;   // case-insensitive equality, or
  std::string matches;  // an ECMAScript regex that must match the whole value
  std::string template_name;
};

struct RangeConfig {
  int64_t first = 0;  // inclusive
  int64_t last = 0;   // inclusive; first == last == 0: no range
  bool empty() const { return first == 0 && last == 0; }
};

struct DepartmentConfig {
  bool enabled = false;     // departments.enabled
  RangeConfig ring_groups;  // departments.ring_group_range: "7000-7999"
};

// The mail server of notifications (F20): the top-level `smtp:` block, one for all tenants.
struct SmtpConfig {
  std::string url;                    // smtp.url: smtp://host:587 | smtps://host:465; "" = no mail
  std::string starttls = "required";  // smtp.starttls: required | optional | off (smtp:// only)
  std::string username;               // smtp.username: AUTH when set
  Secret password;                    // smtp.password
  std::string from = "telsync <telsync@localhost>";  // smtp.from
  std::string ca_file;                               // smtp.ca_file
  bool tls_verify = true;                            // smtp.tls_verify (R6: on by default)
  int timeout_seconds = 30;                          // smtp.timeout_seconds
  int attempts = 3;       // smtp.attempts: tries per mail before it is recorded failed
  int retry_seconds = 5;  // smtp.retry_seconds: first wait between tries, then doubled
  bool enabled() const { return !url.empty(); }
};

// When the error mail goes out: warning = any run with per-user errors, conflicts, an
// incomplete read, a hold or a failure; error = failed runs and holds; held = holds only.
enum class NotifyLevel { kWarning, kError, kHeld };

// Who hears about a profile's runs (F20, seed 001).
struct NotifyConfig {
  std::vector<std::string> report_to;  // notify.report_to: after each sync, summary + XLSX
  bool report_noop = false;            // notify.report_noop: also when nothing changed
  std::vector<std::string> errors_to;  // notify.errors_to
  NotifyLevel error_level = NotifyLevel::kError;  // notify.error_level: warning | error | held
  bool welcome = false;                           // notify.welcome: a mail to each created user
  std::string welcome_copy_to;                    // notify.welcome_copy_to: an admin copy of each
  // notify.welcome_sip_credentials: the welcome mail also carries the user's SIP login on
  // the tenant's Kamailio target (off by default: a password in a mailbox; docs/targets.md).
  bool welcome_sip_credentials = false;
  std::string templates_dir;  // notify.templates_dir: report.txt, error.txt, welcome.txt
};

struct Profile {
  std::string tenant;
  std::string name;
  SourceConfig source;
  // mapping: PBX field name (fixed or custom) -> expression text (F6). Defaults per
  // source type fill fields the profile does not map.
  std::map<std::string, std::string> mapping;
  ValidationConfig validation;
  PolicyConfig policy;
  std::vector<TemplateConfig> templates;
  std::vector<RuleConfig> rules;
  std::string default_template;   // template for created users when no rule matches
  std::string default_caller_id;  // F13
  RangeConfig extensions;         // extensions.range: allocate when not mapped (F14)
  DepartmentConfig departments;   // F15
  PhoneRender phone_render = PhoneRender::kE164;  // render.phone: e164 | digits
  std::vector<std::string> schedules;             // cron expressions (F18)
  NotifyConfig notify;                            // F20
  std::string timezone = "UTC";
};

struct Tenant {
  std::string name;
  std::vector<Profile> profiles;
  std::vector<TargetConfig> targets;  // tenants[].targets (issue 17, targets/target_config.h)
};

struct Config {
  std::string store = "telsync.db";  // store: a SQLite path (default) or postgres://...
  SmtpConfig smtp;                   // smtp: the mail server of notifications
  // history.keep_days: how long what `runs revert` needs is kept (issue 18): a run older
  // than this many days cannot be reverted.
  int history_keep_days = 90;
  std::vector<Tenant> tenants;
  std::string origin;  // the file or directory it was loaded from

  // The profile named "tenant/profile", or the only profile when name is empty and there
  // is exactly one; nullptr otherwise.
  const Profile* FindProfile(const std::string& name) const;
  // The tenant of that name, or nullptr.
  const Tenant* FindTenant(const std::string& name) const;
  // The directory relative paths resolve against (source.path via MakeSource's base_dir):
  // `origin` itself when it is a directory, else the file's directory; "." when unknown.
  std::string BaseDir() const;
};

}  // namespace telsync
