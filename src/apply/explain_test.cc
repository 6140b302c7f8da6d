// Tests of `telsync explain` (apply/explain.h): the trace recorded by mapping, validation
// and the planner, and the property of issue 18: for every user, explain's action and
// changes are the preview's.
#include "apply/explain.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "apply/run_profile.h"
#include "bench/lib/generator.h"
#include "config/loader.h"

namespace telsync {
namespace {

constexpr int64_t kNow = 1'800'000'000;
constexpr int64_t kDay = 86400;

std::string Source(const std::string& rel) { return std::string(TELSYNC_SOURCE_DIR) + "/" + rel; }

// The example profile (examples/telsync.yaml) reading `path`.
Profile ExampleProfile(const std::string& path) {
  auto config = LoadConfig(Source("examples/telsync.yaml"));
  EXPECT_TRUE(config.ok()) << config.error().ToString();
  Profile p = config->tenants.at(0).profiles.at(0);
  p.source.As<FileSourceConfig>()->path = path;
  return p;
}

RunOutcome RunOnce(const Profile& profile, Store& store, RunKind kind, int64_t now) {
  EngineOptions o;
  o.kind = kind;
  o.now = now;
  o.threads = 2;
  auto out = RunProfile(profile, store, o, "/");
  EXPECT_TRUE(out.ok()) << out.error().ToString();
  return std::move(out).value();
}

std::string ChangesText(const std::vector<FieldChange>& changes) {
  std::string s;
  for (const auto& c : changes) s += c.field + ":" + c.old_value + "->" + c.new_value + ";";
  return s;
}

// The property: every item of a preview, explained (all at once, by its key), has the
// preview's action, changes and reason; stored users the preview leaves alone are
// explained with no item. Explaining records no run.
void ExpectExplainEqualsPreview(const Profile& profile, Store& store, int64_t now) {
  const RunOutcome preview = RunOnce(profile, store, RunKind::kPreview, now);
  std::map<std::string, const PlanItem*> items;
  std::vector<std::string> queries;
  for (const PlanItem& item : preview.plan.items) {
    if (item.key.rfind("record:", 0) == 0) continue;  // an unreadable record, not a user
    if (items.emplace(item.key, &item).second) queries.push_back(item.key);
  }
  ASSERT_GT(queries.size(), 10u);
  auto snapshot = store.LoadSnapshot(profile.tenant, profile.name);
  ASSERT_TRUE(snapshot.ok());
  std::set<std::string> unplanned;
  for (const PbxUser& u : snapshot->users) {
    const std::string key = u.source_key.empty() ? "user:" + std::to_string(u.id) : u.source_key;
    if (!items.count(key) && unplanned.insert(key).second) queries.push_back(key);
  }
  const auto runs_before = store.ListRuns(profile.tenant, profile.name, 1000);
  ASSERT_TRUE(runs_before.ok());

  ExplainOptions options;
  options.now = now;
  options.base_dir = "/";
  options.threads = 2;
  auto explained = ExplainUsers(profile, store, queries, options);
  ASSERT_TRUE(explained.ok()) << explained.error().ToString();
  ASSERT_EQ(explained->size(), queries.size());
  size_t compared = 0;
  for (const Explanation& e : *explained) {
    SCOPED_TRACE(e.query);
    const auto it = items.find(e.query);
    if (it == items.end()) {
      EXPECT_FALSE(e.planned);
      EXPECT_TRUE(e.in_store);
      EXPECT_FALSE(e.identity.empty());
      continue;
    }
    const PlanItem& item = *it->second;
    ASSERT_TRUE(e.planned) << ActionName(item.action) << " " << item.reason;
    EXPECT_EQ(ActionName(e.action), ActionName(item.action)) << item.reason;
    EXPECT_EQ(ChangesText(e.changes), ChangesText(EffectiveChanges(item)));
    EXPECT_EQ(e.reason, item.reason);
    EXPECT_EQ(e.held, preview.plan.held);
    EXPECT_FALSE(e.policy.empty());
    EXPECT_EQ(e.policy.front().what, "policy.mode");
    EXPECT_EQ(e.policy.back().what, "deletion threshold");
    ++compared;
  }
  EXPECT_EQ(compared, items.size());
  const auto runs_after = store.ListRuns(profile.tenant, profile.name, 1000);
  ASSERT_TRUE(runs_after.ok());
  EXPECT_EQ(runs_after->size(), runs_before->size());
}

TEST(ExplainPropertyTest, EveryUserOfTheExamplesIsExplainedAsThePreviewPlansIt) {
  auto store = std::move(OpenStore(":memory:")).value();
  // Sync directory 1, then explain the previews of 2 and 3 (updates, leavers, joiners),
  // inside and after the grace period.
  Profile first = ExampleProfile(Source("examples/directory-1.json"));
  first.policy.max_deletes = -1;
  first.policy.max_delete_percent = -1;
  ExpectExplainEqualsPreview(first, *store, kNow);
  RunOnce(first, *store, RunKind::kSync, kNow);
  for (const char* dir : {"examples/directory-2.json", "examples/directory-3.json"}) {
    SCOPED_TRACE(dir);
    Profile p = ExampleProfile(Source(dir));
    ExpectExplainEqualsPreview(p, *store, kNow + kDay);
    p.policy.max_deletes = -1;
    p.policy.max_delete_percent = -1;
    RunOnce(p, *store, RunKind::kSync, kNow + kDay);
    ExpectExplainEqualsPreview(p, *store, kNow + 9 * kDay);
  }
}

class TempFile {
 public:
  TempFile() {
    char name[] = "/tmp/telsync-explain-XXXXXX";
    const int fd = mkstemp(name);
    if (fd >= 0) close(fd);
    path_ = std::string(name) + ".json";
    std::remove(name);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ExplainPropertyTest, EveryUserOfAGenerated10kDirectoryIsExplainedAsThePreviewPlansIt) {
  auto store = std::move(OpenStore(":memory:")).value();
  TempFile file;
  bench::GenOptions g;
  g.users = 10000;
  g.seed = 18;
  g.duplicate_email_rate = 0.01;
  g.disabled_rate = 0.05;
  Profile p = ExampleProfile(file.path());
  p.validation.phone_mode = PhoneMode::kLenient;
  for (int version = 1; version <= 2; ++version) {
    SCOPED_TRACE(version);
    g.version = version;
    {
      std::ofstream out(file.path());
      bench::WriteGraphJson(bench::DirectoryGenerator(g), out);
    }
    if (version == 2) ExpectExplainEqualsPreview(p, *store, kNow + version * kDay);
    Profile apply = p;
    apply.policy.max_deletes = -1;
    apply.policy.max_delete_percent = -1;
    RunOnce(apply, *store, RunKind::kSync, kNow + version * kDay);
  }
}

// ---- the chain, step by step, on small cases ------------------------------------------

struct Case {
  std::unique_ptr<Store> store = std::move(OpenStore(":memory:")).value();
  TempFile file;
  Profile profile = ExampleProfile(file.path());

