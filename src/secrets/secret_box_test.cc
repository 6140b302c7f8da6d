#include "secrets/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "secrets/profile_secrets.h"

namespace telsync {
namespace {

SecretKey KeyOf(unsigned char fill) {
  std::array<unsigned char, SecretKey::kKeyBytes> bytes{};
  bytes.fill(fill);
  return SecretKey::FromBytes(bytes);
}

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/telsync-keyXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST(SecretKeyTest, SealedValuesOpenOnlyWithTheirKeyAndPlace) {
  const SecretKey key = KeyOf(1);
  const std::string sealed = key.Seal("s3cr3t-value", "acme/hr/source.client_secret");
  EXPECT_TRUE(IsSealedSecret(sealed));
  EXPECT_EQ(SealedKeyId(sealed), key.id());
  EXPECT_EQ(sealed.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(*key.Open(sealed, "acme/hr/source.client_secret"), "s3cr3t-value");

  // Another tenant, profile or field: the associated data differs.
  EXPECT_FALSE(key.Open(sealed, "beta/hr/source.client_secret").ok());
  EXPECT_FALSE(key.Open(sealed, "acme/it/source.client_secret").ok());
  EXPECT_FALSE(key.Open(sealed, "acme/hr/source.bind_password").ok());

  // Another key is named, not guessed.
  const SecretKey other = KeyOf(2);
  auto wrong = other.Open(sealed, "acme/hr/source.client_secret");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find(key.id()), std::string::npos);
  EXPECT_NE(wrong.error().message.find(other.id()), std::string::npos);

  // A changed byte does not open.
  std::string tampered = sealed;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(key.Open(tampered, "acme/hr/source.client_secret").ok());
  EXPECT_FALSE(key.Open("plain", "acme/hr/source.client_secret").ok());
}

TEST(SecretKeyTest, EverySealUsesAFreshNonce) {
  const SecretKey key = KeyOf(3);
  EXPECT_NE(key.Seal("same", "p"), key.Seal("same", "p"));
  EXPECT_EQ(*key.Open(key.Seal("", "p"), "p"), "");
}

TEST(SecretKeyTest, SealedShapeIsRecognisedStrictly) {
  EXPECT_FALSE(IsSealedSecret(""));
  EXPECT_FALSE(IsSealedSecret("tsec1."));
  EXPECT_FALSE(IsSealedSecret("tsec1.0123456789abcdef"));
  EXPECT_FALSE(IsSealedSecret("tsec1.0123456789ABCDEF.xx"));
  EXPECT_TRUE(IsSealedSecret("tsec1.0123456789abcdef.xx"));
}

TEST_F(KeyFileTest, CreatedKeyFilesAreMode0600AndLoadTheSameKey) {
  const std::string path = dir_ + "/k.key";
  auto made = SecretKey::CreateFile(path);
  ASSERT_TRUE(made.ok()) << made.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = SecretKey::LoadFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->id(), made->id());
  EXPECT_EQ(*loaded->Open(made->Seal("x", "p"), "p"), "x");
  // Never overwritten.
  auto again = SecretKey::CreateFile(path);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
}

TEST_F(KeyFileTest, AKeyFileReadableByOthersOrNotAKeyIsRefused) {
  const std::string path = dir_ + "/k.key";
  ASSERT_TRUE(SecretKey::CreateFile(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto open = SecretKey::LoadFile(path);
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().message.find("chmod 600"), std::string::npos);

  const std::string junk = dir_ + "/junk.key";
  std::ofstream(junk) << "tsk1:tooshort\n";
  ASSERT_EQ(::chmod(junk.c_str(), 0600), 0);
  auto bad = SecretKey::LoadFile(junk);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("not a telsync key file"), std::string::npos);
  EXPECT_EQ(SecretKey::LoadFile(dir_ + "/missing").error().code, ErrorCode::kNotFound);
}

TEST(ProfileSecretsTest, SealsOpensAndCountsTheSecretFieldsOnly) {
  const SecretKey key = KeyOf(4);
  const std::string plain =
      R"({"name":"hr","source":{"type":"graph","client_id":"cid","client_secret":"CS-1"}})";
  auto sealed = SealProfileDocument(plain, "acme", "hr", key);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("CS-1"), std::string::npos);
  EXPECT_NE(sealed->find("\"client_id\":\"cid\""), std::string::npos);  // the rest stays readable
  SecretCounts counts;
  CountProfileSecrets(*sealed, counts);
  EXPECT_EQ(counts.plain, 0);
  EXPECT_EQ(counts.sealed_by_key[key.id()], 1);

  auto opened = OpenProfileDocument(*sealed, "acme", "hr", &key);
  ASSERT_TRUE(opened.ok());
  EXPECT_NE(opened->find("\"client_secret\":\"CS-1\""), std::string::npos);

  // Copied to another tenant's profile: it does not open, and the field is named.
  auto copied = OpenProfileDocument(*sealed, "beta", "hr", &key);
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().context, "source.client_secret");
  // Without a key it never falls back to anything.
  auto keyless = OpenProfileDocument(*sealed, "acme", "hr", nullptr);
  ASSERT_FALSE(keyless.ok());
  EXPECT_NE(keyless.error().message.find("no secret key"), std::string::npos);
}

TEST(ProfileSecretsTest, SealingPlainOnesKeepsSealedOnesAndReportsAChange) {
  const SecretKey key = KeyOf(5);
  const std::string mixed = R"({"source":{"type":"ldap","bind_password":"BP-1"}})";
  bool changed = false;
  auto once = SealPlainProfileSecrets(mixed, "acme", "ad", key, &changed);
  ASSERT_TRUE(once.ok());
  EXPECT_TRUE(changed);
  changed = false;
  auto twice = SealPlainProfileSecrets(*once, "acme", "ad", key, &changed);
  ASSERT_TRUE(twice.ok());
  EXPECT_FALSE(changed);
  EXPECT_EQ(*twice, *once);
  changed = false;
  ASSERT_TRUE(
      SealPlainProfileSecrets(R"({"source":{"type":"file"}})", "a", "b", key, &changed).ok());
  EXPECT_FALSE(changed);
}

}  // namespace
}  // namespace telsync
