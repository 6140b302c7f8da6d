#include "admin/tenants.h"

#include <gtest/gtest.h>

#include "admin/admin_test_store.h"
#include "util/token.h"

namespace telsync::admin {
namespace {

using TenantsTest = AdminStoreTest;
using Origin = TenantOrigin;

TEST_F(TenantsTest, CreateStoresTheTenantAndMintsNoTokenByDefault) {
  auto created = CreateTenant(*store_, "initech", "Initech Inc", Origin::kUnknown, {}, 1234);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_FALSE(created->admin_token.has_value());
  EXPECT_EQ(created->record.created_at, 1234);
  EXPECT_EQ(created->record.updated_at, 1234);

  auto stored = store_->GetTenant("initech");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->display_name, "Initech Inc");
  EXPECT_EQ((*stored)->created_at, 1234);
  EXPECT_TRUE(store_->ListTokens("initech", "admin")->empty());
}

TEST_F(TenantsTest, CreateWithAdminTokenReturnsTheSecretOnceAndStoresItsHash) {
  auto created =
      CreateTenant(*store_, "initech", "", Origin::kUnknown, {.with_admin_token = true}, 99);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  ASSERT_TRUE(created->admin_token.has_value());
  const MintedToken& t = *created->admin_token;
  auto tokens = store_->ListTokens("initech", "admin");
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ((*tokens)[0].id, t.token.id);
  EXPECT_EQ((*tokens)[0].hash, Sha256Hex(t.secret));
  EXPECT_EQ((*tokens)[0].label, "created with the tenant");
  EXPECT_EQ((*tokens)[0].created_at, 99);
}

TEST_F(TenantsTest, CreateRefusesABadNameAndAKnownTenantBeforeTouchingTheStore) {
  for (const char* bad : {"", "Acme", "-acme", "ac me", "acme/x"}) {
    auto r = CreateTenant(*store_, bad, "", Origin::kUnknown, {.with_admin_token = true}, 1);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalid) << bad;
    EXPECT_EQ(r.error().field, "name");
    EXPECT_NE(r.error().message.find("at most 64"), std::string::npos);
  }
  EXPECT_FALSE(CreateTenant(*store_, std::string(65, 'a'), "", Origin::kUnknown, {}, 1).ok());
  EXPECT_TRUE(CheckTenantName(std::string(64, 'a')).ok());

  auto config = CreateTenant(*store_, "acme", "", Origin::kConfig, {}, 1);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, ErrorCode::kConflict);
  EXPECT_EQ(config.error().message, "tenant acme is in the config file already");
  auto known = CreateTenant(*store_, "acme", "", Origin::kStore, {}, 1);
  ASSERT_FALSE(known.ok());
  EXPECT_EQ(known.error().code, ErrorCode::kConflict);
  EXPECT_EQ(known.error().message, "tenant acme already exists");

  EXPECT_TRUE(store_->ListTenants()->empty());
  EXPECT_TRUE(store_->ListTokens("acme", "admin")->empty());
}

TEST_F(TenantsTest, CreatingATenantTwiceIsTheStoresConflictOnTheName) {
  ASSERT_TRUE(CreateTenant(*store_, "initech", "", Origin::kUnknown, {}, 1).ok());
  auto again =
      CreateTenant(*store_, "initech", "", Origin::kUnknown, {.with_admin_token = true}, 2);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().field, "name");
  EXPECT_TRUE(store_->ListTokens("initech", "admin")->empty());  // no token for a refusal
}

TEST_F(TenantsTest, DeleteRefusesAConfigTenantAndAWrongConfirmationAndKeepsEverything) {
  ASSERT_TRUE(
      CreateTenant(*store_, "initech", "", Origin::kUnknown, {.with_admin_token = true}, 1).ok());

  auto config = DeleteTenant(*store_, "initech", Origin::kConfig, "initech", "?confirm=initech", 2);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, ErrorCode::kConflict);
  EXPECT_EQ(config.error().field, "tenant");

  auto wrong = DeleteTenant(*store_, "initech", Origin::kStore, "acme", "--confirm initech", 2);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(wrong.error().field, "confirm");
  EXPECT_EQ(wrong.error().message,
            "deleting a tenant removes its users, runs, profiles and tokens; confirm with "
            "--confirm initech");

  EXPECT_TRUE(store_->GetTenant("initech")->has_value());
  EXPECT_EQ(store_->ListTokens("initech", "admin")->size(), 1u);
}

