#include "admin/mapping_draft.h"

#include <gtest/gtest.h>

namespace telsync::admin {
namespace {

std::string Value(const MappedDraft& m, const std::string& field) {
  for (const auto& [name, value] : m.fields)
    if (name == field) return value;
  for (const auto& [name, value] : m.custom)
    if (name == field) return value;
  return "(absent)";
}

MappingDraft Ada() {
  MappingDraft d;
  d.source_type = "graph";
  d.attributes = {{"givenName", {"Ada"}},
                  {"surname", {"Lovelace"}},
                  {"displayName", {"Ada Lovelace"}},
                  {"mail", {"Ada.Lovelace@Contoso.example"}},
                  {"mailNickname", {"ada.l"}},
                  {"businessPhones", {"+46 8 555 0100", "+46 8 555 0199"}},
                  {"officeLocation", {"Stockholm 3"}}};
  d.groups = {"All Staff"};
  return d;
}

TEST(MappingDraftTest, TheDefaultsMapTheSampleAndTheDraftIsLaidOverThem) {
  auto defaults = MapDraft(Ada());
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(Value(*defaults, "username"), "ada.l");
  EXPECT_EQ(Value(*defaults, "email"), "ada.lovelace@contoso.example");
  EXPECT_EQ(Value(*defaults, "landline"), "+46 8 555 0100");
  EXPECT_EQ(Value(*defaults, "mobile"), "");
  EXPECT_EQ(defaults->expressions.at("first_name"), "{givenName}");

  MappingDraft draft = Ada();
  draft.mapping = {{"display_name", R"(join(" ", upper({surname}), {givenName}))"},
                   {"office", "{officeLocation}"},
                   {"email", ""}};  // unmapped
  auto mapped = MapDraft(draft);
  ASSERT_TRUE(mapped.ok()) << mapped.error().message;
  EXPECT_EQ(Value(*mapped, "display_name"), "LOVELACE Ada");
  EXPECT_EQ(Value(*mapped, "office"), "Stockholm 3");
  EXPECT_EQ(Value(*mapped, "email"), "");
  EXPECT_EQ(mapped->expressions.at("office"), "{officeLocation}");
  EXPECT_EQ(mapped->expressions.at("email"), "");
}

TEST(MappingDraftTest, AnExpressionThatDoesNotCompileNamesItsField) {
  MappingDraft draft = Ada();
  draft.mapping = {{"mobile", "e165({mobilePhone})"}};
  auto mapped = MapDraft(draft);
  ASSERT_FALSE(mapped.ok());
  EXPECT_EQ(mapped.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(mapped.error().field, "body.mapping.mobile") << mapped.error().message;
  EXPECT_NE(mapped.error().message.find("e165"), std::string::npos);
}

}  // namespace
}  // namespace telsync::admin
