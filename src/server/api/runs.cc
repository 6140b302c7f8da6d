// The REST API's run handlers: departments, jobs, preview, sync, approve, runs, their items
// and reports, revert. Parse, call the store / apply::RunProfile / ExecuteRevert, render
// (admin/views.h, report/).
#include <sstream>

#include "admin/plan_items.h"
#include "admin/views.h"
#include "apply/revert.h"
#include "apply/run_profile.h"
#include "report/html_report.h"
#include "report/report.h"
#include "report/xlsx_report.h"
#include "server/api/detail/respond.h"
#include "server/api/rest_api.h"

namespace telsync::api {
namespace {

using detail::Json;

// What GET .../runs/{id}/items and .../report take besides the id.
struct ReportQuery {
  std::optional<Action> filter;  // items: only this action
  std::string format = "json";   // report: json | csv | html | xlsx
};

Result<ReportQuery> ReadReportQuery(const http::Request& r, bool items) {
  ReportQuery q;
  if (items && r.HasQuery("action")) {
    q.filter = ActionFromName(r.Query("action"));
    if (!q.filter)
      return Error::Invalid("unknown action \"" + r.Query("action").substr(0, 40) + "\"")
          .WithField("action");
  }
  if (!items && r.HasQuery("format")) {
    q.format = r.Query("format");
    if (q.format != "json" && q.format != "csv" && q.format != "html" && q.format != "xlsx")
      return Error::Invalid("format must be json, csv, html or xlsx, got \"" +
                            q.format.substr(0, 40) + "\"")
          .WithField("format");
  }
  return q;
}

// The paging of a preview's or a run's items (?action=&q=&offset=&limit=, the admin page):
// nullopt when none of them is given (the whole plan, as before).
Result<std::optional<admin::PlanItemQuery>> ReadPlanItemQuery(const http::Request& r) {
  if (!r.HasQuery("q") && !r.HasQuery("offset") && !r.HasQuery("limit"))
    return std::optional<admin::PlanItemQuery>();
  admin::PlanItemQuery q;
  if (r.HasQuery("action")) {
    q.action = ActionFromName(r.Query("action"));
    if (!q.action)
      return Error::Invalid("unknown action \"" + r.Query("action").substr(0, 40) + "\"")
          .WithField("action");
  }
  q.text = r.Query("q");
  auto offset = detail::IntQuery(r, "offset", 0, 0, 100000000);
  if (!offset.ok()) return offset.error();
  auto limit = detail::IntQuery(r, "limit", 50, 1, 1000);
  if (!limit.ok()) return limit.error();
  q.offset = *offset;
  q.limit = *limit;
  if (Status s = admin::CheckPlanItemQuery(q); !s.ok()) return s.error();
  return std::optional<admin::PlanItemQuery>(std::move(q));
}

// A page of a plan as the preview JSON: the page's items, the whole plan's summary, and
// "page": {offset, limit, matched}.
// `recorded`: the run whose items these are (its purge state), null for a preview.
http::Response RenderPage(admin::PlanItemPage page, int64_t run_id,
                          const admin::PlanItemQuery& query, const Run* recorded = nullptr) {
  std::ostringstream out;
  WriteJson(out, page.plan, run_id, recorded);
  Json doc = Json::parse(out.str());
  Json summary = Json::object();
  for (size_t i = 0; i < kActionCount; ++i)
    summary[std::string(SummaryKey(static_cast<Action>(i)))] = page.summary[i];
  doc["summary"] = std::move(summary);
  doc["page"] = Json{{"offset", query.offset}, {"limit", query.limit}, {"matched", page.matched}};
  return detail::JsonOk(doc);
}

// A run's plan in `format`, as a download where it is one.
http::Response RenderReport(const Plan& plan, const Run& run, const std::string& format) {
  http::Response resp;
  const std::string file = "telsync-run-" + std::to_string(run.id);
  if (format == "xlsx") {
    auto bytes = XlsxBytes(plan, &run);
    if (!bytes.ok()) return detail::FromError(bytes.error());
    resp.body = std::move(bytes).value();
    resp.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    resp.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file + ".xlsx\"");
    return resp;
  }
  std::ostringstream out;
  if (format == "json") {
    WriteJson(out, plan, run.id, &run);
  } else if (format == "csv") {
    WriteCsv(out, plan, &run);
    resp.content_type = "text/csv; charset=utf-8";
    resp.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file + ".csv\"");
  } else {
    WriteHtml(out, plan, &run);
    resp.content_type = "text/html; charset=utf-8";
  }
  resp.body = out.str();
  return resp;
}

