// The REST API's target handlers (issue 17 "Visible"): /api/v1/tenants/{tenant}/targets,
// .../targets/{target}/dead, .../retry, .../publish, and the SIP password reset
// /users/{name}/sip-credentials. Parse, call admin/targets.h, render. A publish, a retry
// and a reset run on a Store connection of their own (the target's lock is a session lock
// on PostgreSQL: one connection per publisher).
#include "admin/targets.h"

#include "server/api/detail/respond.h"
#include "server/api/rest_api.h"

namespace telsync::api {
namespace {

using detail::Json;

const std::vector<TargetConfig>& TargetsOf(const ProfileCatalog& catalog,
                                           const std::string& tenant) {
  static const std::vector<TargetConfig> kNone;
  const Tenant* t = catalog.config().FindTenant(tenant);
  return t == nullptr ? kNone : t->targets;
}

// The optional body of a publish: {"full": bool, "dry_run": bool}.
Result<admin::PublishNowOptions> PublishBody(const std::string& text) {
  admin::PublishNowOptions options;
  if (text.empty()) return options;
  Json body = Json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return Error::Invalid("the body must be a JSON object").WithField("body");
  for (const auto& [key, value] : body.items()) {
    if (key != "full" && key != "dry_run")
      return Error::Invalid("unknown key " + key.substr(0, 64))
          .WithField("body." + key.substr(0, 64));
    if (!value.is_boolean())
      return Error::Invalid(key + " must be true or false").WithField("body." + key);
    (key == "full" ? options.full : options.dry_run) = value.get<bool>();
  }
  return options;
}

}  // namespace

http::Response RestApi::ListTargets(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  auto statuses = admin::TargetStatuses(store_, tenant, TargetsOf(*options_.catalog, tenant));
  if (!statuses.ok()) return detail::FromError(statuses.error());
  Json arr = Json::array();
  for (const admin::TargetStatus& s : *statuses) arr.push_back(admin::TargetStatusJson(s));
  return detail::JsonOk(arr);
}

http::Response RestApi::ListDeadEvents(http::Request& r) {
  auto limit = detail::IntQuery(r, "limit", 100, 1, 1000);
  if (!limit.ok()) return detail::FromError(limit.error());
  auto offset = detail::IntQuery(r, "offset", 0, 0, 100000000);
  if (!offset.ok()) return detail::FromError(offset.error());
  const std::string tenant = r.Param("tenant");
  auto page = admin::ListDeadEvents(store_, tenant, TargetsOf(*options_.catalog, tenant),
                                    r.Param("target"), *limit, *offset);
  if (!page.ok()) return detail::FromError(page.error());
  Json events = Json::array();
  for (const DeadEvent& d : page->events) events.push_back(admin::DeadEventJson(d));
  return detail::JsonOk(Json{{"total", page->total}, {"offset", *offset}, {"events", events}});
}

http::Response RestApi::RetryTarget(http::Request& r) {
  const SecretKey* key = options_.catalog->secret_key();
  if (key == nullptr) return detail::Fail(ErrorCode::kUnavailable, "", "the service has no key");
  auto store = options_.open_store();
  if (!store.ok())
    return detail::Fail(ErrorCode::kUnavailable, "", "the store is unavailable; retry later");
  const std::string tenant = r.Param("tenant");
  auto retried = admin::RetryTarget(**store, tenant, TargetsOf(*options_.catalog, tenant),
                                    r.Param("target"), *key, options_.clock());
  if (!retried.ok()) return detail::FromError(retried.error());
  return detail::JsonOk(Json{{"target", r.Param("target")},
                             {"delivered", retried->delivered},
                             {"superseded", retried->superseded},
                             {"still_dead", retried->still_dead},
                             {"error", retried->error}});
}

http::Response RestApi::PublishTargetNow(http::Request& r) {
  auto options = PublishBody(r.body);
  if (!options.ok()) return detail::FromError(options.error());
  const SecretKey* key = options_.catalog->secret_key();
  if (key == nullptr) return detail::Fail(ErrorCode::kUnavailable, "", "the service has no key");
  auto store = options_.open_store();
  if (!store.ok())
    return detail::Fail(ErrorCode::kUnavailable, "", "the store is unavailable; retry later");
  const std::string tenant = r.Param("tenant");
  options->now = options_.clock();
  auto report = admin::PublishNow(**store, tenant, TargetsOf(*options_.catalog, tenant),
                                  r.Param("target"), *key, *options);
  if (!report.ok()) return detail::FromError(report.error(), "body");
  return detail::JsonOk(admin::PublishReportJson(*report, options->dry_run));
}

http::Response RestApi::ResetSipCredentials(http::Request& r) {
  const SecretKey* key = options_.catalog->secret_key();
  if (key == nullptr) return detail::Fail(ErrorCode::kUnavailable, "", "the service has no key");
  auto store = options_.open_store();
  if (!store.ok())
    return detail::Fail(ErrorCode::kUnavailable, "", "the store is unavailable; retry later");
  const std::string tenant = r.Param("tenant");
  auto reset = admin::ResetSipCredentials(**store, tenant, TargetsOf(*options_.catalog, tenant),
                                          r.Param("name"), *key, options_.clock());
  if (!reset.ok()) return detail::FromError(reset.error());
  Json domains = Json::array();
  for (const auto& [target, domain] : reset->domains)
    domains.push_back(Json{{"target", target}, {"domain", domain}});
  Json not_updated = Json::array();
  for (const auto& [target, why] : reset->not_updated)
    not_updated.push_back(Json{{"target", target}, {"error", why}});
  http::Response resp = detail::JsonOk(Json{{"username", reset->username},
                                            {"password", reset->password},
                                            {"domains", domains},
                                            {"not_updated", not_updated}});
  // The password is shown this once: no cache may keep it.
  resp.headers.emplace_back("Cache-Control", "no-store");
  return resp;
}

}  // namespace telsync::api