TEST_F(TenantsTest, DeleteRemovesTheTenantAndSaysWhatWent) {
  ASSERT_TRUE(
      CreateTenant(*store_, "initech", "", Origin::kUnknown, {.with_admin_token = true}, 1).ok());
  ASSERT_TRUE(MintToken(*store_, "initech", "scim", "entra", 1).ok());
  ASSERT_TRUE(MintToken(*store_, "globex", "scim", "entra", 1).ok());

  auto deleted = DeleteTenant(*store_, "initech", Origin::kStore, "initech", "", 2);
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  EXPECT_EQ(deleted->tokens, 2);
  EXPECT_EQ(deleted->users, 0);
  EXPECT_FALSE(store_->GetTenant("initech")->has_value());
  EXPECT_TRUE(store_->ListTokens("initech", "admin")->empty());
  EXPECT_EQ(store_->ListTokens("globex", "scim")->size(), 1u);  // another tenant's stays

  auto again = DeleteTenant(*store_, "initech", Origin::kUnknown, "initech", "", 3);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(again.error().field, "tenant");
}

TEST_F(TenantsTest, RenameChangesTheDisplayNameOfAStoredTenantOnly) {
  ASSERT_TRUE(CreateTenant(*store_, "initech", "Old", Origin::kUnknown, {}, 10).ok());
  auto renamed = RenameTenant(*store_, "initech", "Initech Inc", Origin::kStore, 20);
  ASSERT_TRUE(renamed.ok()) << renamed.error().ToString();
  EXPECT_EQ(renamed->created_at, 10);
  EXPECT_EQ(renamed->updated_at, 20);
  EXPECT_EQ(store_->GetTenant("initech")->value().display_name, "Initech Inc");

  auto config = RenameTenant(*store_, "acme", "x", Origin::kConfig, 30);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, ErrorCode::kConflict);
  EXPECT_EQ(config.error().field, "tenant");
  auto missing = RenameTenant(*store_, "nosuch", "x", Origin::kUnknown, 30);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "no tenant nosuch in the store");
}

TEST_F(TenantsTest, ListGivesTheConfigTenantsFirstThenTheStoresOthers) {
  Config config;
  config.tenants.push_back({"acme", {}, {}});
  ASSERT_TRUE(CreateTenant(*store_, "initech", "Initech", Origin::kUnknown, {}, 10).ok());
  ASSERT_TRUE(store_->CreateTenant({"acme", "shadowed", 5, 5}).ok());  // the config's wins
  auto listed = ListTenants(*store_, config);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "acme");
  EXPECT_EQ((*listed)[0].origin, "config");
  EXPECT_EQ((*listed)[0].display_name, "");
  EXPECT_EQ((*listed)[1].name, "initech");
  EXPECT_EQ((*listed)[1].origin, "store");
  EXPECT_EQ((*listed)[1].created_at, 10);
}

TEST_F(TenantsTest, VisibleTenantsAreAllForAnOperatorAndTheOwnForAnAdmin) {
  Config config;
  config.tenants.push_back({"acme", {}, {}});
  config.tenants.push_back({"globex", {}, {}});
  ProfileCatalog catalog(config);
  EXPECT_EQ(VisibleTenants(catalog, "").size(), 2u);
  auto own = VisibleTenants(catalog, "globex");
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].name, "globex");
  auto token_only = VisibleTenants(catalog, "legacy");
  ASSERT_EQ(token_only.size(), 1u);
  EXPECT_EQ(token_only[0].origin, "token");
}

}  // namespace
}  // namespace telsync::admin