// The optional body of a revert: {"apply": bool, "pause": bool, "approve": bool}.
Result<RevertOptions> RevertBody(const std::string& text) {
  RevertOptions options;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return options;
  Json body = Json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return Error::Invalid("the body must be a JSON object").WithField("body");
  for (const auto& [key, value] : body.items()) {
    if (key != "apply" && key != "pause" && key != "approve")
      return Error::Invalid("unknown key " + key.substr(0, 64))
          .WithField("body." + key.substr(0, 64));
    if (!value.is_boolean())
      return Error::Invalid(key + " must be true or false").WithField("body." + key);
    (key == "apply"   ? options.apply
     : key == "pause" ? options.pause
                      : options.approve) = value.get<bool>();
  }
  if ((options.pause || options.approve) && !options.apply)
    return Error::Invalid("pause and approve need apply").WithField("body.apply");
  return options;
}

}  // namespace

http::Response RestApi::Revert(http::Request& r) {
  auto id = detail::IdParam(r, "id");
  if (!id.ok()) return detail::FromError(id.error());
  auto query = ReadReportQuery(r, false);
  if (!query.ok()) return detail::FromError(query.error());
  auto options = RevertBody(r.body);
  if (!options.ok()) return detail::FromError(options.error());
  const std::string tenant = r.Param("tenant");
  Result<Run> reverted = Error::Internal("");
  { reverted = store_.GetRun(tenant, *id); }
  if (!reverted.ok()) return detail::FromError(reverted.error(), "id");
  auto profile = FindProfile(tenant, reverted->profile);
  if (profile == nullptr)
    return detail::Fail(ErrorCode::kNotFound, "profile",
                        "run " + std::to_string(*id) + "'s profile " + reverted->profile +
                            " is no longer in the config");
  auto store = options_.open_store();
  if (!store.ok())
    return detail::Fail(ErrorCode::kUnavailable, "", "the store is unavailable; retry later");
  options->run_id = *id;
  options->trigger = "api";
  options->keep_days = options_.catalog->config().history_keep_days;
  options->now = options_.clock();
  options->clock = options_.clock;
  options->lock_wait_seconds = 10;  // a run of the profile in progress ends first
  options->targets = options_.catalog->TargetRoutes(tenant);
  auto outcome = ExecuteRevert(*profile, **store, *options);
  if (!outcome.ok()) return detail::FromError(outcome.error(), "id");
  if (query->format != "json") return RenderReport(outcome->plan, outcome->run, query->format);
  std::ostringstream out;
  WriteJson(out, outcome->plan, outcome->run.id);
  Json j = Json::parse(out.str());
  j["revert"] = Json{{"reverted_run", *id},
                     {"applied", options->apply && outcome->run.status != RunStatus::kHeld &&
                                     outcome->run.status != RunStatus::kFailed},
                     {"run", outcome->run.id != 0 ? admin::RunJson(outcome->run) : Json(nullptr)},
                     {"status", RunStatusName(outcome->run.status)},
                     {"held", outcome->plan.held},
                     {"hold_reason", outcome->plan.hold_reason},
                     {"paused", outcome->paused},
                     {"next_sync", outcome->next_sync_note}};
  return detail::JsonOk(j);
}

http::Response RestApi::ListDepartments(http::Request& r) {
  Result<std::vector<Department>> departments = Error::Internal("");
  { departments = store_.ListDepartments(r.Param("tenant")); }
  if (!departments.ok()) return detail::FromError(departments.error());
  Json list = Json::array();
  for (const Department& d : *departments) {
    list.push_back(Json{{"name", d.name},
                        {"profile", d.profile},
                        {"ring_group", d.ring_group},
                        {"members", d.members}});
  }
  return detail::JsonOk(Json{{"departments", list}});
}

http::Response RestApi::ListJobs(http::Request& r) {
  auto limit = detail::IntQuery(r, "limit", 20, 1, 1000);
  if (!limit.ok()) return detail::FromError(limit.error());
  Result<std::vector<JobRecord>> jobs = Error::Internal("");
  { jobs = store_.ListJobs(r.Param("tenant"), r.Query("profile"), *limit); }
  if (!jobs.ok()) return detail::FromError(jobs.error());
  Json list = Json::array();
  for (const JobRecord& j : *jobs) list.push_back(admin::JobJson(j));
  return detail::JsonOk(Json{{"jobs", list}});
}

