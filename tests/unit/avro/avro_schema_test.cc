// The Avro schemas AvroSchemaOf makes of pgcdc's Connect schemas, checked against the text a real
// Schema Registry stores for Debezium + AvroConverter (avro-schema-registry.md §4), and parsed by
// avro-c, an independent implementation.

#include "decoders/avro/avro_schema.h"

#include <avro.h>
#include <gtest/gtest.h>

#include <string>

#include "decoders/events/record_schemas.h"
#include "decoders/events/relation_cache.h"
#include "decoders/events/source_type_rules.h"
#include "decoders/values/pg_type_oids.h"

namespace cdc {
namespace {

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// avro-schema-registry.md §4, joined onto one line as the registry stores it.
const char kReferenceKey[] =
    R"({"type":"record","name":"Key","namespace":"pg.public.orders","fields":[{"name":"id","type":"int"}],"connect.name":"pg.public.orders.Key"})";
const char kReferenceEnvelope[] =
    R"({"type":"record","name":"Envelope","namespace":"pg.public.orders","fields":[)"
    R"({"name":"before","type":["null",{"type":"record","name":"Value","fields":[)"
    R"({"name":"id","type":"int"},)"
    R"({"name":"amount","type":["null",{"type":"bytes","scale":2,"precision":10,"connect.version":1,)"
    R"("connect.parameters":{"scale":"2","connect.decimal.precision":"10"},)"
    R"("connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}],"default":null},)"
    R"({"name":"note","type":["null","string"],"default":null},)"
    R"({"name":"created","type":["null",{"type":"string","connect.version":1,"connect.name":"io.debezium.time.ZonedTimestamp"}],"default":null}],)"
    R"("connect.name":"pg.public.orders.Value"}],"default":null},)"
    R"({"name":"after","type":["null","Value"],"default":null},)"
    R"({"name":"source","type":{"type":"record","name":"Source","namespace":"io.debezium.connector.postgresql","fields":[)"
    R"({"name":"version","type":"string"},{"name":"connector","type":"string"},{"name":"name","type":"string"},)"
    R"({"name":"ts_ms","type":"long"},)"
    R"({"name":"snapshot","type":[{"type":"string","connect.version":1,"connect.parameters":{"allowed":"true,last,false,incremental"},)"
    R"("connect.default":"false","connect.name":"io.debezium.data.Enum"},"null"],"default":"false"},)"
    R"({"name":"db","type":"string"},{"name":"sequence","type":["null","string"],"default":null},)"
    R"({"name":"ts_us","type":["null","long"],"default":null},{"name":"ts_ns","type":["null","long"],"default":null},)"
    R"({"name":"schema","type":"string"},{"name":"table","type":"string"},)"
    R"({"name":"txId","type":["null","long"],"default":null},{"name":"lsn","type":["null","long"],"default":null},)"
    R"({"name":"xmin","type":["null","long"],"default":null}],"connect.name":"io.debezium.connector.postgresql.Source"}},)"
    R"({"name":"transaction","type":["null",{"type":"record","name":"block","namespace":"event","fields":[)"
    R"({"name":"id","type":"string"},{"name":"total_order","type":"long"},{"name":"data_collection_order","type":"long"}],)"
    R"("connect.version":1,"connect.name":"event.block"}],"default":null},)"
    R"({"name":"op","type":"string"},)"
    R"({"name":"ts_ms","type":["null","long"],"default":null},{"name":"ts_us","type":["null","long"],"default":null},)"
    R"({"name":"ts_ns","type":["null","long"],"default":null}],)"
    R"("connect.version":2,"connect.name":"pg.public.orders.Envelope"})";

