#include "util/text.h"

#include <gtest/gtest.h>

namespace telsync {
namespace {

TEST(TextTest, WidthCountsCharactersNotBytes) {
  EXPECT_EQ(DisplayWidth("Aino Hämäläinen"), 15u);
  EXPECT_EQ(DisplayWidth("Łukasz"), 6u);
  EXPECT_EQ(DisplayWidth(""), 0u);
}

TEST(TextTest, PadsAndCutsAtCharacterBoundaries) {
  EXPECT_EQ(PadRight("Åsa", 6), "Åsa   ");
  EXPECT_EQ(DisplayWidth(PadRight("Aino Hämäläinen", 20)), 20u);
  EXPECT_EQ(PadRight("Hämäläinen", 4), "Häm…");
  EXPECT_EQ(PadRight("abc", 3), "ab…");
  EXPECT_EQ(PadRight("abc", 0), "");
}

}  // namespace
}  // namespace telsync
