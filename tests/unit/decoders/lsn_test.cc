#include "decoders/base/lsn.h"

#include <gtest/gtest.h>

namespace cdc {
namespace {

TEST(Lsn, ParsesAndFormats) {
  auto l = Lsn::Parse("0/16E4850");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->value, 0x16E4850u);
  EXPECT_EQ(l->ToString(), "0/16E4850");
  auto hi = Lsn::Parse("1A/0000FF00");  // zero-padded halves are accepted
  ASSERT_TRUE(hi.ok());
  EXPECT_EQ(hi->value, (0x1AULL << 32) | 0xFF00);
  EXPECT_EQ(hi->ToString(), "1A/FF00");
}

TEST(Lsn, RejectsMalformed) {
  for (const char* bad : {"", "0", "/1", "1/", "0/123456789", "g/1", "0/1 ", "-1/0"}) {
    EXPECT_FALSE(Lsn::Parse(bad).ok()) << bad;
  }
}

TEST(Lsn, Orders) {
  EXPECT_LT(Lsn(1), Lsn(2));
  EXPECT_FALSE(Lsn().valid());
}

}  // namespace
}  // namespace cdc
