#include "apply/engine.h"

#include <malloc.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <deque>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "apply/run_metrics.h"
#include "mapping/user_mapping.h"
#include "plan/approval.h"
#include "plan/planner.h"
#include "plan/validate.h"
#include "util/log.h"

namespace telsync {
namespace {

constexpr size_t kBatchSize = 2048;
constexpr size_t kMaxProblemsKept = 1000;

struct BatchResult {
  std::vector<DesiredUser> desired;
  std::vector<RejectedUser> rejected;
  // `explain`: per explanation (index into the set) that an object of the batch names,
  // the first such object's trace.
  std::vector<std::pair<size_t, Explanation>> traces;
};

// The explanation whose query names the object: its source id, or its mapped username,
// e-mail or UPN (case-insensitive).
std::optional<size_t> Named(const ExplainSet& explain, const SourceObject& object,
                            const MappedUser& mapped) {
  if (auto k = explain.QueryIndex(object.id)) return k;
  if (auto k = explain.QueryIndex(mapped.fields.Get(Field::kUsername))) return k;
  if (auto k = explain.QueryIndex(mapped.fields.Get(Field::kEmail))) return k;
  return explain.QueryIndex(mapped.upn);
}

// The traced object of `explain`, mapped and validated again by the same code with the
// trace on (both are pure: the outcome is the one the run would have had).
MappedUser TraceObject(const SourceObject& object, const UserMapping& mapping, Explanation& tr) {
  tr.key = object.id;
  tr.in_source = true;
  tr.enabled = object.enabled;
  tr.groups = object.groups;
  for (const std::string& name : mapping.Attributes()) {
    if (const auto* values = object.Find(name)) tr.attributes.push_back({name, *values});
  }
  MappedUser mapped = mapping.Apply(object, &tr.mapping);
  tr.username = std::string(mapped.fields.Get(Field::kUsername));
  return mapped;
}

BatchResult MapAndValidate(std::vector<SourceObject> batch, const UserMapping& mapping,
                           const Validator& validator, const ExplainSet* explain) {
  BatchResult out;
  out.desired.reserve(batch.size());
  for (auto& object : batch) {
    if (object.kind != ObjectKind::kUser || object.deleted) continue;
    MappedUser mapped = mapping.Apply(object);
    std::optional<size_t> named;
    if (explain != nullptr) named = Named(*explain, object, mapped);
    if (named && std::none_of(out.traces.begin(), out.traces.end(),
                              [&](const auto& t) { return t.first == *named; })) {
      Explanation& tr = out.traces.emplace_back(*named, Explanation{}).second;
      mapped = TraceObject(object, mapping, tr);
      std::string key = mapped.source_key;
      std::string username(mapped.fields.Get(Field::kUsername));
      auto desired = validator.Validate(std::move(mapped), &tr.validation);
      if (desired.ok()) {
        out.desired.push_back(std::move(desired).value());
      } else {
        out.rejected.push_back({std::move(key), std::move(username), desired.error().message});
      }
      continue;
    }
    std::string key = mapped.source_key;
    std::string username(mapped.fields.Get(Field::kUsername));
    auto desired = validator.Validate(std::move(mapped));
    if (desired.ok()) {
      out.desired.push_back(std::move(desired).value());
    } else {
      out.rejected.push_back({std::move(key), std::move(username), desired.error().message});
    }
  }
  return out;
}

// Reads the source and maps + validates on `threads` workers, keeping source order.
// Memory stays bounded by the batches in flight, not by the source size (P2).
class ReadPipeline {
 public:
  ReadPipeline(const UserMapping& mapping, const Validator& validator, unsigned threads,
               const std::function<void(const Progress&)>& on_progress, const ExplainSet* explain)
      : mapping_(mapping),
        validator_(validator),
        max_in_flight_(std::max(1u, threads) * 2),
        on_progress_(on_progress),
        explain_(explain) {}

  // `explain`: per explanation the set's query names, the trace of the first object in
  // source order (Finish collects them).
  std::vector<std::pair<size_t, Explanation>> TakeTraces() { return std::move(traces_); }

  void Add(SourceObject&& object) {
    batch_.push_back(std::move(object));
    if (batch_.size() >= kBatchSize) Flush();
  }

  // The total the read's progress shows while the source gives none: the previous run's
  // count, an estimate.
  void SetEstimate(size_t total) { estimate_ = total; }

  // For ReadRequest::on_progress: a source that reports its own progress (a file's bytes)
  // replaces the object count.
  std::function<void(const Progress&)> SourceProgress() {
    if (!on_progress_) return {};
    return [this](const Progress& p) {
      source_reports_ = true;
      on_progress_(p);
    };
  }

  PlanInput Finish() {
    Flush();
    // The read is over: its count is the total now.
    if (on_progress_ && !source_reports_) on_progress_({"read", read_, read_});
    while (!in_flight_.empty()) {
      Collect();
      if (on_progress_) on_progress_({"map", mapped_, read_});
    }
    // One exact allocation for the whole directory: a vector grown by doubling would
    // hold up to twice the users' size while it copies (P2).
    size_t desired = 0;
    size_t rejected = 0;
    for (const auto& r : done_) {
      desired += r.desired.size();
      rejected += r.rejected.size();
    }
    PlanInput input;
    input.desired.reserve(desired);
    input.rejected.reserve(rejected);
    for (auto& r : done_) {
      for (auto& t : r.traces) traces_.push_back(std::move(t));
      for (auto& d : r.desired) input.desired.push_back(std::move(d));
      for (auto& x : r.rejected) input.rejected.push_back(std::move(x));
      r = BatchResult{};
    }
    done_.clear();
    return input;
  }

 private:
  void Flush() {
    if (batch_.empty()) return;
    read_ += batch_.size();
    in_flight_sizes_.push_back(batch_.size());
    in_flight_.push_back(std::async(std::launch::async, MapAndValidate, std::move(batch_),
                                    std::cref(mapping_), std::cref(validator_), explain_));
    batch_ = {};
    batch_.reserve(kBatchSize);
    while (in_flight_.size() >= max_in_flight_) Collect();
    // One report per batch (kBatchSize objects), from this thread: never per object.
    if (on_progress_ && !source_reports_) {
      on_progress_({"read", read_, estimate_, estimate_ != 0});
    }
  }

