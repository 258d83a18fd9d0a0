#include "decoders/base/byte_reader.h"

#include <gtest/gtest.h>

#include <vector>

namespace cdc {
namespace {

TEST(ByteReader, ReadsBigEndian) {
  std::vector<uint8_t> b = {0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xfe};
  ByteReader r(b);
  uint16_t u16;
  int32_t i32;
  uint16_t tail;
  ASSERT_TRUE(r.ReadU16(&u16));
  EXPECT_EQ(u16, 0x0102);
  ASSERT_TRUE(r.ReadI32(&i32));
  EXPECT_EQ(i32, 0x0304ffff);
  ASSERT_TRUE(r.ReadU16(&tail));
  EXPECT_EQ(tail, 0xfffe);
  EXPECT_TRUE(r.empty());
}

TEST(ByteReader, OverrunFailsWithoutConsuming) {
  std::vector<uint8_t> b = {1, 2, 3};
  ByteReader r(b);
  uint32_t v;
  EXPECT_FALSE(r.ReadU32(&v));
  EXPECT_EQ(r.remaining(), 3u);
  std::string_view s;
  EXPECT_FALSE(r.ReadBytes(4, &s));
  EXPECT_TRUE(r.ReadBytes(3, &s));
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ByteReader, CStringNeedsTerminator) {
  std::vector<uint8_t> ok = {'a', 'b', 0, 'c'};
  ByteReader r(ok);
  std::string_view s;
  ASSERT_TRUE(r.ReadCString(&s));
  EXPECT_EQ(s, "ab");
  EXPECT_FALSE(r.ReadCString(&s));  // "c" has no NUL
  EXPECT_EQ(r.remaining(), 1u);
}

}  // namespace
}  // namespace cdc
