#include "decoders/values/json_writer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace cdc {
namespace {

// The byte-at-a-time rule JSON sets (RFC 8259 section 7), as the reference for the word-at-a-time
// scan in AppendEscaped.
std::string Reference(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string Escaped(std::string_view s) {
  std::string out;
  JsonWriter::AppendEscaped(&out, s);
  return out;
}

TEST(JsonWriter, EveryByteAtEveryOffsetOfAWord) {
  // Each byte value at each position of strings up to three words long, among plain ASCII and
  // UTF-8 bytes: a borrow from one byte must neither hide nor invent a neighbour's escape.
  for (int len = 1; len <= 24; ++len) {
    for (int pos = 0; pos < len; ++pos) {
      for (int b = 0; b < 256; ++b) {
        for (char fill : {'a', static_cast<char>(0xC3), ' ', '!', '#', '[', ']'}) {
          std::string s(static_cast<size_t>(len), fill);
          s[static_cast<size_t>(pos)] = static_cast<char>(b);
          ASSERT_EQ(Escaped(s), Reference(s)) << "len " << len << " pos " << pos << " byte " << b;
        }
      }
    }
  }
}

TEST(JsonWriter, RandomStringsMatchTheByteRule) {
  std::mt19937 rng(7);
  const std::string alphabet = "\"\\\n\r\t\b\f\x01\x1f\x7f ~aZ09\xc3\xa9\xe2\x82\xac";
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 70, 'x');
    for (auto& c : s) {
      // Mostly plain, sometimes any byte, sometimes a character that needs care.
      const uint32_t r = rng() % 10;
      c = r < 6   ? static_cast<char>('a' + rng() % 26)
          : r < 8 ? static_cast<char>(rng() % 256)
                  : alphabet[rng() % alphabet.size()];
    }
    ASSERT_EQ(Escaped(s), Reference(s)) << i;
  }
  EXPECT_EQ(Escaped(""), "");
  EXPECT_EQ(Escaped(std::string(2048, 'q')), std::string(2048, 'q'));
}

}  // namespace
}  // namespace cdc