  void Collect() {
    done_.push_back(in_flight_.front().get());
    in_flight_.pop_front();
    mapped_ += in_flight_sizes_.front();
    in_flight_sizes_.pop_front();
  }

  const UserMapping& mapping_;
  const Validator& validator_;
  const size_t max_in_flight_;
  const std::function<void(const Progress&)>& on_progress_;
  std::vector<SourceObject> batch_;
  std::deque<std::future<BatchResult>> in_flight_;
  std::deque<size_t> in_flight_sizes_;  // objects per batch in flight
  std::vector<BatchResult> done_;       // in source order
  size_t read_ = 0;
  size_t mapped_ = 0;
  size_t estimate_ = 0;
  bool source_reports_ = false;
  const ExplainSet* explain_;
  std::vector<std::pair<size_t, Explanation>> traces_;
};

// Wall time per phase of a run, logged at debug level ("run phases"): where a slow run
// spends its time, without a profiler.
class PhaseClock {
 public:
  void Mark(const char* phase) {
    const auto now = std::chrono::steady_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_).count();
    fields_.emplace_back(std::string(phase) + "_ms", std::to_string(ms));
    last_ = now;
  }
  void Log(const Run& run) {
    if (!GlobalLogger().Enabled(LogLevel::kDebug)) return;
    LogFields fields{
        {"tenant", run.tenant}, {"profile", run.profile}, {"run", std::to_string(run.id)}};
    fields.insert(fields.end(), fields_.begin(), fields_.end());
    telsync::Log(LogLevel::kDebug, "run phases", fields);
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  LogFields fields_;
};

bool HasUserProblems(const Plan& plan) {
  for (const auto& item : plan.items) {
    if (item.action == Action::kError || item.action == Action::kConflict) return true;
  }
  return false;
}

// The deletions held run `run_id` showed the admin, for ReholdForApproval (the rule lives
// in plan/approval.h).
Result<HeldRun> ReadHeldRun(RunStore& store, const Profile& profile, int64_t run_id) {
  // That run `run_id` is this profile's and held was checked before the read (Execute),
  // under the run lock that keeps it so.
  HeldRun held;
  held.id = run_id;
  for (Action a : {Action::kDelete, Action::kPendingDelete}) {
    auto items = store.GetRunItems(profile.tenant, run_id, a);
    if (!items.ok()) return items.error();
    for (auto& item : *items) held.deletions.emplace_back(a, std::move(item.key));
  }
  return held;
}

// The cursor the engine keeps per profile: the source's own cursor plus when the last
// full read was, for the periodic full read that finds what a delta cannot (DESIGN §1).
struct EngineCursor {
  std::string source;
  int64_t full_read_at = 0;
  // PlanSettingsDigest of the profile the last applied run planned with: a delta is planned
  // incrementally only under the same settings (a changed mapping re-plans everyone).
  std::string plan_digest;
};

// What decides a user's plan, apart from the user: an incremental run plans only the
// changed users, so it is right only while these are what the stored users were planned
// with. (A hash, not a secret: the profile holds no secret here.)
std::string PlanSettingsDigest(const Profile& p) {
  nlohmann::json templates = nlohmann::json::array();
  for (const TemplateConfig& t : p.templates) {
    templates.push_back({t.name, t.groups, t.caller_id, t.settings});
  }
  nlohmann::json rules = nlohmann::json::array();
  for (const RuleConfig& r : p.rules) {
    rules.push_back({r.field, r.equals, r.matches, r.template_name});
  }
  const ValidationConfig& v = p.validation;
  const PolicyConfig& o = p.policy;
  const nlohmann::json settings = {
      p.source.type(),
      p.mapping,
      {v.required, static_cast<int>(v.phone_mode), v.default_region, v.extension_length},
      {static_cast<int>(o.mode), o.create, o.update, o.del, static_cast<int>(o.disabled),
       o.exclusion_group, o.grace_days, o.protect_mobile, o.max_deletes, o.max_delete_percent},
      templates,
      rules,
      p.default_template,
      p.default_caller_id,
      {p.extensions.first, p.extensions.last},
      {p.departments.enabled, p.departments.ring_groups.first, p.departments.ring_groups.last},
      static_cast<int>(p.phone_render),
  };
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(settings.dump()));
  return hex;
}

// How an incremental run's message starts ("delta read: 3 changed, 1 removed; planned
// alone: ..."): such a run's summary counts only the users it planned.
constexpr std::string_view kIncrementalNote = "; planned alone: ";

EngineCursor ParseEngineCursor(const std::string& text) {
  EngineCursor out;
  if (text.empty()) return out;
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.contains("source") && parsed["source"].is_string()) {
    out.source = parsed["source"].get<std::string>();
    if (parsed.contains("full_read_at") && parsed["full_read_at"].is_number_integer()) {
      out.full_read_at = parsed["full_read_at"].get<int64_t>();
    }
    if (parsed.contains("plan_digest") && parsed["plan_digest"].is_string()) {
      out.plan_digest = parsed["plan_digest"].get<std::string>();
    }
  } else {
    out.source = text;  // written before the engine wrapped cursors: full read is due
  }
  return out;
}

std::string DumpEngineCursor(const EngineCursor& cursor) {
  return nlohmann::json{{"source", cursor.source},
                        {"full_read_at", cursor.full_read_at},
                        {"plan_digest", cursor.plan_digest}}
      .dump();
}

// What a run reads, behind one shape for sources and mirrors: `read` fills the pipeline
// and returns the read's result; `after_apply` runs once a sync's plan is applied (it
// stores the cursor), and is skipped when the run is held, failed or a preview.
struct Reader {
  std::function<ReadResult(ReadPipeline&, const ProblemSink&)> read;
  std::function<Status(const ReadResult&)> after_apply;
  // The read covers the whole scope, so the previous run's count estimates its size (not
  // so for a mirror run of the few objects a SCIM request touched).
  bool whole_scope = true;
  // An incremental run (issue 20 §1): `read` sets `active` when it put only some objects in
  // the pipeline (a delta's changes, the users waiting out their grace period) and `keys`
  // to their source ids: the plan is made for those alone, and the rest of the directory
  // stays as it is. Null, or not active: the pipeline holds the whole scope.
  struct Scope {
    bool active = false;
    std::unordered_set<std::string> keys;
  };
  std::shared_ptr<Scope> scope;
};

