#include "decoders/wire/copy_binary.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace cdc {
namespace {

using pgoutput::ValueKind;
using Part = CopyBinaryReader::Part;

// The file header exactly as PostgreSQL 15's copyto.c writes it: signature, flags 0, no extension.
const std::string kHeader("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);

std::string I16(int16_t v) {
  const auto u = static_cast<uint16_t>(v);
  return {static_cast<char>(u >> 8), static_cast<char>(u & 0xff)};
}
std::string I32(int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  return {static_cast<char>(u >> 24), static_cast<char>((u >> 16) & 0xff),
          static_cast<char>((u >> 8) & 0xff), static_cast<char>(u & 0xff)};
}
std::string Field(std::string_view bytes) {
  return I32(static_cast<int32_t>(bytes.size())) + std::string(bytes);
}
const std::string kNullField = I32(-1);
const std::string kTrailer = I16(-1);

// A row of (int4 7, NULL, bytea "\x00\xff", text ""): the field bytes are the types' send formats.
std::string SampleRow() {
  return I16(4) + Field(std::string("\0\0\0\7", 4)) + kNullField + Field(std::string("\0\xff", 2)) +
         Field("");
}

TEST(CopyBinary, HeaderWithFirstRowThenRowsThenTrailer) {
  CopyBinaryReader reader;
  const std::string first = kHeader + SampleRow();
  auto m = reader.Next(first);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->part, Part::kRow);
  EXPECT_EQ(m->row, SampleRow());
  EXPECT_EQ(m->row.data(), first.data() + kHeader.size());  // a view, not a copy

  pgoutput::Tuple t;
  ASSERT_TRUE(ParseCopyBinaryRow(m->row, 4, &t).ok());
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].kind, ValueKind::kBinary);
  EXPECT_EQ(t[0].data, std::string("\0\0\0\7", 4));
  EXPECT_EQ(t[1].kind, ValueKind::kNull);
  EXPECT_EQ(t[2].kind, ValueKind::kBinary);
  EXPECT_EQ(t[2].data, std::string("\0\xff", 2));
  EXPECT_EQ(t[3].kind, ValueKind::kBinary);  // empty, not NULL
  EXPECT_EQ(t[3].data, "");

  const std::string second = SampleRow();
  m = reader.Next(second);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->part, Part::kRow);
  EXPECT_EQ(m->row.data(), second.data());
  EXPECT_FALSE(reader.finished());

  m = reader.Next(kTrailer);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->part, Part::kTrailer);
  EXPECT_TRUE(reader.finished());
  EXPECT_EQ(reader.Next(SampleRow()).status().code(), Status::Code::kCorruption);
}

TEST(CopyBinary, EmptyResultIsHeaderAndTrailerInOneMessage) {
  CopyBinaryReader reader;
  auto m = reader.Next(kHeader + kTrailer);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->part, Part::kTrailer);
  EXPECT_TRUE(reader.finished());
}

TEST(CopyBinary, HeaderAloneAndHeaderExtensionAreSkipped) {
  CopyBinaryReader reader;
  const std::string header = std::string(kHeader, 0, 15) + I32(3) + "ext";
  auto m = reader.Next(header);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->part, Part::kNothing);
  m = reader.Next(SampleRow());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->part, Part::kRow);
}

TEST(CopyBinary, ZeroColumnRow) {
  pgoutput::Tuple t;
  EXPECT_TRUE(ParseCopyBinaryRow(I16(0), 0, &t).ok());
  EXPECT_TRUE(t.empty());
}

TEST(CopyBinary, BadHeadersAreErrors) {
  const std::string text_copy = "1\tabc\n";  // a text COPY row read as binary
  const std::string bad_signature = "PGCOPY\n\377\r\n\1" + std::string(8, '\0') + SampleRow();
  const std::string oids_flag = std::string(kHeader, 0, 11) + I32(1 << 16) + I32(0) + SampleRow();
  const std::string long_extension = std::string(kHeader, 0, 15) + I32(100) + "abc";
  const std::string negative_extension = std::string(kHeader, 0, 15) + I32(-2) + SampleRow();
  for (const std::string& msg : {text_copy, bad_signature, oids_flag, long_extension,
                                 negative_extension, std::string(kHeader, 0, 14), std::string()}) {
    CopyBinaryReader reader;
    auto m = reader.Next(msg);
    EXPECT_EQ(m.status().code(), Status::Code::kCorruption) << msg.size();
    EXPECT_EQ(m.status().message().rfind("binary COPY: ", 0), 0u) << m.status().message();
  }
}

TEST(CopyBinary, TrailerWithBytesAfterItAndShortMessagesAreErrors) {
  {
    CopyBinaryReader reader;
    ASSERT_TRUE(reader.Next(kHeader + SampleRow()).ok());
    EXPECT_EQ(reader.Next(kTrailer + "x").status().code(), Status::Code::kCorruption);
  }
  {
    CopyBinaryReader reader;
    ASSERT_TRUE(reader.Next(kHeader + SampleRow()).ok());
    EXPECT_EQ(reader.Next(std::string(1, '\0')).status().code(), Status::Code::kCorruption);
  }
}

TEST(CopyBinary, EveryTruncationOfARowIsAnError) {
  const std::string row = SampleRow();
  pgoutput::Tuple t;
  for (size_t n = 0; n < row.size(); ++n) {
    Status s = ParseCopyBinaryRow(std::string_view(row).substr(0, n), 4, &t);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << "prefix of " << n << " bytes";
  }
  EXPECT_TRUE(ParseCopyBinaryRow(row, 4, &t).ok());
}

TEST(CopyBinary, GarbageRowsAreErrors) {
  pgoutput::Tuple t;
  EXPECT_EQ(ParseCopyBinaryRow(SampleRow(), 3, &t).message(),
            "binary COPY row has 4 columns, expected 3");
  EXPECT_EQ(ParseCopyBinaryRow(I16(-3), 3, &t).message(),
            "binary COPY row has -3 columns, expected 3");
  EXPECT_EQ(ParseCopyBinaryRow(SampleRow() + "zz", 4, &t).message(),
            "binary COPY row: 2 bytes after the last column");
  EXPECT_EQ(ParseCopyBinaryRow(I16(1) + I32(-2), 1, &t).message(),
            "binary COPY row: column 1 has length -2 but 0 bytes are left");
  // A length larger than what is left (also one that would overflow a signed size).
  EXPECT_EQ(ParseCopyBinaryRow(I16(1) + I32(5) + "abcd", 1, &t).code(), Status::Code::kCorruption);
  EXPECT_EQ(ParseCopyBinaryRow(I16(1) + I32(INT32_MAX) + "abcd", 1, &t).code(),
            Status::Code::kCorruption);
  // Every byte of a valid stream flipped to every value: an error or a parse, never a crash.
  const std::string stream = kHeader + SampleRow();
  for (size_t i = 0; i < stream.size(); ++i) {
    for (int b = 0; b < 256; b += 17) {
      std::string bad = stream;
      bad[i] = static_cast<char>(b);
      CopyBinaryReader reader;
      auto m = reader.Next(bad);
      if (m.ok() && m->part == Part::kRow) (void)ParseCopyBinaryRow(m->row, 4, &t);
    }
  }
}

}  // namespace
}  // namespace cdc
