#include "decoders/wire/copy_text.h"

#include <gtest/gtest.h>

namespace cdc {
namespace {

using pgoutput::ValueKind;

TEST(CopyText, PlainNullAndEscapedFields) {
  std::string storage;
  pgoutput::Tuple t;
  ASSERT_TRUE(ParseCopyTextRow("1\t\\N\ta\\tb\\\\c\\nd\t\n", 4, &storage, &t).ok());
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].kind, ValueKind::kText);
  EXPECT_EQ(t[0].data, "1");
  EXPECT_EQ(t[1].kind, ValueKind::kNull);
  EXPECT_EQ(t[2].data, "a\tb\\c\nd");
  EXPECT_EQ(t[3].kind, ValueKind::kText);  // empty string, not NULL
  EXPECT_EQ(t[3].data, "");
}

TEST(CopyText, ManyEscapedFieldsKeepTheirViewsAfterStorageGrows) {
  std::string line;
  std::vector<std::string> expected;
  for (int i = 0; i < 200; ++i) {
    if (i) line += '\t';
    line += "v\\\\" + std::to_string(i) + std::string(static_cast<size_t>(i), 'x');
    expected.push_back("v\\" + std::to_string(i) + std::string(static_cast<size_t>(i), 'x'));
  }
  std::string storage;
  pgoutput::Tuple t;
  ASSERT_TRUE(ParseCopyTextRow(line, 200, &storage, &t).ok());
  for (size_t i = 0; i < 200; ++i) EXPECT_EQ(t[i].data, expected[i]);
}

TEST(CopyText, OctalHexAndOtherEscapes) {
  std::string storage;
  pgoutput::Tuple t;
  ASSERT_TRUE(ParseCopyTextRow("\\101\\x42\\b\\f\\r\\v\\q\\x", 1, &storage, &t).ok());
  EXPECT_EQ(t[0].data, std::string("AB\b\f\r\vqx"));
}

TEST(CopyText, RejectsWrongArityAndDanglingBackslash) {
  std::string storage;
  pgoutput::Tuple t;
  EXPECT_EQ(ParseCopyTextRow("1\t2", 3, &storage, &t).message(),
            "COPY row has 2 columns, expected 3");
  EXPECT_EQ(ParseCopyTextRow("1\t2\t3", 2, &storage, &t).message(),
            "COPY row has more than 2 columns");
  EXPECT_FALSE(ParseCopyTextRow("abc\\", 1, &storage, &t).ok());
  EXPECT_TRUE(ParseCopyTextRow("", 0, &storage, &t).ok());
  EXPECT_TRUE(t.empty());
}

}  // namespace
}  // namespace cdc