std::string ObjectKey(const SourceObject& object) {
  return (object.kind == ObjectKind::kUser ? "u:" : "g:") + object.id;
}

// `explain`: the source's scope decisions about the objects the set's queries name (by
// source id, or by an identifying attribute: an object left out of the scope is never
// mapped), into ExplainSet::AddSourceScope.
class ExplainScopeTrace final : public ScopeTrace {
 public:
  explicit ExplainScopeTrace(ExplainSet& set) : set_(set) {}
  bool Traces(const SourceObject& object) const override { return Index(object).has_value(); }
  ExplainSet& set() { return set_; }
  void Note(const SourceObject& object, ScopeNote note) override {
    if (auto index = Index(object)) {
      set_.AddSourceScope(*index, object.id,
                          {std::move(note.what), std::move(note.outcome), std::move(note.detail)});
    }
  }

  std::optional<size_t> Index(const SourceObject& object) const {
    if (auto k = set_.QueryIndex(object.id)) return k;
    for (const auto& [name, values] : object.attributes) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower != "mail" && lower != "userprincipalname" && lower != "mailnickname" &&
          lower != "samaccountname" && lower != "uid" && lower != "email" && lower != "username") {
        continue;
      }
      for (const std::string& v : values) {
        if (auto k = set_.QueryIndex(v)) return k;
      }
    }
    return std::nullopt;
  }

 private:
  ExplainSet& set_;
};

// `explain --fresh`: the scope decisions of a single-object read (Source::ReadOne) of
// source id `id`, for explanation `index`.
class OneObjectTrace final : public ScopeTrace {
 public:
  OneObjectTrace(ExplainScopeTrace& base, size_t index, std::string id)
      : base_(base), index_(index), id_(std::move(id)) {}
  bool Traces(const SourceObject& object) const override {
    return object.id == id_ || base_.Traces(object);
  }
  void Note(const SourceObject& object, ScopeNote note) override {
    base_.set().AddSourceScope(
        index_, object.id, {std::move(note.what), std::move(note.outcome), std::move(note.detail)});
  }

 private:
  ExplainScopeTrace& base_;
  size_t index_;
  std::string id_;
};

