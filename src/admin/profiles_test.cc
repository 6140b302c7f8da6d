#include "admin/profiles.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "admin/admin_test_store.h"
#include "secrets/profile_secrets.h"

namespace telsync::admin {
namespace {

constexpr const char* kGraph =
    R"({"name":"hr","source":{"type":"graph","tenant_id":"11111111-2222-3333-4444-555555555555",
        "client_id":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","client_secret":"s3cret-value"}})";

// A catalog of tenant acme with one config profile, "main", and a secret key.
class ProfilesTest : public AdminStoreTest {
 protected:
  void SetUp() override {
    AdminStoreTest::SetUp();
    Tenant t;
    t.name = "acme";
    Profile main;
    main.tenant = "acme";
    main.name = "main";
    main.source = ScimSourceConfig{};
    t.profiles.push_back(main);
    config_.tenants.push_back(t);
    catalog_ = std::make_unique<ProfileCatalog>(config_);
    std::array<unsigned char, SecretKey::kKeyBytes> bytes{};
    bytes.fill(7);
    catalog_->SetSecretKey(std::make_shared<const SecretKey>(SecretKey::FromBytes(bytes)));
  }

  Result<SavedProfile> Put(bool create, const std::string& body, const std::string& if_match = "",
                           const std::string& path_name = "hr") {
    ProfileWrite w{"acme", create, create ? "" : path_name, if_match, body};
    return PutProfile(*store_, *catalog_, w, 100);
  }

  Result<SavedProfile> Patch(const std::string& patch, const std::string& if_match = "",
                             const std::string& path_name = "hr") {
    ProfileWrite w{"acme", false, path_name, if_match, patch, true};
    return PutProfile(*store_, *catalog_, w, 200);
  }

  // The stored document of profile hr with its secrets opened.
  nlohmann::json StoredPlain() {
    auto stored = store_->GetStoredProfile("acme", "hr");
    EXPECT_TRUE(stored.ok() && stored->has_value());
    auto opened = OpenProfileDocument((*stored)->document, "acme", "hr", catalog_->secret_key());
    EXPECT_TRUE(opened.ok());
    return nlohmann::json::parse(*opened);
  }