  void Write(const std::string& users_json) {
    std::ofstream(file.path()) << R"({"value": [)" << users_json << "]}";
  }
  Explanation Explain(const std::string& user, int64_t now = kNow) {
    ExplainOptions o;
    o.now = now;
    o.base_dir = "/";
    o.threads = 1;
    auto e = ExplainUser(profile, *store, user, o);
    EXPECT_TRUE(e.ok()) << e.error().ToString();
    return e.ok() ? std::move(e).value() : Explanation{};
  }
};

// A Graph user; its landline differs per id (only the mobile is shared on purpose).
std::string GraphJson(const std::string& id, const std::string& nick, const std::string& mobile,
                      const std::string& dept = "Sales") {
  return R"({"id": ")" + id + R"(", "givenName": "Anna", "surname": "Andersson", "mail": ")" +
         nick + R"(@contoso.example", "mailNickname": ")" + nick +
         R"(", "businessPhones": ["+46 8 123 456 )" +
         std::to_string(10 + id.size() + id.back() % 50) + R"("], "mobilePhone": ")" + mobile +
         R"(", "department": ")" + dept + R"("})";
}

const ExplainStep* FindStep(const std::vector<ExplainStep>& steps, const std::string& what) {
  for (const auto& s : steps) {
    if (s.what == what) return &s;
  }
  return nullptr;
}

