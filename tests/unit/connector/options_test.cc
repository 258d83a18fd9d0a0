// EventOptionsFrom: the format section's name adjustment modes reach the event options.

#include "connector/options.h"

#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "connector/run_id.h"

namespace cdc::connector {
namespace {

const char kBase[] = R"(
name: shop
source:
  dsn: "host=127.0.0.1 dbname=shop user=cdc"
sink:
  type: kafka
  kafka:
    bootstrap.servers: "127.0.0.1:9092"
)";

TEST(EventOptionsFrom, NameAdjustmentModes) {
  EventOptions o = EventOptionsFrom(config::LoadString(kBase), "v");
  EXPECT_EQ(o.schema_name_adjustment, NameAdjustment::kNone);
  EXPECT_EQ(o.field_name_adjustment, NameAdjustment::kNone);
  o = EventOptionsFrom(
      config::LoadString(std::string(kBase) + "format:\n  schema_name_adjustment: avro_unicode\n"
                                              "  field_name_adjustment: avro\n"),
      "v");
  EXPECT_EQ(o.schema_name_adjustment, NameAdjustment::kAvroUnicode);
  EXPECT_EQ(o.field_name_adjustment, NameAdjustment::kAvro);
}

// Debezium 3.6.1's DebeziumHeaderProducer: connectorLogicalName is topic.prefix (pgcdc's name),
// taskId "0" (the PostgreSQL connector's one task), connectorName "postgresql" (Module.name()),
// runId a fresh version-7 UUID per start. format.extended_headers: false writes none.
TEST(EventOptionsFrom, ContextHeaders) {
  EventOptions o = EventOptionsFrom(config::LoadString(kBase), "v");
  ASSERT_EQ(o.context_headers.size(), 4u);
  EXPECT_EQ(
      o.context_headers[0],
      std::make_pair(std::string("__debezium.context.connectorLogicalName"), std::string("shop")));
  EXPECT_EQ(o.context_headers[1],
            std::make_pair(std::string("__debezium.context.taskId"), std::string("0")));
  EXPECT_EQ(o.context_headers[2], std::make_pair(std::string("__debezium.context.connectorName"),
                                                 std::string("postgresql")));
  EXPECT_EQ(o.context_headers[3].first, "__debezium.context.runId");
  const std::string& id = o.context_headers[3].second;
  ASSERT_EQ(id.size(), 36u) << id;
  EXPECT_EQ(id[14], '7') << id;                                          // version 7
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;  // IETF variant
  EXPECT_NE(EventOptionsFrom(config::LoadString(kBase), "v").context_headers[3].second, id);

  o = EventOptionsFrom(
      config::LoadString(std::string(kBase) + "format:\n  extended_headers: false\n"), "v");
  EXPECT_TRUE(o.context_headers.empty());
}

// UUIDUtils.generateNewUUID's layout: 48 bits of milliseconds, version 7, 12 random bits, the
// variant, 62 random bits; Java's UUID.toString() spelling.
TEST(RunId, LayoutAsDebezium) {
  EXPECT_EQ(RunIdOf(0x019ada3b1234ULL, 0xfffffULL, ~0ULL), "019ada3b-1234-7fff-bfff-ffffffffffff");
  EXPECT_EQ(RunIdOf(1, 0, 0), "00000000-0001-7000-8000-000000000000");
}

}  // namespace
}  // namespace cdc::connector