class AvroSchemaTest : public ::testing::Test {
 protected:
  const TableSchema& Orders(const std::string& topic = "pg.public.orders",
                            const std::string& column = "note") {
    pgoutput::Relation rel;
    rel.oid = 16500;
    rel.nspname = "public";
    rel.relname = "orders";
    rel.columns = {{1, "id", pgtype::kInt4, -1},
                   {0, "amount", pgtype::kNumeric, ((10 << 16) | 2) + 4},
                   {0, column, pgtype::kText, -1},
                   {0, "created", pgtype::kTimestamptz, -1}};
    CatalogHints hints;
    hints.known = true;
    hints.primary_key = {"id"};
    hints.not_null = {"id"};
    hints.topic = topic;
    // The catalog reader names every column's type, built-in ones too.
    for (auto [oid, name] : {std::pair<uint32_t, const char*>{pgtype::kInt4, "int4"},
                             {pgtype::kNumeric, "numeric"},
                             {pgtype::kText, "text"},
                             {pgtype::kTimestamptz, "timestamptz"}}) {
      hints.types[oid].name = name;
    }
    auto t = cache_.Update(rel, hints, true);
    EXPECT_TRUE(t.ok()) << t.status().message();
    return **t;
  }

  static std::string Text(const ConnectSchema& s) {
    auto a = AvroSchemaOf(s, "test");
    EXPECT_TRUE(a.ok()) << a.status().message();
    return a.ok() ? AvroSchemaText(**a) : "";
  }

  EventOptions options_;
  RelationCache cache_{options_};
};

TEST_F(AvroSchemaTest, KeyMatchesTheRegisteredText) {
  EXPECT_EQ(Text(KeySchemaOf(Orders())), kReferenceKey);
}

// The registered envelope of §4, from Debezium 2.7's source block. pgcdc's source block is
// Debezium 3.5+'s: the snapshot enum allows more values and `origin`/`origin_lsn` follow `xmin`
// (debezium-format.md §1.6). And pgcdc's Connect Source struct declares version 1
// (events/record_schemas.cc, printed by the JSON format too), which the registered text's source
// has not: AvroData turns it into "connect.version":1. Those three edits, and nothing else,
// separate the texts.
TEST_F(AvroSchemaTest, EnvelopeMatchesTheRegisteredText) {
  std::string expected = Replace(
      kReferenceEnvelope, R"("allowed":"true,last,false,incremental")",
      R"("allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental")");
  expected = Replace(
      expected, R"({"name":"xmin","type":["null","long"],"default":null}])",
      R"({"name":"xmin","type":["null","long"],"default":null},{"name":"origin","type":["null","string"],"default":null},{"name":"origin_lsn","type":["null","long"],"default":null}])");
  expected =
      Replace(expected, R"(],"connect.name":"io.debezium.connector.postgresql.Source"})",
              R"(],"connect.version":1,"connect.name":"io.debezium.connector.postgresql.Source"})");
  const std::string text = Text(EnvelopeSchemaOf(Orders()));
  EXPECT_EQ(text, expected);

  avro_schema_t parsed = nullptr;
  ASSERT_EQ(avro_schema_from_json_length(text.data(), text.size(), &parsed), 0) << avro_strerror();
  EXPECT_STREQ(avro_schema_name(parsed), "Envelope");
  avro_schema_decref(parsed);
}

// column.propagate.source.type: AvroData carries a field's Connect parameters as
// "connect.parameters", after Decimal's own, on the Value record's fields only.
TEST_F(AvroSchemaTest, PropagatedSourceTypesAreConnectParameters) {
  auto rules = SourceTypeRules::Compile({"public\\.orders\\.(amount|note)"}, {});
  ASSERT_TRUE(rules.ok());
  options_.propagate_source_type = *rules;
  const TableSchema& t = Orders();
  EXPECT_EQ(Text(KeySchemaOf(t)), kReferenceKey);
  std::string expected = Replace(
      kReferenceEnvelope, R"("connect.parameters":{"scale":"2","connect.decimal.precision":"10"},)",
      R"("connect.parameters":{"scale":"2","connect.decimal.precision":"10",)"
      R"("__debezium.source.column.type":"NUMERIC","__debezium.source.column.length":"10",)"
      R"("__debezium.source.column.scale":"2","__debezium.source.column.name":"amount"},)");
  expected = Replace(
      expected, R"({"name":"note","type":["null","string"],"default":null})",
      R"({"name":"note","type":["null",{"type":"string","connect.parameters":{)"
      R"("__debezium.source.column.type":"TEXT","__debezium.source.column.length":"2147483647",)"
      R"("__debezium.source.column.scale":"0","__debezium.source.column.name":"note"}}],"default":null})");
  const std::string text = Text(EnvelopeSchemaOf(t));
  EXPECT_NE(text.find(expected.substr(0, expected.find("{\"name\":\"source\""))), std::string::npos)
      << text;
  avro_schema_t parsed = nullptr;
  ASSERT_EQ(avro_schema_from_json_length(text.data(), text.size(), &parsed), 0) << avro_strerror();
  avro_schema_decref(parsed);
}