TEST(ExplainTest, ANewUserShowsMappingValidationRuleAndAllocatedExtension) {
  Case c;
  c.Write(GraphJson("id-anna", "anna", "+46 70 123 45 67", "Support"));
  const Explanation e = c.Explain("ANNA@contoso.example");  // by e-mail, any case
  EXPECT_EQ(e.key, "id-anna");
  EXPECT_TRUE(e.in_source);
  EXPECT_FALSE(e.in_store);
  ASSERT_TRUE(e.planned);
  EXPECT_EQ(e.action, Action::kCreate);
  // Mapping: the expression, what it read and what it gave.
  const ExplainMapping* mobile = nullptr;
  for (const auto& m : e.mapping) {
    if (m.field == "mobile") mobile = &m;
  }
  ASSERT_NE(mobile, nullptr);
  EXPECT_EQ(mobile->value, "+46 70 123 45 67");
  ASSERT_FALSE(mobile->inputs.empty());
  // Validation: the phone parse result of libphonenumber.
  bool parsed = false;
  for (const auto& s : e.validation) {
    if (s.what == "phone" && s.detail.find("+46701234567") != std::string::npos) parsed = true;
  }
  EXPECT_TRUE(parsed);
  const ExplainStep* link = FindStep(e.identity, "link");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->outcome, "new");
  const ExplainStep* tmpl = FindStep(e.rules, "template");
  ASSERT_NE(tmpl, nullptr);
  EXPECT_EQ(tmpl->outcome, "support");
  EXPECT_NE(tmpl->detail.find("rule 1"), std::string::npos) << tmpl->detail;
  const ExplainStep* ext = FindStep(e.rules, "extension");
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->outcome, "2000");
  EXPECT_NE(ext->detail.find("2000-2999"), std::string::npos);
  EXPECT_EQ(e.policy.front().what, "policy.mode");
  EXPECT_EQ(e.policy.front().outcome, "full");
}

TEST(ExplainTest, AnInvalidPhoneFailsValidationWithTheReason) {
  Case c;
  c.Write(GraphJson("id-anna", "anna", "070-12"));
  const Explanation e = c.Explain("anna");
  ASSERT_TRUE(e.planned);
  EXPECT_EQ(e.action, Action::kError);
  ASSERT_FALSE(e.validation.empty());
  EXPECT_EQ(e.validation.back().what, "phone");
  EXPECT_EQ(e.validation.back().outcome, "fail");
  EXPECT_EQ(e.validation.back().detail, e.reason);
}

TEST(ExplainTest, AConflictNamesTheOtherUser) {
  Case c;
  c.Write(GraphJson("id-a", "anna", "+46 70 123 45 67") + "," +
          GraphJson("id-b", "anna2", "+46 70 123 45 67"));
  const Explanation e = c.Explain("anna2");
  ASSERT_TRUE(e.planned);
  EXPECT_EQ(e.action, Action::kConflict);
  const ExplainStep* mobile = nullptr;
  for (const auto& s : e.uniqueness) {
    if (s.what.rfind("mobile", 0) == 0) mobile = &s;
  }
  ASSERT_NE(mobile, nullptr);
  EXPECT_EQ(mobile->outcome, "conflict");
  EXPECT_NE(mobile->detail.find("anna"), std::string::npos) << mobile->detail;
  EXPECT_NE(e.reason.find("also used by anna"), std::string::npos) << e.reason;
}

