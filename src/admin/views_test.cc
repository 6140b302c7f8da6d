#include "admin/views.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/json_out.h"

namespace telsync::admin {
namespace {

PbxUser Alice() {
  PbxUser u;
  u.id = 7;
  u.fields.Set(Field::kUsername, "alice");
  u.fields.Set(Field::kExtension, "201");
  u.source_key = "obj-1";
  u.profile = "acme/entra";
  u.searchable = false;
  u.state = UserState::kPendingDelete;
  u.pending_since = 1700;
  u.groups = {"Sales", "Non AD sync"};
  u.custom = {{"cost_centre", "42"}, {"room", "B2"}};
  u.subscription = "pro";
  return u;
}

TEST(AdminViewsTest, UserJsonHasTheIdEveryFieldThenTheRestInThatOrder) {
  const nlohmann::ordered_json j = UserJson(Alice());
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  std::vector<std::string> want = {"id"};
  for (size_t i = 0; i < kFieldCount; ++i) want.emplace_back(FieldName(static_cast<Field>(i)));
  for (const char* k : {"searchable", "state", "pending_since", "profile", "source_key", "groups",
                        "custom", "subscription"})
    want.emplace_back(k);
  EXPECT_EQ(keys, want);

  EXPECT_EQ(j["id"], 7);
  EXPECT_EQ(j[std::string(FieldName(Field::kUsername))], "alice");
  EXPECT_EQ(j[std::string(FieldName(Field::kExtension))], "201");
  EXPECT_EQ(j[std::string(FieldName(Field::kMobile))], "");  // unset fields are ""
  EXPECT_EQ(j["searchable"], false);
  EXPECT_EQ(j["state"], "pending_delete");
  // The tail as the CLI and REST render it (DumpJson, compact): byte for byte.
  nlohmann::ordered_json tail;
  for (const char* k : {"searchable", "state", "pending_since", "profile", "source_key", "groups",
                        "custom", "subscription"})
    tail[k] = j[k];
  EXPECT_EQ(DumpJson(tail),
            R"({"searchable":false,"state":"pending_delete","pending_since":1700,)"
            R"("profile":"acme/entra","source_key":"obj-1","groups":["Sales","Non AD sync"],)"
            R"("custom":{"cost_centre":"42","room":"B2"},"subscription":"pro"})");
}

TEST(AdminViewsTest, AnActiveUserWithoutCustomFieldsHasAnEmptyObject) {
  PbxUser u;
  const nlohmann::ordered_json j = UserJson(u);
  EXPECT_EQ(j["state"], "active");
  EXPECT_TRUE(j["custom"].is_object());
  EXPECT_TRUE(j["custom"].empty());
  EXPECT_TRUE(j["groups"].is_array());
}

TEST(AdminViewsTest, TenantDeletionJsonCountsEveryKind) {
  TenantDeletion d{1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(DumpJson(TenantDeletionJson("initech", d)),
            R"({"deleted":"initech","removed":{"users":1,"departments":2,"runs":3,)"
            R"("mirror_entries":4,"tokens":5,"profiles":6,"jobs":7,"notifications":8}})");
}

TEST(AdminViewsTest, JobJsonKeepsItsKeyOrderAndReadsOnlyAnObjectProgress) {
  JobRecord job;
  job.id = 5;
  job.tenant = "acme";
  job.profile = "hr";
  job.kind = "sync";
  job.trigger = "api";
  job.state = JobState::kRunning;
  job.progress = R"({"read":10})";
  EXPECT_EQ(DumpJson(JobJson(job)),
            R"({"job":5,"tenant":"acme","profile":"hr","kind":"sync","trigger":"api",)"
            R"("status":"running","run_id":0,"exit_code":0,"message":"","attempts":0,)"
            R"("worker":"","created_at":0,"started_at":0,"finished_at":0,)"
            R"("progress":{"read":10}})");
  job.progress = "not json";
  EXPECT_EQ(JobJson(job)["progress"], nlohmann::ordered_json::object());
}

TEST(AdminViewsTest, RunJsonCountsEveryActionInItsSummary) {
  telsync::Run run;
  run.id = 3;
  run.summary[static_cast<size_t>(Action::kCreate)] = 2;
  const nlohmann::ordered_json j = RunJson(run);
  EXPECT_EQ(j["id"], 3);
  EXPECT_EQ(j["summary"].size(), kActionCount);
  EXPECT_EQ(j["summary"][std::string(SummaryKey(Action::kCreate))], 2);
  EXPECT_EQ(j.begin().key(), "id");
  EXPECT_EQ((--j.end()).key(), "purged_at");
  EXPECT_TRUE(j["purged_at"].is_null());  // kept
}

TEST(AdminViewsTest, RunJsonSaysWhenItsItemsWerePurged) {
  telsync::Run run;
  run.id = 12;
  run.summary[static_cast<size_t>(Action::kUpdate)] = 4;
  run.purged_at = 1796677200;  // 2026-12-07T21:00:00Z
  const nlohmann::ordered_json j = RunJson(run);
  EXPECT_EQ(j["purged_at"], "2026-12-07T21:00:00Z");
  EXPECT_EQ(j["summary"][std::string(SummaryKey(Action::kUpdate))], 4);  // the counts stay
}

TEST(AdminViewsTest, ProfileJsonMasksSecretsAndShowsOnlyItsSourceTypesKeys) {
  Profile p;
  p.tenant = "acme";
  p.name = "ad";
  LdapSourceConfig ldap;
  ldap.bind_password = Secret("S3cret-Bind-Pw");
  p.source = ldap;
  const std::string text = DumpJson(ProfileJson(p));
  EXPECT_EQ(text.find("S3cret-Bind-Pw"), std::string::npos);
  const nlohmann::ordered_json j = ProfileJson(p);
  EXPECT_TRUE(j["source"].contains("bind_dn"));
  EXPECT_FALSE(j["source"].contains("client_id"));
  EXPECT_EQ(j["policy"]["mode"], "full");
}

// The source views byte for byte: the REST API's profile documents show exactly these keys,
// in this order, and never a secret.
TEST(AdminViewsTest, ProfileJsonShowsTheGraphAndLdapSourcesKeysInOrder) {
  Profile p;
  p.tenant = "acme";
  p.name = "entra";
  GraphSourceConfig graph;
  graph.tenant_id = "contoso.example";
  graph.client_id = "c1";
  graph.client_secret = Secret("S3cret-Client", "env:GRAPH_SECRET");
  graph.groups = {"Sales", "Ops"};
  graph.include_guests = true;
  graph.odata_filter = "department eq 'x'";
  graph.ca_file = "/etc/ca.pem";      // not shown
  graph.proxy = "http://proxy:3128";  // not shown
  p.source = graph;
  EXPECT_EQ(DumpJson(ProfileJson(p)["source"]),
            R"j({"type":"graph","tenant_id":"contoso.example","client_id":"c1",)j"
            R"j("client_secret":"******** (from env:GRAPH_SECRET)","groups":["Sales","Ops"],)j"
            R"j("include_guests":true,"filter":"department eq 'x'",)j"
            R"j("authority":"https://login.microsoftonline.com",)j"
            R"j("graph_url":"https://graph.microsoft.com"})j");

  LdapSourceConfig ldap;
  ldap.urls = {"ldaps://dc1.example", "ldaps://dc2.example"};
  ldap.bind_dn = "cn=sync,dc=example";
  ldap.bind_password = Secret("S3cret-Bind");
  ldap.user_search_dn = "ou=people,dc=example";
  ldap.ldap_filter = "(objectClass=user)";
  ldap.start_tls = true;
  ldap.page_size = 500;  // not shown
  p.source = ldap;
  EXPECT_EQ(DumpJson(ProfileJson(p)["source"]),
            R"j({"type":"ldap","url":["ldaps://dc1.example","ldaps://dc2.example"],)j"
            R"j("bind_dn":"cn=sync,dc=example","bind_password":"********",)j"
            R"j("user_search_dn":"ou=people,dc=example","department_search_dn":"",)j"
            R"j("filter":"(objectClass=user)","start_tls":true,)j"
            R"j("tls_verify":true})j");
}

TEST(AdminViewsTest, TenantJsonLeavesOutUnsetTimes) {
  EXPECT_EQ(DumpJson(TenantJson({"acme", "", "config", 0, 0})),
            R"({"name":"acme","display_name":"","origin":"config"})");
  EXPECT_EQ(DumpJson(TokenJson(ApiToken{})).find("hash"), std::string::npos);
}

}  // namespace
}  // namespace telsync::admin