TEST_F(AvroSchemaTest, FixedRecordsParse) {
  for (const ConnectSchema& s : {TransactionKeySchema(), TransactionValueSchema(),
                                 HeartbeatKeySchema(), HeartbeatValueSchema(), MessageKeySchema(),
                                 MessageValueSchema(true), MessageValueSchema(false)}) {
    const std::string text = Text(s);
    avro_schema_t parsed = nullptr;
    EXPECT_EQ(avro_schema_from_json_length(text.data(), text.size(), &parsed), 0)
        << avro_strerror() << "\n"
        << text;
    if (parsed != nullptr) avro_schema_decref(parsed);
  }
  EXPECT_EQ(
      Text(TransactionValueSchema()),
      R"({"type":"record","name":"TransactionMetadataValue","namespace":"io.debezium.connector.common","fields":[)"
      R"({"name":"status","type":"string"},{"name":"id","type":"string"},)"
      R"({"name":"event_count","type":["null","long"],"default":null},)"
      R"({"name":"data_collections","type":["null",{"type":"array","items":["null",{"type":"record","name":"collection","namespace":"event","fields":[)"
      R"({"name":"data_collection","type":"string"},{"name":"event_count","type":"long"}],"connect.version":1,"connect.name":"event.collection"}]}],"default":null},)"
      R"({"name":"ts_ms","type":"long"}],"connect.version":1,"connect.name":"io.debezium.connector.common.TransactionMetadataValue"})");
}

TEST_F(AvroSchemaTest, RequiredAndOptionalDefaults) {
  ConnectSchema s = ConnectSchema::Named(ConnectType::kStruct, false, "a.b.R", 0);
  ConnectSchema req = ConnectSchema::Of(ConnectType::kString);
  req.default_string = "x";
  ConnectSchema opt = ConnectSchema::Of(ConnectType::kString, true);
  opt.default_string = "y";
  ConnectSchema small = ConnectSchema::Of(ConnectType::kInt16);
  s.Add("req", req).Add("opt", opt).Add("small", small);
  EXPECT_EQ(
      Text(s),
      R"({"type":"record","name":"R","namespace":"a.b","fields":[)"
      R"({"name":"req","type":{"type":"string","connect.default":"x"},"default":"x"},)"
      R"({"name":"opt","type":[{"type":"string","connect.default":"y"},"null"],"default":"y"},)"
      R"({"name":"small","type":{"type":"int","connect.type":"int16"}}],"connect.name":"a.b.R"})");
}

TEST_F(AvroSchemaTest, InvalidNamesFailNamingTheNameAndTheWayOut) {
  // Java Avro checks only a full name's last segment: "pg.public.my-orders.Envelope" registers
  // there (stricter parsers reject it later), so pgcdc lets it through as AvroConverter does.
  EXPECT_TRUE(AvroSchemaOf(EnvelopeSchemaOf(Orders("pg.public.my-orders")), "table x").ok());
  // A field name is checked whole.
  auto bad_column = AvroSchemaOf(EnvelopeSchemaOf(Orders("pg.public.orders", "unit price")),
                                 "table public.orders");
  ASSERT_FALSE(bad_column.ok());
  EXPECT_NE(bad_column.status().message().find("'unit price'"), std::string::npos);
  EXPECT_NE(bad_column.status().message().find("public.orders"), std::string::npos);
  EXPECT_NE(bad_column.status().message().find("rename"), std::string::npos);
}

}  // namespace
}  // namespace cdc