TEST(ExplainTest, AUserGoneFromTheSourceShowsTheGracePeriodDaysLeft) {
  Case c;
  c.profile.policy.protect_mobile = false;
  c.profile.policy.max_delete_percent = -1;
  c.Write(GraphJson("id-a", "anna", "+46 70 123 45 67") + "," +
          GraphJson("id-b", "bert", "+46 70 123 45 68"));
  {
    EngineOptions o;
    o.kind = RunKind::kSync;
    o.now = kNow;
    ASSERT_TRUE(RunProfile(c.profile, *c.store, o, "/").ok());
    c.Write(GraphJson("id-a", "anna", "+46 70 123 45 67"));
    o.now = kNow + kDay;
    ASSERT_TRUE(RunProfile(c.profile, *c.store, o, "/").ok());  // bert: pending delete
  }
  const Explanation e = c.Explain("bert", kNow + 3 * kDay);
  EXPECT_FALSE(e.in_source);
  EXPECT_TRUE(e.in_store);
  EXPECT_EQ(e.key, "id-b");
  ASSERT_TRUE(e.planned);
  EXPECT_EQ(e.action, Action::kUnchanged);
  EXPECT_NE(e.reason.find("pending delete until"), std::string::npos) << e.reason;
  const ExplainStep* grace = FindStep(e.policy, "grace period");
  ASSERT_NE(grace, nullptr);
  EXPECT_EQ(grace->outcome, "running");
  EXPECT_NE(grace->detail.find("(5 days left)"), std::string::npos) << grace->detail;
  EXPECT_EQ(FindStep(e.scope, "in scope")->outcome, "no");
}

TEST(ExplainTest, NobodyOfThatNameIsNotFound) {
  Case c;
  c.Write(GraphJson("id-a", "anna", "+46 70 123 45 67"));
  ExplainOptions o;
  o.now = kNow;
  o.base_dir = "/";
  auto e = ExplainUser(c.profile, *c.store, "nobody", o);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kNotFound);
  EXPECT_NE(e.error().message.find("no user nobody"), std::string::npos);
}

// A normal run is not traced: the same plan with and without an explanation.
TEST(ExplainTest, TracingDoesNotChangeThePlan) {
  Case c;
  c.Write(GraphJson("id-a", "anna", "+46 70 123 45 67") + "," +
          GraphJson("id-b", "bert", "+46 70 123 45 67"));
  EngineOptions o;
  o.now = kNow;
  auto plain = RunProfile(c.profile, *c.store, o, "/");
  ASSERT_TRUE(plain.ok());
  ExplainSet set({"anna", "bert"});
  o.explain = &set;
  auto traced = RunProfile(c.profile, *c.store, o, "/");
  ASSERT_TRUE(traced.ok());
  ASSERT_EQ(plain->plan.items.size(), traced->plan.items.size());
  for (size_t k = 0; k < plain->plan.items.size(); ++k) {
    EXPECT_EQ(plain->plan.items[k].action, traced->plan.items[k].action);
    EXPECT_EQ(ChangesText(EffectiveChanges(plain->plan.items[k])),
              ChangesText(EffectiveChanges(traced->plan.items[k])));
  }
  EXPECT_EQ(traced->run.id, 0);  // an explanation records no run
}

// Per target: what it would receive for the planned item, and the user's last event it
// delivered (the event at or before its cursor).
TEST(ExplainTest, TargetsShowWhatTheyWouldReceiveAndTheLastDeliveredEvent) {
  Case c;
  c.Write(GraphJson("id-a", "anna", "+46 70 123 45 67"));
  // The target published once (its cursor is open): the sync writes its events.
  ASSERT_TRUE(c.store->OpenTargetCursor(c.profile.tenant, "pbx").ok());
  EngineOptions o;
  o.kind = RunKind::kSync;
  o.now = kNow;
  ASSERT_TRUE(RunProfile(c.profile, *c.store, o, "/").ok());
  auto seq = c.store->LastOutboxSeq(c.profile.tenant);
  ASSERT_TRUE(seq.ok());
  ASSERT_GT(*seq, 0);
  TargetCursor cursor;
  cursor.tenant = c.profile.tenant;
  cursor.target = "pbx";
  cursor.last_seq = *seq;
  ASSERT_TRUE(c.store->PutTargetCursor(cursor).ok());

  c.Write(GraphJson("id-a", "anna", "+46 70 123 45 99"));
  ExplainOptions eo;
  eo.now = kNow + kDay;
  eo.base_dir = "/";
  eo.targets = {{"pbx", "webhook", {}}, {"old", "kamailio", {"city", {"Uppsala"}}}};
  auto e = ExplainUser(c.profile, *c.store, "anna", eo);
  ASSERT_TRUE(e.ok()) << e.error().ToString();
  EXPECT_EQ(e->action, Action::kUpdate);
  ASSERT_EQ(e->targets.size(), 2u);
  const ExplainTarget& pbx = e->targets[0];
  EXPECT_EQ(pbx.name, "pbx");
  ASSERT_EQ(pbx.steps.size(), 1u);
  EXPECT_EQ(pbx.steps[0].action, "update");
  EXPECT_EQ(pbx.cursor_seq, *seq);
  EXPECT_EQ(pbx.last_event.rfind("user_created (seq ", 0), 0u) << pbx.last_event;
  EXPECT_NE(pbx.holds.find("+46701234567"), std::string::npos) << pbx.holds;  // the old mobile
  const ExplainTarget& old = e->targets[1];
  EXPECT_TRUE(old.steps.empty());  // its rule routes Uppsala only
  EXPECT_EQ(old.cursor_seq, 0);
  EXPECT_EQ(old.holds, "nothing yet: the target never published");
}

