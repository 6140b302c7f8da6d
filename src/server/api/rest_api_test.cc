#include "server/api/rest_api.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "schedule/worker.h"
#include "secrets/secret_box.h"
#include "util/token.h"

namespace telsync::api {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A real server on a free port with the API of tenants acme (one file profile) and
// globex, an admin token for each, and a directory of three users.
class RestApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("telsync-api-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    json users = json::array();
    for (int i = 1; i <= 3; ++i) {
      users.push_back({{"id", "00000000-0000-4000-8000-00000000000" + std::to_string(i)},
                       {"accountEnabled", true},
                       {"displayName", "User " + std::to_string(i)},
                       {"givenName", "User"},
                       {"surname", "N" + std::to_string(i)},
                       {"mail", "user" + std::to_string(i) + "@contoso.example"},
                       {"userPrincipalName", "user" + std::to_string(i) + "@contoso.example"},
                       {"businessPhones", {"+46 8 5000000" + std::to_string(i)}}});
    }
    std::ofstream(dir_ / "directory.json") << json{{"value", users}}.dump();
    store_spec_ = (dir_ / "telsync.db").string();
    config_.store = store_spec_;
    for (const char* name : {"acme", "globex"}) {
      Tenant t;
      t.name = name;
      Profile p;
      p.tenant = name;
      p.name = "main";
      p.source = FileSourceConfig{(dir_ / "directory.json").string(), "json"};
      p.policy.grace_days = 0;
      t.profiles.push_back(p);
      config_.tenants.push_back(t);
    }
    // acme publishes to a Kamailio database (issue 17), made from the schema Kamailio ships.
    // The catalog has no secret key until a test sets one, so the workers leave it alone.
    MakeKamailioDb(dir_ / "kamailio.db");
    TargetConfig sip;
    sip.name = "sip";
    sip.type = "kamailio";
    sip.db = "sqlite://" + (dir_ / "kamailio.db").string();
    sip.domain = "sip.test";
    config_.tenants[0].targets.push_back(sip);
    auto opened = OpenStore(store_spec_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    for (const char* tenant : {"acme", "globex"}) {
      auto secret = GenerateToken();
      ASSERT_TRUE(secret.ok());
      ApiToken t;
      t.tenant = tenant;
      t.kind = "admin";
      t.hash = Sha256Hex(*secret);
      t.created_at = 1;
      ASSERT_TRUE(store_->AddToken(t).ok());
      tokens_[tenant] = *secret;
    }
    auto op_secret = GenerateToken();
    ASSERT_TRUE(op_secret.ok());
    ApiToken op;
    op.kind = "operator";
    op.hash = Sha256Hex(*op_secret);
    ASSERT_TRUE(store_->AddToken(op).ok());
    operator_token_ = *op_secret;
    catalog_ = std::make_unique<ProfileCatalog>(config_);
    const std::string spec = store_spec_;
    WorkerOptions worker_options;
    worker_options.name = "test";
    worker_options.threads = 1;
    worker_options.poll = std::chrono::milliseconds(20);
    worker_options.clock = [] { return int64_t{1790000000}; };
    worker_options.open_store = [spec] { return OpenStore(spec); };
    worker_options.catalog = catalog_.get();
    worker_options.base_dir = dir_.string();
    worker_options.notify = false;
    workers_ = std::make_unique<WorkerPool>(worker_options);
    workers_->Start();
    RestApiOptions options;
    options.catalog = catalog_.get();
    options.base_dir = dir_.string();
    options.open_store = [spec] { return OpenStore(spec); };
    options.clock = [] { return int64_t{1790000000}; };
    WorkerPool* workers = workers_.get();
    options.on_job_queued = [workers] { workers->Wake(); };
    api_ = std::make_unique<RestApi>(*store_, options);
    http::ServerOptions server_options;
    server_options.host = "127.0.0.1";
    server_options.port = 0;
    server_options.threads = 4;
    server_ = std::make_unique<http::HttpServer>(server_options);
    api_->Register(*server_);
    auto port = server_->Bind();
    ASSERT_TRUE(port.ok());
    port_ = *port;
    serving_ = std::thread([this] { (void)server_->Serve(); });
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    if (serving_.joinable()) serving_.join();
    if (workers_) workers_->Stop();
    api_.reset();
    server_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  httplib::Result Call(const std::string& method, const std::string& path, const std::string& token,
                       const std::string& body = "") {
    httplib::Client client("127.0.0.1", port_);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    if (method == "GET") return client.Get(path, headers);
    if (method == "PUT") return client.Put(path, headers, body, "application/json");
    if (method == "PATCH") return client.Patch(path, headers, body, "application/json");
    if (method == "DELETE") return client.Delete(path, headers);
    return client.Post(path, headers, body, "application/json");
  }

  static json Error(const httplib::Result& r) { return json::parse(r->body)["error"]; }

  static void MakeKamailioDb(const fs::path& path) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    for (const char* name : {"standard", "auth_db", "alias_db"}) {
      std::ifstream in(std::string("/usr/share/kamailio/db_sqlite/") + name + "-create.sql");
      ASSERT_TRUE(in) << name << ": Kamailio's SQLite schema is not installed";
      std::stringstream sql;
      sql << in.rdbuf();
      ASSERT_EQ(sqlite3_exec(db, sql.str().c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
          << sqlite3_errmsg(db);
    }
    sqlite3_close(db);
  }
  // `SELECT column FROM table` of the Kamailio database, sorted.
  std::vector<std::string> KamailioColumn(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir_ / "kamailio.db").c_str(), &db), SQLITE_OK);
    std::vector<std::string> out;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out.emplace_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    std::sort(out.begin(), out.end());
    return out;
  }
  // Queues acme's sync and waits for the job's end (polled with a deadline).
  void SyncAcme() {
    auto sync = Call("POST", "/api/v1/tenants/acme/profiles/main/sync", tokens_["acme"]);
    ASSERT_EQ(sync->status, 202) << sync->body;
    const int64_t job = json::parse(sync->body)["job"];
    for (int i = 0; i < 500; ++i) {
      auto polled =
          Call("GET", "/api/v1/tenants/acme/jobs/" + std::to_string(job), tokens_["acme"]);
      if (json::parse(polled->body)["status"] == "done") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "the sync job did not finish";
  }

  std::string operator_token_;
  fs::path dir_;
  std::string store_spec_;
  Config config_;
  std::unique_ptr<Store> store_;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<ProfileCatalog> catalog_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<RestApi> api_;
  std::unique_ptr<http::HttpServer> server_;
  std::thread serving_;
  int port_ = 0;
};

TEST_F(RestApiTest, RejectsMissingWrongAndOtherTenantsTokens) {
  auto none = Call("GET", "/api/v1/tenants/acme/runs", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(Error(none)["code"], "unauthorized");
  EXPECT_EQ(Error(none)["field"], "Authorization");
  auto wrong = Call("GET", "/api/v1/tenants/acme/runs", "not-a-token");
  EXPECT_EQ(wrong->status, 401);
  auto other = Call("GET", "/api/v1/tenants/acme/users", tokens_["globex"]);
  EXPECT_EQ(other->status, 401);
  EXPECT_EQ(other->body.find("user1"), std::string::npos);
  auto unknown = Call("GET", "/api/v1/tenants/nosuch/users", tokens_["acme"]);
  EXPECT_EQ(unknown->status, 401);
  auto garbage = Call("GET", "/api/v1/tenants/acme/users", "garbage");
  // The answer of an unknown token, on REST as on SCIM: nothing tells that acme is there.
  EXPECT_EQ(Error(other)["message"], "the token is not valid for this tenant URL");
  EXPECT_EQ(Error(other), Error(unknown));
  EXPECT_EQ(Error(other), Error(garbage));
}

TEST_F(RestApiTest, BadParametersNameTheField) {
  auto limit = Call("GET", "/api/v1/tenants/acme/runs?limit=abc", tokens_["acme"]);
  EXPECT_EQ(limit->status, 400);
  EXPECT_EQ(Error(limit)["field"], "limit");
  auto zero = Call("GET", "/api/v1/tenants/acme/users?limit=0", tokens_["acme"]);
  EXPECT_EQ(zero->status, 400);
  auto id = Call("GET", "/api/v1/tenants/acme/runs/x1", tokens_["acme"]);
  EXPECT_EQ(id->status, 400);
  EXPECT_EQ(Error(id)["field"], "id");
  auto body = Call("POST", "/api/v1/tenants/acme/profiles/main/preview", tokens_["acme"], "[1,");
  EXPECT_EQ(body->status, 400);
  EXPECT_EQ(Error(body)["field"], "body");
  auto key =
      Call("POST", "/api/v1/tenants/acme/profiles/main/sync", tokens_["acme"], R"({"usr": "x"})");
  EXPECT_EQ(key->status, 400);
  EXPECT_EQ(Error(key)["field"], "body.usr");
  auto profile = Call("POST", "/api/v1/tenants/acme/profiles/nope/preview", tokens_["acme"]);
  EXPECT_EQ(profile->status, 404);
  EXPECT_EQ(Error(profile)["field"], "profile");
}

TEST_F(RestApiTest, PreviewReturnsThePreviewContractAndSyncJobFinishes) {
  auto preview = Call("POST", "/api/v1/tenants/acme/profiles/main/preview", tokens_["acme"]);
  ASSERT_EQ(preview->status, 200) << preview->body;
  json doc = json::parse(preview->body);
  EXPECT_EQ(doc["summary"]["create"], 3);
  EXPECT_EQ(doc["items"].size(), 3u);
  // What the tenant's Kamailio target would receive (issue 17).
  ASSERT_EQ(doc["targets"].size(), 1u) << preview->body;
  EXPECT_EQ(doc["targets"][0]["name"], "sip");
  EXPECT_EQ(doc["targets"][0]["create"], 3);
  EXPECT_EQ(doc["items"][0]["targets"][0]["action"], "create");
  auto sync = Call("POST", "/api/v1/tenants/acme/profiles/main/sync", tokens_["acme"]);
  ASSERT_EQ(sync->status, 202) << sync->body;
  const int64_t job = json::parse(sync->body)["job"];
  json status;
  for (int i = 0; i < 200; ++i) {
    auto polled = Call("GET", "/api/v1/tenants/acme/jobs/" + std::to_string(job), tokens_["acme"]);
    ASSERT_EQ(polled->status, 200);
    status = json::parse(polled->body);
    if (status["status"] == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status["status"], "done");
  EXPECT_EQ(status["exit_code"], 0);
  // Another tenant's token does not see the job.
  EXPECT_EQ(
      Call("GET", "/api/v1/tenants/globex/jobs/" + std::to_string(job), tokens_["globex"])->status,
      404);
  auto users = Call("GET", "/api/v1/tenants/acme/users", tokens_["acme"]);
  EXPECT_EQ(json::parse(users->body).size(), 3u);
  EXPECT_EQ(
      json::parse(Call("GET", "/api/v1/tenants/globex/users", tokens_["globex"])->body).size(), 0u);
}

// The admin page reads a preview and a run page by page: the items filtered and cut on the
// server, the summary of the whole plan beside them.
TEST_F(RestApiTest, PreviewAndRunItemsArePagedAndFilteredOnTheServer) {
  auto preview =
      Call("POST", "/api/v1/tenants/acme/profiles/main/preview?limit=2", tokens_["acme"]);
  ASSERT_EQ(preview->status, 200) << preview->body;
  json doc = json::parse(preview->body);
  EXPECT_EQ(doc["summary"]["create"], 3);
  ASSERT_EQ(doc["items"].size(), 2u);
  EXPECT_EQ(doc["page"]["matched"], 3);
  EXPECT_EQ(doc["page"]["offset"], 0);
  const int64_t run = doc["run"];
  const std::string items = "/api/v1/tenants/acme/runs/" + std::to_string(run) + "/items";
  auto second = json::parse(Call("GET", items + "?offset=2&limit=2", tokens_["acme"])->body);
  ASSERT_EQ(second["items"].size(), 1u);
  EXPECT_NE(second["items"][0]["key"], doc["items"][0]["key"]);
  EXPECT_EQ(second["summary"]["create"], 3);
  auto found = json::parse(Call("GET", items + "?q=USER2%40contoso", tokens_["acme"])->body);
  ASSERT_EQ(found["page"]["matched"], 1) << found.dump();
  auto none = json::parse(Call("GET", items + "?action=delete&limit=5", tokens_["acme"])->body);
  EXPECT_EQ(none["page"]["matched"], 0);
  EXPECT_EQ(none["items"].size(), 0u);
  EXPECT_EQ(none["summary"]["create"], 3);
  // Without paging the route answers the whole run, as before.
  EXPECT_EQ(json::parse(Call("GET", items, tokens_["acme"])->body)["items"].size(), 3u);
  auto bad = Call("GET", items + "?limit=1001", tokens_["acme"]);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Error(bad)["field"], "limit");
  auto long_q = Call("GET", items + "?q=" + std::string(201, 'a'), tokens_["acme"]);
  EXPECT_EQ(long_q->status, 400);
  EXPECT_EQ(Error(long_q)["field"], "q");
}

// A large tenant's preview runs as a job (issue 19): 202, the job's run is a preview that
// applied nothing, and its items are then read page by page.
TEST_F(RestApiTest, APreviewRunsAsAJobAndIsReadPageByPage) {
  auto bad = Call("POST", "/api/v1/tenants/acme/profiles/main/preview?job=maybe", tokens_["acme"]);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Error(bad)["field"], "job");
  auto queued =
      Call("POST", "/api/v1/tenants/acme/profiles/main/preview?job=true", tokens_["acme"]);
  ASSERT_EQ(queued->status, 202) << queued->body;
  const int64_t job = json::parse(queued->body)["job"];
  json done;
  for (int i = 0; i < 500; ++i) {
    done = json::parse(
        Call("GET", "/api/v1/tenants/acme/jobs/" + std::to_string(job), tokens_["acme"])->body);
    if (done["status"] == "done" || done["status"] == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(done["status"], "done") << done.dump();
  EXPECT_EQ(done["kind"], "preview") << done.dump();
  const int64_t run = done["run_id"];
  auto recorded = json::parse(
      Call("GET", "/api/v1/tenants/acme/runs/" + std::to_string(run), tokens_["acme"])->body);
  EXPECT_EQ(recorded["kind"], "preview") << recorded.dump();
  auto page =
      json::parse(Call("GET", "/api/v1/tenants/acme/runs/" + std::to_string(run) + "/items?limit=2",
                       tokens_["acme"])
                      ->body);
  EXPECT_EQ(page["page"]["matched"], 3);
  EXPECT_EQ(page["items"].size(), 2u);
  EXPECT_EQ(page["summary"]["create"], 3);
  // Nothing was applied: the users are still to be created.
  EXPECT_EQ(*store_->CountUsers("acme"), 0u);
}

TEST_F(RestApiTest, TheMappingEditorMapsASampleUserWithADraft) {
  const std::string path = "/api/v1/tenants/acme/profiles/main/map";
  auto mapped = Call("POST", path, tokens_["acme"],
                     R"js({"mapping": {"display_name": "upper({surname})", "office": "{site}"},
                           "user": {"surname": "Lovelace", "site": ["Kista", "Lund"],
                                    "mail": "Ada@Contoso.example"}})js");
  ASSERT_EQ(mapped->status, 200) << mapped->body;
  json doc = json::parse(mapped->body);
  EXPECT_EQ(doc["fields"]["display_name"], "LOVELACE");
  EXPECT_EQ(doc["fields"]["email"], "ada@contoso.example");
  EXPECT_EQ(doc["custom"]["office"], "Kista");
  EXPECT_EQ(doc["mapping"]["office"], "{site}");
  auto bad = Call("POST", path, tokens_["acme"], R"js({"mapping": {"mobile": "e165({x})"}})js");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Error(bad)["field"], "body.mapping.mobile");
  auto key = Call("POST", path, tokens_["acme"], R"({"usr": {}})");
  EXPECT_EQ(key->status, 400);
  EXPECT_EQ(Error(key)["field"], "body.usr");
  EXPECT_EQ(Call("POST", path, tokens_["globex"], "{}")->status, 401);
}

TEST_F(RestApiTest, TheAdminPageLearnsTheTokensRoleAndASchedulesNextRuns) {
  auto tenants = json::parse(Call("GET", "/api/v1/tenants", tokens_["acme"])->body);
  EXPECT_EQ(tenants["operator"], false);
  auto op = json::parse(Call("GET", "/api/v1/tenants", operator_token_)->body);
  EXPECT_EQ(op["operator"], true);
  EXPECT_EQ(op["tenants"].size(), 2u);
  auto next = Call("GET", "/api/v1/schedule/next?cron=0%202%20*%20*%20*&timezone=UTC&count=3",
                   tokens_["acme"]);
  ASSERT_EQ(next->status, 200) << next->body;
  EXPECT_EQ(json::parse(next->body)["next"].size(), 3u);
  auto bad = Call("GET", "/api/v1/schedule/next?cron=0%2024%20*%20*%20*", tokens_["acme"]);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Error(bad)["field"], "cron");
  EXPECT_EQ(Call("GET", "/api/v1/schedule/next?cron=@daily", "")->status, 401);
}

