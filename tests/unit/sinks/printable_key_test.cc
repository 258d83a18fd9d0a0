// PrintableBytes / PrintableKey: keys as log lines and the stuck record show them.

#include "sinks/printable_key.h"

#include <gtest/gtest.h>

#include <string>

namespace cdc::sinks {
namespace {

TEST(PrintableKey, TextStaysAsItIs) {
  EXPECT_EQ(PrintableKey(R"({"id":1,"name":"Zoë \"q\""})"), R"({"id":1,"name":"Zoë \"q\""})");
  EXPECT_EQ(PrintableKey(""), "");
}

TEST(PrintableKey, BinaryBytesAreEscaped) {
  // An Avro key: magic 0, schema id 7, the int 64 zig-zag encoded (0x80 0x01: not UTF-8).
  const std::string avro("\x00\x00\x00\x00\x07\x80\x01", 7);
  EXPECT_EQ(PrintableKey(avro), "\\x00\\x00\\x00\\x00\\x07\\x80\\x01");
  EXPECT_EQ(PrintableKey("a\tb\x7F"), "a\\x09b\\x7F");
  // A truncated multi-byte sequence at the end, and a lone continuation byte.
  EXPECT_EQ(PrintableKey("x\xC3"), "x\\xC3");
  EXPECT_EQ(PrintableKey("\xA9y"), "\\xA9y");
}

TEST(PrintableKey, LongKeysAreCutAtACharacterBoundary) {
  std::string key(199, 'k');
  key += "\xC3\xA9tail";  // a two-byte character across the 200-byte limit
  EXPECT_EQ(PrintableKey(key), std::string(199, 'k') + "...");
  bool cut = true;
  EXPECT_EQ(PrintableBytes("short", 200, &cut), "short");
  EXPECT_FALSE(cut);
  // The limit counts the key's bytes, not the escaped text's.
  EXPECT_EQ(PrintableBytes(std::string(3, '\0'), 2, &cut), "\\x00\\x00");
  EXPECT_TRUE(cut);
}

}  // namespace
}  // namespace cdc::sinks
