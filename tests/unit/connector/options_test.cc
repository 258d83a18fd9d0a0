// EventOptionsFrom: the format section's name adjustment modes reach the event options.

#include "connector/options.h"

#include <gtest/gtest.h>

#include "config/config_loader.h"

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

}  // namespace
}  // namespace cdc::connector
