#include "targets/webhook/webhook_target.h"

#include <algorithm>
#include <ctime>
#include <utility>
#include <vector>

#include "model/fields.h"
#include "targets/http_outcome.h"
#include "targets/webhook/webhook_event.h"
#include "targets/webhook/webhook_signature.h"
#include "util/http_client.h"
#include "util/text.h"

namespace telsync {
namespace {

bool Retryable(const Status& s) {
  return !s.ok() &&
         (s.error().code == ErrorCode::kUnavailable || s.error().code == ErrorCode::kThrottled);
}

HttpOptions Options(const TargetConfig& config) {
  HttpOptions options;
  options.timeout_ms = config.timeout_seconds * 1000;
  options.connect_timeout_ms = std::min<long>(options.timeout_ms, 10000);  // NOLINT
  return options;
}

class WebhookTarget final : public Target {
 public:
  WebhookTarget(TargetConfig config, std::string tenant, std::string key)
      : config_(std::move(config)),
        tenant_(std::move(tenant)),
        key_(std::move(key)),
        http_(Options(config_)),
        what_("POST " + HttpClient::Origin(config_.url)) {}

  const TargetConfig& config() const override { return config_; }
  int64_t retry_after_seconds() const override { return retry_after_; }

  Result<std::vector<Status>> Publish(const std::vector<OutboxEvent>& events,
                                      int64_t now) override {
    retry_after_ = 0;
    std::vector<Status> results;
    results.reserve(events.size());
    for (const OutboxEvent& event : events) {
      const WebhookMessage message = WebhookFromEvent(event);
      if (message.is_user && !Routed(message)) {
        results.push_back(Ok());
        continue;
      }
      Status outcome = Send(message, now);
      if (Retryable(outcome)) {
        // Nothing after it goes now: the user's later events must not overtake it.
        if (results.empty()) return outcome.error();
        results.push_back(std::move(outcome));
        return results;
      }
      results.push_back(std::move(outcome));
    }
    return results;
  }

  Result<ReconcileReport> Reconcile(const std::vector<PbxUser>& users, bool dry_run,
                                    int64_t now) override {
    retry_after_ = 0;
    ReconcileReport report;
    for (const PbxUser& user : users) {
      const WebhookMessage message = WebhookSnapshot(user, tenant_, now);
      if (!Routed(message)) continue;
      const std::string username = std::string(user.fields.Get(Field::kUsername));
      if (dry_run) {
        report.steps.push_back({"send", "user.snapshot", username, "the user's current state"});
        continue;
      }
      Status outcome = Send(message, now);
      if (Retryable(outcome)) return outcome.error();
      if (!outcome.ok()) {
        report.steps.push_back({"conflict", "user.snapshot", username, outcome.error().message});
        continue;
      }
      report.steps.push_back({"send", "user.snapshot", username, ""});
    }
    report.applied = !dry_run;
    return report;
  }

 private:
  bool Routed(const WebhookMessage& message) const {
    if (config_.rule.field.empty()) return true;
    auto it = message.fields.find(config_.rule.field);
    const std::string value = it == message.fields.end() ? "" : AsciiLower(it->second);
    for (const std::string& v : config_.rule.values) {
      if (AsciiLower(v) == value) return true;
    }
    return false;
  }

  Status Send(const WebhookMessage& message, int64_t now) {
    const Headers headers = {
        {"Content-Type", "application/json"},
        {"User-Agent", "telsync"},
        {"webhook-id", message.id},
        {"webhook-timestamp", std::to_string(now)},
        {"webhook-signature", SignWebhook(key_, message.id, now, message.body)},
    };
    Result<HttpResponse> response = http_.Send("POST", config_.url, headers, &message.body);
    if (!response.ok()) return response.error();
    Status outcome = HttpOutcome(response->status, response->body, what_);
    if (Retryable(outcome)) {
      retry_after_ = RetryAfterSeconds(response->RetryAfterSeconds(static_cast<double>(now)));
    }
    return outcome;
  }

  TargetConfig config_;
  std::string tenant_;
  std::string key_;  // the HMAC key bytes
  HttpClient http_;
  std::string what_;
  int64_t retry_after_ = 0;
};

}  // namespace

Result<std::unique_ptr<Target>> MakeWebhookTarget(const TargetConfig& config,
                                                  const std::string& tenant) {
  Result<std::string> key = ParseWebhookSecret(config.secret.Reveal());
  if (!key.ok()) return Error::Invalid(key.error().message, "target " + config.name + ".secret");
  return std::unique_ptr<Target>(std::make_unique<WebhookTarget>(config, tenant, std::move(*key)));
}

}  // namespace telsync
