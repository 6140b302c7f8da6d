// Source: where users come from (graph, ldap, file; scim is a mirror fed by the server).
//
// A source streams SourceObjects to a sink one at a time (SPEC P2: memory grows with
// users, not with page count) and ends with a ReadResult whose `complete` is true only
// when every object was read (R1): a source that stops early, for any reason, says
// complete = false and why. A source knows nothing about telephony.
//
// Not thread-safe: one Read at a time per instance. Read and TestConnection never throw.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/source_object.h"
#include "sources/source_config.h"
#include "util/progress.h"
#include "util/result.h"

namespace telsync {

// One scope decision a source made about an object (`telsync explain`, issue 18 §1 step 2).
struct ScopeNote {
  std::string what;     // "group", "guest", "filter", "search base"
  std::string outcome;  // "in" or "out"
  std::string detail;   // why, in an admin's words: the group path, the filter, the setting
};

// Records why a source kept or left out the objects the caller explains. A source asks
// Traces() for each object it evaluates against its scope (kept or not) and, for the ones
// traced, calls Note() with each decision, where it makes it: the same code that scopes a
// normal read, so the explanation cannot disagree with the read. A source may spend extra
// requests on a traced object (Graph: the chain of nested groups). Called on the reading
// thread only.
class ScopeTrace {
 public:
  virtual ~ScopeTrace() = default;
  virtual bool Traces(const SourceObject& object) const = 0;
  virtual void Note(const SourceObject& object, ScopeNote note) = 0;
};

struct ReadRequest {
  std::vector<std::string> attributes;  // the mapped attributes only (lower-case); empty = all
  std::string cursor;                   // from the last ReadResult; empty = full read
  // How far the read is, for a person watching (optional; the engine counts objects when
  // a source does not say): done of total in the source's own unit (a file: its bytes,
  // unit "bytes"). Called from the reading thread every few hundred objects at most, and
  // once at the end of a complete read.
  std::function<void(const Progress&)> on_progress;
  ScopeTrace* scope_trace = nullptr;  // `explain` only; not owned; null in a normal run
};

struct ReadResult {
  bool complete = false;
  // false: the objects are the whole scope (a full read; the mirror is replaced by them).
  // true: the objects are the changes since request.cursor (a delta read: Graph delta,
  // AD uSNChanged, modifyTimestamp). Each changed object is sent with its complete current
  // state (every requested attribute and all its groups), or with deleted = true when it
  // left the source or the scope; objects not sent are unchanged. A source that cannot use
  // the cursor (expired delta link, new AD invocationId) does a full read and says false.
  bool delta = false;
  std::string cursor;      // delta link, USN watermark; empty when the source has none
  size_t objects = 0;      // objects handed to the sink
  size_t bad_records = 0;  // records that could not be parsed (each reported to on_problem)
  // Why the read is incomplete; none when complete. The code tells the kind of failure, so
  // the engine and its callers can tell a throttle from a refused credential: kThrottled
  // (the retry budget ran out on 429 / 503 answers), kAuth (credentials refused), kForbidden
  // (a permission is missing), kNotFound (a scope object: a group, the search DN),
  // kUnavailable (the server cannot be reached or cut the read), kInvalid (what was read
  // cannot be parsed: a bad file, a page that is not JSON). The message is in an admin's words.
  std::optional<Error> error;

  // The message of `error`; "" when there is none.
  std::string ErrorMessage() const { return error ? error->message : std::string(); }
};

struct ConnectionReport {
  bool ok = false;
  std::string message;  // plain words: "connected; 312 users readable" or what is wrong
  std::vector<std::string> attributes;  // attribute names the source offers
  std::vector<std::string> sample;      // a few users, "displayName <mail>"
};

using ObjectSink = std::function<void(SourceObject&&)>;
// A record the source could not parse: where (file:line, page) and why. The read goes on.
using ProblemSink = std::function<void(const std::string& where, const std::string& reason)>;

class Source {
 public:
  virtual ~Source() = default;

  // "file:examples/directory.json", "graph:<tenant id>", "ldap://dc1:636"
  virtual std::string Describe() const = 0;

  virtual ConnectionReport TestConnection() = 0;

  // True when Read can answer a cursor with a delta (Graph delta, AD uSNChanged,
  // modifyTimestamp). The engine then keeps the profile's source mirror (DESIGN §1) and
  // plans delta reads on it; a full read is still made on a schedule to find deletions
  // the delta cannot see (source.full_read_every_hours).
  virtual bool SupportsDelta() const { return false; }

  virtual ReadResult Read(const ReadRequest& request, const ObjectSink& sink,
                          const ProblemSink& on_problem) = 0;

  // A fresh read of the one object with source id `id` (`telsync explain USER --fresh`,
  // issue 18 §1), where the source can read one object: it goes to `sink` as a full read
  // would send it (its groups as the scope sees them), or with deleted = true when the
  // source no longer has it or its scope leaves it out (ReadRequest::scope_trace says why).
  // `request.cursor` is ignored. complete is true when the answer is known. This default,
  // for a source that cannot read one object, is an incomplete read with kInvalid.
  virtual ReadResult ReadOne(const ReadRequest& request, const std::string& id,
                             const ObjectSink& sink, const ProblemSink& on_problem) {
    (void)request, (void)id, (void)sink, (void)on_problem;
    ReadResult result;
    result.error = Error::Invalid(Describe() + " cannot read a single object");
    return result;
  }
};

// ReadOne's answer for an object the source no longer has or whose scope leaves it out:
// `id` goes to `sink` with deleted = true, and `result` is complete (the answer is known).
// Returns `result`.
ReadResult& SendGone(ReadResult& result, const std::string& id, const ObjectSink& sink);

// The source a profile's config names. `base_dir` resolves relative file paths (the
// config file's directory). Errors: Invalid for an unknown or unsupported type.
Result<std::unique_ptr<Source>> MakeSource(const SourceConfig& config, const std::string& base_dir);

}  // namespace telsync
