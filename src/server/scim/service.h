// ScimService: the SCIM 2.0 endpoints of one tenant (RFC 7644), over the tenant's `scim`
// profile's source mirror in the Store (DESIGN §1: pushed resources are the mirror).
//
// Thin over pure parts: filter.h parses filters and paths, resource.h validates, patches
// and flattens resources; this file reads and writes the mirror and renders responses.
// HTTP is not its business (routes.h adapts it): a ScimRequest in, a ScimResponse out.
//
// Each write is all or nothing: the resource, and the users whose group memberships
// (SourceObject::groups) it changes, so that a group rename or a member removal reaches
// those users' mapping. Writes are group-committed when the Store nests mirror writes
// (Store::NestsMirrorWrites, SQLite; otherwise each request commits its own transaction):
// concurrent write requests queue, the
// first to find no batch running becomes the leader and runs the queued ones in one
// transaction, each in its own savepoint (a failing request rolls back only its own
// writes), then commits once (WAL, synchronous=NORMAL). Every request is answered only
// after the commit that holds its write: a 2xx means the write is in the mirror. A failed
// commit fails every request of its batch. After the commit `on_touched` receives the ids
// of the users to plan and apply again (the applier coalesces them, applier.h): the
// request is answered before the PBX is changed, and a PBX-level problem never fails a
// request. Body parsing and validation happen before the queue, rendering after it.
//
// Thread-safe: the Store is (store/store.h); a batch's outer mirror writer holds the store
// for its thread until it commits, so no other request sees the batch half-written.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/scim/resource.h"
#include "store/store.h"

namespace telsync::scim {

struct ScimRequest {
  std::string method;    // GET POST PUT PATCH DELETE
  std::string resource;  // Users, Groups, ServiceProviderConfig, Schemas, ResourceTypes
  std::string id;        // "" for a collection
  std::string filter;    // query parameters, as given
  std::string attributes;
  std::string excluded_attributes;
  std::string start_index;
  std::string count;
  std::string if_match;  // the If-Match header
  std::string body;
  std::string base_url;  // "https://host/scim/v2/acme": meta.location's base
};

struct ScimResponse {
  int status = 200;
  std::string body;
  std::string etag;      // W/"<version>" for a single resource
  std::string location;  // created resources
  int retry_after = 0;   // seconds, > 0 for a 503 the client should retry (Entra does)
};

struct ScimServiceOptions {
  std::string tenant;
  std::string profile;
  std::function<int64_t()> clock;  // unix seconds
  std::function<void(const std::vector<std::string>&)> on_touched;
  size_t max_results = 1000;  // ListResponse page size limit (ServiceProviderConfig)
};

class ScimService {
 public:
  ScimService(Store& store, ScimServiceOptions options);
  ~ScimService();
  ScimService(const ScimService&) = delete;
  ScimService& operator=(const ScimService&) = delete;

  ScimResponse Handle(const ScimRequest& request);

  // The RFC 7644 §3.12 error body: {"schemas": [Error], "status": "400", "scimType", "detail"}.
  static ScimResponse Error(int status, std::string_view scim_type, const std::string& detail);
  // The same, with the status from the code (HttpStatusOf): what handlers use.
  static ScimResponse Error(ErrorCode code, std::string_view scim_type, const std::string& detail) {
    return Error(HttpStatusOf(code), scim_type, detail);
  }

  // Transactions committed for write requests so far (tests: concurrent writes share them).
  size_t commits() const;
  // Write requests queued behind the running batch (tests).
  size_t waiting() const;

 private:
  struct Impl;
  struct Op;
  static constexpr size_t kMaxBatch = 64;  // bounds a batch's latency

  // Handle's parts: GET of Users / Groups; the writes; a write's work before the queue.
  ScimResponse Read(ResourceType type, const ScimRequest& request);
  ScimResponse Write(ResourceType type, const ScimRequest& request);
  std::optional<ScimResponse> Prepare(Op& op, bool create);
  void Submit(Op& op);
  void RunBatch(std::vector<Op*>& batch);
  void RunOne(Op& op);

  Store& store_;
  ScimServiceOptions options_;
  mutable std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::vector<Op*> queue_;  // write requests waiting for a batch
  bool leader_active_ = false;
  size_t commits_ = 0;
};

// A time-ordered (version 7) UUID, the id of a created resource: unique (74 random bits),
// and ids created together are neighbours in the mirror's primary key.
std::string NewResourceId();

}  // namespace telsync::scim
