#include "connector/capture_rules.h"

#include <gtest/gtest.h>

#include "connector/publication_reconciler.h"
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

TEST(CaptureRules, UnquotedEntriesFoldQuotedOnesMatchExactly) {
  EXPECT_TRUE(IncludedBy({"Public.Orders"}, "public", "orders"));
  EXPECT_FALSE(IncludedBy({"Public.Orders"}, "Public", "Orders"));
  EXPECT_TRUE(IncludedBy({"\"Public\".\"Orders\""}, "Public", "Orders"));
  EXPECT_FALSE(IncludedBy({"\"Public\".\"Orders\""}, "public", "orders"));
  EXPECT_TRUE(IncludedBy({"\"s.dot\".\"t.dot\""}, "s.dot", "t.dot"));
  EXPECT_TRUE(IncludedBy({"\"s.dot\".\"t.dot\""}, "s.dot.t.dot"));
  EXPECT_FALSE(IncludedBy({"\"s.dot\".\"t.dot\""}, "s", "dot.t.dot"));
  EXPECT_TRUE(IncludedBy({"\"a\"\"b\".*"}, "a\"b", "anything"));
  EXPECT_FALSE(IncludedBy({"public.\"x*\""}, "public", "xy"));
  EXPECT_TRUE(IncludedBy({"public.\"x*\""}, "public", "x*"));
  EXPECT_TRUE(IncludedBy({"Sales*.*"}, "sales_eu", "Any Table"));
  EXPECT_FALSE(IncludedBy({"public.orders"}, "public", "orders_p1"));
}

TEST(PublicationDrift, MissingExtraAndViaRoot) {
  CaptureSet wanted;
  wanted.tables = {{"public", "a"}, {"public", "orders"}, {"sales", "b"}};
  wanted.partitioned = {{"public", "orders"}};
  PublicationView view;
  view.exists = true;
  view.via_root = false;
  view.named = {{"public", "a"}, {"public", "gone"}};
  auto d = CompareToPublication(wanted, view, config::PartitionMode::kRoot, true);
  EXPECT_EQ(d.missing, (std::vector<TableName>{{"public", "orders"}, {"sales", "b"}}));
  EXPECT_EQ(d.extra, (std::vector<TableName>{{"public", "gone"}}));
  EXPECT_TRUE(d.via_root_wrong);
  EXPECT_FALSE(
      CompareToPublication(wanted, view, config::PartitionMode::kLeaves, true).via_root_wrong);

  // FOR ALL TABLES and FOR TABLES IN SCHEMA cover tables without naming them.
  view.all_tables = true;
  EXPECT_TRUE(
      CompareToPublication(wanted, view, config::PartitionMode::kLeaves, true).missing.empty());
  view.all_tables = false;
  view.schemas = {"public", "sales"};
  EXPECT_TRUE(
      CompareToPublication(wanted, view, config::PartitionMode::kLeaves, true).missing.empty());

  // publish_via_partition_root matters only when a captured table is partitioned.
  wanted.partitioned.clear();
  EXPECT_FALSE(
      CompareToPublication(wanted, view, config::PartitionMode::kRoot, true).via_root_wrong);
}

