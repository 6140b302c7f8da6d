// Incremental runs (issue 20 §1): a delta read plans only what changed, and gives the same
// plan and the same store as a full read from the same state. A property test over random
// sequences of directory changes, on SQLite and on PostgreSQL.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "apply/engine.h"
#include "apply/fake_sources_testing.h"
#include "bench/lib/generator.h"
#include "store/detail/test_backends.h"

namespace telsync {
namespace {

using engine_test::DeltaSource;
using engine_test::GeneratedObject;
using store_test::MakeTempDir;
using store_test::PgExec;
using store_test::PgServer;
using store_test::WithDatabase;

constexpr int64_t kStart = 1'800'000'000;
constexpr int64_t kDay = 86400;

Profile IncrementalProfile(uint64_t seed) {
  Profile p;
  p.tenant = "acme";
  p.name = "main";
  GraphSourceConfig graph;
  graph.full_read_every_hours = 0;  // every run after the first reads a delta
  p.source = graph;
  p.validation.phone_mode = PhoneMode::kLenient;
  p.policy.grace_days = seed % 3 == 0 ? 0 : 7;
  p.policy.protect_mobile = seed % 2 == 0;
  p.policy.disabled = seed % 4 == 1   ? DisabledAction::kDelete
                      : seed % 4 == 2 ? DisabledAction::kSkip
                                      : DisabledAction::kUnsearchable;
  p.policy.max_deletes = -1;
  p.policy.max_delete_percent = -1;
  p.departments.enabled = true;
  p.departments.ring_groups = {7000, 7099};
  p.extensions = {2000, 2999};
  return p;
}

// Users (without their row ids, which differ between two stores) and departments as one
// comparable text.
std::string Dump(Store& store) {
  auto snapshot = store.LoadSnapshot("acme", "main");
  EXPECT_TRUE(snapshot.ok());
  if (!snapshot.ok()) return "";
  std::vector<std::string> lines;
  for (const PbxUser& u : snapshot->users) {
    std::string line = u.profile + " " + u.source_key;
    for (size_t f = 0; f < kFieldCount; ++f) line += "|" + std::string(u.fields.Get(Field(f)));
    line += u.searchable ? "|s" : "|-";
    line += u.state == UserState::kActive ? "|a" : "|p" + std::to_string(u.pending_since);
    for (const auto& g : u.groups) line += "|g:" + g;
    for (const auto& [k, v] : u.custom) line += "|c:" + k + "=" + v;
    lines.push_back(std::move(line));
  }
  for (const Department& d : snapshot->departments) {
    std::string line = "dept " + d.name + " " + d.ring_group;
    for (const auto& m : d.members) line += " " + m;
    lines.push_back(std::move(line));
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// What a plan writes: its write items and changed departments, in a stable order (a full
// plan also lists every unchanged user; an incremental one does not).
std::string Writes(const Plan& plan) {
  std::vector<std::string> lines;
  for (const PlanItem& item : plan.items) {
    if (!IsWrite(item.action)) continue;
    std::string line = item.key + " " + std::string(ActionName(item.action)) + " " + item.reason;
    for (const auto& c : item.changes)
      line += " [" + c.field + ": " + c.old_value + " -> " + c.new_value + "]";
    lines.push_back(std::move(line));
  }
  for (const DepartmentChange& d : plan.departments) {
    if (d.action == Action::kUnchanged) continue;
    std::string line = "dept " + d.target.name + " " + std::string(ActionName(d.action));
    for (const auto& c : d.changes)
      line += " [" + c.field + ": " + c.old_value + " -> " + c.new_value + "]";
    lines.push_back(std::move(line));
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

class IncrementalTest : public ::testing::TestWithParam<std::string> {
 protected:
  void TearDown() override {
    for (const std::string& db : databases_) {
      PgExec(PgServer::Get().Url(), "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    }
    for (const std::string& dir : dirs_) std::filesystem::remove_all(dir);
  }

  std::unique_ptr<Store> NewStore() {
    std::string spec;
    if (GetParam() == "postgres") {
      const std::string& admin = PgServer::Get().Url();
      EXPECT_FALSE(admin.empty()) << "PostgreSQL is needed: " << PgServer::Get().error();
      static std::atomic<int> counter{0};
      std::string db = "telsync_i" + std::to_string(getpid()) + "_" + std::to_string(counter++);
      std::string error;
      EXPECT_TRUE(PgExec(admin, "CREATE DATABASE " + db, &error)) << error;
      databases_.push_back(db);
      spec = WithDatabase(admin, db);
    } else {
      dirs_.push_back(MakeTempDir("telsync-incremental"));
      spec = dirs_.back() + "/store.db";
    }
    auto store = OpenStore(spec);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::vector<std::string> databases_;
  std::vector<std::string> dirs_;
};

INSTANTIATE_TEST_SUITE_P(Backends, IncrementalTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

RunOutcome SyncOnce(const Profile& profile, Source& source, Store& store, int64_t now,
                    RunKind kind = RunKind::kSync) {
  EngineOptions o;
  o.kind = kind;
  o.now = now;
  o.threads = 2;
  auto r = ExecuteRun(profile, source, store, o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? std::move(*r) : RunOutcome{};
}

// Sets attribute `name` to `value` alone.
void Put(SourceObject& o, const std::string& name, std::string value) {
  std::erase_if(o.attributes, [&name](const auto& a) { return a.first == name; });
  o.Add(name, std::move(value));
}

bool PlannedAlone(const RunOutcome& r) {
  return r.run.message.find("planned alone") != std::string::npos;
}

TEST_P(IncrementalTest, AnIncrementalRunPlansAndStoresWhatAFullRunDoes) {
  const int seeds = GetParam() == "postgres" ? 4 : 10;
  for (uint64_t seed = 1; seed <= static_cast<uint64_t>(seeds); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Profile profile = IncrementalProfile(seed);
    std::mt19937_64 rng(seed * 7919);
    bench::GenOptions g;
    g.users = 30 + rng() % 40;
    g.seed = seed;
    g.duplicate_email_rate = 0.05;
    g.disabled_rate = 0.1;
    g.change_rate = 0.3;
    g.leave_rate = 0.1;
    // Each generated version is a whole directory: the source moves from one to the next
    // by changes (its change log is what a delta reads), plus changes made here.
    std::vector<std::vector<SourceObject>> versions;
    for (int v = 1; v <= 4; ++v) {
      g.version = v;
      bench::DirectoryGenerator gen(g);
      std::vector<SourceObject> objects;
      for (size_t i = 0; i < gen.End(); ++i) {
        if (gen.Present(i)) objects.push_back(GeneratedObject(gen.User(i)));
      }
      versions.push_back(std::move(objects));
    }
    DeltaSource source;
    for (const SourceObject& o : versions[0]) source.Set(o);
    std::unique_ptr<Store> incremental = NewStore();
    std::unique_ptr<Store> full = NewStore();
    ASSERT_TRUE(incremental && full);
    int64_t now = kStart;
    SyncOnce(profile, source, *incremental, now);
    source.expired = true;
    SyncOnce(profile, source, *full, now);
    source.expired = false;
    ASSERT_EQ(Dump(*incremental), Dump(*full));

    size_t planned_alone = 0;
    std::string not_alone;              // the messages of the runs that were not
    std::vector<SourceObject> removed;  // for a comeback, or a new id with the same e-mail
    for (int step = 1; step <= 8; ++step) {
      SCOPED_TRACE("step " + std::to_string(step));
      // The next generated version now and then; else a few changes by hand.
      if (step % 3 == 1 && static_cast<size_t>(step / 3 + 1) < versions.size()) {
        const auto& next = versions[static_cast<size_t>(step / 3 + 1)];
        std::set<std::string> ids;
        for (const SourceObject& o : next) {
          ids.insert(o.id);
          auto it = source.directory.find(o.id);
          if (it == source.directory.end() || it->second.attributes != o.attributes ||
              it->second.enabled != o.enabled) {
            source.Set(o);
          }
        }
        std::vector<std::string> gone;
        for (const auto& [id, o] : source.directory) {
          if (!ids.count(id)) gone.push_back(id);
        }
        for (const std::string& id : gone) {
          removed.push_back(source.directory[id]);
          source.Remove(id);
        }
      }
      for (int k = static_cast<int>(rng() % 4); k > 0 && !source.directory.empty(); --k) {
        auto it = source.directory.begin();
        std::advance(it, static_cast<long>(rng() % source.directory.size()));
        SourceObject o = it->second;
        switch (rng() % 6) {
          case 0:  // another department
            Put(o, "department", rng() % 2 ? "Sales" : "Support");
            source.Set(o);
            break;
          case 1:  // disabled or enabled again
            o.enabled = !o.enabled;
            source.Set(o);
            break;
          case 2:  // gone
            removed.push_back(o);
            source.Remove(o.id);
            break;
          case 3:  // a removed user comes back with its own id
            if (!removed.empty()) {
              source.Set(removed.back());
              removed.pop_back();
            }
            break;
          case 4:  // the same person under a new id (a relink), or a new user
            if (!removed.empty() && rng() % 2) {
              SourceObject again = removed.front();
              again.id += "-new";
              source.Set(again);
            } else {
              o.id = "new-" + std::to_string(seed) + "-" + std::to_string(step);
              Put(o, "mail", o.id + "@contoso.example");
              source.Set(o);
            }
            break;
          default:  // a new title
            Put(o, "jobTitle", "Title " + std::to_string(rng() % 5));
            source.Set(o);
            break;
        }
      }
      // Time passes: now and then past the grace period.
      now += rng() % 3 == 0 ? 8 * kDay : 3600;

      const RunOutcome a = SyncOnce(profile, source, *incremental, now);
      source.expired = true;  // the full twin reads the whole directory
      const RunOutcome b = SyncOnce(profile, source, *full, now);
      source.expired = false;
      EXPECT_FALSE(PlannedAlone(b)) << b.run.message;
      if (PlannedAlone(a)) {
        ++planned_alone;
      } else {
        not_alone += a.run.message + "\n";
      }
      ASSERT_EQ(Writes(a.plan), Writes(b.plan)) << a.run.message;
      ASSERT_EQ(Dump(*incremental), Dump(*full)) << a.run.message;
      EXPECT_EQ(a.plan.held, b.plan.held);
      EXPECT_EQ(a.run.status, b.run.status) << a.run.message;
      EXPECT_EQ(a.exit_code, b.exit_code);
    }
    // Every run after the first was a delta planned alone: the property is not vacuous.
    EXPECT_EQ(planned_alone, 8u) << not_alone;
  }
}

}  // namespace
}  // namespace telsync
