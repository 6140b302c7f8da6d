#include "apply/run_profile.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace telsync {
namespace {

Profile TestProfile(SourceConfig source) {
  Profile p;
  p.tenant = "acme";
  p.name = "main";
  p.source = std::move(source);
  p.policy.grace_days = 0;
  p.policy.protect_mobile = false;
  p.policy.max_deletes = -1;
  p.policy.max_delete_percent = -1;
  return p;
}

std::string UserJson(int i) {
  const std::string n = std::to_string(i);
  return R"({"id":"id-)" + n + R"(","givenName":"User","surname":"Number)" + n +
         R"(","displayName":"User )" + n + R"(","mail":"user)" + n +
         R"(@contoso.example","mailNickname":"user)" + n + R"(","businessPhones":["+46 8 5)" +
         std::to_string(1000000 + i) + R"("],"jobTitle":"Seller"})";
}

EngineOptions Options(RunKind kind) {
  EngineOptions o;
  o.kind = kind;
  o.now = 1'800'000'000;
  o.threads = 1;
  return o;
}

size_t Creates(const RunOutcome& r) {
  return r.plan.Summary()[static_cast<size_t>(Action::kCreate)];
}

TEST(RunProfileTest, FileProfileReadsItsSourceRelativeToBaseDir) {
  const std::string dir = ::testing::TempDir();
  const std::string name = "run_profile_" + std::to_string(getpid()) + ".json";
  {
    std::ofstream file(dir + "/" + name);
    file << R"({"value":[)" << UserJson(1) << "," << UserJson(2) << "]}";
  }
  Profile profile = TestProfile(FileSourceConfig{name, ""});  // relative: against base_dir
  auto store = std::move(OpenStore(":memory:")).value();

  auto preview = RunProfile(profile, *store, Options(RunKind::kPreview), dir);
  ASSERT_TRUE(preview.ok()) << preview.error().ToString();
  EXPECT_EQ(preview->exit_code, kExitOk);
  EXPECT_EQ(Creates(*preview), 2u);
  EXPECT_EQ(store->ListUsers("acme", 0, 0)->size(), 0u);

  auto prepared = PreparedRun::Make(profile, dir);
  ASSERT_TRUE(prepared.ok());
  EXPECT_FALSE(prepared->OnMirror());
  auto sync = prepared->Run(*store, Options(RunKind::kSync));
  ASSERT_TRUE(sync.ok()) << sync.error().ToString();
  EXPECT_EQ(sync->run.status, RunStatus::kSuccess);
  EXPECT_EQ(store->ListUsers("acme", 0, 0)->size(), 2u);
  std::remove((dir + "/" + name).c_str());
}

TEST(RunProfileTest, ScimProfileRunsOnItsMirrorWithoutASource) {
  Profile profile = TestProfile(ScimSourceConfig{});
  auto store = std::move(OpenStore(":memory:")).value();
  {
    auto w = store->BeginMirrorWrite("acme", "main", MirrorWriteMode::kPatch, 1);
    ASSERT_TRUE(w.ok());
    for (int i = 1; i <= 3; ++i) {
      MirrorEntry e;
      e.object.id = "id-" + std::to_string(i);
      e.object.Add("userName", "user" + std::to_string(i) + "@contoso.example");
      e.object.Add("displayName", "User " + std::to_string(i));
      e.object.Add("name.givenName", "User");
      e.object.Add("name.familyName", "Number" + std::to_string(i));
      e.object.Add("emails.work", "user" + std::to_string(i) + "@contoso.example");
      e.object.Add("phoneNumbers.work", "+46 8 5" + std::to_string(1000000 + i));
      ASSERT_TRUE((*w)->Put(e).ok());
    }
    ASSERT_TRUE((*w)->Commit().ok());
  }
  // MakeSource refuses a scim source; PreparedRun must not ask it for one.
  auto prepared = PreparedRun::Make(profile, "/nonexistent");
  ASSERT_TRUE(prepared.ok()) << prepared.error().ToString();
  EXPECT_TRUE(prepared->OnMirror());
  auto sync = RunProfile(profile, *store, Options(RunKind::kSync), "");
  ASSERT_TRUE(sync.ok()) << sync.error().ToString();
  EXPECT_EQ(sync->exit_code, kExitOk);
  EXPECT_EQ(Creates(*sync), 3u);
  EXPECT_EQ(store->ListUsers("acme", 0, 0)->size(), 3u);
}

TEST(RunProfileTest, ASourceThatCannotBeMadeIsInvalidAndRecordsNoRun) {
  Profile profile = TestProfile(FileSourceConfig{});  // no source.path
  auto store = std::move(OpenStore(":memory:")).value();
  auto r = RunProfile(profile, *store, Options(RunKind::kPreview), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(r.error().message, "a file source needs source.path");
  EXPECT_TRUE(store->ListRuns("acme", "main", 10)->empty());

  profile.source = SourceConfig();
  auto none = PreparedRun::Make(profile, "");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("the profile has no source"), std::string::npos);
}

}  // namespace
}  // namespace telsync
