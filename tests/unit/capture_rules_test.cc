#include "connector/capture_rules.h"

#include <gtest/gtest.h>

namespace cdc::connector {
namespace {

TEST(CaptureRules, GlobMatch) {
  EXPECT_TRUE(GlobMatch("public.*", "public.orders"));
  EXPECT_TRUE(GlobMatch("*.orders", "sales.orders"));
  EXPECT_TRUE(GlobMatch("public.ord*s", "public.orders"));
  EXPECT_FALSE(GlobMatch("public.orders", "public.orders2"));
  EXPECT_FALSE(GlobMatch("public.*", "private.orders"));
}

TEST(CaptureRules, AnEmptyIncludeListCapturesEveryTable) {
  EXPECT_TRUE(IncludedBy({}, "any.table"));
  EXPECT_TRUE(IncludedBy({"public.*", "sales.orders"}, "sales.orders"));
  EXPECT_FALSE(IncludedBy({"public.*"}, "sales.orders"));
  EXPECT_TRUE(CaptureRules(CaptureOptions{}).Captured("x.y"));
  EXPECT_FALSE(CaptureRules(CaptureOptions{{"a.*"}, {}, {}}).Captured("b.c"));
}

}  // namespace
}  // namespace cdc::connector
