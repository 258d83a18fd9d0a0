#include "connector/capture_rules.h"

#include <gtest/gtest.h>

#include "connector/topic_names.h"

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

TEST(TopicNames, ReplacesCharactersKafkaRejects) {
  EXPECT_EQ(TableTopic("shop", "public", "orders"), "shop.public.orders");
  EXPECT_EQ(TableTopic("shop", "Sales EU", "Order Items"), "shop.Sales_EU.Order_Items");
  EXPECT_EQ(TableTopic("shop", "s", "caf\xc3\xa9"), "shop.s.caf__");
  EXPECT_EQ(TransactionTopic("shop"), "shop.transaction");
  EXPECT_EQ(MessageTopic("shop"), "shop.message");
  EXPECT_EQ(HeartbeatTopic("shop"), "__debezium-heartbeat.shop");
}

TEST(CaptureRules, ApplyNamesTheTablesTopic) {
  pgoutput::Relation rel;
  rel.nspname = "Sales \" EU";
  rel.relname = "Order Items";
  CatalogHints hints;
  CaptureRules(CaptureOptions{{}, {}, {}, "shop"}).Apply(rel, &hints);
  EXPECT_EQ(hints.topic, "shop.Sales___EU.Order_Items");
}

}  // namespace
}  // namespace cdc::connector