// Reads a source for ExecuteRun: a full read, or a delta read patched onto the mirror.
// A sync of a source that supports delta writes the mirror (replaced by a complete full
// read, patched by a complete delta read) before planning: the mirror is what the source
// last said, whatever happens to the plan; the cursor moves only after the plan is
// applied, so a failed or held run re-reads the same changes next time.
Reader SourceReader(const Profile& profile, Source& source, Store& store,
                    const EngineOptions& options, const std::vector<std::string>& attributes,
                    std::string& note) {
  const bool sync = options.kind == RunKind::kSync;
  const bool mirrored = source.SupportsDelta();
  auto cursor = std::make_shared<EngineCursor>();
  if (mirrored) {
    auto stored = store.GetCursor(profile.tenant, profile.name);
    if (stored.ok()) *cursor = ParseEngineCursor(*stored);
  }
  const int64_t every = int64_t{profile.source.full_read_every_hours()} * 3600;
  const bool full_due =
      cursor->source.empty() || (every > 0 && options.now - cursor->full_read_at >= every);
  const bool want_delta = mirrored && !full_due;
  const std::string digest = PlanSettingsDigest(profile);

  Reader reader;
  reader.scope = std::make_shared<Reader::Scope>();
  auto mirror_ok = std::make_shared<bool>(true);
  reader.read = [&profile, &source, &store, &options, attributes, cursor, sync, mirrored,
                 want_delta, mirror_ok, digest, scope = reader.scope,
                 &note](ReadPipeline& pipeline, const ProblemSink& on_problem) -> ReadResult {
    ReadRequest request;
    request.attributes = attributes;
    if (want_delta) request.cursor = cursor->source;
    std::optional<ExplainScopeTrace> scope_trace;
    if (options.explain != nullptr) request.scope_trace = &scope_trace.emplace(*options.explain);

    auto put = [&](MirrorWriter& writer, const SourceObject& object) {
      MirrorEntry entry;
      entry.object = object;
      if (!writer.Put(entry).ok()) *mirror_ok = false;
    };

    if (!want_delta) {
      request.on_progress = pipeline.SourceProgress();
      std::unique_ptr<MirrorWriter> writer;
      if (sync && mirrored) {
        auto w = store.BeginMirrorWrite(profile.tenant, profile.name, MirrorWriteMode::kReplace,
                                        options.now);
        if (w.ok())
          writer = std::move(*w);
        else
          *mirror_ok = false;
      }
      ReadResult read = source.Read(
          request,
          [&](SourceObject&& object) {
            if (writer && *mirror_ok && !object.deleted) put(*writer, object);
            pipeline.Add(std::move(object));
          },
          on_problem);
      if (writer) {
        if (read.complete && read.bad_records == 0 && *mirror_ok) {
          if (!writer->Commit().ok()) *mirror_ok = false;
        } else {
          writer.reset();  // rolled back: an incomplete read never replaces the mirror (R1)
          *mirror_ok = false;
        }
      }
      if (mirrored) note = "full read";
      return read;
    }

    // Delta: collect the changes (few), then plan on the mirror with the changes laid over.
    std::unordered_map<std::string, SourceObject> changes;
    ReadResult read = source.Read(
        request, [&](SourceObject&& object) { changes[ObjectKey(object)] = std::move(object); },
        on_problem);
    const bool usable = read.complete && read.bad_records == 0;
    // Incremental (issue 20 §1): a usable delta, under the settings the stored users were
    // planned with, is planned alone, beside the users waiting out their grace period and
    // those the last plan could not write (a conflict, invalid data), with their mirror
    // copies when the source still has them: a full run would plan them again too.
    // A group among the changes is not: its members are the source's to send as changes.
    bool incremental =
        read.delta && usable && options.explain == nullptr && cursor->plan_digest == digest &&
        std::all_of(changes.begin(), changes.end(),
                    [](const auto& change) { return change.second.kind == ObjectKind::kUser; });
    std::unordered_set<std::string> waiting_keys;
    std::vector<SourceObject> waiting;
    if (incremental) {
      auto pending = store.ListPendingDeleteKeys(profile.tenant, profile.name);
      auto waiting_writes = store.ListWaitingKeys(profile.tenant, profile.name);
      incremental = pending.ok() && waiting_writes.ok();
      if (incremental) {
        pending->insert(pending->end(), std::make_move_iterator(waiting_writes->begin()),
                        std::make_move_iterator(waiting_writes->end()));
      }
      for (size_t i = 0; incremental && i < pending->size(); ++i) {
        const std::string& id = (*pending)[i];
        if (changes.count("u:" + id) || waiting_keys.count(id)) continue;
        auto entry = store.GetMirrorEntry(profile.tenant, profile.name, ObjectKind::kUser, id);
        if (!entry.ok()) {
          incremental = false;  // planned on the whole mirror instead
          break;
        }
        waiting_keys.insert(id);
        if (entry->has_value()) waiting.push_back(std::move((*entry)->object));
      }
    }
    std::unique_ptr<MirrorWriter> writer;
    if (sync && usable) {
      auto w = store.BeginMirrorWrite(
          profile.tenant, profile.name,
          read.delta ? MirrorWriteMode::kPatch : MirrorWriteMode::kReplace, options.now);
      if (w.ok())
        writer = std::move(*w);
      else
        *mirror_ok = false;
    } else {
      *mirror_ok = false;
    }
    if (read.delta && incremental) {
      size_t removed = 0;
      scope->keys = std::move(waiting_keys);
      for (auto& [key, object] : changes) {
        scope->keys.insert(object.id);
        if (object.deleted) {
          ++removed;
          if (writer && *mirror_ok) {
            Status s = writer->Remove(object.kind, object.id);
            if (!s.ok() && s.error().code != ErrorCode::kNotFound) *mirror_ok = false;
          }
          continue;
        }
        if (writer && *mirror_ok) put(*writer, object);
        pipeline.Add(std::move(object));
      }
      for (SourceObject& object : waiting) pipeline.Add(std::move(object));
      scope->active = true;
      note = "delta read: " + std::to_string(changes.size() - removed) + " changed, " +
             std::to_string(removed) + " removed" + std::string(kIncrementalNote) +
             std::to_string(scope->keys.size()) + " users, the rest left as they are";
    } else if (read.delta) {
      size_t removed = 0;
      // `explain --fresh`: the traced users, as the mirror or the delta has them, are set
      // aside, to be read again from the source alone (the delta may not see every change:
      // deletions on OpenLDAP, a value changed on another AD server).
      std::vector<SourceObject> stale;
      const bool fresh = options.explain_fresh && scope_trace.has_value();
      std::unordered_set<std::string> left;  // set aside, though the delta says they left
      auto traced = [&](const SourceObject& object) {
        return fresh && object.kind == ObjectKind::kUser && scope_trace->Traces(object);
      };
      if (auto s = store.ScanMirror(profile.tenant, profile.name,
                                    [&](MirrorEntry&& entry) {
                                      auto changed = changes.find(ObjectKey(entry.object));
                                      if (changed != changes.end()) {
                                        // Left the source or its scope, says the delta:
                                        // the mirror's copy names the user to read again.
                                        if (changed->second.deleted && traced(entry.object)) {
                                          left.insert(entry.object.id);
                                          stale.push_back(std::move(entry.object));
                                        }
                                        return true;
                                      }
                                      if (traced(entry.object)) {
                                        stale.push_back(std::move(entry.object));
                                      } else {
                                        pipeline.Add(std::move(entry.object));
                                      }
                                      return true;
                                    });
          !s.ok()) {
        // Without the mirror the delta is not the whole directory: plan nothing away.
        read.complete = false;
        read.error =
            Error{s.error().code, "reading the source mirror failed: " + s.error().message, ""};
        writer.reset();
        *mirror_ok = false;
      }
      for (auto& [key, object] : changes) {
        if (object.deleted) {  // traced ones were set aside from the mirror above
          ++removed;
          if (writer && *mirror_ok) {
            Status s = writer->Remove(object.kind, object.id);
            if (!s.ok() && s.error().code != ErrorCode::kNotFound) *mirror_ok = false;
          }
          continue;
        }
        if (writer && *mirror_ok) put(*writer, object);
        if (traced(object)) {
          stale.push_back(std::move(object));
        } else {
          pipeline.Add(std::move(object));
        }
      }
      note = "delta read: " + std::to_string(changes.size() - removed) + " changed, " +
             std::to_string(removed) + " removed";
      for (SourceObject& object : stale) {
        const std::optional<size_t> index = scope_trace->Index(object);
        // What the source decides about this id belongs to the user it was set aside for,
        // even when the answer names only the id (gone from the source).
        ReadRequest one_request = request;
        std::optional<OneObjectTrace> one_trace;
        if (index) one_request.scope_trace = &one_trace.emplace(*scope_trace, *index, object.id);
        ReadResult one = source.ReadOne(
            one_request, object.id,
            [&](SourceObject&& got) {
              if (!got.deleted) pipeline.Add(std::move(got));
            },
            on_problem);
        if (one.complete) {
          if (index) {
            scope_trace->set().read_from()[*index] =
                "a fresh read of this one object from the source (not the mirror)";
          }
        } else {
          if (index) {
            scope_trace->set().read_from()[*index] =
                "the source mirror (" + note + "): the fresh read failed: " + one.ErrorMessage();
          }
          if (!left.count(object.id)) pipeline.Add(std::move(object));
        }
      }
    } else {
      // The source could not use the cursor (expired delta link, a new AD server
      // identity) and read everything: the changes are the whole scope.
      for (auto& [key, object] : changes) {
        if (object.deleted) continue;
        if (writer && *mirror_ok) put(*writer, object);
        pipeline.Add(std::move(object));
      }
      note = "full read (the delta cursor could not be used)";
    }
    if (writer && *mirror_ok && !writer->Commit().ok()) *mirror_ok = false;
    return read;
  };
  reader.after_apply = [&profile, &store, &options, cursor, mirrored, mirror_ok,
                        digest](const ReadResult& read) -> Status {
    if (!read.complete || read.bad_records != 0) return Ok();
    if (!mirrored) {
      if (read.cursor.empty()) return Ok();
      return store.SetCursor(profile.tenant, profile.name, read.cursor);
    }
    // A mirror that missed a write cannot take deltas: forget the cursor, so the next run
    // reads everything again.
    if (!*mirror_ok || read.cursor.empty())
      return store.SetCursor(profile.tenant, profile.name, "");
    EngineCursor next;
    next.source = read.cursor;
    next.full_read_at = read.delta ? cursor->full_read_at : options.now;
    next.plan_digest = digest;  // the stored users are now planned under these settings
    return store.SetCursor(profile.tenant, profile.name, DumpEngineCursor(next));
  };
  return reader;
}

