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

TEST(TextTest, Utf8IsCheckedStrictly) {
  EXPECT_TRUE(IsValidUtf8("Aino Hämäläinen 😀"));
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_FALSE(IsValidUtf8(std::string("a\0b", 3)));  // NUL: binary
  EXPECT_FALSE(IsValidUtf8("\xC3"));                  // cut mid-character
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));              // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));          // overlong, 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));          // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));      // above U+10FFFF
  EXPECT_EQ(Utf8Length("ä", 0), 2u);
  EXPECT_EQ(Utf8Length("\xFF", 0), 0u);
}

TEST(TextTest, JsonQuotingEscapesAndReplacesBadBytes) {
  std::string out;
  AppendJsonQuoted(out, "say \"hi\"\\\n\t\x01\x7F é");
  EXPECT_EQ(out, "\"say \\\"hi\\\"\\\\\\n\\t\\u0001\\u007f é\"");
  out.clear();
  AppendJsonQuoted(out,
                   "a\xFF"
                   "b");
  EXPECT_EQ(out,
            "\"a\xEF\xBF\xBD"
            "b\"");  // U+FFFD
}

}  // namespace
TEST(TextTest, EscapeForTerminalHidesControlsAndBadBytes) {
  EXPECT_EQ(EscapeForTerminal("Malmö ok"), "Malmö ok");
  EXPECT_EQ(EscapeForTerminal(std::string("a\xff\xfe", 3)), "a\\xff\\xfe");
  EXPECT_EQ(EscapeForTerminal("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(EscapeForTerminal("\xc2\x9b"
                              "2J"),
            "\\xc2\\x9b2J");  // C1 CSI
  EXPECT_EQ(EscapeForTerminal(std::string("nul\0", 4)), "nul\\x00");
}

}  // namespace telsync
