// GraphSource: users from Entra ID over Microsoft Graph v1.0 (SPEC F1).
//
// Sign-in: OAuth2 client credentials at {authority}/{tenant}/oauth2/v2.0/token with scope
// {graph_url}/.default. The token is cached, renewed before it expires and renewed once more
// when Graph answers 401 in the middle of a read.
//
// Scope and groups:
// - whole tenant (source.groups empty): GET /users?$select=<mapped>&$expand=memberOf&$top=999,
//   following @odata.nextLink as given. `groups` are the user's direct groups as
//   $expand=memberOf gives them (Graph returns at most 20 expanded objects per user, a
//   documented limit of $expand on directory objects).
// - groups named by id or display name: the union of
//   /groups/{id}/transitiveMembers/microsoft.graph.user (nested groups included); `groups`
//   are the scope groups the user is a transitive member of.
// Guests (userType Guest) are skipped unless source.include_guests.
//
// Incremental reads (tenant scope only): a full read first takes /users/delta and
// /groups/delta links with $deltatoken=latest, so the cursor (graph_protocol.h Cursor) covers
// every change made from the start of that read. A delta read walks both links; each user
// that changed, or whose group membership changed, is fetched whole (GET /users/{id}) and sent
// complete; users removed (@removed, or 404 on the fetch) are sent deleted. An expired link
// (410 Gone, syncStateNotFound) or a cursor older than full_read_every_hours gives a full read
// (delta = false). Group renames reach users at the next full read.
//
// Faults: 429 / 503 / 504 and cut connections are retried, honouring Retry-After, else with
// exponential back-off and jitter, at most 8 tries per request and max_retry_seconds of
// waiting per read; past that the read ends complete = false with the reason (R1).
//
// Never logs; no message contains the client secret or a token. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sources/graph/graph_config.h"
#include "sources/graph/graph_protocol.h"
#include "sources/source.h"
#include "util/http_client.h"

namespace telsync {

class GraphSource : public Source {
 public:
  // `sleep` waits the given seconds (tests pass a recorder); `now` is unix seconds.
  explicit GraphSource(GraphSourceConfig config, std::function<void(double)> sleep = {},
                       std::function<double()> now = {});

  // "graph:<tenant id>"
  std::string Describe() const override;
  // Signs in, resolves the scope groups and reads a page of 5 users: plain-words problems
  // (unknown tenant, unknown app, wrong or expired secret, missing permission, group not
  // found, TLS or network failure), else the offered attributes and a sample.
  ConnectionReport TestConnection() override;
  // /users/delta for the whole tenant; a group scope is always read in full.
  bool SupportsDelta() const override { return config_.groups.empty(); }
  ReadResult Read(const ReadRequest& request, const ObjectSink& sink,
                  const ProblemSink& on_problem) override;
  // GET /users/{id} with the mapping's $select and $expand=memberOf; with source.groups,
  // the user's chain of memberships up to each scope group (GroupPath) decides its groups.
  // Without source.groups, source.filter (the $filter of a full read) is asked of Graph for
  // this one user (MatchesFilter): a user it leaves out is sent as deleted.
  ReadResult ReadOne(const ReadRequest& request, const std::string& id, const ObjectSink& sink,
                     const ProblemSink& on_problem) override;

 private:
  struct Fetched;
  Result<std::string> AccessToken();
  // GET with sign-in, one token renewal on 401, retries of throttling and transient faults.
  // Returns the final answer (any status) or a transport / retry-budget Error.
  // `extra`: headers beside the token and Accept (ConsistencyLevel for $count).
  Result<HttpResponse> Call(const std::string& url, const std::string& what,
                            const Headers& extra = {});
  // The users a full read walks, for its progress: Graph's /users/$count, an advanced
  // query that needs the header "ConsistencyLevel: eventual" and answers a plain-text
  // number (Microsoft Graph, "Advanced query capabilities on directory objects"); the
  // index behind it may lag the directory a little. nullopt when Graph gives no number:
  // the read goes on without a total.
  std::optional<size_t> CountUsers();
  // Walks pages from `url`, handing users to `on_user`; returns the delta link if any.
  Result<std::string> WalkUsers(std::string url, const std::string& what,
                                const std::string& permission,
                                const std::function<void(SourceObject&&)>& on_user,
                                const ProblemSink& on_problem, size_t& bad_records);
  struct ScopeGroup {
    std::string id;
    std::string name;
  };
  Result<std::vector<ScopeGroup>> ResolveGroups();
  ReadResult ReadTenant(const std::vector<std::string>& select, const ObjectSink& sink,
                        const ProblemSink& on_problem,
                        const std::function<void(const Progress&)>& on_progress);
  ReadResult ReadGroups(const std::vector<std::string>& select, const ObjectSink& sink,
                        const ProblemSink& on_problem);
  // nullopt: the cursor expired, do a full read.
  std::optional<ReadResult> ReadDelta(const graph::Cursor& cursor,
                                      const std::vector<std::string>& select,
                                      const ObjectSink& sink, const ProblemSink& on_problem);
  Result<std::string> LatestDeltaLink(const std::string& url, const std::string& permission);
  // True when source.filter matches user `id`: GET /users?$filter=(<filter>) and id in
  // ('<id>')&$select=id (FilterKeeps), a list of one or none, since Graph takes $filter on
  // lists only. Sent
  // as a default query, as the full read sends the filter; when Graph answers 400
  // Request_UnsupportedQuery (the filter uses ne, not, endsWith or another operator only
  // advanced queries support), sent again as an advanced query: the header
  // "ConsistencyLevel: eventual" and $count=true (Microsoft Graph, "Advanced query
  // capabilities on directory objects"; $expand is not supported there, hence $select=id).
  Result<bool> MatchesFilter(const std::string& id);
  // The ids of `ids` that source.filter keeps, asked of Graph as `(filter) and id in (...)`
  // with at most 15 ids a request (Microsoft's limit on `in` by default); a request Graph
  // refuses as an advanced query is sent again as one (ConsistencyLevel: eventual, $count).
  Result<std::set<std::string>> FilterKeeps(const std::vector<std::string>& ids);
  // False for an object the scope leaves out (a guest unless source.include_guests);
  // notes the decision for a traced object (ReadRequest::scope_trace).
  bool Keep(const SourceObject& user) const;
  // `explain`: the names of the groups from user `user_id` up to scope group `target`
  // (its direct group first, `target` last), walking direct memberships upwards (GET
  // /users/{id}/memberOf, /groups/{id}/memberOf); empty when no chain was found.
  Result<std::vector<std::string>> GroupPath(const std::string& user_id, const ScopeGroup& target);
  // `explain`: notes why a traced user of a group scope is in it (its groups' chains).
  void NoteGroups(const SourceObject& user, const std::vector<ScopeGroup>& groups,
                  const std::vector<size_t>& indexes);
  std::string Api() const { return config_.graph_url + "/v1.0"; }

  GraphSourceConfig config_;
  std::function<void(double)> sleep_;
  std::function<double()> now_;
  HttpClient http_;
  std::string token_;
  double token_renew_at_ = 0;
  double waited_ = 0;            // seconds waited for retries in this read
  ScopeTrace* trace_ = nullptr;  // the running read's ReadRequest::scope_trace
};

}  // namespace telsync