TEST(PublicationDrift, TablesWithoutReplicaIdentityStayOutOfAManagedPublication) {
  const TableName a{"public", "a"}, nokey{"public", "nokey"}, added{"public", "added"},
      orders{"public", "orders"}, leaf{"public", "orders_1"}, other{"public", "other"};
  CaptureSet wanted;
  wanted.tables = {a, nokey, added, orders};
  wanted.identity_gaps = {{nokey, {"no primary key", nokey, {}}},
                          {added, {"REPLICA IDENTITY NOTHING", added, {}}},
                          {leaf, {"no primary key", leaf, {orders}}},
                          {orders, {"partition public.orders_1: no primary key", leaf, {}}},
                          {other, {"no primary key", other, {}}}};
  PublicationView view;
  view.exists = true;
  view.named = {a, added};

  // Managed: never added, dropped when there; nothing published fails.
  auto d = CompareToPublication(wanted, view, config::PartitionMode::kRoot, true);
  EXPECT_TRUE(d.missing.empty());
  EXPECT_EQ(d.drop_no_identity, (std::vector<TableName>{added}));
  EXPECT_EQ(d.left_out.size(), 3u);
  EXPECT_EQ(d.left_out.at(orders).fix, leaf);
  EXPECT_TRUE(d.writes_fail.empty());
  EXPECT_FALSE(d.empty());

  // An insert-only publication may hold them: they are wanted like any table.
  view.publishes_update_delete = false;
  d = CompareToPublication(wanted, view, config::PartitionMode::kRoot, true);
  EXPECT_EQ(d.missing, (std::vector<TableName>{nokey, orders}));
  EXPECT_TRUE(d.left_out.empty() && d.drop_no_identity.empty() && d.writes_fail.empty());
  view.publishes_update_delete = true;

  // An admin's publication is not changed: what it publishes without an identity fails.
  d = CompareToPublication(wanted, view, config::PartitionMode::kRoot, false);
  EXPECT_TRUE(d.left_out.empty() && d.drop_no_identity.empty());
  EXPECT_EQ(d.missing, (std::vector<TableName>{nokey, orders}));
  ASSERT_EQ(d.writes_fail.size(), 1u);
  EXPECT_EQ(d.writes_fail.begin()->first, added);

  // FOR ALL TABLES: every table without one, matched or not, a partition under its root.
  view.all_tables = true;
  d = CompareToPublication(wanted, view, config::PartitionMode::kRoot, true);
  EXPECT_TRUE(d.left_out.empty());
  std::vector<TableName> failing;
  for (const auto& [t, gap] : d.writes_fail) failing.push_back(t);
  EXPECT_EQ(failing, (std::vector<TableName>{added, nokey, orders, other}));
  EXPECT_TRUE(d.all_tables);
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

TEST(CaptureRules, TopicOverridesWinInFileOrder) {
  const CaptureRules rules(CaptureOptions{{},
                                          {},
                                          {},
                                          "shop",
                                          {{"\"My Schema\".\"Order Items\"", "shop.items_a"},
                                           {"public.*", "shop.everything"},
                                           {"public.orders", "shop.never"}}});
  EXPECT_EQ(rules.Topic("My Schema", "Order Items"), "shop.items_a");
  EXPECT_EQ(rules.Topic("public", "orders"), "shop.everything");
  EXPECT_EQ(rules.Topic("My_Schema", "Order_Items"), "shop.My_Schema.Order_Items");
}

TEST(CaptureRules, FindsTablesThatShareATopic) {
  CaptureRules plain(CaptureOptions{{}, {}, {}, "shop"});
  EXPECT_EQ(plain.FindCollision({{"public", "a"}, {"public", "b"}}), "");
  const std::string line = plain.FindCollision(
      {{"My Schema", "Order Items"}, {"public", "a"}, {"My_Schema", "Order_Items"}});
  EXPECT_NE(line.find("\"My Schema\".\"Order Items\" and \"My_Schema\".\"Order_Items\""),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("shop.My_Schema.Order_Items"), std::string::npos) << line;
  EXPECT_NE(line.find("topics:"), std::string::npos) << line;
  // An override that sends two tables to one topic collides too.
  CaptureRules merged(CaptureOptions{{}, {}, {}, "shop", {{"public.*", "shop.all"}}});
  EXPECT_NE(merged.FindCollision({{"public", "a"}, {"public", "b"}}), "");
}

TEST(CaptureRules, QuotedNameQuotesAsQuoteIdentDoes) {
  EXPECT_EQ(QuotedName("public", "orders_2"), "public.orders_2");
  EXPECT_EQ(QuotedName("s.dot", "Has \"Q\""), "\"s.dot\".\"Has \"\"Q\"\"\"");
  EXPECT_EQ(QuotedName("1st", "A"), "\"1st\".\"A\"");
}

}  // namespace
}  // namespace cdc::connector
