#include "store/postgres/detail/pg_encode.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "model/fields.h"
#include "store/detail/columns.h"
#include "store/postgres/detail/pg_conn.h"

namespace telsync::pg_detail {
namespace {

std::string Changes(const PlanItem& item) {
  std::string out = "x";  // appends: what is there stays
  AppendItemChangesJson(out, item);
  EXPECT_EQ(out[0], 'x');
  return out.substr(1);
}

PlanItem Create(const std::vector<std::string>& values) {
  PlanItem item;
  item.action = Action::kCreate;
  PbxUser user;
  for (size_t i = 0; i < values.size() && i < kFieldCount; ++i) {
    user.fields.Set(static_cast<Field>(i), values[i]);
  }
  item.target = user;
  return item;
}

TEST(PgEncodeTest, CreateChangesMatchChangesJsonOfEffectiveChanges) {
  const std::vector<std::string> samples = {"plain",
                                            "",
                                            "tab\there",
                                            "quote\"q\" back\\",
                                            "nl\nline\r",
                                            "\x01\x08\x0c\x1f\x7f",
                                            "ö € 𝄞 ÅÄÖ",
                                            "bad \xC3",
                                            "\xED\xA0\x80",
                                            "\xC0\x80",
                                            "\xF4\x90\x80\x80",
                                            "\xE0\x80\x80",
                                            "\xF0\x8F\xBF\xBF",
                                            "ok \xF4\x8F\xBF\xBF",
                                            "\xFF",
                                            "/slash/"};
  for (const std::string& s : samples) {
    PlanItem item = Create({s, "x" + s, "", s});
    EXPECT_EQ(Changes(item), store_detail::ChangesJson(EffectiveChanges(item))) << s;
  }
  PlanItem full = Create({"alice", "A", "B"});
  PbxUser user = *full.target;
  user.searchable = false;
  user.groups = {"Non AD sync", "g\"2", "\xC3"};
  user.custom = {{"cost\tcenter", "4\\2"}, {"site", "Lund"}};
  full.target = user;
  EXPECT_EQ(Changes(full), store_detail::ChangesJson(EffectiveChanges(full)));
  user.groups = {"ok"};
  full.target = user;
  EXPECT_EQ(Changes(full), store_detail::ChangesJson(EffectiveChanges(full)));
  EXPECT_EQ(Changes(Create({})), "[]");
}

TEST(PgEncodeTest, RandomBytesMatchChangesJson) {
  std::mt19937 rng(7);
  for (int n = 0; n < 2000; ++n) {
    std::string s;
    const size_t len = rng() % 12;
    for (size_t i = 0; i < len; ++i) s += static_cast<char>(rng() % 256);
    PlanItem item;
    item.action = Action::kUpdate;
    item.changes = {{"city", s, "v"}, {"custom." + s, "", s}};
    std::string out;
    AppendItemChangesJson(out, item);
    ASSERT_EQ(out, store_detail::ChangesJson(item.changes)) << n;
    PlanItem create = Create({s});
    ASSERT_EQ(Changes(create), store_detail::ChangesJson(EffectiveChanges(create))) << n;
  }
}

TEST(PgEncodeTest, NonCreatesUseTheirChangesAndEmptyIsAnEmptyArray) {
  PlanItem item;
  item.action = Action::kConflict;
  EXPECT_EQ(Changes(item), "[]");
  item.changes = {{"email", "a@x", "b@x"}};
  EXPECT_EQ(Changes(item), "[[\"email\",\"a@x\",\"b@x\"]]");
  // A create that carries changes (an approved plan read back) keeps them.
  PlanItem create = Create({"alice"});
  create.changes = {{"username", "", "other"}};
  EXPECT_EQ(Changes(create), "[[\"username\",\"\",\"other\"]]");
}

TEST(PgEncodeTest, AppendJsonStringRefusesInvalidUtf8AndLeavesOutAlone) {
  std::string out = "keep";
  EXPECT_FALSE(AppendJsonString(out, "a\xC3"));
  EXPECT_EQ(out, "keep");
  EXPECT_TRUE(AppendJsonString(out, "\x01"));
  EXPECT_EQ(out, "keep\"\\u0001\"");
}

TEST(PgEncodeTest, CopyEscapesFramingCharacters) {
  std::string out;
  CopyBuffer::Escape(out, std::string("a\tb\nc\rd\\e\0f", 11));
  EXPECT_EQ(out, "a\\tb\\nc\\rd\\\\ef");
  CopyBuffer copy;
  copy.Int(-42);
  copy.Field("x\ty");
  copy.EndRow();
  EXPECT_EQ(copy.data(), "-42\tx\\ty\n");
}

}  // namespace
}  // namespace telsync::pg_detail
