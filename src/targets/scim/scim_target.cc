#include "targets/scim/scim_target.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "model/fields.h"
#include "targets/http_outcome.h"
#include "targets/scim/scim_mapping.h"
#include "util/http_client.h"
#include "util/text.h"

namespace telsync {
namespace {

using json = nlohmann::json;

constexpr const char* kScimUser = "scim_user";
constexpr size_t kPage = 200;

// What the target needs of a user, from an event's payload or from the PBX directory.
struct UserView {
  int64_t id = 0;
  bool exists = false;  // false: deleted (the target must hold nothing of it)
  std::map<std::string, std::string> fields;
  bool enabled = true;  // searchable and not pending deletion
};

UserView FromEvent(const OutboxEvent& event) {
  UserView view;
  view.id = event.user_id;
  if (event.kind == "user_deleted") return view;
  json payload = json::parse(event.payload, nullptr, false);
  if (payload.is_discarded() || !payload.contains("user") || !payload["user"].is_object()) {
    return view;
  }
  view.exists = true;
  bool searchable = true;
  for (const auto& [name, value] : payload["user"].items()) {
    if (value.is_string()) view.fields[name] = value.get<std::string>();
    if (name == "searchable" && value.is_boolean()) searchable = value.get<bool>();
  }
  view.enabled = searchable && view.fields["state"] != "pending_delete";
  return view;
}

UserView FromUser(const PbxUser& user) {
  UserView view;
  view.id = user.id;
  view.exists = true;
  for (size_t i = 0; i < kFieldCount; ++i) {
    const Field f = static_cast<Field>(i);
    if (!user.fields.Get(f).empty()) {
      view.fields[std::string(FieldName(f))] = std::string(user.fields.Get(f));
    }
  }
  if (!user.source_key.empty()) view.fields["source_key"] = user.source_key;
  if (!user.profile.empty()) view.fields["profile"] = user.profile;
  view.enabled = user.searchable && user.state == UserState::kActive;
  return view;
}

bool Retryable(const Status& s) {
  return !s.ok() &&
         (s.error().code == ErrorCode::kUnavailable || s.error().code == ErrorCode::kThrottled);
}

std::string Quote(const std::string& value) {
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string Text(const json& resource, const char* name) {
  auto it = resource.find(name);
  return it != resource.end() && it->is_string() ? it->get<std::string>() : "";
}

// The server's users, as one full listing (Reconcile).
struct Listing {
  std::map<std::string, json> by_id;
  std::map<std::string, std::string> id_by_external;
  std::map<std::string, std::string> id_by_username;  // lower case
};

class ScimTarget final : public Target {
 public:
  ScimTarget(TargetConfig config, std::string tenant, TargetStateStore& store,
             std::vector<std::pair<std::string, std::string>> mapping)
      : config_(std::move(config)),
        tenant_(std::move(tenant)),
        store_(store),
        mapping_(std::move(mapping)),
        http_(Options(config_)) {}

  const TargetConfig& config() const override { return config_; }
  int64_t retry_after_seconds() const override { return retry_after_; }

  Result<std::vector<Status>> Publish(const std::vector<OutboxEvent>& events,
                                      int64_t now) override {
    retry_after_ = 0;
    now_ = now;
    if (Status s = LoadOwnership(); !s.ok()) return s.error();
    std::vector<Status> results;
    results.reserve(events.size());
    for (const OutboxEvent& event : events) {
      if (event.user_id == 0) {  // departments: not published to SCIM
        results.push_back(Ok());
        continue;
      }
      Status outcome = Sync(FromEvent(event), nullptr, false, nullptr);
      if (Retryable(outcome)) {
        // The rest waits: a user's later events must not overtake this one.
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
    now_ = now;
    if (Status s = LoadOwnership(); !s.ok()) return s.error();
    Result<Listing> listing = List();
    if (!listing.ok()) return listing.error();
    ReconcileReport report;
    std::set<int64_t> seen;
    auto run = [&](const UserView& view) -> Status {
      Status s = Sync(view, &*listing, dry_run, &report.steps);
      if (Retryable(s)) return s;
      return Ok();  // a refused user is a step of the report ("conflict"), not a failure
    };
    for (const PbxUser& user : users) {
      seen.insert(user.id);
      if (Status s = run(FromUser(user)); !s.ok()) return s.error();
    }
    std::vector<int64_t> gone;
    for (const auto& [user_id, id] : owner_) {
      if (!seen.count(user_id)) gone.push_back(user_id);
    }
    for (const int64_t user_id : gone) {
      UserView view;
      view.id = user_id;
      if (Status s = run(view); !s.ok()) return s.error();
    }
    report.applied = !dry_run;
    return report;
  }

 private:
  static HttpOptions Options(const TargetConfig& config) {
    HttpOptions options;
    options.timeout_ms = config.timeout_seconds * 1000;
    options.connect_timeout_ms = std::min<long>(options.timeout_ms, 10000);  // NOLINT
    return options;
  }

  Status LoadOwnership() {
    Result<std::vector<TargetObject>> objects = store_.ListTargetObjects(tenant_, config_.name);
    if (!objects.ok()) return objects.error();
    owner_.clear();
    for (const TargetObject& o : *objects) {
      if (o.type == kScimUser) owner_[o.user_id] = o.key;
    }
    return Ok();
  }

  Status Own(int64_t user_id, const std::string& id) {
    if (auto it = owner_.find(user_id); it != owner_.end() && it->second != id) {
      if (Status s = store_.RemoveTargetObject(tenant_, config_.name, kScimUser, it->second);
          !s.ok()) {
        return s;
      }
    }
    owner_[user_id] = id;
    return store_.PutTargetObject({tenant_, config_.name, kScimUser, id, user_id});
  }

  Status Disown(int64_t user_id) {
    auto it = owner_.find(user_id);
    if (it == owner_.end()) return Ok();
    const std::string id = it->second;
    owner_.erase(it);
    return store_.RemoveTargetObject(tenant_, config_.name, kScimUser, id);
  }

  bool Routed(const UserView& view) const {
    if (config_.rule.field.empty()) return true;
    auto it = view.fields.find(config_.rule.field);
    const std::string value = it == view.fields.end() ? "" : AsciiLower(it->second);
    for (const std::string& v : config_.rule.values) {
      if (AsciiLower(v) == value) return true;
    }
    return false;
  }

  // telsync's key of the user: its profile and source object (immutable, and never given to
  // another user), or its row id for a user no source manages. A row id alone can come back
  // for a new user after a delete.
  std::string ExternalId(const UserView& view) const {
    auto source = view.fields.find("source_key");
    if (source != view.fields.end() && !source->second.empty()) {
      auto profile = view.fields.find("profile");
      return tenant_ + ":" + (profile == view.fields.end() ? "" : profile->second) + ":" +
             source->second;
    }
    return tenant_ + ":" + std::to_string(view.id);
  }

  // One request. A transport failure is kUnavailable; the caller judges the status.
  Result<HttpResponse> Call(const std::string& method, const std::string& path, const json* body) {
    Headers headers = {{"Authorization", "Bearer " + config_.token.Reveal()},
                       {"Accept", "application/scim+json, application/json"},
                       {"User-Agent", "telsync"}};
    std::string text;
    if (body != nullptr) {
      headers.emplace_back("Content-Type", "application/scim+json");
      text = body->dump(-1, ' ', false, json::error_handler_t::replace);
    }
    return http_.Send(method, config_.url + path, headers, body != nullptr ? &text : nullptr);
  }

  // The outcome of an answer, with the SCIM error's detail (RFC 7644 §3.12) when it has one.
  Status Outcome(const HttpResponse& response, const std::string& method) {
    std::string detail = response.body;
    json error = json::parse(response.body, nullptr, false);
    if (!error.is_discarded() && error.is_object()) {
      if (error.contains("detail") && error["detail"].is_string()) {
        detail = error["detail"].get<std::string>();
      }
    }
    Status outcome =
        HttpOutcome(response.status, detail, method + " " + HttpClient::Origin(config_.url));
    if (Retryable(outcome)) {
      retry_after_ = std::max(
          retry_after_, RetryAfterSeconds(response.RetryAfterSeconds(static_cast<double>(now_))));
    }
    return outcome;
  }

  // GET of one resource; std::nullopt when the server has no such user (404).
  Result<std::optional<json>> Fetch(const std::string& id, const Listing* listing) {
    if (listing != nullptr) {
      auto it = listing->by_id.find(id);
      if (it == listing->by_id.end()) return std::optional<json>();
      return std::optional<json>(it->second);
    }
    Result<HttpResponse> r = Call("GET", "/Users/" + HttpClient::Encode(id), nullptr);
    if (!r.ok()) return r.error();
    if (r->status == 404) return std::optional<json>();
    if (Status s = Outcome(*r, "GET"); !s.ok()) return s.error();
    json doc = json::parse(r->body, nullptr, false);
    if (!doc.is_object()) return Error::Invalid("GET /Users/" + id + " answered no SCIM user");
    return std::optional<json>(std::move(doc));
  }

  // The first user matching `attr eq value`, or std::nullopt.
  Result<std::optional<json>> Find(const std::string& attr, const std::string& value,
                                   const Listing* listing) {
    if (listing != nullptr) {
      const auto& index = attr == "externalId" ? listing->id_by_external : listing->id_by_username;
      auto it = index.find(attr == "externalId" ? value : AsciiLower(value));
      if (it == index.end()) return std::optional<json>();
      return std::optional<json>(listing->by_id.at(it->second));
    }
    Result<HttpResponse> r =
        Call("GET", "/Users?filter=" + HttpClient::Encode(attr + " eq " + Quote(value)), nullptr);
    if (!r.ok()) return r.error();
    if (Status s = Outcome(*r, "GET"); !s.ok()) return s.error();
    json doc = json::parse(r->body, nullptr, false);
    if (doc.is_object() && doc.contains("Resources") && doc["Resources"].is_array()) {
      for (const json& u : doc["Resources"]) {
        if (u.is_object()) return std::optional<json>(u);
      }
    }
    return std::optional<json>();
  }

  Result<Listing> List() {
    Listing listing;
    for (size_t start = 1;;) {
      Result<HttpResponse> r = Call(
          "GET", "/Users?startIndex=" + std::to_string(start) + "&count=" + std::to_string(kPage),
          nullptr);
      if (!r.ok()) return r.error();
      if (Status s = Outcome(*r, "GET"); !s.ok()) return s.error();
      json doc = json::parse(r->body, nullptr, false);
      if (!doc.is_object() || !doc.contains("Resources") || !doc["Resources"].is_array()) break;
      const size_t got = doc["Resources"].size();
      for (json& u : doc["Resources"]) {
        const std::string id = Text(u, "id");
        if (id.empty()) continue;
        if (const std::string ext = Text(u, "externalId"); !ext.empty()) {
          listing.id_by_external.emplace(ext, id);
        }
        listing.id_by_username.emplace(AsciiLower(Text(u, "userName")), id);
        listing.by_id[id] = std::move(u);
      }
      const size_t total = doc.value("totalResults", size_t{0});
      start += got;
      if (got == 0 || start > total) break;
    }
    return listing;
  }

  // Brings the server's copy of one user to what `view` says. Returns this user's outcome
  // (retryable errors stop the batch). With `listing` (Reconcile) nothing is read per user.
  Status Sync(const UserView& view, const Listing* listing, bool dry_run,
              std::vector<ReconcileStep>* steps) {
    auto step = [&](const char* action, const std::string& key, std::string detail) {
      if (steps != nullptr) steps->push_back({action, "user", key, std::move(detail)});
    };
    const bool want = view.exists && Routed(view);
    std::optional<std::string> owned;
    if (auto it = owner_.find(view.id); it != owner_.end()) owned = it->second;
    auto username_of = [&]() {
      auto it = view.fields.find("username");
      return it == view.fields.end() ? std::string() : it->second;
    };
    const std::string who =
        "user " + (username_of().empty() ? std::to_string(view.id) : username_of());

    if (!want) {
      if (!owned) return Ok();
      if (config_.on_delete == ScimOnDelete::kDelete) {
        if (listing != nullptr && !listing->by_id.count(*owned)) {
          return dry_run ? Status(Ok()) : Disown(view.id);
        }
        step("delete", *owned, view.exists ? "no longer routed here" : "user deleted");
        if (dry_run) return Ok();
        Result<HttpResponse> r = Call("DELETE", "/Users/" + HttpClient::Encode(*owned), nullptr);
        if (!r.ok()) return r.error();
        if (r->status != 404) {
          if (Status s = Outcome(*r, "DELETE"); !s.ok()) return Annotate(s, who);
        }
        return Disown(view.id);
      }
      Result<std::optional<json>> current = Fetch(*owned, listing);
      if (!current.ok()) return current.error();
      if (!*current) return dry_run ? Status(Ok()) : Disown(view.id);
      if (ScimRead(**current, "active") == "false") return Ok();
      step("deactivate", *owned, view.exists ? "no longer routed here" : "user deleted");
      if (dry_run) return Ok();
      const json patch = {
          {"schemas", json::array({"urn:ietf:params:scim:api:messages:2.0:PatchOp"})},
          {"Operations", json::array({{{"op", "replace"}, {"value", {{"active", false}}}}})}};
      return Write("PATCH", "/Users/" + HttpClient::Encode(*owned), patch, who);
    }

    const ScimDesired desired = MakeScimDesired(mapping_, view.fields, view.enabled,
                                                ExternalId(view), config_.phone_render);
    if (desired.user_name.empty()) {
      return Error::Invalid("has no username: a SCIM user needs a userName", who);
    }
    std::optional<json> current;
    std::string id;
    if (owned) {
      Result<std::optional<json>> got = Fetch(*owned, listing);
      if (!got.ok()) return Annotate(got.error(), who);
      const std::string ext = *got ? Text(**got, "externalId") : "";
      if (*got && (ext.empty() || ext == desired.external_id)) {
        current = std::move(*got);
        id = *owned;
      } else if (!dry_run) {
        // Gone from the server, or the resource of an earlier user that had this row id
        // (deactivated, not deleted): it is left as it is.
        if (Status s = Disown(view.id); !s.ok()) return s;
      }
    }
    if (!current) {
      // Adopt before create: telsync's own resource (by externalId), then the userName.
      Result<std::optional<json>> found = Find("externalId", desired.external_id, listing);
      if (!found.ok()) return Annotate(found.error(), who);
      if (!*found) {
        found = Find("userName", desired.user_name, listing);
        if (!found.ok()) return Annotate(found.error(), who);
      }
      if (*found) {
        const std::string ext = Text(**found, "externalId");
        if (!ext.empty() && ext != desired.external_id) {
          step("conflict", Text(**found, "id"), "userName taken by another system's user");
          return Error::Conflict("userName \"" + desired.user_name +
                                     "\" exists on the SCIM service with another externalId and "
                                     "telsync did not create it: left alone",
                                 who);
        }
        id = Text(**found, "id");
        current = std::move(*found);
        step("adopt", id, owned ? "recreated by hand" : "exists on the server");
        if (!dry_run) {
          if (Status s = Own(view.id, id); !s.ok()) return s;
        }
      } else {
        step("create", desired.user_name, owned ? "deleted on the server by hand" : "");
        if (dry_run) return Ok();
        const json resource = ScimResource(desired);
        Result<HttpResponse> r = Call("POST", "/Users", &resource);
        if (!r.ok()) return r.error();
        if (Status s = Outcome(*r, "POST"); !s.ok()) return Annotate(s, who);
        json created = json::parse(r->body, nullptr, false);
        const std::string new_id = created.is_object() ? Text(created, "id") : "";
        if (new_id.empty()) {
          return Error::Invalid("POST /Users answered without the new user's id", who);
        }
        return Own(view.id, new_id);
      }
    }
    std::vector<std::string> changed;
    const json patch = ScimPatch(desired, *current, &changed);
    if (patch["Operations"].empty()) return Ok();
    std::string detail;
    for (const std::string& c : changed) detail += (detail.empty() ? "" : ", ") + c;
    step("update", id, detail);
    if (dry_run) return Ok();
    return Write("PATCH", "/Users/" + HttpClient::Encode(id), patch, who);
  }

  Status Write(const std::string& method, const std::string& path, const json& body,
               const std::string& who) {
    Result<HttpResponse> r = Call(method, path, &body);
    if (!r.ok()) return r.error();
    return Annotate(Outcome(*r, method), who);
  }

  static Status Annotate(Status s, const std::string& who) {
    if (s.ok() || !s.error().context.empty()) return s;
    Error e = s.error();
    e.context = who;
    return e;
  }

  TargetConfig config_;
  std::string tenant_;
  TargetStateStore& store_;
  std::vector<std::pair<std::string, std::string>> mapping_;
  HttpClient http_;
  std::map<int64_t, std::string> owner_;  // user id -> SCIM id
  int64_t retry_after_ = 0;
  int64_t now_ = 0;
};

}  // namespace

Result<std::unique_ptr<Target>> MakeScimTarget(const TargetConfig& config,
                                               const std::string& tenant, TargetStateStore& store) {
  Result<std::vector<std::pair<std::string, std::string>>> mapping = ScimMapping(config.mapping);
  if (!mapping.ok()) {
    Error e = mapping.error();
    e.context = "target " + config.name + "." + e.context;
    return e;
  }
  return std::unique_ptr<Target>(
      std::make_unique<ScimTarget>(config, tenant, store, std::move(*mapping)));
}

}  // namespace telsync