http::Response RestApi::Preview(http::Request& r) {
  auto profile = FindProfile(r.Param("tenant"), r.Param("profile"));
  if (profile == nullptr)
    return detail::Fail(ErrorCode::kNotFound, "profile",
                        "no profile " + r.Param("profile").substr(0, 64));
  auto user = detail::UserFromBody(r.body);
  if (!user.ok()) return detail::FromError(user.error());
  auto paging = ReadPlanItemQuery(r);
  if (!paging.ok()) return detail::FromError(paging.error());
  if (r.HasQuery("job")) {
    const std::string job = r.Query("job");
    if (job != "true" && job != "1" && job != "false" && job != "0")
      return detail::Fail(ErrorCode::kInvalid, "job", "must be true or false");
    // A large tenant's preview as a job: 202 now, its run's items read page by page later.
    if (job == "true" || job == "1")
      return StartSync(r.Param("tenant"), *profile, 0, *user, /*preview=*/true);
  }
  auto store = options_.open_store();
  if (!store.ok())
    return detail::Fail(ErrorCode::kUnavailable, "", "the store is unavailable; retry later");
  EngineOptions options;
  options.kind = RunKind::kPreview;
  options.trigger = user->empty() ? "api" : "user:" + *user;
  options.lock_wait_seconds = 10;  // a run of the profile in progress ends first
  if (!user->empty()) options.only_user = *user;
  options.now = options_.clock();
  options.clock = options_.clock;
  options.targets = options_.catalog->TargetRoutes(profile->tenant);
  auto prepared = PreparedRun::Make(*profile, options_.base_dir);
  if (!prepared.ok()) return detail::FromError(prepared.error(), "profile");
  auto outcome = prepared->Run(**store, options);
  if (!outcome.ok()) return detail::FromError(outcome.error());
  if (*paging) {
    return RenderPage(admin::PagePlanItems(std::move(outcome->plan), **paging), outcome->run.id,
                      **paging);
  }
  std::ostringstream out;
  WriteJson(out, outcome->plan, outcome->run.id);
  return detail::JsonText(out.str());
}

http::Response RestApi::StartSync(const std::string& tenant, const Profile& profile,
                                  int64_t approve, const std::string& user, bool preview) {
  JobRecord job;
  job.tenant = tenant;
  job.profile = profile.name;
  job.kind = preview ? "preview" : approve != 0 ? "approve" : "sync";
  job.approve_run = approve;
  job.trigger = !user.empty() ? "user:" + user : "api";
  job.created_at = options_.clock();
  Result<int64_t> id = Error::Internal("");
  { id = store_.EnqueueJob(job); }
  if (!id.ok()) return detail::FromError(id.error(), "profile");
  if (options_.on_job_queued) options_.on_job_queued();
  Json j;
  j["job"] = *id;
  j["status"] = "queued";
  http::Response resp = detail::Accepted(j);
  resp.headers.emplace_back("Location",
                            "/api/v1/tenants/" + tenant + "/jobs/" + std::to_string(*id));
  return resp;
}

http::Response RestApi::Sync(http::Request& r) {
  auto profile = FindProfile(r.Param("tenant"), r.Param("profile"));
  if (profile == nullptr)
    return detail::Fail(ErrorCode::kNotFound, "profile",
                        "no profile " + r.Param("profile").substr(0, 64));
  auto user = detail::UserFromBody(r.body);
  if (!user.ok()) return detail::FromError(user.error());
  return StartSync(r.Param("tenant"), *profile, 0, *user);
}

http::Response RestApi::Approve(http::Request& r) {
  auto id = detail::IdParam(r, "id");
  if (!id.ok()) return detail::FromError(id.error());
  const std::string tenant = r.Param("tenant");
  Result<Run> run = Error::Internal("");
  { run = store_.GetRun(tenant, *id); }
  if (!run.ok()) return detail::FromError(run.error(), "id");
  if (run->status != RunStatus::kHeld)
    return detail::Fail(
        ErrorCode::kConflict, "id",
        "run " + std::to_string(*id) + " is " + RunStatusName(run->status) + ", not held");
  auto profile = FindProfile(tenant, run->profile);
  if (profile == nullptr)
    return detail::Fail(ErrorCode::kNotFound, "profile",
                        "run " + std::to_string(*id) + "'s profile " + run->profile +
                            " is no longer in the config");
  return StartSync(tenant, *profile, *id, "");
}

