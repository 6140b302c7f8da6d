#include "model/fields.h"

#include <gtest/gtest.h>

namespace telsync {
namespace {

TEST(FieldSetTest, SetAndGetEveryFieldIndependently) {
  FieldSet f;
  for (size_t i = 0; i < kFieldCount; ++i) {
    EXPECT_EQ(f.Get(static_cast<Field>(i)), "");
  }
  f.Set(Field::kEmail, "a@b.se");
  f.Set(Field::kUsername, "anna");
  f.Set(Field::kTemplate, "default");
  f.Set(Field::kEmail, "anna.andersson@example.se");
  EXPECT_EQ(f.Get(Field::kUsername), "anna");
  EXPECT_EQ(f.Get(Field::kEmail), "anna.andersson@example.se");
  EXPECT_EQ(f.Get(Field::kTemplate), "default");
  EXPECT_EQ(f.Get(Field::kMobile), "");
  f.Set(Field::kEmail, "");
  EXPECT_EQ(f.Get(Field::kEmail), "");
  EXPECT_EQ(f.Get(Field::kTemplate), "default");
}

TEST(FieldSetTest, EqualityComparesValuesNotHistory) {
  FieldSet a;
  FieldSet b;
  a.Set(Field::kCity, "Lund");
  b.Set(Field::kCity, "Malmö");
  EXPECT_FALSE(a == b);
  b.Set(Field::kCity, "Lund");
  EXPECT_TRUE(a == b);
}

TEST(FieldSetTest, CutsAValueThatWouldOverflowAtACharacterBoundary) {
  FieldSet f;
  f.Set(Field::kUsername, "anna");
  std::string huge;
  while (huge.size() < 70000) huge += "Å";  // two bytes each
  f.Set(Field::kDisplayName, huge);
  EXPECT_EQ(f.Get(Field::kUsername), "anna");
  const std::string_view cut = f.Get(Field::kDisplayName);
  EXPECT_LE(f.ByteSize(), FieldSet::kMaxBytes);
  EXPECT_EQ(cut.size() % 2, 0u);  // no half character
  EXPECT_GT(cut.size(), 60000u);
  f.Set(Field::kTemplate, "standard");  // later fields still fit once the big one shrinks
  f.Set(Field::kDisplayName, "Anna");
  f.Set(Field::kTemplate, "standard");
  EXPECT_EQ(f.Get(Field::kTemplate), "standard");
  EXPECT_EQ(f.Get(Field::kDisplayName), "Anna");
}

TEST(FieldNameTest, RoundTrips) {
  for (size_t i = 0; i < kFieldCount; ++i) {
    auto f = static_cast<Field>(i);
    EXPECT_EQ(FieldFromName(FieldName(f)), f);
  }
  EXPECT_EQ(FieldFromName("nickname"), std::nullopt);
}

}  // namespace
}  // namespace telsync