// Every route of the OpenAPI document is mounted: each path called with its parameters
// filled in answers with one of its documented statuses, never the router's 404/405.
TEST_F(RestApiTest, EveryOpenApiRouteAnswersADocumentedStatus) {
  json doc = json::parse(RestApi::OpenApiJson());
  EXPECT_EQ(doc["openapi"], "3.0.3");
  EXPECT_EQ(doc["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
  size_t calls = 0;
  for (auto& [path, ops] : doc["paths"].items()) {
    for (auto& [method, op] : ops.items()) {
      std::string url = path;
      for (auto& p : op.value("parameters", json::array())) {
        if (p["in"] != "path") continue;
        const std::string name = p["name"];
        const std::string value = name == "tenant"    ? "acme"
                                  : name == "profile" ? "main"
                                  : name == "name"    ? "user1"
                                  : path.find("/tokens/") != std::string::npos
                                      ? "999"  // token 1 is acme's own: revoke none
                                      : "1";
        url.replace(url.find("{" + name + "}"), name.size() + 2, value);
      }
      std::string m = method;
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      auto r = Call(m, url, tokens_["acme"]);
      ASSERT_TRUE(r) << url;
      EXPECT_TRUE(op["responses"].contains(std::to_string(r->status)))
          << m << " " << url << " -> " << r->status << " " << r->body;
      EXPECT_NE(r->status, 405) << url;
      EXPECT_NE(r->status, 401) << m << " " << url;  // acme's token still works
      ++calls;
    }
  }
  EXPECT_EQ(calls, RestApi::Routes().size());
}

// The provider's operator token creates a tenant (with its first admin token), which then
// works like any other; a tenant's admin token cannot create or delete tenants, and
// deleting takes ?confirm= and removes everything the tenant owned.
TEST_F(RestApiTest, OperatorCreatesUsesAndDeletesATenant) {
  // A tenant admin: its own tenant only, and no tenant management.
  auto own = Call("GET", "/api/v1/tenants", tokens_["acme"]);
  ASSERT_EQ(own->status, 200);
  ASSERT_EQ(json::parse(own->body)["tenants"].size(), 1u);
  EXPECT_EQ(json::parse(own->body)["tenants"][0]["name"], "acme");
  EXPECT_EQ(json::parse(own->body)["tenants"][0]["origin"], "config");
  auto refused = Call("POST", "/api/v1/tenants", tokens_["acme"], R"({"name":"initech"})");
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(Error(refused)["field"], "Authorization");

  // Bad bodies name the field.
  EXPECT_EQ(
      Error(Call("POST", "/api/v1/tenants", operator_token_, R"({"name":"Bad Name"})"))["field"],
      "body.name");
  EXPECT_EQ(Error(Call("POST", "/api/v1/tenants", operator_token_, R"({"nam":"x"})"))["field"],
            "body.nam");
  EXPECT_EQ(Error(Call("POST", "/api/v1/tenants", operator_token_, R"({"name":5})"))["field"],
            "body.name");
  EXPECT_EQ(Call("POST", "/api/v1/tenants", operator_token_, R"({"name":"acme"})")->status, 409);

  auto created = Call("POST", "/api/v1/tenants", operator_token_,
                      R"({"name":"initech","display_name":"Initech Inc"})");
  ASSERT_EQ(created->status, 201) << created->body;
  json tenant = json::parse(created->body);
  EXPECT_EQ(tenant["origin"], "api");
  EXPECT_EQ(tenant["display_name"], "Initech Inc");
  const std::string admin = tenant["admin_token"];
  EXPECT_GE(admin.size(), 32u);
  EXPECT_EQ(Call("POST", "/api/v1/tenants", operator_token_, R"({"name":"initech"})")->status, 409);

  // The operator sees every tenant; the new tenant's admin sees its own and works in it.
  auto all = json::parse(Call("GET", "/api/v1/tenants", operator_token_)->body)["tenants"];
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2]["name"], "initech");
  EXPECT_EQ(Call("GET", "/api/v1/tenants/initech", admin)->status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/tenants/acme", admin)->status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/tenants/nobody", operator_token_)->status, 404);
  auto renamed = Call("PATCH", "/api/v1/tenants/initech", admin, R"({"display_name":"Initech"})");
  ASSERT_EQ(renamed->status, 200) << renamed->body;
  EXPECT_EQ(json::parse(Call("GET", "/api/v1/tenants/initech", admin)->body)["display_name"],
            "Initech");
  EXPECT_EQ(
      Call("PATCH", "/api/v1/tenants/acme", tokens_["acme"], R"({"display_name":"x"})")->status,
      409);  // config tenants change in the file

  // Tokens: a SCIM token for Entra, shown once, listed without its secret, revoked.
  auto scim = Call("POST", "/api/v1/tenants/initech/tokens", admin,
                   R"({"kind":"scim","label":"Entra provisioning"})");
  ASSERT_EQ(scim->status, 201) << scim->body;
  const int64_t scim_id = json::parse(scim->body)["id"];
  EXPECT_FALSE(json::parse(scim->body)["token"].get<std::string>().empty());
  EXPECT_EQ(
      Error(Call("POST", "/api/v1/tenants/initech/tokens", admin, R"({"kind":"root"})"))["field"],
      "body.kind");
  auto listed = Call("GET", "/api/v1/tenants/initech/tokens", admin);
  EXPECT_EQ(json::parse(listed->body)["tokens"].size(), 2u);
  EXPECT_EQ(listed->body.find(json::parse(scim->body)["token"].get<std::string>()),
            std::string::npos);
  EXPECT_EQ(
      Call("DELETE", "/api/v1/tenants/initech/tokens/" + std::to_string(scim_id), admin)->status,
      204);
  EXPECT_EQ(
      Call("DELETE", "/api/v1/tenants/initech/tokens/" + std::to_string(scim_id), admin)->status,
      404);

  // A profile and a sync in the new tenant, then the deletion.
  const std::string profile = R"({"name":"hr","source":{"type":"scim"}})";
  ASSERT_EQ(Call("POST", "/api/v1/tenants/initech/profiles", admin, profile)->status, 201);
  EXPECT_EQ(Call("POST", "/api/v1/tenants/initech/profiles", admin,
                 R"({"name":"hr2","source":{"type":"scim"}})")
                ->status,
            409);  // one SCIM profile per tenant
  EXPECT_EQ(Call("DELETE", "/api/v1/tenants/initech", admin)->status, 403);
  auto unconfirmed = Call("DELETE", "/api/v1/tenants/initech?confirm=acme", operator_token_);
  EXPECT_EQ(unconfirmed->status, 400);
  EXPECT_EQ(Error(unconfirmed)["field"], "confirm");
  EXPECT_EQ(Call("DELETE", "/api/v1/tenants/acme?confirm=acme", operator_token_)->status, 409);
  auto deleted = Call("DELETE", "/api/v1/tenants/initech?confirm=initech", operator_token_);
  ASSERT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_EQ(json::parse(deleted->body)["removed"]["profiles"], 1);
  EXPECT_EQ(json::parse(deleted->body)["removed"]["tokens"], 2);
  // Its admin token went with it.
  EXPECT_EQ(Call("GET", "/api/v1/tenants/initech", admin)->status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/tenants/initech", operator_token_)->status, 404);
  EXPECT_FALSE(store_->GetTenant("initech")->has_value());
}

}  // namespace
}  // namespace telsync::api

