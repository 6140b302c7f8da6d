// The REST API's profile handlers: /api/v1/tenants/{tenant}/profiles[/{profile}] and
// test-connection. Parse, call admin/profiles.h, render.
#include "admin/profiles.h"

#include "admin/mapping_draft.h"
#include "admin/schedules.h"
#include "admin/views.h"
#include "server/api/detail/respond.h"
#include "server/api/rest_api.h"
#include "sources/source.h"

namespace telsync::api {
namespace {

using detail::Json;

void AddETag(http::Response& resp, int64_t version) {
  resp.headers.emplace_back("ETag", "\"" + std::to_string(version) + "\"");
}

}  // namespace

http::Response RestApi::Profiles(http::Request& r) {
  const std::string tenant = r.Param("tenant");
  Json list = Json::array();
  for (const auto& p : options_.catalog->List(tenant)) {
    Json j = admin::ProfileJson(*p);
    j["origin"] = options_.catalog->FromConfig(tenant, p->name) ? "config" : "api";
    list.push_back(std::move(j));
  }
  return detail::JsonOk(Json{{"profiles", list}});
}

http::Response RestApi::GetProfile(http::Request& r) {
  Result<admin::ProfileView> view = Error::Internal("");
  { view = admin::GetProfile(store_, *options_.catalog, r.Param("tenant"), r.Param("profile")); }
  if (!view.ok()) return detail::FromError(view.error());
  Json j = admin::ProfileJson(*view->profile);
  j["origin"] = view->from_config ? "config" : "api";
  if (!view->version) return detail::JsonOk(j);
  j["version"] = *view->version;
  j["updated_at"] = view->updated_at;
  if (!view->document.empty()) j["document"] = Json::parse(view->document);
  http::Response resp = detail::JsonOk(j);
  AddETag(resp, *view->version);
  return resp;
}

http::Response RestApi::PutProfile(http::Request& r, bool create, bool patch) {
  admin::ProfileWrite write;
  write.tenant = r.Param("tenant");
  write.create = create;
  write.merge_patch = patch;
  if (!create) write.path_name = r.Param("profile");
  write.if_match = r.Header("If-Match");
  write.body = r.body;
  Result<admin::SavedProfile> saved =
      admin::PutProfile(store_, *options_.catalog, write, options_.clock());
  if (!saved.ok()) return detail::FromError(saved.error());
  if (options_.on_profiles_changed) options_.on_profiles_changed();
  Json j = admin::ProfileJson(*saved->profile);
  j["origin"] = "api";
  j["version"] = saved->version;
  http::Response resp = create ? detail::Created(j) : detail::JsonOk(j);
  AddETag(resp, saved->version);
  if (create) {
    resp.headers.emplace_back(
        "Location", "/api/v1/tenants/" + write.tenant + "/profiles/" + saved->profile->name);
  }
  return resp;
}

http::Response RestApi::DeleteProfile(http::Request& r) {
  Status deleted = Ok();
  {
    deleted =
        admin::DeleteProfile(store_, *options_.catalog, r.Param("tenant"), r.Param("profile"));
  }
  if (!deleted.ok()) return detail::FromError(deleted.error());
  if (options_.on_profiles_changed) options_.on_profiles_changed();
  return detail::NoContent();
}

http::Response RestApi::TestConnection(http::Request& r) {
  auto profile = FindProfile(r.Param("tenant"), r.Param("profile"));
  if (!profile)
    return detail::Fail(ErrorCode::kNotFound, "profile",
                        "no profile " + r.Param("profile").substr(0, 64));
  Json j;
  j["profile"] = profile->name;
  j["source"] = profile->source.type();
  if (profile->source.type() == "scim") {
    Result<size_t> users = Error::Internal("");
    { users = store_.CountMirror(profile->tenant, profile->name, ObjectKind::kUser); }
    j["ok"] = users.ok();
    j["message"] = users.ok() ? "SCIM pushes: " + std::to_string(*users) +
                                    " users received from the identity provider so far"
                              : users.error().message;
    return detail::JsonOk(j);
  }
  auto source = MakeSource(profile->source, options_.base_dir);
  if (!source.ok()) {
    j["ok"] = false;
    j["message"] = source.error().message;
    return detail::JsonOk(j);
  }
  ConnectionReport report = (*source)->TestConnection();
  j["ok"] = report.ok;
  j["message"] = report.message;
  j["attributes"] = report.attributes;
  j["sample"] = report.sample;
  return detail::JsonOk(j);
}

http::Response RestApi::NextRuns(http::Request& r) {
  auto count = detail::IntQuery(r, "count", 5, 1, 20);
  if (!count.ok()) return detail::FromError(count.error());
  const int64_t now = options_.clock ? options_.clock() : 0;
  auto next = admin::NextOccurrences(r.Query("cron"), r.Query("timezone"), now, *count);
  if (!next.ok()) return detail::FromError(next.error());
  Json list = Json::array();
  for (const admin::Occurrence& o : *next) list.push_back(Json{{"at", o.at}, {"local", o.local}});
  return detail::JsonOk(Json{{"cron", r.Query("cron")}, {"next", list}});
}

// The body of POST .../map: {"mapping": {field: expression}, "user": {attribute: value or
// [values]}, "groups": [names]}; kInvalid naming the part at fault.
Result<admin::MappingDraft> ReadMappingDraft(const std::string& body, const Profile& profile) {
  Json doc = Json::parse(body.empty() ? "{}" : body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return Error::Invalid("the body must be a JSON object").WithField("body");
  admin::MappingDraft draft;
  draft.source_type = profile.source.type();
  for (const auto& [key, value] : doc.items()) {
    if (key == "mapping") {
      if (!value.is_object())
        return Error::Invalid("an object: PBX field -> expression").WithField("body.mapping");
      for (const auto& [field, expression] : value.items()) {
        if (!expression.is_string())
          return Error::Invalid("an expression is a string").WithField("body.mapping." + field);
        draft.mapping[field] = expression.get<std::string>();
      }
    } else if (key == "user") {
      if (!value.is_object())
        return Error::Invalid("an object: attribute -> value or [values]").WithField("body.user");
      for (const auto& [name, v] : value.items()) {
        std::vector<std::string> values;
        for (const Json& one : v.is_array() ? v : Json::array({v})) {
          if (one.is_string())
            values.push_back(one.get<std::string>());
          else if (one.is_number() || one.is_boolean())
            values.push_back(one.dump());
          else if (!one.is_null())
            return Error::Invalid("a value is a string").WithField("body.user." + name);
        }
        draft.attributes.emplace_back(name, std::move(values));
      }
    } else if (key == "groups") {
      if (!value.is_array())
        return Error::Invalid("an array of group names").WithField("body.groups");
      for (const Json& g : value) {
        if (!g.is_string()) return Error::Invalid("a group is a string").WithField("body.groups");
        draft.groups.push_back(g.get<std::string>());
      }
    } else {
      return Error::Invalid("unknown key").WithField("body." + key.substr(0, 40));
    }
  }
  return draft;
}

http::Response RestApi::MapUser(http::Request& r) {
  auto profile = FindProfile(r.Param("tenant"), r.Param("profile"));
  if (profile == nullptr)
    return detail::Fail(ErrorCode::kNotFound, "profile",
                        "no profile " + r.Param("profile").substr(0, 64));
  auto draft = ReadMappingDraft(r.body, *profile);
  if (!draft.ok()) return detail::FromError(draft.error());
  auto mapped = admin::MapDraft(*draft);
  if (!mapped.ok()) return detail::FromError(mapped.error());
  Json fields = Json::object();
  for (const auto& [name, value] : mapped->fields) fields[name] = value;
  Json custom = Json::object();
  for (const auto& [name, value] : mapped->custom) custom[name] = value;
  Json expressions = Json::object();
  for (const auto& [name, text] : mapped->expressions) expressions[name] = text;
  return detail::JsonOk(Json{{"source", draft->source_type},
                             {"fields", fields},
                             {"custom", custom},
                             {"mapping", expressions}});
}

}  // namespace telsync::api