// What a run that finds the profile's lock taken says: the run in progress and its holder.
std::string RunInProgress(RunStore& store, const Profile& profile, const std::string& holder) {
  std::string what = "a run of " + profile.tenant + "/" + profile.name + " is in progress (";
  if (auto runs = store.ListRuns(profile.tenant, profile.name, 20); runs.ok()) {
    for (const Run& r : *runs) {
      if (r.status == RunStatus::kRunning) {
        what += "run " + std::to_string(r.id) + ", ";
        break;
      }
    }
  }
  return what + holder + "); wait for it or run with --wait";
}

// Runs of the profile still marked running when its lock is free were left by a process
// that ended mid-run (a crash, SIGKILL, a lost machine): they will never finish.
void CloseAbandonedRuns(RunStore& store, const Profile& profile, const EngineOptions& options) {
  auto runs = store.ListRuns(profile.tenant, profile.name, 50);
  if (!runs.ok()) return;
  for (Run& r : *runs) {
    if (r.status != RunStatus::kRunning) continue;
    r.status = RunStatus::kFailed;
    r.finished_at = options.clock ? options.clock() : options.now;
    r.message =
        "the process ended before the run finished; the changes it had applied stay, and the "
        "next run plans from them";
    if (Status s = store.UpdateRun(r); s.ok()) {
      Log(LogLevel::kWarn, "closed a run left running by a process that ended",
          {{"tenant", r.tenant}, {"profile", r.profile}, {"run", std::to_string(r.id)}});
    }
  }
}

// history.keep_days (EngineOptions::history_keep_days): after an applied sync, the items
// of the tenant's runs older than that are purged. The run is recorded already: a purge
// that fails is logged and retried by the next sync, it does not fail this one.
void PurgeHistory(Store& store, const std::string& tenant, const EngineOptions& options) {
  if (options.history_keep_days <= 0) return;
  const int64_t before = options.now - int64_t{options.history_keep_days} * 86400;
  auto purged = store.PurgeRunHistory(tenant, before, options.now);
  if (!purged.ok()) {
    Log(LogLevel::kWarn, "purging run history failed",
        {{"tenant", tenant}, {"error", purged.error().message}});
  } else if (purged->runs != 0) {
    Log(LogLevel::kInfo, "purged run history",
        {{"tenant", tenant},
         {"runs", std::to_string(purged->runs)},
         {"items", std::to_string(purged->items)}});
  }
}

// The final status of a run is written even when the store's connection dropped meanwhile
// (PostgreSQL reconnects outside a transaction): a few tries, then the error.
Status RecordRun(RunStore& store, const Run& run) {
  Status s = store.UpdateRun(run);
  for (int attempt = 1; !s.ok() && attempt <= 3; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
    s = store.UpdateRun(run);
  }
  return s;
}

// `explain`: what the read said about each traced user (its trace from the pipeline, the
// first object in source order that the query names; or that the source did not return
// anyone by that name).
void TakeSourceTraces(std::vector<std::pair<size_t, Explanation>> traces, const ReadResult& read,
                      const std::string& source_name, const std::string& note,
                      ExplainSet& explain) {
  for (auto& [index, trace] : traces) {
    Explanation& e = explain.users()[index];
    if (e.in_source) continue;  // a later object of the same name
    trace.query = std::move(e.query);
    e = std::move(trace);
    explain.SetKey(index, e.key);
  }
  for (size_t index = 0; index < explain.users().size(); ++index) {
    Explanation& e = explain.users()[index];
    e.source = source_name;
    e.read_from = note.empty() ? "a full read of the source" : note;
    if (auto it = explain.read_from().find(index); it != explain.read_from().end()) {
      e.read_from = it->second;
    } else if (note.rfind("delta read", 0) == 0 && e.in_source) {
      e.read_from = "the source mirror, updated by a " + note;
    }
    // What the source decided about it while reading (ScopeTrace), the object the
    // pipeline traced if it got that far.
    std::vector<ExplainStep> decided;
    if (auto it = explain.source_scope().find(index); it != explain.source_scope().end()) {
      decided = std::move(it->second.steps);
    }
    if (!e.in_source && !decided.empty()) {
      e.out_of_scope = true;
      e.scope.push_back({"in scope", "no", "read from " + source_name + " and left out:"});
      for (ExplainStep& step : decided) e.scope.push_back(std::move(step));
      continue;
    }
    if (!e.in_source) {
      e.scope.push_back(
          {"in scope", "no",
           read.complete ? "the complete read of " + source_name +
                               " did not return it: outside the scope (groups, filter, "
                               "guests), deleted, or not this user's name"
                         : "the read of " + source_name +
                               " was incomplete and did not return it: " + read.ErrorMessage()});
      continue;
    }
    if (decided.empty()) {
      e.scope.push_back({"in scope", "yes",
                         "returned by " + source_name +
                             (note.empty() || note == "full read"
                                  ? std::string(" (a source reads only the profile's scope, "
                                                "where it has one: groups, filter, guests)")
                                  : std::string(" (from the source mirror: in scope as of the "
                                                "read that stored it)"))});
    } else {
      e.scope.push_back({"in scope", "yes", "returned by " + source_name + ":"});
      for (ExplainStep& step : decided) e.scope.push_back(std::move(step));
    }
    if (!e.groups.empty()) {
      std::string groups;
      for (const auto& g : e.groups) groups += (groups.empty() ? "" : ", ") + g;
      e.scope.push_back({"groups", std::to_string(e.groups.size()),
                         groups + " (transitive where the source can tell)"});
    }
    e.scope.push_back({"enabled", e.enabled ? "yes" : "no",
                       e.enabled ? "enabled in the directory"
                                 : "disabled in the directory (policy.disabled decides)"});
  }
}

