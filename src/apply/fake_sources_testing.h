// Test support: in-memory twins of sources (STYLE.md rule 12) shared by the engine's tests
// (engine_test.cc, incremental_test.cc). A *_testing.h header: tests only.
#pragma once

#include <climits>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bench/lib/generator.h"
#include "sources/source.h"

namespace telsync::engine_test {

// A generated directory user as the Graph source sends it.
inline SourceObject GeneratedObject(const bench::GenUser& u) {
  SourceObject o;
  o.id = u.id;
  o.Add("givenName", u.given_name);
  if (!u.surname.empty()) o.Add("surname", u.surname);
  o.Add("displayName", u.display_name);
  o.Add("mail", u.mail);
  o.Add("mailNickname", u.mail_nickname);
  if (!u.business_phone.empty()) o.Add("businessPhones", u.business_phone);
  if (!u.mobile_phone.empty()) o.Add("mobilePhone", u.mobile_phone);
  o.Add("department", u.department);
  o.Add("jobTitle", u.job_title);
  o.enabled = u.enabled;
  return o;
}

// A directory with a change log: a delta source like Graph's /users/delta. Cursors are
// "gen:N"; an unknown generation (an expired delta link) makes it read everything.
class DeltaSource : public Source {
 public:
  std::map<std::string, SourceObject> directory;
  std::map<std::string, int> changed_at;  // id -> generation of its last change
  int generation = 1;
  bool expired = false;
  size_t stop_after = SIZE_MAX;
  std::vector<std::string> cursors_seen;

  void Set(SourceObject o) {
    changed_at[o.id] = ++generation;
    directory[o.id] = std::move(o);
  }
  void Remove(const std::string& id) {
    changed_at[id] = ++generation;
    directory.erase(id);
  }

  std::string Describe() const override { return "delta:"; }
  bool SupportsDelta() const override { return true; }
  ConnectionReport TestConnection() override { return {true, "ok", {}, {}}; }
  ReadResult Read(const ReadRequest& request, const ObjectSink& sink, const ProblemSink&) override {
    cursors_seen.push_back(request.cursor);
    ReadResult r;
    r.delta = !request.cursor.empty() && !expired;
    const int since = r.delta ? std::stoi(request.cursor.substr(4)) : 0;
    for (const auto& [id, when] : changed_at) {
      if (when <= since) continue;
      if (r.objects == stop_after) {
        r.error = Error::Unavailable("503 on page 2");
        return r;
      }
      auto it = directory.find(id);
      if (it == directory.end()) {
        if (!r.delta) continue;
        SourceObject gone;
        gone.id = id;
        gone.deleted = true;
        sink(std::move(gone));
      } else {
        SourceObject copy = it->second;
        sink(std::move(copy));
      }
      ++r.objects;
    }
    r.complete = true;
    r.cursor = "gen:" + std::to_string(generation);
    return r;
  }
};

}  // namespace telsync::engine_test