namespace telsync::api {
namespace {

// The targets routes (issue 17) over a real Kamailio database: status, a dry-run full
// reconcile that writes nothing, a publish, dead events, retry, the SIP password reset.
TEST_F(RestApiTest, TargetsAreVisiblePublishedAndRetriedOverTheApi) {
  SyncAcme();
  // No background publisher from here on: the test publishes itself.
  workers_->Stop();
  catalog_->SetSecretKey(std::make_shared<const SecretKey>(SecretKey::FromBytes({})));
  const std::string& tok = tokens_["acme"];

  auto list = Call("GET", "/api/v1/tenants/acme/targets", tok);
  ASSERT_EQ(list->status, 200) << list->body;
  json targets = json::parse(list->body);
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0]["name"], "sip");
  EXPECT_EQ(targets[0]["type"], "kamailio");
  EXPECT_EQ(targets[0]["published"], false);
  EXPECT_EQ(targets[0]["lag"], 0);  // no cursor yet, so no events: the first publish reconciles
  EXPECT_EQ(targets[0]["lag"], targets[0]["newest"]);
  EXPECT_EQ(targets[0]["dead"], 0);
  // Another tenant's token learns nothing of acme's targets; globex has none.
  EXPECT_EQ(Call("GET", "/api/v1/tenants/acme/targets", tokens_["globex"])->status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/tenants/globex/targets", tokens_["globex"])->body, "[]");

  auto bad = Call("POST", "/api/v1/tenants/acme/targets/sip/publish", tok, R"({"dry_run": true})");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Error(bad)["field"], "dry_run");
  auto bad_key = Call("POST", "/api/v1/tenants/acme/targets/sip/publish", tok, R"({"ful": true})");
  EXPECT_EQ(bad_key->status, 400);
  EXPECT_EQ(Error(bad_key)["field"], "body.ful");
  auto bad_type =
      Call("POST", "/api/v1/tenants/acme/targets/sip/publish", tok, R"({"full": "yes"})");
  EXPECT_EQ(Error(bad_type)["field"], "body.full");
  auto nope = Call("POST", "/api/v1/tenants/acme/targets/nope/publish", tok);
  EXPECT_EQ(nope->status, 404);
  EXPECT_EQ(Error(nope)["field"], "target");

