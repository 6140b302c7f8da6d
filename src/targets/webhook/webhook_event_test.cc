// The webhook body (webhook_event.h): type, id, timestamp and data of an outbox event and
// of a snapshot.
#include "targets/webhook/webhook_event.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace telsync {
namespace {

using json = nlohmann::json;

TEST(WebhookEventTest, AnUpdateCarriesTheStateAndTheChanges) {
  OutboxEvent e;
  e.seq = 42;
  e.tenant = "acme";
  e.kind = "user_updated";
  e.user_id = 7;
  e.created_at = 1790000000;
  e.payload = R"({"action":"update","user":{"username":"alice","mobile":"+467","searchable":true},)"
              R"("changes":[{"field":"mobile","old":"","new":"+467"}]})";
  const WebhookMessage m = WebhookFromEvent(e);
  EXPECT_EQ(m.id, "evt_acme_42");
  EXPECT_EQ(m.type, "user.updated");
  EXPECT_TRUE(m.is_user);
  EXPECT_EQ(m.fields.at("username"), "alice");
  const json body = json::parse(m.body);
  EXPECT_EQ(body["type"], "user.updated");
  EXPECT_EQ(body["timestamp"], "2026-09-21T14:13:20Z");
  EXPECT_EQ(body["tenant"], "acme");
  EXPECT_EQ(body["data"]["user_id"], 7);
  EXPECT_EQ(body["data"]["user"]["mobile"], "+467");
  EXPECT_EQ(body["data"]["changes"][0]["field"], "mobile");
  EXPECT_EQ(WebhookFromEvent(e).body, m.body);  // the same bytes on every retry
}

TEST(WebhookEventTest, DepartmentsAndSnapshots) {
  OutboxEvent d;
  d.seq = 1;
  d.tenant = "acme";
  d.kind = "department_deleted";
  d.payload = R"({"action":"delete","department":{"name":"Sales"}})";
  const WebhookMessage m = WebhookFromEvent(d);
  EXPECT_EQ(m.type, "department.deleted");
  EXPECT_FALSE(m.is_user);
  EXPECT_FALSE(json::parse(m.body)["data"].contains("user_id"));

  PbxUser u;
  u.id = 9;
  u.fields.Set(Field::kUsername, "bob");
  const WebhookMessage a = WebhookSnapshot(u, "acme", 100);
  const WebhookMessage b = WebhookSnapshot(u, "acme", 200);
  EXPECT_EQ(a.type, "user.snapshot");
  EXPECT_EQ(a.id, b.id);  // the same state: the same id, whenever it is sent
  EXPECT_EQ(a.id.rfind("snap_acme_9_", 0), 0u);
  u.fields.Set(Field::kUsername, "bobby");
  EXPECT_NE(WebhookSnapshot(u, "acme", 100).id, a.id);
  EXPECT_EQ(json::parse(a.body)["data"]["user"]["username"], "bob");
}

}  // namespace
}  // namespace telsync
