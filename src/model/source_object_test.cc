#include "model/source_object.h"

#include <gtest/gtest.h>

namespace telsync {
namespace {

// Issue 14 item 6: one GUID written in several ways is one id.
TEST(SourceObjectTest, CanonicalSourceIdFoldsGuidSpellings) {
  const std::string canonical = "6e7b768e-07e2-4810-8459-485f84f8f204";
  EXPECT_EQ(CanonicalSourceId(canonical), canonical);
  EXPECT_EQ(CanonicalSourceId("6E7B768E-07E2-4810-8459-485F84F8F204"), canonical);
  EXPECT_EQ(CanonicalSourceId("{6e7b768e-07E2-4810-8459-485F84F8F204}"), canonical);
  // Anything else is kept exactly: ids of other shapes may be case-sensitive.
  EXPECT_EQ(CanonicalSourceId("Emp-00042"), "Emp-00042");
  EXPECT_EQ(CanonicalSourceId("{6e7b768e-07e2-4810-8459-485f84f8f204"),
            "{6e7b768e-07e2-4810-8459-485f84f8f204");
  EXPECT_EQ(CanonicalSourceId("6E7B768G-07E2-4810-8459-485F84F8F204"),
            "6E7B768G-07E2-4810-8459-485F84F8F204");
  EXPECT_EQ(CanonicalSourceId("6E7B768E+07E2-4810-8459-485F84F8F204"),
            "6E7B768E+07E2-4810-8459-485F84F8F204");
  EXPECT_EQ(CanonicalSourceId(""), "");
}

}  // namespace
}  // namespace telsync
