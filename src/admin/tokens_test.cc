#include "admin/tokens.h"

#include <gtest/gtest.h>

#include "admin/admin_test_store.h"
#include "util/token.h"

namespace telsync::admin {
namespace {

using MintTokenTest = AdminStoreTest;

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
  EXPECT_EQ(bad.error().context, "kind");
  EXPECT_TRUE(store_->ListTokens("acme", "root")->empty());
}

}  // namespace
}  // namespace telsync::admin
