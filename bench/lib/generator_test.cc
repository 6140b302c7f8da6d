#include "bench/lib/generator.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "phone/phone.h"

namespace telsync::bench {
namespace {

TEST(GeneratorTest, SameSeedSameUsersDifferentSeedDifferentUsers) {
  GenOptions o;
  o.users = 50;
  DirectoryGenerator a(o);
  DirectoryGenerator b(o);
  o.seed = 2;
  DirectoryGenerator c(o);
  size_t differ = 0;
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(a.User(i).id, b.User(i).id);
    EXPECT_EQ(a.User(i).mail, b.User(i).mail);
    differ += a.User(i).id != c.User(i).id;
  }
  EXPECT_EQ(differ, 50u);
}

// The generator's claim about each number must agree with libphonenumber, or benches and
// demos would count errors that are not there.
TEST(GeneratorTest, PhoneClaimsAgreeWithLibphonenumberStrictMode) {
  GenOptions o;
  o.users = 3000;
  DirectoryGenerator gen(o);
  PhoneNormalizer strict(PhoneMode::kStrict, "SE");
  size_t valid = 0;
  size_t invalid = 0;
  for (size_t i = 0; i < o.users; ++i) {
    const GenUser u = gen.User(i);
    for (auto [raw, e164] :
         {std::pair{u.business_phone, u.business_e164}, std::pair{u.mobile_phone, u.mobile_e164}}) {
      if (raw.empty()) continue;
      auto r = strict.Normalize(raw);
      if (e164.empty()) {
        EXPECT_FALSE(r.ok()) << raw << " should be rejected";
        ++invalid;
      } else {
        ASSERT_TRUE(r.ok()) << raw << ": " << r.error().message;
        EXPECT_EQ(*r, e164) << raw;
        ++valid;
      }
    }
  }
  EXPECT_GT(valid, 4000u);
  EXPECT_GT(invalid, 50u);
}

TEST(GeneratorTest, VersionTwoLosesAndGainsUsersAndChangesSome) {
  GenOptions o;
  o.users = 20000;
  DirectoryGenerator v1(o);
  o.version = 2;
  DirectoryGenerator v2(o);
  size_t left = 0;
  size_t changed = 0;
  for (size_t i = 0; i < 20000; ++i) {
    if (!v2.Present(i)) {
      ++left;
      continue;
    }
    const GenUser a = v1.User(i);
    const GenUser b = v2.User(i);
    changed += a.job_title != b.job_title || a.department != b.department ||
               a.mobile_phone != b.mobile_phone;
  }
  EXPECT_NEAR(static_cast<double>(left) / 20000, 0.01, 0.004);
  EXPECT_NEAR(static_cast<double>(changed) / 20000, 0.05, 0.01);
  EXPECT_EQ(v2.End(), 20200u);
}

TEST(GeneratorTest, GraphJsonParsesWithEveryUserAndUniqueIds) {
  GenOptions o;
  o.users = 500;
  DirectoryGenerator gen(o);
  std::ostringstream out;
  WriteGraphJson(gen, out);
  const auto j = nlohmann::json::parse(out.str());
  ASSERT_EQ(j["value"].size(), 500u);
  std::set<std::string> ids;
  for (const auto& u : j["value"]) {
    ids.insert(u["id"].get<std::string>());
    EXPECT_TRUE(u["memberOf"].is_array());
    EXPECT_TRUE(u["businessPhones"].is_array());
  }
  EXPECT_EQ(ids.size(), 500u);
}

}  // namespace
}  // namespace telsync::bench