  Config config_;
  std::unique_ptr<ProfileCatalog> catalog_;
};

TEST_F(ProfilesTest, CreateSealsTheSecretAndPutsTheProfileInTheCatalog) {
  auto saved = Put(true, kGraph);
  ASSERT_TRUE(saved.ok()) << saved.error().ToString();
  EXPECT_EQ(saved->version, 1);
  EXPECT_EQ(saved->profile->name, "hr");
  EXPECT_EQ(catalog_->Find("acme", "hr"), saved->profile);
  auto stored = store_->GetStoredProfile("acme", "hr");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->document.find("s3cret-value"), std::string::npos);  // sealed
  EXPECT_EQ(StoredPlain()["source"]["client_secret"], "s3cret-value");
}

TEST_F(ProfilesTest, ReplaceKeepsAStoredSecretSentMaskedOrLeftOut) {
  ASSERT_TRUE(Put(true, kGraph).ok());
  nlohmann::json doc = nlohmann::json::parse(kGraph);
  doc["source"]["client_secret"] = "********";
  doc["source"]["client_id"] = "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee";
  auto masked = Put(false, doc.dump(), "\"1\"");
  ASSERT_TRUE(masked.ok()) << masked.error().ToString();
  EXPECT_EQ(masked->version, 2);
  EXPECT_EQ(StoredPlain()["source"]["client_secret"], "s3cret-value");
  EXPECT_EQ(StoredPlain()["source"]["client_id"], "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee");

  doc["source"].erase("client_secret");
  ASSERT_TRUE(Put(false, doc.dump()).ok());
  EXPECT_EQ(StoredPlain()["source"]["client_secret"], "s3cret-value");

  doc["source"]["client_secret"] = "new-secret";
  ASSERT_TRUE(Put(false, doc.dump(), "*").ok());
  EXPECT_EQ(StoredPlain()["source"]["client_secret"], "new-secret");
}

TEST_F(ProfilesTest, RefusalsNameTheirField) {
  ASSERT_TRUE(Put(true, kGraph).ok());
  struct Case {
    bool create;
    std::string body;
    std::string if_match;
    std::string path_name;
    ErrorCode code;
    std::string field;
  };
  nlohmann::json masked = nlohmann::json::parse(kGraph);
  masked["name"] = "hr2";
  masked["source"]["client_secret"] = "********abc";
  const Case cases[] = {
      {true, "[1]", "", "", ErrorCode::kInvalid, "body"},
      {true, R"({"source":{"type":"scim"}})", "", "", ErrorCode::kInvalid, "body.name"},
      {false, R"({"name":"other","source":{"type":"scim"}})", "", "hr", ErrorCode::kInvalid,
       "body.name"},
      {true, R"({"name":"main","source":{"type":"scim"}})", "", "", ErrorCode::kConflict,
       "body.name"},
      {false, R"({"source":{"type":"scim"}})", "", "main", ErrorCode::kConflict, "profile"},
      {false, R"({"source":{"type":"scim"}})", "", "nosuch", ErrorCode::kNotFound, "profile"},
      {false, kGraph, "\"7\"", "hr", ErrorCode::kPreconditionFailed, "If-Match"},
      {true, masked.dump(), "", "", ErrorCode::kInvalid, "body.source.client_secret"},
      // "main" already receives acme's SCIM pushes: one SCIM profile per tenant.
      {true, R"({"name":"push","source":{"type":"scim"}})", "", "", ErrorCode::kConflict,
       "body.source.type"},
      {true, R"({"name":"bad","source":{"type":"nosuch"}})", "", "", ErrorCode::kInvalid, ""},
  };
  for (const Case& c : cases) {
    auto r = Put(c.create, c.body, c.if_match, c.path_name);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().code, c.code) << c.body << ": " << r.error().ToString();
    if (!c.field.empty()) {
      EXPECT_EQ(r.error().field, c.field) << c.body;
    }
  }
  EXPECT_EQ(store_->GetStoredProfile("acme", "hr")->value().version, 1);  // nothing changed
}

// A patch changes only the keys it names: the web page's mapping editor and profile form
// send what they edit, and the validation, templates and policy keys they have no control for
// stay as stored.
TEST_F(ProfilesTest, AMergePatchKeepsEveryKeyItDoesNotName) {
  nlohmann::json doc = nlohmann::json::parse(kGraph);
  doc["mapping"] = {{"first_name", "{givenName}"}, {"last_name", "{surname}"}};
  doc["validation"] = {{"required", {"email"}}};
  doc["policy"] = {{"mode", "full"}, {"protect_mobile", true}, {"grace_days", 3}};
  doc["templates"] = {{{"name", "sales"}}};
  ASSERT_TRUE(Put(true, doc.dump()).ok());

  auto patched = Patch(R"js({"mapping":{"first_name":"upper({givenName})","last_name":null},
                            "policy":{"grace_days":9},"source":{"client_secret":"********"}})js",
                       "\"1\"");
  ASSERT_TRUE(patched.ok()) << patched.error().ToString();
  EXPECT_EQ(patched->version, 2);
  nlohmann::json stored = StoredPlain();
  EXPECT_EQ(stored["mapping"], (nlohmann::json{{"first_name", "upper({givenName})"}}));
  EXPECT_EQ(stored["validation"], doc["validation"]);
  EXPECT_EQ(stored["templates"], doc["templates"]);
  EXPECT_EQ(stored["policy"]["protect_mobile"], true);
  EXPECT_EQ(stored["policy"]["grace_days"], 9);
  EXPECT_EQ(stored["policy"]["mode"], "full");
  EXPECT_EQ(stored["source"]["client_secret"], "s3cret-value");  // masked: kept
  EXPECT_EQ(stored["source"]["client_id"], doc["source"]["client_id"]);
  EXPECT_TRUE(patched->profile->policy.protect_mobile);
  EXPECT_EQ(patched->profile->policy.grace_days, 9);

  // A new secret in a patch is sealed; the version check and the loader's rules hold.
  ASSERT_TRUE(Patch(R"({"source":{"client_secret":"rotated"}})").ok());
  EXPECT_EQ(StoredPlain()["source"]["client_secret"], "rotated");
  auto stale = Patch(R"({"timezone":"UTC"})", "\"1\"");
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kPreconditionFailed);
  auto bad = Patch(R"({"policy":{"grace_days":"soon"}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_NE(bad.error().field.find("policy.grace_days"), std::string::npos)
      << bad.error().ToString();
  auto renamed = Patch(R"({"name":"other"})");
  ASSERT_FALSE(renamed.ok());
  EXPECT_EQ(renamed.error().field, "body.name");
  auto config = Patch(R"({"timezone":"UTC"})", "", "main");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->GetStoredProfile("acme", "hr")->value().version, 3);
}