// What a target holds comes from its own record of the objects it created (TargetStateStore),
// so it is still right once the outbox is compacted (issue 18 §1 step 9).
TEST(ExplainTest, TargetHoldsComesFromItsObjectsAfterOutboxCompaction) {
  Case c;
  c.Write(GraphJson("id-a", "anna", "+46 70 123 45 67"));
  ASSERT_TRUE(c.store->OpenTargetCursor(c.profile.tenant, "sip").ok());
  EngineOptions o;
  o.kind = RunKind::kSync;
  o.now = kNow;
  ASSERT_TRUE(RunProfile(c.profile, *c.store, o, "/").ok());
  auto anna = c.store->FindUser(c.profile.tenant, "anna");
  ASSERT_TRUE(anna.ok() && anna->has_value());
  const int64_t id = (**anna).id;
  // What the Kamailio target saved as it published anna, and its cursor past her event.
  ASSERT_TRUE(
      c.store
          ->SaveTargetObjects(c.profile.tenant, "sip",
                              {{c.profile.tenant, "sip", "subscriber", "anna@sip.example", id},
                               {c.profile.tenant, "sip", "alias", "2000@sip.example", id},
                               {c.profile.tenant, "sip", "subscriber", "bob@sip.example", id + 1}},
                              {})
          .ok());
  auto seq = c.store->LastOutboxSeq(c.profile.tenant);
  ASSERT_TRUE(seq.ok());
  TargetCursor cursor;
  cursor.tenant = c.profile.tenant;
  cursor.target = "sip";
  cursor.last_seq = *seq;
  ASSERT_TRUE(c.store->PutTargetCursor(cursor).ok());
  auto compacted = c.store->CompactOutbox(c.profile.tenant, *seq);
  ASSERT_TRUE(compacted.ok());
  ASSERT_TRUE(c.store->ListOutbox(c.profile.tenant, 0, 10)->empty());

  ExplainOptions eo;
  eo.now = kNow + kDay;
  eo.base_dir = "/";
  eo.targets = {{"sip", "kamailio", {}}, {"hook", "webhook", {}}};
  auto e = ExplainUser(c.profile, *c.store, "anna", eo);
  ASSERT_TRUE(e.ok()) << e.error().ToString();
  ASSERT_EQ(e->targets.size(), 2u);
  EXPECT_EQ(e->targets[0].holds, "alias 2000@sip.example, subscriber anna@sip.example");
  EXPECT_EQ(e->targets[0].last_event, "");  // compacted: the holdings do not need it
  EXPECT_EQ(e->targets[1].holds, "nothing yet: the target never published");

  // A user the target created nothing for.
  ASSERT_TRUE(
      c.store
          ->SaveTargetObjects(c.profile.tenant, "sip", {},
                              {{"alias", "2000@sip.example"}, {"subscriber", "anna@sip.example"}})
          .ok());
  e = ExplainUser(c.profile, *c.store, "anna", eo);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->targets[0].holds, "nothing: the target keeps no object of this user");
}

}  // namespace
}  // namespace telsync
