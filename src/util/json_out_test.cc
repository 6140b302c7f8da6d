#include "util/json_out.h"

#include <gtest/gtest.h>

namespace telsync {
namespace {

// Issue 14 item 7: bytes that are not UTF-8 already in a store never make an output die.
TEST(JsonOutTest, InvalidUtf8IsReplacedNotThrown) {
  nlohmann::json j = {{"department", std::string("Sa\xff\xfe", 4)}, {"city", "Malmö"}};
  EXPECT_THROW((void)j.dump(), nlohmann::json::type_error);
  const std::string out = DumpJson(j);
  const nlohmann::json back = nlohmann::json::parse(out);
  EXPECT_EQ(back["department"], "Sa\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(back["city"], "Malmö");
  nlohmann::ordered_json o = {{"x", "fine"}};
  EXPECT_EQ(DumpJson(o), R"({"x":"fine"})");
}

}  // namespace
}  // namespace telsync