  auto plan = Call("POST", "/api/v1/tenants/acme/targets/sip/publish", tok,
                   R"({"full": true, "dry_run": true})");
  ASSERT_EQ(plan->status, 200) << plan->body;
  json planned = json::parse(plan->body);
  EXPECT_EQ(planned["reconciled"], true);
  EXPECT_EQ(planned["reconcile"]["applied"], false);
  std::set<std::string> creates;
  for (const json& step : planned["reconcile"]["steps"]) {
    if (step["action"] == "create" && step["type"] == "subscriber") creates.insert(step["key"]);
  }
  EXPECT_EQ(creates, (std::set<std::string>{"user1@sip.test", "user2@sip.test", "user3@sip.test"}))
      << plan->body;
  EXPECT_TRUE(KamailioColumn("SELECT username FROM subscriber").empty());  // a plan only

  auto published = Call("POST", "/api/v1/tenants/acme/targets/sip/publish", tok, "{}");
  ASSERT_EQ(published->status, 200) << published->body;
  EXPECT_EQ(json::parse(published->body)["error"], "");
  EXPECT_EQ(json::parse(published->body)["pending"], 0);
  EXPECT_EQ(KamailioColumn("SELECT username FROM subscriber"),
            (std::vector<std::string>{"user1", "user2", "user3"}));
  json after = json::parse(Call("GET", "/api/v1/tenants/acme/targets", tok)->body)[0];
  EXPECT_EQ(after["published"], true);
  EXPECT_EQ(after["lag"], 0);
  EXPECT_EQ(after["last_success_at"], 1790000000);
  EXPECT_EQ(after["backoff_until"], 0);
  EXPECT_EQ(after["last_error"], "");