// `explain`: the stored user each traced user is (linked by its source id) or, for a
// query the source did not answer, the stored user it names (username, e-mail, source id
// or "user:<id>"): its key, so that the planner traces its deletion.
void FindStoredUsers(const StoreSnapshot& snapshot, ExplainSet& explain) {
  for (const PbxUser& u : snapshot.users) {
    if (!u.source_key.empty()) {
      if (Explanation* e = explain.ByKey(u.source_key); e != nullptr && e->in_source) {
        if (!e->in_store) {
          e->in_store = true;
          e->stored_id = u.id;
        }
        continue;
      }
    }
    std::optional<size_t> k = explain.QueryIndex(u.source_key);
    if (!k) k = explain.QueryIndex(u.fields.Get(Field::kUsername));
    if (!k) k = explain.QueryIndex(u.fields.Get(Field::kEmail));
    if (!k) k = explain.QueryIndex("user:" + std::to_string(u.id));
    if (!k) continue;
    Explanation& e = explain.users()[*k];
    if (e.in_source || e.in_store) continue;
    e.in_store = true;
    e.stored_id = u.id;
    e.username = std::string(u.fields.Get(Field::kUsername));
    explain.SetKey(*k, u.source_key.empty() ? "user:" + std::to_string(u.id) : u.source_key);
  }
}

// The read's estimated total for its progress: the objects the profile's last whole run
// planned (its plan's users, less those it deleted); 0 when there is none.
size_t PreviousRunCount(RunStore& store, const Profile& profile) {
  auto runs = store.ListRuns(profile.tenant, profile.name, 20);
  if (!runs.ok()) return 0;
  for (const Run& r : *runs) {
    if (r.status == RunStatus::kRunning || r.status == RunStatus::kFailed || !r.complete) continue;
    if (r.kind != RunKind::kSync && r.kind != RunKind::kPreview) continue;
    if (r.trigger.rfind("user:", 0) == 0) continue;  // one user's run says nothing of the size
    if (r.message.find(kIncrementalNote) != std::string::npos) continue;  // nor a delta's
    size_t count = 0;
    for (size_t a = 0; a < kActionCount; ++a) {
      const auto action = static_cast<Action>(a);
      if (action != Action::kDelete && action != Action::kPendingDelete) count += r.summary[a];
    }
    return count;
  }
  return 0;
}

