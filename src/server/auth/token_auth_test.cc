#include "server/auth/token_auth.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "store/store.h"
#include "util/token.h"

namespace telsync {
namespace {

using Verdict = AuthOutcome::Verdict;

class TokenAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/telsync-authXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto store = OpenStore(dir_ + "/store.db");
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
    auth_ = std::make_unique<TokenAuth>(*store_, TokenAuth::Options{5, [this] { return now_; }});
  }
  void TearDown() override {
    auth_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Adds a token; returns {secret, id}.
  std::pair<std::string, int64_t> Add(const std::string& tenant, const std::string& kind) {
    const std::string secret = "tok-" + tenant + "-" + kind + "-" + std::to_string(++serial_);
    ApiToken t{0, tenant, kind, "test", Sha256Hex(secret), 1, 0};
    auto id = store_->AddToken(t);
    EXPECT_TRUE(id.ok());
    return {secret, id.ok() ? *id : 0};
  }

  AuthOutcome Check(const std::string& secret, const AuthScope& scope, const std::string& tenant) {
    return auth_->Check("Bearer " + secret, scope, tenant);
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<TokenAuth> auth_;
  double now_ = 1000;
  int serial_ = 0;
  const AuthScope scim_{{"scim"}, "", nullptr};
  const AuthScope rest_{{"admin", "operator"}, "operator", nullptr};
};

TEST_F(TokenAuthTest, ATokenIsValidOnlyOnItsTenantAndAnotherTenantLooksLikeNoToken) {
  auto [acme, id] = Add("acme", "scim");
  (void)id;
  EXPECT_EQ(auth_->Check("", scim_, "acme").verdict, Verdict::kNoToken);
  EXPECT_EQ(auth_->Check("Basic abc", scim_, "acme").verdict, Verdict::kNoToken);
  AuthOutcome ok = auth_->Check("bearer  " + acme + " ", scim_, "acme");
  EXPECT_EQ(ok.verdict, Verdict::kAllowed);
  EXPECT_EQ(ok.tenant, "acme");

  AuthOutcome other = Check(acme, scim_, "globex");
  AuthOutcome unknown = Check("no-such-token", scim_, "globex");
  EXPECT_EQ(other.verdict, Verdict::kInvalid);
  EXPECT_EQ(unknown.verdict, Verdict::kInvalid);
  EXPECT_EQ(other.message, unknown.message);  // nothing learnt of globex
  // An admin token is no SCIM token, and the reverse.
  auto [admin, admin_id] = Add("acme", "admin");
  (void)admin_id;
  EXPECT_EQ(Check(admin, scim_, "acme").verdict, Verdict::kInvalid);
  EXPECT_EQ(Check(acme, rest_, "acme").verdict, Verdict::kInvalid);
  EXPECT_EQ(Check(admin, rest_, "acme").verdict, Verdict::kAllowed);
  EXPECT_EQ(Check(admin, rest_, "globex").message, Check("nope", rest_, "globex").message);
}

TEST_F(TokenAuthTest, ARevokedTokenIsRefusedAtOnceAfterForgetAndWithinTheCacheTimeOtherwise) {
  auto [secret, id] = Add("acme", "scim");
  ASSERT_EQ(Check(secret, scim_, "acme").verdict, Verdict::kAllowed);

  // Revoked by another node: the cached answer holds for at most cache_seconds.
  auto other = OpenStore(dir_ + "/store.db");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->RevokeToken("acme", "scim", id, 2).ok());
  now_ += 4.9;
  EXPECT_EQ(Check(secret, scim_, "acme").verdict, Verdict::kAllowed);
  now_ += 0.2;
  EXPECT_EQ(Check(secret, scim_, "acme").verdict, Verdict::kInvalid);

  // Revoked on this node: Forget() makes the next request see it.
  auto [second, second_id] = Add("acme", "scim");
  ASSERT_EQ(Check(second, scim_, "acme").verdict, Verdict::kAllowed);
  ASSERT_TRUE(store_->RevokeToken("acme", "scim", second_id, 3).ok());
  auth_->Forget();
  EXPECT_EQ(Check(second, scim_, "acme").verdict, Verdict::kInvalid);
}

TEST_F(TokenAuthTest, ADeletedTenantsTokenGetsTheInvalidTokenAnswer) {
  ASSERT_TRUE(store_->CreateTenant({"initech", "Initech", 1, 1}).ok());
  auto [secret, id] = Add("initech", "scim");
  (void)id;
  ASSERT_EQ(Check(secret, scim_, "initech").verdict, Verdict::kAllowed);
  ASSERT_TRUE(store_->DeleteTenant("initech", 5).ok());
  auth_->Forget();
  AuthOutcome after = Check(secret, scim_, "initech");
  EXPECT_EQ(after.verdict, Verdict::kInvalid);  // 401, not a 404 from a stale cache
}

TEST_F(TokenAuthTest, AnOperatorTokenReachesEveryTenantAndNewTokensAreNotHiddenByTheCache) {
  auto [op, id] = Add("", "operator");
  (void)id;
  AuthOutcome any = Check(op, rest_, "globex");
  EXPECT_EQ(any.verdict, Verdict::kAllowed);
  EXPECT_TRUE(any.is_operator);
  // A token looked up before it existed: cached as invalid, until Forget().
  const std::string later = "tok-later";
  EXPECT_EQ(Check(later, rest_, "acme").verdict, Verdict::kInvalid);
  ASSERT_TRUE(store_->AddToken({0, "acme", "admin", "x", Sha256Hex(later), 1, 0}).ok());
  auth_->Forget();
  EXPECT_EQ(Check(later, rest_, "acme").verdict, Verdict::kAllowed);
}

TEST_F(TokenAuthTest, EachSurfacesBucketThrottlesPerTenant) {
  http::RateLimiter limiter(1, 2);
  const AuthScope scope{{"scim"}, "", &limiter};
  auto [secret, id] = Add("acme", "scim");
  (void)id;
  EXPECT_EQ(Check(secret, scope, "acme").verdict, Verdict::kAllowed);
  EXPECT_EQ(Check(secret, scope, "acme").verdict, Verdict::kAllowed);
  AuthOutcome third = Check(secret, scope, "acme");
  EXPECT_EQ(third.verdict, Verdict::kThrottled);
  EXPECT_GE(third.retry_after, 1);
  now_ += 1.0;
  EXPECT_EQ(Check(secret, scope, "acme").verdict, Verdict::kAllowed);
}

}  // namespace
}  // namespace telsync