  auto dead = Call("GET", "/api/v1/tenants/acme/targets/sip/dead?limit=10", tok);
  ASSERT_EQ(dead->status, 200) << dead->body;
  EXPECT_EQ(json::parse(dead->body)["total"], 0);
  EXPECT_EQ(Call("GET", "/api/v1/tenants/acme/targets/nope/dead", tok)->status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/tenants/acme/targets/sip/dead?limit=0", tok)->status, 400);
  auto retry = Call("POST", "/api/v1/tenants/acme/targets/sip/retry", tok);
  ASSERT_EQ(retry->status, 200) << retry->body;
  EXPECT_EQ(json::parse(retry->body)["still_dead"], 0);

  // The SIP password: shown once, never cached, and the target holds its new digest.
  const std::vector<std::string> before = KamailioColumn("SELECT ha1 FROM subscriber");
  auto reset = Call("POST", "/api/v1/tenants/acme/users/user1/sip-credentials", tok);
  ASSERT_EQ(reset->status, 200) << reset->body;
  EXPECT_EQ(reset->get_header_value("Cache-Control"), "no-store");
  json creds = json::parse(reset->body);
  EXPECT_EQ(creds["username"], "user1");
  EXPECT_EQ(creds["password"].get<std::string>().size(), 32u);
  EXPECT_EQ(creds["domains"], json::parse(R"([{"target": "sip", "domain": "sip.test"}])"));
  EXPECT_EQ(creds["not_updated"], json::array());
  EXPECT_NE(KamailioColumn("SELECT ha1 FROM subscriber"), before);
  auto again = Call("POST", "/api/v1/tenants/acme/users/user1/sip-credentials", tok);
  EXPECT_NE(json::parse(again->body)["password"], creds["password"]);
  EXPECT_EQ(Call("POST", "/api/v1/tenants/acme/users/nosuch/sip-credentials", tok)->status, 404);
}

}  // namespace
}  // namespace telsync::api