// An incremental run's PlanOptions::gone_keys: the linked stored users of the profile,
// outside the run's scope, whose e-mail is the e-mail or UPN of a desired user and whom the
// source no longer has (absent from its mirror). A full read would let the desired user take
// one of them over (Links::FindRelinks); the mirror answers for them by index.
Result<std::unordered_set<std::string>> GoneKeys(const PlanInput& input,
                                                 const StoreSnapshot& snapshot,
                                                 const Profile& profile,
                                                 const std::unordered_set<std::string>& scope,
                                                 MirrorStore& mirror) {
  std::unordered_set<std::string> gone;
  auto lower = [](std::string_view s, std::string& out) -> const std::string& {
    out.assign(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  std::unordered_set<std::string> wanted;
  std::string buffer;
  for (const DesiredUser& d : input.desired) {
    for (const std::string_view key : {d.user.fields.Get(Field::kEmail), d.upn()}) {
      if (!key.empty()) wanted.insert(lower(key, buffer));
    }
  }
  if (wanted.empty()) return gone;
  for (const PbxUser& u : snapshot.users) {
    if (u.source_key.empty() || u.profile != profile.name || scope.count(u.source_key)) continue;
    const std::string_view email = u.fields.Get(Field::kEmail);
    if (email.empty() || !wanted.count(lower(email, buffer))) continue;
    auto entry =
        mirror.GetMirrorEntry(profile.tenant, profile.name, ObjectKind::kUser, u.source_key);
    if (!entry.ok()) return entry.error();
    if (!entry->has_value()) gone.insert(u.source_key);
  }
  return gone;
}

// One run from a Reader: read, map and validate, plan, apply, record.
Result<RunOutcome> Execute(const Profile& profile, const std::string& source_name, Store& store,
                           const EngineOptions& options, const UserMapping& mapping,
                           const Reader& reader, PlanOptions plan_options,
                           const std::string& note) {
  const Validator validator(profile);
  PhaseClock clock;

  auto lock = store.LockProfileRuns(profile.tenant, profile.name, options.lock_wait_seconds < 0,
                                    options.now);
  // A bounded wait polls: neither backend's blocking lock takes a timeout.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(options.lock_wait_seconds);
  while (!lock.ok() && lock.error().code == ErrorCode::kConflict && options.lock_wait_seconds > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    lock = store.LockProfileRuns(profile.tenant, profile.name, false, options.now);
  }
  if (!lock.ok()) {
    if (lock.error().code != ErrorCode::kConflict) return lock.error();
    // Busy, not wrong: the same request succeeds once the run in progress ends (exit 1, 503).
    return Error::Unavailable(RunInProgress(store, profile, lock.error().message));
  }
  // An explanation is a preview that records nothing: no run, no metrics.
  ExplainSet* const explain = options.explain;
  if (explain == nullptr) CloseAbandonedRuns(store, profile, options);
  // A revert's pause (`runs revert ID --apply --pause`, issue 18) stops a sync as mode
  // paused does, until `runs resume`.
  std::optional<int64_t> paused_by;
  if (options.kind == RunKind::kSync) {
    auto pause = store.GetProfilePause(profile.tenant, profile.name);
    if (!pause.ok()) return pause.error();
    paused_by = *pause;
  }
  // `sync --approve N` names a run to apply: that it exists, is this profile's and is held
  // is known before anything is read.
  if (options.approve_run != 0 && options.kind == RunKind::kSync) {
    auto held = store.GetRun(profile.tenant, options.approve_run);
    if (!held.ok()) {
      if (held.error().code != ErrorCode::kNotFound) return held.error();
      return Error::Invalid("no run " + std::to_string(options.approve_run) + " in tenant " +
                            profile.tenant + ": nothing to approve");
    }
    if (held->profile != profile.name) {
      return Error::Invalid("run " + std::to_string(options.approve_run) + " belongs to profile " +
                            held->profile + ", not " + profile.name);
    }
    if (held->status != RunStatus::kHeld) {
      return Error::Invalid("run " + std::to_string(options.approve_run) + " is " +
                            std::string(RunStatusName(held->status)) +
                            ", not held: nothing to approve");
    }
  }

  RunOutcome out;
  Run& run = out.run;
  run.tenant = profile.tenant;
  run.profile = profile.name;
  run.kind = options.kind;
  run.trigger = options.trigger;
  run.status = RunStatus::kRunning;
  run.started_at = options.now;
  run.source = source_name;
  run.approved_run = options.approve_run;
  if (explain == nullptr) {
    auto id = store.CreateRun(run);
    if (!id.ok()) return id.error();
    run.id = *id;
    if (options.on_run_created) options.on_run_created(run.id);
  }
  RunMetrics run_metrics(profile);  // /metrics: result, duration, read errors, users

  // Read, map and validate.
  const unsigned threads =
      options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  ReadPipeline pipeline(mapping, validator, threads, options.on_progress, explain);
  if (options.on_progress && reader.whole_scope) {
    pipeline.SetEstimate(PreviousRunCount(store, profile));
  }
  // An unreadable record is reported like an invalid user (R3), keyed by where it is.
  std::vector<RejectedUser> unreadable;
  ReadResult read = reader.read(pipeline, [&](const std::string& where, const std::string& reason) {
    if (unreadable.size() < kMaxProblemsKept) {
      out.source_problems.push_back(where + ": " + reason);
      unreadable.push_back({"record:" + where, "", reason});
    }
  });
  if (explain == nullptr) run_metrics.ReadDone(read);
  PlanInput input = pipeline.Finish();
  if (explain != nullptr) {
    TakeSourceTraces(pipeline.TakeTraces(), read, source_name, note, *explain);
    for (Explanation& e : explain->users()) e.read_at = options.now;
  }
  clock.Mark("read");
  // The read's source objects are freed in the workers' malloc arenas; hand the free pages
  // back before the snapshot and the plan need memory (peak RSS at a million users).
  malloc_trim(0);
  input.source = run.source;
  input.complete = read.complete && read.bad_records == 0;
  for (auto& r : unreadable) input.rejected.push_back(std::move(r));

  // The plan phase: the stored directory's snapshot, then MakePlan (one pure call). An
  // incremental run plans its scope alone; with nothing in it (a quiet delta, nobody
  // waiting to be deleted) there is nothing to plan, and no snapshot is read.
  if (options.on_progress) options.on_progress({"plan", 0, 0});
  const Reader::Scope* scope =
      reader.scope != nullptr && reader.scope->active ? reader.scope.get() : nullptr;
  const bool nothing_to_plan = scope != nullptr && scope->keys.empty() && input.complete &&
                               input.desired.empty() && input.rejected.empty();
  Result<StoreSnapshot> snapshot = StoreSnapshot{};
  if (!nothing_to_plan) snapshot = store.LoadSnapshot(profile.tenant, profile.name);
  if (!snapshot.ok()) return snapshot.error();
  clock.Mark("snapshot");
  if (scope != nullptr) {
    plan_options.only_keys = scope->keys;
    if (!nothing_to_plan && input.complete) {
      auto gone = GoneKeys(input, *snapshot, profile, scope->keys, store);
      if (!gone.ok()) return gone.error();
      plan_options.gone_keys = std::move(*gone);
    }
  }
  plan_options.only_user = options.only_user;
  plan_options.approved = options.approve_run != 0;
  if (explain != nullptr) {
    FindStoredUsers(*snapshot, *explain);
    plan_options.explain = explain;
  }
  if (nothing_to_plan) {
    out.plan.tenant = profile.tenant;
    out.plan.profile = profile.name;
    out.plan.source = input.source;
    out.plan.complete = true;
  } else {
    out.plan = MakePlan(input, *snapshot, profile, options.now, plan_options);
  }
  Plan& plan = out.plan;
  plan.targets = options.targets;
  if (options.on_progress) options.on_progress({"plan", plan.items.size(), plan.items.size()});
  if (explain != nullptr) {
    // The plan is what the preview would show; nothing is recorded or applied.
    run.complete = plan.complete;
    run.summary = plan.Summary();
    run.status = RunStatus::kSuccess;
    if (!read.complete) run.message = "source read incomplete: " + read.ErrorMessage();
    return out;
  }
  if (!nothing_to_plan) run_metrics.Snapshot(*snapshot, plan);
  // The plan carries what apply needs: free the inputs before writing (P2).
  snapshot = StoreSnapshot{};
  input = PlanInput{};
  clock.Mark("plan");

  run.complete = plan.complete;
  run.summary = plan.Summary();
  if (options.only_user && plan.items.empty() && read.complete) {
    // `--user NAME` for someone neither the source nor the store has: a typo, not a
    // success that did nothing.
    run.status = RunStatus::kFailed;
    run.message =
        "no user " + *options.only_user + " in the source (matched by username, e-mail or id)";
    run.finished_at = options.clock ? options.clock() : options.now;
    if (auto s = RecordRun(store, run); !s.ok()) return s.error();
    run_metrics.Finished(run);
    out.exit_code = kExitUsage;
    return out;
  }
  if (!read.complete) {
    run.message = "source read incomplete: " + read.ErrorMessage() + "; nothing was deleted";
  } else if (read.bad_records != 0) {
    run.message =
        std::to_string(read.bad_records) + " source records could not be read; nothing was deleted";
  } else {
    run.message = note;  // filled by the read: "delta read: 3 changed, 1 removed"
  }

  if (options.approve_run != 0 && options.kind == RunKind::kSync) {
    auto held = ReadHeldRun(store, profile, options.approve_run);
    if (!held.ok()) {
      run.status = RunStatus::kFailed;
      run.message = held.error().message;
      run.finished_at = options.clock ? options.clock() : options.now;
      if (auto s = RecordRun(store, run); !s.ok()) return s.error();
      run_metrics.Finished(run);
      out.exit_code = kExitUsage;
      return out;
    }
    plan = ReholdForApproval(std::move(plan), *held);
  }

  const bool nothing_read = !read.complete && read.objects == 0;
  // The run items, written beside the apply when the store can (they do not depend on
  // its outcome); the plan does not change until the wait below.
  std::optional<RunItemsSave> items_saved;
  bool applied_plan = false;  // a sync that handed its plan to Store::Apply
  if (nothing_read) {
    run.status = RunStatus::kFailed;
    out.exit_code = kExitFailed;
  } else if (plan.held) {
    run.status = RunStatus::kHeld;
    run.message = plan.hold_reason + (run.message.empty() ? "" : "; " + run.message);
    out.exit_code = kExitHeld;
  } else {
    if (options.kind == RunKind::kSync && profile.policy.mode == SyncMode::kPaused) {
      run.message = "mode paused: nothing applied";
    } else if (options.kind == RunKind::kSync && paused_by) {
      run.message = "paused by revert run " + std::to_string(*paused_by) +
                    ": nothing applied (telsync runs resume lifts the pause)";
    } else if (options.kind == RunKind::kSync) {
      items_saved.emplace(store.StartSaveRunItems(run.id, plan));
      // The phase reports its start, each batch the store commits, and its end.
      const size_t writes = static_cast<size_t>(
          std::count_if(plan.items.begin(), plan.items.end(),
                        [](const PlanItem& item) { return IsWrite(item.action); }));
      if (options.on_progress) options.on_progress({"apply", 0, writes});
      applied_plan = true;
      ApplyProgress batch_done;
      if (options.on_progress) {
        batch_done = [&](size_t done) { options.on_progress({"apply", done, writes}); };
      }
      auto applied = store.Apply(plan, batch_done);
      if (!applied.ok()) {
        run.status = RunStatus::kFailed;
        run.message = "applying the plan failed: " + applied.error().message;
        run.finished_at = options.clock ? options.clock() : options.now;
        (void)items_saved->Wait();
        (void)RecordRun(store, run);
        run_metrics.Finished(run);
        out.exit_code = kExitFailed;
        return out;
      }
      out.applied = *applied;
      // The users this plan could not write, for the incremental runs to plan again.
      std::vector<std::string> waiting;
      for (const PlanItem& item : plan.items) {
        if ((item.action == Action::kConflict || item.action == Action::kError) &&
            !item.key.empty() && item.key.rfind("record:", 0) != 0) {
          waiting.push_back(item.key);
        }
      }
      if (scope == nullptr || !scope->keys.empty() || !waiting.empty()) {
        if (auto s = store.SetWaitingKeys(profile.tenant, profile.name, waiting,
                                          scope != nullptr ? &scope->keys : nullptr);
            !s.ok()) {
          return s.error();
        }
      }
      if (options.on_progress) options.on_progress({"apply", writes, writes});
      clock.Mark("apply");
      if (reader.after_apply) {
        if (auto s = reader.after_apply(read); !s.ok()) return s.error();
      }
    }
    const bool partial = HasUserProblems(plan) || !plan.complete;
    run.status = partial ? RunStatus::kPartial : RunStatus::kSuccess;
    out.exit_code = partial ? kExitUserErrors : kExitOk;
  }

  if (options.on_progress) options.on_progress({"record", 0, plan.items.size()});
  if (auto s = items_saved ? items_saved->Wait() : store.SaveRunItems(run.id, plan); !s.ok()) {
    return s.error();
  }
  run.finished_at = options.clock ? options.clock() : options.now;
  if (auto s = RecordRun(store, run); !s.ok()) return s.error();
  run_metrics.Finished(run);
  if (options.on_progress) options.on_progress({"record", plan.items.size(), plan.items.size()});
  clock.Mark("record");
  clock.Log(run);

  if (options.approve_run != 0 && options.kind == RunKind::kSync && !plan.held &&
      run.status != RunStatus::kFailed) {
    auto held = store.GetRun(profile.tenant, options.approve_run);
    if (held.ok()) {
      held->status = RunStatus::kApproved;
      held->message = "approved; applied by run " + std::to_string(run.id);
      if (auto s = store.UpdateRun(*held); !s.ok()) return s.error();
    }
  }
  if (applied_plan) PurgeHistory(store, profile.tenant, options);
  return out;
}

}  // namespace

Result<RunOutcome> ExecuteRun(const Profile& profile, Source& source, Store& store,
                              const EngineOptions& options) {
  auto mapping = UserMapping::Compile(profile.mapping, profile.source.type());
  if (!mapping.ok()) return mapping.error();
  std::string note;
  const Reader reader = SourceReader(profile, source, store, options, mapping->Attributes(), note);
  return Execute(profile, source.Describe(), store, options, *mapping, reader, {}, note);
}

Result<RunOutcome> SyncMirror(const Profile& profile, Store& store,
                              const std::vector<std::string>& only_ids,
                              const EngineOptions& options) {
  auto mapping = UserMapping::Compile(profile.mapping, profile.source.type());
  if (!mapping.ok()) return mapping.error();
  Reader reader;
  reader.read = [&](ReadPipeline& pipeline, const ProblemSink&) {
    ReadResult read;
    read.complete = true;
    auto fail = [&read](const Error& e) {
      read.complete = false;
      read.error = Error{e.code, "reading the source mirror failed: " + e.message, ""};
    };
    if (only_ids.empty()) {
      Status s = store.ScanMirror(profile.tenant, profile.name, [&](MirrorEntry&& entry) {
        ++read.objects;
        pipeline.Add(std::move(entry.object));
        return true;
      });
      if (!s.ok()) fail(s.error());
      return read;
    }
    for (const std::string& id : only_ids) {
      auto entry = store.GetMirrorEntry(profile.tenant, profile.name, ObjectKind::kUser, id);
      if (!entry.ok()) {
        fail(entry.error());
        break;
      }
      if (entry->has_value()) {
        ++read.objects;
        pipeline.Add(std::move((*entry)->object));
      }
    }
    return read;
  };
  reader.whole_scope = only_ids.empty();
  reader.scope = std::make_shared<Reader::Scope>();
  reader.scope->active = !only_ids.empty();
  reader.scope->keys.insert(only_ids.begin(), only_ids.end());
  std::string note = only_ids.empty()
                         ? "the whole source mirror"
                         : std::to_string(only_ids.size()) + " objects of the source mirror";
  return Execute(profile, profile.source.type() + " mirror", store, options, *mapping, reader, {},
                 note);
}

}  // namespace telsync
