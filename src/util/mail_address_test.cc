#include "util/mail_address.h"

#include <gtest/gtest.h>

namespace telsync {
namespace {

TEST(MailAddressTest, AddressesAreCheckedAgainstHeaderInjection) {
  EXPECT_EQ(*MailAddress("Ann <ann@example.com>"), "ann@example.com");
  EXPECT_EQ(*MailAddress("ann@example.com"), "ann@example.com");
  for (const char* bad : {"", "ann", "@example.com", "ann@", "ann@example.com\r\nBcc: x@y",
                          "Ann <ann@example.com", "a b@example.com"}) {
    auto r = MailAddress(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
    }
  }
}

}  // namespace
}  // namespace telsync
