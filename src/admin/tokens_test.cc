#include "admin/tokens.h"

#include <gtest/gtest.h>

#include "admin/admin_test_store.h"
#include "util/token.h"

namespace telsync::admin {
namespace {

using MintTokenTest = AdminStoreTest;
using TokensTest = AdminStoreTest;

TEST_F(MintTokenTest, StoresOnlyTheHashOfTheSecretItReturnsWithItsId) {
  auto minted = MintToken(*store_, "acme", "scim", "entra", 1700);
  ASSERT_TRUE(minted.ok()) << minted.error().ToString();
  EXPECT_EQ(minted->secret.size(), 43u);  // 32 bytes, base64url without padding
  EXPECT_GT(minted->token.id, 0);
  EXPECT_EQ(minted->token.hash, Sha256Hex(minted->secret));

  auto listed = store_->ListTokens("acme", "scim");
  ASSERT_TRUE(listed.ok()) << listed.error().ToString();
  ASSERT_EQ(listed->size(), 1u);
  const ApiToken& stored = (*listed)[0];
  EXPECT_EQ(stored.id, minted->token.id);
  EXPECT_EQ(stored.hash, Sha256Hex(minted->secret));
  EXPECT_NE(stored.hash, minted->secret);
  EXPECT_EQ(stored.label, "entra");
  EXPECT_EQ(stored.created_at, 1700);
  EXPECT_EQ(stored.revoked_at, 0);
  EXPECT_TRUE(store_->ListTokens("acme", "admin")->empty());
}

TEST_F(MintTokenTest, TwoMintsGiveDifferentSecretsAndIds) {
  auto a = MintToken(*store_, "acme", "admin", "", 1);
  auto b = MintToken(*store_, "acme", "admin", "", 1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->secret, b->secret);
  EXPECT_NE(a->token.id, b->token.id);
  EXPECT_EQ(store_->ListTokens("acme", "admin")->size(), 2u);
}

TEST_F(MintTokenTest, AnOperatorTokenHasNoTenantAndAnUnknownKindIsRefused) {
  auto op = MintToken(*store_, "", "operator", "ops", 5);
  ASSERT_TRUE(op.ok()) << op.error().ToString();
  EXPECT_EQ(store_->ListTokens("", "operator")->size(), 1u);

  auto bad = MintToken(*store_, "acme", "root", "", 5);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(bad.error().field, "kind");
  EXPECT_TRUE(store_->ListTokens("acme", "root")->empty());
}

TEST_F(TokensTest, ListGivesEachKindInTurnAndRevokeTenantTokenOnlyTheTenantsValidOnes) {
  auto admin = MintToken(*store_, "acme", "admin", "a", 1);
  auto scim = MintToken(*store_, "acme", "scim", "s", 2);
  auto other = MintToken(*store_, "globex", "scim", "g", 3);
  ASSERT_TRUE(admin.ok() && scim.ok() && other.ok());
  auto listed = ListTokens(*store_, "acme", {"admin", "scim"});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].kind, "admin");
  EXPECT_EQ((*listed)[1].id, scim->token.id);
  EXPECT_EQ(ListTokens(*store_, "acme", {"scim"})->size(), 1u);

  Status foreign = RevokeTenantToken(*store_, "acme", other->token.id, 10);
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(foreign.error().field, "id");
  EXPECT_EQ(foreign.error().message, "no valid token " + std::to_string(other->token.id));
  ASSERT_TRUE(RevokeTenantToken(*store_, "acme", scim->token.id, 10).ok());
  EXPECT_EQ(ListTokens(*store_, "acme", {"scim"})->at(0).revoked_at, 10);
  EXPECT_FALSE(RevokeTenantToken(*store_, "acme", scim->token.id, 11).ok());  // once
  EXPECT_EQ(ListTokens(*store_, "globex", {"scim"})->at(0).revoked_at, 0);
}

TEST_F(TokensTest, RevokeTokensWithoutAnIdRevokesEveryTokenOfTheKind) {
  ASSERT_TRUE(MintToken(*store_, "acme", "scim", "1", 1).ok());
  ASSERT_TRUE(MintToken(*store_, "acme", "scim", "2", 1).ok());
  ASSERT_TRUE(MintToken(*store_, "acme", "admin", "3", 1).ok());
  ASSERT_TRUE(RevokeTokens(*store_, "acme", "scim", 0, 5).ok());
  auto scim = ListTokens(*store_, "acme", {"scim"});
  ASSERT_TRUE(scim.ok());
  ASSERT_EQ(scim->size(), 2u);
  for (const ApiToken& t : *scim) EXPECT_EQ(t.revoked_at, 5);
  EXPECT_EQ(ListTokens(*store_, "acme", {"admin"})->at(0).revoked_at, 0);
}

}  // namespace
}  // namespace telsync::admin
