#include "server/scim/service.h"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/scim/detail/service_parts.h"

namespace telsync::scim {
using nlohmann::json;

std::string NewResourceId() {
  // RAND_bytes takes the DRBG's lock on every call: draw 64 ids' worth at once per thread.
  thread_local unsigned char pool[16 * 64];
  thread_local size_t used = sizeof pool;
  unsigned char b[16];
  if (used == sizeof pool && RAND_bytes(pool, sizeof pool) == 1) used = 0;
  if (used < sizeof pool) {
    std::memcpy(b, pool + used, sizeof b);
    std::memset(pool + used, 0, sizeof b);
    used += sizeof b;
  } else {
    // Ids need uniqueness, not secrecy: fall back to the clock and a counter.
    static std::atomic<uint64_t> counter{0};
    const uint64_t n = ++counter ^ static_cast<uint64_t>(std::time(nullptr)) << 20;
    for (int i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>(n >> ((i % 8) * 8));
  }
  // Version 7 (RFC 9562): 48 bits of Unix milliseconds first, so that ids created
  // together sort together and a batch of creates fills one page of the mirror's primary
  // key instead of dirtying a random page each; the other 74 bits stay random.
  const uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> ((5 - i) * 8));
  b[6] = (b[6] & 0x0F) | 0x70;
  b[8] = (b[8] & 0x3F) | 0x80;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xF]);
  }
  return out;
}

ScimResponse ScimService::Error(int status, std::string_view scim_type, const std::string& detail) {
  json body = {{"schemas", json::array({kErrorSchema})}, {"status", std::to_string(status)}};
  if (!scim_type.empty()) body["scimType"] = scim_type;
  body["detail"] = detail;
  ScimResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

ScimService::ScimService(Store& store, ScimServiceOptions options)
    : store_(store), options_(std::move(options)) {
  if (!options_.clock) options_.clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
}

ScimService::~ScimService() = default;

size_t ScimService::commits() const {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  return commits_;
}

size_t ScimService::waiting() const {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  return queue_.size();
}

// Runs one queued write inside the batch's transaction (its own savepoint).
void ScimService::RunOne(Op& op) {
  try {
    Impl impl{store_, options_, op.request, {}};
    impl.Execute(op);
  } catch (const std::exception&) {
    // The request's own writer unwound (its savepoint rolled back); the others stand.
    op.resource.reset();
    op.touched.clear();
    op.response = Error(ErrorCode::kInternal, "", "the server could not complete the request");
  }
}

// Runs `batch`, and every write queued while it runs (up to kMaxBatch), as one
// transaction: each request's writes in its own savepoint (a failing request undoes only
// its own), one COMMIT for all. Called with the store lock held, never the queue lock.
void ScimService::RunBatch(std::vector<Op*>& batch) {
  if (!store_.NestsMirrorWrites()) {
    // A store without savepoints: each request commits its own transaction.
    for (Op* op : batch) RunOne(*op);
    return;
  }
  auto outer = store_.BeginMirrorWrite(options_.tenant, options_.profile, MirrorWriteMode::kPatch,
                                       options_.clock());
  if (!outer.ok()) {
    for (Op* op : batch) op->response = FromError(outer.error());
    return;
  }
  size_t next = 0;
  for (;;) {
    for (; next < batch.size(); ++next) RunOne(*batch[next]);
    // Requests that arrived meanwhile join this commit instead of waiting for their own.
    // Before committing a small batch, let runnable request threads reach the queue once.
    if (batch.size() < 4) std::this_thread::yield();
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (queue_.empty() || batch.size() >= kMaxBatch) break;
    const size_t take = std::min(queue_.size(), kMaxBatch - batch.size());
    batch.insert(batch.end(), queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(take));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(take));
  }
  if (Status committed = (*outer)->Commit(); !committed.ok()) {
    // Nothing of the batch is durable: no request may be answered as if it were.
    for (Op* op : batch) {
      op->resource.reset();
      op->touched.clear();
      op->response = FromError(committed.error());
    }
  }
}