// GET gives a stored profile's whole document, its secrets masked: sent back with PUT, it
// keeps every key and the secret.
TEST_F(ProfilesTest, GetGivesTheWholeStoredDocumentMaskedForARoundTrip) {
  nlohmann::json doc = nlohmann::json::parse(kGraph);
  doc["validation"] = {{"required", {"email"}}};
  doc["policy"] = {{"protect_mobile", true}};
  ASSERT_TRUE(Put(true, doc.dump()).ok());
  auto view = GetProfile(*store_, *catalog_, "acme", "hr");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->document.find("s3cret"), std::string::npos);
  EXPECT_EQ(view->document.find("tsec1."), std::string::npos);  // not even sealed
  nlohmann::json got = nlohmann::json::parse(view->document);
  EXPECT_EQ(got["source"]["client_secret"], "********");
  EXPECT_EQ(got["validation"], doc["validation"]);
  got["timezone"] = "UTC";
  ASSERT_TRUE(Put(false, got.dump(), "\"1\"").ok());
  nlohmann::json stored = StoredPlain();
  EXPECT_EQ(stored["source"]["client_secret"], "s3cret-value");
  EXPECT_EQ(stored["validation"], doc["validation"]);
  EXPECT_EQ(stored["policy"]["protect_mobile"], true);
  EXPECT_EQ(stored["timezone"], "UTC");
  EXPECT_TRUE(GetProfile(*store_, *catalog_, "acme", "main")->document.empty());
}

TEST_F(ProfilesTest, WithoutAKeyASecretIsRefusedNeverStoredPlain) {
  catalog_->SetSecretKey(nullptr);
  auto refused = Put(true, kGraph);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(refused.error().field, "body.source");
  EXPECT_FALSE(store_->GetStoredProfile("acme", "hr")->has_value());
}

TEST_F(ProfilesTest, GetShowsTheVersionOfStoredProfilesOnly) {
  ASSERT_TRUE(Put(true, kGraph).ok());
  auto stored = GetProfile(*store_, *catalog_, "acme", "hr");
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(stored->from_config);
  EXPECT_EQ(stored->version, std::optional<int64_t>(1));
  EXPECT_EQ(stored->updated_at, 100);
  auto config = GetProfile(*store_, *catalog_, "acme", "main");
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->from_config);
  EXPECT_FALSE(config->version.has_value());
  auto missing = GetProfile(*store_, *catalog_, "acme", "nosuch");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().field, "profile");
}

TEST_F(ProfilesTest, DeleteRemovesAStoredProfileAndRefusesAConfigOne) {
  ASSERT_TRUE(Put(true, kGraph).ok());
  ASSERT_TRUE(DeleteProfile(*store_, *catalog_, "acme", "hr").ok());
  EXPECT_EQ(catalog_->Find("acme", "hr"), nullptr);
  EXPECT_FALSE(store_->GetStoredProfile("acme", "hr")->has_value());
  Status again = DeleteProfile(*store_, *catalog_, "acme", "hr");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(again.error().field, "profile");
  Status config = DeleteProfile(*store_, *catalog_, "acme", "main");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, ErrorCode::kConflict);
  EXPECT_NE(catalog_->Find("acme", "main"), nullptr);
}

}  // namespace
}  // namespace telsync::admin
