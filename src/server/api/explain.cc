// The REST API's explain handler: GET .../profiles/{profile}/explain?user=NAME answers the
// JSON of `telsync explain NAME -f json` (report/explain_report.h). Parse, call
// ExplainUser (apply/explain.h), render.
#include "apply/explain.h"

#include "report/explain_report.h"
#include "server/api/detail/respond.h"
#include "server/api/rest_api.h"
#include "util/json_out.h"

namespace telsync::api {

http::Response RestApi::Explain(http::Request& r) {
  auto profile = FindProfile(r.Param("tenant"), r.Param("profile"));
  if (profile == nullptr)
    return detail::Fail(ErrorCode::kNotFound, "profile",
                        "no profile " + r.Param("profile").substr(0, 64));
  const std::string user = r.Query("user");
  if (user.empty() || user.size() > 256) {
    return detail::Fail(ErrorCode::kInvalid, "user",
                        "user: give a username, e-mail, UPN or source id (at most 256 bytes)");
  }
  auto store = options_.open_store();
  if (!store.ok())
    return detail::Fail(ErrorCode::kUnavailable, "", "the store is unavailable; retry later");
  ExplainOptions options;
  options.now = options_.clock();
  options.base_dir = options_.base_dir;
  options.targets = options_.catalog->TargetRoutes(profile->tenant);
  options.lock_wait_seconds = 10;  // a run of the profile in progress ends first
  const std::string fresh = r.Query("fresh");
  if (!fresh.empty() && fresh != "0" && fresh != "1" && fresh != "true" && fresh != "false") {
    return detail::Fail(ErrorCode::kInvalid, "fresh", "fresh: 1 or 0");
  }
  options.fresh = fresh == "1" || fresh == "true";
  if (options.fresh && profile->source.type() == "scim") {
    return detail::Fail(ErrorCode::kInvalid, "fresh",
                        "fresh: profile " + profile->name +
                            " is fed by SCIM pushes: there is no source to read from");
  }
  auto explained = ExplainUser(*profile, **store, user, options);
  if (!explained.ok()) return detail::FromError(explained.error(), "user");
  return detail::JsonText(DumpJson(ExplanationJson(*explained)));
}

}  // namespace telsync::api