http::Response RestApi::GetJob(http::Request& r) {
  auto id = detail::IdParam(r, "id");
  if (!id.ok()) return detail::FromError(id.error());
  Result<JobRecord> job = Error::Internal("");
  { job = store_.GetJob(r.Param("tenant"), *id); }
  if (!job.ok()) return detail::FromError(job.error(), "id");
  return detail::JsonOk(admin::JobJson(*job));
}

http::Response RestApi::ListRuns(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  auto limit = detail::IntQuery(r, "limit", 20, 1, 1000);
  if (!limit.ok()) return detail::FromError(limit.error());
  const std::string profile = r.Query("profile");
  if (!profile.empty() && FindProfile(tenant, profile) == nullptr)
    return detail::Fail(ErrorCode::kInvalid, "profile",
                        "no profile " + profile.substr(0, 64) + " in tenant " + tenant);
  Json runs = Json::array();
  Json last = Json::object();
  const auto profiles = options_.catalog->List(tenant);
  {
    auto listed = store_.ListRuns(tenant, profile, *limit);
    if (!listed.ok()) return detail::FromError(listed.error());
    for (const Run& run : *listed) runs.push_back(admin::RunJson(run));
    for (const auto& p : profiles) {
      if (!profile.empty() && p->name != profile) continue;
      auto ok = store_.LastSuccessfulSync(tenant, p->name);
      if (ok.ok()) last[p->name] = ok->has_value() ? Json((*ok)->id) : Json(nullptr);
    }
  }
  return detail::JsonOk(Json{{"runs", runs}, {"last_successful_sync", last}});
}

http::Response RestApi::GetRun(http::Request& r) {
  auto id = detail::IdParam(r, "id");
  if (!id.ok()) return detail::FromError(id.error());
  auto run = store_.GetRun(r.Param("tenant"), *id);
  if (!run.ok()) return detail::FromError(run.error(), "id");
  return detail::JsonOk(admin::RunJson(*run));
}

http::Response RestApi::RunReport(http::Request& r, bool items) {
  auto id = detail::IdParam(r, "id");
  if (!id.ok()) return detail::FromError(id.error());
  auto query = ReadReportQuery(r, items);
  if (!query.ok()) return detail::FromError(query.error());
  Result<std::optional<admin::PlanItemQuery>> paging = std::optional<admin::PlanItemQuery>();
  if (items) paging = ReadPlanItemQuery(r);
  if (!paging.ok()) return detail::FromError(paging.error());
  // A page filters on the whole run's items: the summary counts them all.
  if (*paging) query->filter.reset();
  const std::string tenant = r.Param("tenant");
  if (*paging) {
    // A page is read from the store: the first 50 items of a 100,000-item run cost 50 rows.
    Result<Run> run = store_.GetRun(tenant, *id);
    if (!run.ok()) return detail::FromError(run.error(), "id");
    auto listed = store_.GetRunItemsPage(tenant, *id, admin::ToRunItemsQuery(**paging));
    if (!listed.ok()) return detail::FromError(listed.error());
    auto departments = store_.GetRunDepartments(tenant, *id);
    if (!departments.ok()) return detail::FromError(departments.error());
    admin::PlanItemPage page;
    page.plan = PlanFromRun(*run, std::move(listed->items), std::move(departments).value());
    page.summary = listed->summary;
    page.matched = listed->matched;
    return RenderPage(std::move(page), run->id, **paging, &*run);
  }
  Result<Run> run = Error::Internal("");
  Result<std::vector<PlanItem>> listed = Error::Internal("");
  Result<std::vector<DepartmentChange>> departments = Error::Internal("");
  {
    run = store_.GetRun(tenant, *id);
    if (!run.ok()) return detail::FromError(run.error(), "id");
    listed = store_.GetRunItems(tenant, *id, query->filter);
    departments = store_.GetRunDepartments(tenant, *id);
  }
  if (!listed.ok()) return detail::FromError(listed.error());
  if (!departments.ok()) return detail::FromError(departments.error());
  Plan plan = PlanFromRun(*run, std::move(listed).value(), std::move(departments).value());
  return RenderReport(plan, *run, query->format);
}

}  // namespace telsync::api
