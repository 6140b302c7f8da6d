#include "sources/graph/graph_source.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "util/service_metrics.h"

namespace telsync {
namespace {

constexpr int kMaxTries = 8;
const char* kUsersPermission = "User.Read.All";
const char* kGroupsPermission = "GroupMember.Read.All";

double WallClock() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// Group members that came back as an id with every property null (graph::PageInfo): the
// app lacks User.Read.All. A read that saw one fails, so no stored field is blanked.
Error LimitedInformation(const std::string& what) {
  return Error{ErrorCode::kAuth,
               what +
                   ": members are returned with limited information (an id, every "
                   "property null): grant User.Read.All (application permission, with "
                   "admin consent) beside GroupMember.Read.All",
               ""};
}

bool Retryable(long status) {
  return status == 429 || status == 503 || status == 504 || status == 502;
}  // NOLINT

}  // namespace

GraphSource::GraphSource(GraphSourceConfig config, std::function<void(double)> sleep,
                         std::function<double()> now)
    : config_(std::move(config)), sleep_(std::move(sleep)), now_(std::move(now)), http_([this] {
        HttpOptions options;
        options.ca_file = config_.ca_file;
        options.proxy = config_.proxy;
        options.verify_tls = true;  // R6: a graph source has no key to turn checks off
        return options;
      }()) {
  if (!sleep_) {
    sleep_ = [](double seconds) {
      std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    };
  }
  if (!now_) now_ = WallClock;
}

std::string GraphSource::Describe() const { return "graph:" + config_.tenant_id; }

Result<std::string> GraphSource::AccessToken() {
  if (!token_.empty() && now_() < token_renew_at_) return token_;
  token_.clear();
  const std::string url =
      config_.authority + "/" + HttpClient::Encode(config_.tenant_id) + "/oauth2/v2.0/token";
  Result<HttpResponse> answer = Error::Internal("no attempt");
  for (int attempt = 0; attempt < 3; ++attempt) {
    answer = http_.PostForm(url,
                            {{"client_id", config_.client_id},
                             {"scope", config_.graph_url + "/.default"},
                             {"client_secret", config_.client_secret.Reveal()},
                             {"grant_type", "client_credentials"}},
                            {{"Accept", "application/json"}});
    if (answer.ok() && !Retryable(answer->status)) break;
    if (attempt < 2) {
      const double wait = graph::RetryDelay(attempt, std::nullopt, 0.5);
      metrics::ThrottleWaitSecondsTotal().With({"graph"}).Inc(wait);
      sleep_(wait);
    }
  }
  if (!answer.ok()) {
    return Error::Unavailable("cannot sign in to Entra ID: " + answer.error().message);
  }
  auto token =
      graph::ParseTokenAnswer(answer->status, answer->body, config_.tenant_id, config_.client_id);
  if (!token.ok()) return token.error();
  token_ = token->access_token;
  // Renew ahead of expiry: 5 minutes early, or at 80% of a short lifetime.
  const double margin = std::min(300.0, token->expires_in / 5);
  token_renew_at_ = now_() + token->expires_in - margin;
  return token_;
}

Result<HttpResponse> GraphSource::Call(const std::string& url, const std::string& what,
                                       const Headers& extra) {
  bool renewed = false;
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::string last_problem;
  for (int attempt = 0;; ++attempt) {
    auto token = AccessToken();
    if (!token.ok()) return token.error();
    Headers headers{{"Authorization", "Bearer " + *token}, {"Accept", "application/json"}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    auto answer = http_.Get(url, headers);
    std::optional<double> retry_after;
    if (answer.ok()) {
      if (answer->status == 401 && !renewed) {
        // The token expired or was revoked mid-read: sign in again, once.
        renewed = true;
        token_.clear();
        --attempt;
        continue;
      }
      if (!Retryable(answer->status)) return answer;
      retry_after = answer->RetryAfterSeconds(now_());
      metrics::ThrottledRequestsTotal().With({"graph"}).Inc();
      last_problem = "HTTP " + std::to_string(answer->status) +
                     (answer->status == 429 ? " Too Many Requests" : " from Graph");
    } else {
      last_problem = answer.error().message;
    }
    const double wait = graph::RetryDelay(attempt, retry_after, unit(rng));
    if (attempt + 1 >= kMaxTries || waited_ + wait > config_.max_retry_seconds) {
      const ErrorCode code =
          answer.ok() && answer->status == 429 ? ErrorCode::kThrottled : ErrorCode::kUnavailable;
      return Error{code,
                   what + " failed after " + std::to_string(attempt + 1) + " tries (" +
                       last_problem + "; waited " + std::to_string(static_cast<int>(waited_)) +
                       " s of the " + std::to_string(config_.max_retry_seconds) +
                       " s retry budget)",
                   ""};
    }
    waited_ += wait;
    metrics::ThrottleWaitSecondsTotal().With({"graph"}).Inc(wait);
    sleep_(wait);
  }
}

Result<std::string> GraphSource::WalkUsers(std::string url, const std::string& what,
                                           const std::string& permission,
                                           const std::function<void(SourceObject&&)>& on_user,
                                           const ProblemSink& on_problem, size_t& bad_records) {
  size_t page = 0;
  while (!url.empty()) {
    ++page;
    auto answer = Call(url, what);
    if (!answer.ok()) return answer.error();
    if (answer->status != 200) {
      return graph::GraphError(answer->status, answer->body, what, permission);
    }
    auto info = graph::ParseUsersPage(answer->body, on_user, [&](const std::string& reason) {
      on_problem(what + ", page " + std::to_string(page), reason);
    });
    if (!info.ok())
      return Error::Unavailable(what + ", page " + std::to_string(page) + ": " +
                                info.error().message);
    if (info->limited > 0) return LimitedInformation(what);
    bad_records += info->bad;
    if (!info->delta_link.empty()) return info->delta_link;
    // Graph may send an empty page that still has a nextLink: follow it as given.
    url = info->next_link;
  }
  return std::string();
}

bool GraphSource::Keep(const SourceObject& user) const {
  if (user.deleted) return true;
  const std::string type(user.First("userType"));
  const bool guest = type == "Guest";
  if (trace_ != nullptr && trace_->Traces(user)) {
    trace_->Note(user, {"guest", guest && !config_.include_guests ? "out" : "in",
                        !guest ? "userType " + (type.empty() ? std::string("Member") : type) +
                                     ": not a guest"
                        : config_.include_guests
                            ? "userType Guest, and source.include_guests is true: guests are read"
                            : "userType Guest, and source.include_guests is false: guests are "
                              "left out"});
  }
  return config_.include_guests || !guest;
}

Result<std::vector<std::string>> GraphSource::GroupPath(const std::string& user_id,
                                                        const ScopeGroup& target) {
  // Breadth first over direct memberships ("memberOf" lists only those; Graph's
  // transitiveMembers, which scoped the read, names no path), so the chain is a shortest one.
  std::unordered_map<std::string, std::string> name_of;
  std::unordered_map<std::string, std::string> child_of;  // group id -> the id it holds
  std::vector<std::string> frontier;
  auto parents = [&](const std::string& path, const std::string& child) -> Status {
    std::string url = Api() + path + "/memberOf?$select=id,displayName";
    while (!url.empty()) {
      auto answer = Call(url, "reading the groups of " + child);
      if (!answer.ok()) return answer.error();
      if (answer->status != 200) {
        return graph::GraphError(answer->status, answer->body, "reading the groups of " + child,
                                 kGroupsPermission);
      }
      const nlohmann::json page = nlohmann::json::parse(answer->body, nullptr, false);
      if (!page.is_object())
        return Error::Unavailable("Graph sent a memberOf page that is not JSON");
      if (page.contains("value") && page["value"].is_array()) {
        for (const auto& object : page["value"]) {
          // memberOf also lists directory roles and administrative units: groups only.
          if (graph::StringMember(object, "@odata.type") != "#microsoft.graph.group") continue;
          const std::string id = graph::StringMember(object, "id");
          if (id.empty() || name_of.count(id) != 0) continue;
          name_of[id] = graph::StringMember(object, "displayName");
          child_of[id] = child;
          frontier.push_back(id);
        }
      }
      url = graph::StringMember(page, "@odata.nextLink");
    }
    return Ok();
  };
  if (Status s = parents("/users/" + user_id, user_id); !s.ok()) return s.error();
  for (size_t depth = 0; depth < 32 && !frontier.empty(); ++depth) {
    if (name_of.count(target.id) != 0) break;
    std::vector<std::string> level = std::move(frontier);
    frontier.clear();
    for (const std::string& id : level) {
      if (Status s = parents("/groups/" + id, id); !s.ok()) return s.error();
    }
  }
  std::vector<std::string> path;
  if (name_of.count(target.id) == 0) return path;
  for (std::string id = target.id; id != user_id; id = child_of[id]) {
    path.insert(path.begin(), name_of[id].empty() ? id : name_of[id]);
  }
  return path;
}

void GraphSource::NoteGroups(const SourceObject& user, const std::vector<ScopeGroup>& groups,
                             const std::vector<size_t>& indexes) {
  for (size_t index : indexes) {
    const ScopeGroup& group = groups[index];
    std::string detail = "member of scope group \"" + group.name + "\" (source.groups)";
    auto path = GroupPath(user.id, group);
    if (!path.ok()) {
      detail += "; the path could not be read: " + path.error().message;
    } else if (path->size() == 1) {
      detail += ": a direct member";
    } else if (path->empty()) {
      detail += " through nested groups (Graph's transitiveMembers; no chain found)";
    } else {
      detail += " through nested groups: user";
      for (const std::string& name : *path) detail += " -> \"" + name + "\"";
    }
    trace_->Note(user, {"group", "in", detail});
  }
}

Result<std::vector<GraphSource::ScopeGroup>> GraphSource::ResolveGroups() {
  std::vector<ScopeGroup> out;
  for (const std::string& group : config_.groups) {
    const std::string what = "reading group \"" + group + "\"";
    if (graph::LooksLikeGuid(group)) {
      auto answer = Call(Api() + "/groups/" + group + "?$select=id,displayName", what);
      if (!answer.ok()) return answer.error();
      if (answer->status == 404) {
        return Error::NotFound("group \"" + group +
                               "\" was not found in the tenant: check source.groups (an "
                               "Object ID from Entra admin center > Groups)");
      }
      if (answer->status != 200) {
        return graph::GraphError(answer->status, answer->body, what, kGroupsPermission);
      }
      nlohmann::json json = nlohmann::json::parse(answer->body, nullptr, false);
      out.push_back({group, graph::StringMember(json, "displayName", group)});
      continue;
    }
    auto answer = Call(Api() + "/groups?$select=id,displayName&$filter=" +
                           HttpClient::Encode("displayName eq " + graph::ODataQuote(group)),
                       what);
    if (!answer.ok()) return answer.error();
    if (answer->status != 200) {
      return graph::GraphError(answer->status, answer->body, what, kGroupsPermission);
    }
    nlohmann::json json = nlohmann::json::parse(answer->body, nullptr, false);
    if (!json.is_object() || !json.contains("value") || !json["value"].is_array() ||
        json["value"].empty()) {
      return Error::NotFound("group \"" + group +
                             "\" was not found in the tenant: check the display name in "
                             "source.groups (or use the group's Object ID)");
    }
    if (json["value"].size() > 1) {
      return Error::Conflict("several groups are named \"" + group +
                             "\": name the group by its Object ID in source.groups");
    }
    out.push_back({graph::StringMember(json["value"][0], "id"), group});
  }
  return out;
}

Result<std::string> GraphSource::LatestDeltaLink(const std::string& url,
                                                 const std::string& permission) {
  auto answer = Call(url, "starting change tracking");
  if (!answer.ok()) return answer.error();
  if (answer->status != 200) {
    return graph::GraphError(answer->status, answer->body, "starting change tracking", permission);
  }
  nlohmann::json json = nlohmann::json::parse(answer->body, nullptr, false);
  if (!json.is_object() || !json.contains("@odata.deltaLink")) {
    return Error::Unavailable("Graph gave no delta link for $deltatoken=latest");
  }
  return json["@odata.deltaLink"].get<std::string>();
}

std::optional<size_t> GraphSource::CountUsers() {
  std::string url = Api() + "/users/$count";
  if (!config_.odata_filter.empty()) url += "?$filter=" + HttpClient::Encode(config_.odata_filter);
  auto answer = Call(url, "counting users", {{"ConsistencyLevel", "eventual"}});
  if (!answer.ok() || answer->status != 200) return std::nullopt;
  const std::string& body = answer->body;
  size_t at = 0;
  while (at < body.size() && std::isspace(static_cast<unsigned char>(body[at]))) ++at;
  size_t count = 0;
  size_t digits = 0;
  for (; at < body.size() && std::isdigit(static_cast<unsigned char>(body[at])); ++at, ++digits) {
    count = count * 10 + static_cast<size_t>(body[at] - '0');
  }
  if (digits == 0 || digits > 12) return std::nullopt;
  return count;
}

ReadResult GraphSource::ReadTenant(const std::vector<std::string>& select, const ObjectSink& sink,
                                   const ProblemSink& on_problem,
                                   const std::function<void(const Progress&)>& on_progress) {
  ReadResult result;
  // The read's total: the users $count counts are the users the pages walk (guests
  // included: they are skipped after they are counted as walked).
  size_t total = 0;
  if (on_progress) {
    if (auto count = CountUsers()) total = *count;
    on_progress({"read", 0, total});
  }
  constexpr size_t kProgressEvery = 500;  // users between reports (a page holds up to 999)
  size_t seen = 0;
  const std::string selected = Join(select, ",");
  // Links first: changes made while the pages are read show up in the next delta read.
  graph::Cursor cursor;
  cursor.full_read_at = static_cast<int64_t>(now_());
  auto users_link = LatestDeltaLink(
      Api() + "/users/delta?$select=" + selected + "&$deltatoken=latest", kUsersPermission);
  auto groups_link =
      users_link.ok()
          ? LatestDeltaLink(Api() + "/groups/delta?$select=displayName,members&$deltatoken=latest",
                            kGroupsPermission)
          : Result<std::string>(users_link.error());
  std::string url = Api() + "/users?$select=" + selected + "&$expand=memberOf&$top=999";
  if (!config_.odata_filter.empty()) url += "&$filter=" + HttpClient::Encode(config_.odata_filter);
  auto walked = WalkUsers(
      url, "reading users", kUsersPermission,
      [&](SourceObject&& user) {
        if (on_progress && ++seen % kProgressEvery == 0) {
          // $count may lag the directory: a total below what was walked grows with it.
          on_progress({"read", seen, total == 0 ? 0 : std::max(total, seen)});
        }
        if (!Keep(user)) return;
        if (trace_ != nullptr && trace_->Traces(user)) {
          trace_->Note(user, config_.odata_filter.empty()
                                 ? ScopeNote{"scope", "in",
                                             "every user of the tenant is read (no source.groups, "
                                             "no source.filter)"}
                                 : ScopeNote{"filter", "in",
                                             "matched source.filter \"" + config_.odata_filter +
                                                 "\" (evaluated by Graph)"});
        }
        ++result.objects;
        sink(std::move(user));
      },
      on_problem, result.bad_records);
  if (!walked.ok()) {
    result.error = walked.error();
    return result;
  }
  result.complete = true;
  if (on_progress) on_progress({"read", seen, seen});
  if (users_link.ok() && groups_link.ok()) {
    cursor.users = *users_link;
    cursor.groups = *groups_link;
    result.cursor = graph::EncodeCursor(cursor);
  }
  return result;
}

ReadResult GraphSource::ReadGroups(const std::vector<std::string>& select, const ObjectSink& sink,
                                   const ProblemSink& on_problem) {
  ReadResult result;
  auto groups = ResolveGroups();
  if (!groups.ok()) {
    result.error = groups.error();
    return result;
  }
  // Pass 1: ids only, to know every scope group of each user before the user is sent.
  std::unordered_map<std::string, std::vector<size_t>> member_of;
  for (size_t g = 0; g < groups->size(); ++g) {
    size_t bad = 0;
    auto walked = WalkUsers(
        Api() + "/groups/" + (*groups)[g].id +
            "/transitiveMembers/microsoft.graph.user?$select=id&$top=999",
        "reading the members of group \"" + (*groups)[g].name + "\"", kGroupsPermission,
        [&](SourceObject&& user) { member_of[user.id].push_back(g); }, on_problem, bad);
    if (!walked.ok()) {
      result.error = walked.error();
      return result;
    }
  }
  // Pass 2: the users themselves, each once.
  const std::string selected = Join(select, ",");
  for (size_t g = 0; g < groups->size(); ++g) {
    auto walked = WalkUsers(
        Api() + "/groups/" + (*groups)[g].id +
            "/transitiveMembers/microsoft.graph.user?$select=" + selected + "&$top=999",
        "reading the members of group \"" + (*groups)[g].name + "\"", kGroupsPermission,
        [&](SourceObject&& user) {
          auto it = member_of.find(user.id);
          if (it == member_of.end()) {
            // Joined the group between the passes: it belongs to this group at least.
            it = member_of.emplace(user.id, std::vector<size_t>{g}).first;
          }
          if (it->second.empty()) return;  // already sent
          for (size_t index : it->second) {
            user.groups.push_back((*groups)[index].name);
            user.Add("memberOf", (*groups)[index].name);
          }
          if (trace_ != nullptr && trace_->Traces(user)) NoteGroups(user, *groups, it->second);
          it->second.clear();
          if (!Keep(user)) return;
          ++result.objects;
          sink(std::move(user));
        },
        on_problem, result.bad_records);
    if (!walked.ok()) {
      result.error = walked.error();
      return result;
    }
  }
  result.complete = true;
  return result;
}

std::optional<ReadResult> GraphSource::ReadDelta(const graph::Cursor& cursor,
                                                 const std::vector<std::string>& select,
                                                 const ObjectSink& sink,
                                                 const ProblemSink& on_problem) {
  ReadResult result;
  result.delta = true;
  std::set<std::string> changed, removed;
  graph::Cursor next = cursor;
  // Users that changed or left.
  std::string url = cursor.users;
  size_t page = 0;
  while (!url.empty()) {
    ++page;
    auto answer = Call(url, "reading user changes");
    if (!answer.ok()) {
      result.error = answer.error();
      return result;
    }
    if (answer->status == 410) return std::nullopt;
    if (answer->status != 200) {
      const std::string code = graph::GraphErrorCode(answer->body);
      if (code == "syncStateNotFound" || code == "resyncRequired") return std::nullopt;
      result.error =
          graph::GraphError(answer->status, answer->body, "reading user changes", kUsersPermission);
      return result;
    }
    auto info = graph::ParseUsersPage(
        answer->body,
        [&](SourceObject&& user) {
          if (user.deleted) {
            changed.erase(user.id);
            removed.insert(user.id);
          } else {
            removed.erase(user.id);
            changed.insert(user.id);
          }
        },
        [&](const std::string& reason) {
          on_problem("reading user changes, page " + std::to_string(page), reason);
        });
    if (!info.ok()) {
      result.error = info.error();
      return result;
    }
    result.bad_records += info->bad;
    if (!info->delta_link.empty()) next.users = info->delta_link;
    url = info->next_link;
  }
  // Membership changes: the members named in members@delta changed their groups.
  url = cursor.groups;
  while (!url.empty()) {
    auto answer = Call(url, "reading group changes");
    if (!answer.ok()) {
      result.error = answer.error();
      return result;
    }
    if (answer->status == 410) return std::nullopt;
    if (answer->status != 200) {
      const std::string code = graph::GraphErrorCode(answer->body);
      if (code == "syncStateNotFound" || code == "resyncRequired") return std::nullopt;
      result.error = graph::GraphError(answer->status, answer->body, "reading group changes",
                                       kGroupsPermission);
      return result;
    }
    nlohmann::json json = nlohmann::json::parse(answer->body, nullptr, false);
    if (!json.is_object()) {
      result.error =
          Error::Invalid("reading group changes: Graph answered a page that is not valid JSON");
      return result;
    }
    if (json.contains("value") && json["value"].is_array()) {
      for (const auto& group : json["value"]) {
        if (!group.is_object() || !group.contains("members@delta")) continue;
        for (const auto& member : group["members@delta"]) {
          if (!member.is_object()) continue;
          const std::string type = graph::StringMember(member, "@odata.type");
          const std::string id = graph::StringMember(member, "id");
          if (id.empty() || type.find("user") == std::string::npos) continue;
          if (removed.count(id) == 0) changed.insert(id);
        }
      }
    }
    if (json.contains("@odata.deltaLink"))
      next.groups = json["@odata.deltaLink"].get<std::string>();
    url = graph::StringMember(json, "@odata.nextLink");
  }
  // The delta cannot filter but by id: a changed user that source.filter leaves out (now)
  // leaves the scope, as a full read with the filter would leave it out.
  if (!config_.odata_filter.empty() && !changed.empty()) {
    auto kept = FilterKeeps(std::vector<std::string>(changed.begin(), changed.end()));
    if (!kept.ok()) {
      result.error = kept.error();
      return result;
    }
    for (auto it = changed.begin(); it != changed.end();) {
      if (kept->count(CanonicalSourceId(*it)) == 0) {
        removed.insert(*it);
        it = changed.erase(it);
      } else {
        ++it;
      }
    }
  }
  // Each changed user, whole and current.
  const std::string selected = Join(select, ",");
  for (const std::string& id : changed) {
    auto answer = Call(Api() + "/users/" + id + "?$select=" + selected + "&$expand=memberOf",
                       "reading user " + id);
    if (!answer.ok()) {
      result.error = answer.error();
      return result;
    }
    if (answer->status == 404) {
      removed.insert(id);
      continue;
    }
    if (answer->status != 200) {
      result.error =
          graph::GraphError(answer->status, answer->body, "reading user " + id, kUsersPermission);
      return result;
    }
    // One user is a page of one: reuse the page parser.
    std::string page_body = "{\"value\":[" + answer->body + "]}";
    auto info = graph::ParseUsersPage(
        page_body,
        [&](SourceObject&& user) {
          if (!Keep(user)) {
            SourceObject gone;
            gone.id = user.id;
            gone.deleted = true;
            user = std::move(gone);
          }
          ++result.objects;
          sink(std::move(user));
        },
        [&](const std::string& reason) { on_problem("reading user " + id, reason); });
    if (!info.ok()) {
      result.error = info.error();
      return result;
    }
    result.bad_records += info->bad;
  }
  for (const std::string& id : removed) {
    SourceObject gone;
    gone.id = id;
    gone.deleted = true;
    ++result.objects;
    sink(std::move(gone));
  }
  result.complete = true;
  result.cursor = graph::EncodeCursor(next);
  return result;
}

ReadResult GraphSource::Read(const ReadRequest& request, const ObjectSink& sink,
                             const ProblemSink& on_problem) {
  waited_ = 0;
  trace_ = request.scope_trace;
  struct Untrace {
    ScopeTrace*& trace;
    ~Untrace() { trace = nullptr; }
  } untrace{trace_};
  const std::vector<std::string> select = graph::SelectFor(request.attributes);
  if (!config_.groups.empty()) return ReadGroups(select, sink, on_problem);
  if (auto cursor = graph::DecodeCursor(request.cursor)) {
    const double age = now_() - static_cast<double>(cursor->full_read_at);
    if (config_.full_read_every_hours == 0 || age < config_.full_read_every_hours * 3600.0) {
      if (auto delta = ReadDelta(*cursor, select, sink, on_problem)) return *delta;
    }
  }
  return ReadTenant(select, sink, on_problem, request.on_progress);
}

Result<bool> GraphSource::MatchesFilter(const std::string& id) {
  auto kept = FilterKeeps({id});
  if (!kept.ok()) return kept.error();
  return kept->count(CanonicalSourceId(id)) > 0;
}

Result<std::set<std::string>> GraphSource::FilterKeeps(const std::vector<std::string>& ids) {
  constexpr size_t kInValues = 15;  // Graph's limit on the values of `in` by default
  std::set<std::string> kept;       // canonical ids
  for (size_t from = 0; from < ids.size(); from += kInValues) {
    std::string list;
    const size_t to = std::min(ids.size(), from + kInValues);
    for (size_t i = from; i < to; ++i) {
      std::string quoted;  // an OData string literal: ' doubled
      for (char c : ids[i]) quoted += c == '\'' ? std::string("''") : std::string(1, c);
      list += (list.empty() ? "'" : ",'") + quoted + "'";
    }
    const std::string url =
        Api() + "/users?$filter=" +
        HttpClient::Encode("(" + config_.odata_filter + ") and id in (" + list + ")") +
        "&$select=id&$top=" + std::to_string(kInValues);
    const std::string what = ids.size() == 1 ? "checking source.filter for user " + ids[0]
                                             : "checking source.filter for changed users";
    auto answer = Call(url, what);
    if (answer.ok() && answer->status == 400 &&
        graph::GraphErrorCode(answer->body) == "Request_UnsupportedQuery") {
      answer = Call(url + "&$count=true", what, {{"ConsistencyLevel", "eventual"}});
    }
    if (!answer.ok()) return answer.error();
    if (answer->status != 200) {
      return graph::GraphError(answer->status, answer->body, what, kUsersPermission);
    }
    const nlohmann::json json = nlohmann::json::parse(answer->body, nullptr, false);
    if (!json.is_object() || !json.contains("value") || !json["value"].is_array()) {
      return Error::Unavailable(what + ": Graph's answer has no list of users");
    }
    for (const auto& user : json["value"]) {
      if (user.is_object() && user.contains("id") && user["id"].is_string())
        kept.insert(CanonicalSourceId(user["id"].get<std::string>()));
    }
  }
  return kept;
}

ReadResult GraphSource::ReadOne(const ReadRequest& request, const std::string& id,
                                const ObjectSink& sink, const ProblemSink& on_problem) {
  waited_ = 0;
  trace_ = request.scope_trace;
  struct Untrace {
    ScopeTrace*& trace;
    ~Untrace() { trace = nullptr; }
  } untrace{trace_};
  ReadResult result;
  const std::string selected = Join(graph::SelectFor(request.attributes), ",");
  const std::string what = "reading user " + id;
  auto answer = Call(
      Api() + "/users/" + HttpClient::Encode(id) + "?$select=" + selected + "&$expand=memberOf",
      what);
  if (!answer.ok()) {
    result.error = answer.error();
    return result;
  }
  auto gone = [&] { SendGone(result, id, sink); };
  if (answer->status == 404) {
    gone();
    return result;
  }
  if (answer->status != 200) {
    result.error = graph::GraphError(answer->status, answer->body, what, kUsersPermission);
    return result;
  }
  std::vector<ScopeGroup> groups;
  if (!config_.groups.empty()) {
    auto resolved = ResolveGroups();
    if (!resolved.ok()) {
      result.error = resolved.error();
      return result;
    }
    groups = std::move(*resolved);
  }
  std::optional<SourceObject> read;
  // One user is a page of one: reuse the page parser.
  std::string page_body = "{\"value\":[" + answer->body + "]}";
  auto info = graph::ParseUsersPage(
      page_body, [&](SourceObject&& user) { read = std::move(user); },
      [&](const std::string& reason) { on_problem(what, reason); });
  if (!info.ok() || !read) {
    result.error = info.ok() ? Error::Unavailable(what + ": Graph sent no user") : info.error();
    return result;
  }
  result.bad_records = info->bad;
  SourceObject& user = *read;
  if (!groups.empty()) {
    // As ReadGroups: the user's groups are the scope groups that hold it, nested or not.
    user.groups.clear();
    user.attributes.erase(
        std::remove_if(user.attributes.begin(), user.attributes.end(),
                       [](const auto& attribute) { return attribute.first == "memberOf"; }),
        user.attributes.end());
    std::vector<std::string> held_by;
    for (const ScopeGroup& group : groups) {
      auto path = GroupPath(user.id, group);
      if (!path.ok()) {
        result.error = path.error();
        return result;
      }
      if (path->empty()) continue;
      user.groups.push_back(group.name);
      user.Add("memberOf", group.name);
      if (trace_ != nullptr && trace_->Traces(user)) {
        std::string detail = "member of scope group \"" + group.name + "\" (source.groups)";
        if (path->size() == 1) {
          detail += ": a direct member";
        } else {
          detail += " through nested groups: user";
          for (const std::string& name : *path) detail += " -> \"" + name + "\"";
        }
        trace_->Note(user, {"group", "in", detail});
      }
    }
    if (user.groups.empty()) {
      if (trace_ != nullptr && trace_->Traces(user)) {
        trace_->Note(user, {"group", "out",
                            "in none of the scope groups (source.groups), directly or through "
                            "nested groups"});
      }
      gone();
      return result;
    }
  } else if (!config_.odata_filter.empty()) {
    auto matches = MatchesFilter(user.id);
    if (!matches.ok()) {
      result.error = matches.error();
      return result;
    }
    if (trace_ != nullptr && trace_->Traces(user)) {
      trace_->Note(user, *matches ? ScopeNote{"filter", "in",
                                              "matched source.filter \"" + config_.odata_filter +
                                                  "\" (asked of Graph for this user)"}
                                  : ScopeNote{"filter", "out",
                                              "left out by the source filter: source.filter \"" +
                                                  config_.odata_filter +
                                                  "\" does not match this user (asked of Graph "
                                                  "for this user)"});
    }
    if (!*matches) {
      gone();
      return result;
    }
  }
  if (!Keep(user)) {
    gone();
    return result;
  }
  ++result.objects;
  sink(std::move(user));
  result.complete = true;
  return result;
}

ConnectionReport GraphSource::TestConnection() {
  ConnectionReport report;
  waited_ = 0;
  const int budget = config_.max_retry_seconds;
  config_.max_retry_seconds = std::min(budget, 20);  // an admin is waiting
  auto restore = [&] { config_.max_retry_seconds = budget; };
  auto token = AccessToken();
  if (!token.ok()) {
    report.message = token.error().message;
    restore();
    return report;
  }
  std::string url = Api() + "/users?$select=" + Join(graph::OfferedProperties(), ",") + "&$top=5";
  std::string scope = "the whole tenant";
  if (!config_.groups.empty()) {
    auto groups = ResolveGroups();
    if (!groups.ok()) {
      report.message = groups.error().message;
      restore();
      return report;
    }
    std::vector<std::string> names;
    for (const auto& g : *groups) names.push_back("\"" + g.name + "\"");
    scope = "members of " + Join(names, ", ");
    url =
        Api() + "/groups/" + groups->front().id +
        "/transitiveMembers/microsoft.graph.user?$select=" + Join(graph::OfferedProperties(), ",") +
        "&$top=5";
  }
  auto answer = Call(url, "reading users");
  restore();
  if (!answer.ok()) {
    report.message = answer.error().message;
    return report;
  }
  if (answer->status != 200) {
    report.message =
        graph::GraphError(answer->status, answer->body, "reading users",
                          config_.groups.empty() ? kUsersPermission : kGroupsPermission)
            .message;
    return report;
  }
  std::set<std::string> attributes;
  auto info = graph::ParseUsersPage(
      answer->body,
      [&](SourceObject&& user) {
        for (const auto& [name, values] : user.attributes) attributes.insert(name);
        if (report.sample.size() < 5) {
          std::string line(user.First("displayName"));
          const std::string_view mail = user.First("mail");
          if (!mail.empty()) line += " <" + std::string(mail) + ">";
          report.sample.push_back(line);
        }
      },
      [](const std::string&) {});
  if (!info.ok()) {
    report.message = info.error().message;
    return report;
  }
  if (info->limited > 0) {
    report.message = LimitedInformation("reading users").message;
    return report;
  }
  report.ok = true;
  report.attributes = graph::OfferedProperties();
  report.attributes.push_back("memberOf");
  report.message = "signed in to tenant " + config_.tenant_id + " as application " +
                   config_.client_id + "; users are readable (scope: " + scope + ")";
  return report;
}

}  // namespace telsync