// Leader / follower group commit: the first request to find no batch running takes every
// queued write, runs them under the store lock and commits once; requests queued
// meanwhile join it or wait for the next. Each returns only after the commit holding its
// write.
void ScimService::Submit(Op& op) {
  std::unique_lock<std::mutex> lock(queue_mutex_);
  queue_.push_back(&op);
  while (!op.done) {
    if (leader_active_) {
      queue_cv_.wait(lock);
      continue;
    }
    leader_active_ = true;
    std::vector<Op*> batch;
    const size_t take = std::min(queue_.size(), kMaxBatch);
    batch.assign(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(take));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(take));
    lock.unlock();
    RunBatch(batch);
    lock.lock();
    for (Op* o : batch) o->done = true;
    ++commits_;
    leader_active_ = false;
    queue_cv_.notify_all();
  }
}

ScimResponse ScimService::Handle(const ScimRequest& request) {
  const std::string& resource = request.resource;
  if (resource == "ServiceProviderConfig" || resource == "Schemas" || resource == "ResourceTypes")
    return detail::Discovery(request, options_.max_results);
  if (resource != "Users" && resource != "Groups")
    return Error(ErrorCode::kNotFound, "", "no such endpoint: " + resource);
  const ResourceType type = detail::TypeOf(resource);
  if (request.method == "GET") return Read(type, request);
  return Write(type, request);
}

ScimResponse ScimService::Read(ResourceType type, const ScimRequest& request) {
  std::optional<MirrorEntry> found;
  {
    Impl impl{store_, options_, request, {}};
    if (request.id.empty()) return impl.List(type);
    auto entry = impl.Get(type, request.id);
    if (!entry.ok()) return FromError(entry.error());
    found = std::move(*entry);
  }
  if (!found.has_value())
    return Error(ErrorCode::kNotFound, "",
                 std::string(detail::ResourceTypeName(type)) + " " + request.id + " not found");
  Impl impl{store_, options_, request, {}};
  return impl.One(type, *found, 200);
}

// Before the queue: everything a write can do without the store. A create reports a bad
// body at once (the answer); a replace only after 404 and 412 (op.bad).
std::optional<ScimResponse> ScimService::Prepare(Op& op, bool create) {
  const ScimRequest& request = op.request;
  op.body = detail::Parse(request.body);
  if (op.body.is_discarded()) {
    op.bad = Error(ErrorCode::kInvalid, "invalidSyntax", "the request body is not valid JSON");
  } else if (request.method != "PATCH") {
    auto normalized = NormalizeResource(op.type, std::move(op.body));
    if (normalized.ok()) {
      op.normalized = std::move(normalized).value();
    } else {
      op.bad = FromError(normalized.error());
    }
  }
  if (create && op.bad) return *op.bad;
  if (create) {
    op.new_id = NewResourceId();
    op.entry = Impl::MakeEntry(op.type, *op.normalized, op.new_id);
  }
  return std::nullopt;
}

ScimResponse ScimService::Write(ResourceType type, const ScimRequest& request) {
  const std::string& method = request.method;
  const bool create = method == "POST" && request.id.empty();
  const bool replace = (method == "PUT" || method == "PATCH") && !request.id.empty();
  const bool remove = method == "DELETE" && !request.id.empty();
  if (!create && !replace && !remove)
    return Error(ErrorCode::kMethodNotAllowed, "", method + " is not supported here");
  Op op(request, type, options_.clock());
  if (create || replace) {
    if (auto refused = Prepare(op, create)) return *refused;
  }

  Submit(op);

  if (!op.touched.empty() && options_.on_touched) {
    std::sort(op.touched.begin(), op.touched.end());
    op.touched.erase(std::unique(op.touched.begin(), op.touched.end()), op.touched.end());
    options_.on_touched(op.touched);
  }
  if (op.resource) {
    op.response.body =
        detail::Projected(detail::RenderJson(type, std::move(*op.resource), op.id, op.version,
                                             op.created_at, op.updated_at, request),
                          request)
            .dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return op.response;
}

}  // namespace telsync::scim
