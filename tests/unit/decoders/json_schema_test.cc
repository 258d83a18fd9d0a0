// format json_schema: the schema text JsonSchemaConverter registers for Connect schemas (goldens
// derived by hand from JsonSchemaData's rules, everit's printer and Java's HashMap buckets), and
// JsonSchemaEncoder's records: framing, ids, the JSON format's payload, registration order and
// caching, tombstones, large values and registrar errors.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "decoders/events/record_schemas.h"
#include "decoders/events/relation_cache.h"
#include "decoders/json/json_schema_encoder.h"
#include "decoders/json/json_schema_text.h"
#include "decoders/values/pg_type_oids.h"
#include "tests/unit/decoders/registry_encoder_fixture.h"

namespace cdc {
namespace {

using nlohmann::json;
using pgoutput::Tuple;
using pgoutput::TupleValue;
using pgoutput::ValueKind;
using CT = ConnectType;

TupleValue T(std::string_view s) { return TupleValue{ValueKind::kText, s}; }
int64_t FixedClock() { return 1700000000123456; }

TEST(JsonSchemaText, KeyStructHasTypeTitleAndIndexedProperties) {
  ConnectSchema key = ConnectSchema::Named(CT::kStruct, false, "pg.public.t.Key", 0);
  key.Add("id", ConnectSchema::Of(CT::kInt32));
  EXPECT_EQ(JsonSchemaText(key),
            R"({"type":"object","title":"pg.public.t.Key","properties":{"id":)"
            R"({"type":"integer","connect.index":0,"connect.type":"int32"}}})");
}

TEST(JsonSchemaText, OptionalFieldsAreOneOfNullWithTheIndexOutside) {
  ConnectSchema s = ConnectSchema::Of(CT::kStruct);
  s.Add("flag", ConnectSchema::Of(CT::kBoolean, true));
  ConnectSchema snapshot = ConnectSchema::Named(CT::kString, true, "io.debezium.data.Enum");
  snapshot.parameters = {{"allowed", "true,last,false"}};
  snapshot.default_string = "false";
  s.Add("snapshot", snapshot);
  s.Add("n", ConnectSchema::Of(CT::kFloat64));
  const json j = json::parse(JsonSchemaText(s));
  // A boolean's "type" comes after the other keys in everit's printer; here it has none.
  EXPECT_EQ(j["properties"]["flag"].dump(),
            R"({"connect.index":0,"oneOf":[{"type":"null"},{"type":"boolean"}]})");
  EXPECT_NE(JsonSchemaText(s).find(R"("snapshot":{"connect.index":1,"oneOf":[{"type":"null"},)"
                                   R"({"type":"string","title":"io.debezium.data.Enum",)"
                                   R"("default":"false","connect.version":1,)"
                                   R"("connect.parameters":{"allowed":"true,last,false"}}]})"),
            std::string::npos);
  EXPECT_EQ(j["properties"]["n"].dump(),
            R"({"connect.index":2,"connect.type":"float64","type":"number"})");
}

TEST(JsonSchemaText, UnprocessedKeysFollowJavaHashMapBuckets) {
  // Decimal: connect.type, connect.version, connect.parameters and connect.index, inserted in
  // that order, iterate as index, version, type, parameters in everit's 8-slot copy.
  ConnectSchema dec =
      ConnectSchema::Named(CT::kBytes, false, "org.apache.kafka.connect.data.Decimal");
  dec.parameters = {{"scale", "2"}, {"connect.decimal.precision", "10"}};
  ConnectSchema s = ConnectSchema::Of(CT::kStruct);
  s.Add("price", dec);
  EXPECT_EQ(JsonSchemaText(s),
            R"({"type":"object","properties":{"price":{"type":"string",)"
            R"("title":"org.apache.kafka.connect.data.Decimal","connect.index":0,)"
            R"("connect.version":1,"connect.type":"bytes",)"
            R"("connect.parameters":{"scale":"2","connect.decimal.precision":"10"}}}})");
}

TEST(JsonSchemaText, PropertiesIterateByStringHashCodeOfUtf16) {
  // String.hashCode buckets in a 16-slot table: a 1, "é" (U+00E9) 9, z 10, ok 12.
  ConnectSchema s = ConnectSchema::Of(CT::kStruct);
  for (const char* name : {"z", "\xc3\xa9", "a", "ok"}) s.Add(name, ConnectSchema::Of(CT::kString));
  // nlohmann's json sorts object keys: read the order from the text.
  const std::string text = JsonSchemaText(s);
  EXPECT_EQ(json::parse(text)["properties"].size(), 4u);
  std::vector<size_t> at;
  for (const char* name : {"\"a\":", "\"\xc3\xa9\":", "\"z\":", "\"ok\":"})
    at.push_back(text.find(name));
  EXPECT_NE(at[0], std::string::npos);
  EXPECT_TRUE(std::is_sorted(at.begin(), at.end())) << text;
}

TEST(JsonSchemaText, MapsArraysAndOptionalStructs) {
  ConnectSchema map = ConnectSchema::Of(CT::kMap, true);
  map.keys = std::make_shared<ConnectSchema>(ConnectSchema::Of(CT::kString));
  map.values = std::make_shared<ConnectSchema>(ConnectSchema::Of(CT::kString, true));
  ConnectSchema arr = ConnectSchema::Of(CT::kArray, true);
  arr.items = std::make_shared<ConnectSchema>(ConnectSchema::Of(CT::kInt16, true));
  ConnectSchema inner = ConnectSchema::Named(CT::kStruct, true, "event.block", 0);
  inner.Add("id", ConnectSchema::Of(CT::kString));
  ConnectSchema s = ConnectSchema::Of(CT::kStruct);
  s.Add("h", map).Add("a", arr).Add("b", inner);
  const json j = json::parse(JsonSchemaText(s));
  EXPECT_EQ(j["properties"]["h"].dump(),
            R"({"connect.index":0,"oneOf":[{"type":"null"},{"additionalProperties":)"
            R"({"oneOf":[{"type":"null"},{"type":"string"}]},"connect.type":"map",)"
            R"("type":"object"}]})");  // nlohmann prints keys sorted
  EXPECT_NE(
      JsonSchemaText(s).find(R"("type":"object","connect.type":"map","additionalProperties")"),
      std::string::npos);
  EXPECT_NE(JsonSchemaText(s).find(R"({"type":"array","items":{"oneOf":[{"type":"null"},)"
                                   R"({"type":"integer","connect.type":"int16"}]}})"),
            std::string::npos);
  // An optional struct: the title is on the object inside the oneOf, the index outside.
  EXPECT_NE(JsonSchemaText(s).find(R"("b":{"connect.index":2,"oneOf":[{"type":"null"},)"
                                   R"({"type":"object","title":"event.block","properties":)"),
            std::string::npos);
}

std::string Header(int32_t id) {
  std::string h;
  WriteFrameHeader(&h, id);
  return h;
}

class JsonSchemaEncoderTest : public RegistryEncoderTest {
 protected:
  JsonSchemaEncoderTest() : RegistryEncoderTest(RecordFormat::kJsonSchema, SchemaType::kJson) {}
};

TEST_F(JsonSchemaEncoderTest, FramesTheJsonPayloadWithTheRegisteredIds) {
  const TableSchema& t = Things();
  JsonSchemaEncoder enc(options_, reg_, FixedClock);
  JsonEncoder json_enc(plain_, FixedClock);
  Tuple row = {T("1"), T("12.34"), T("\\x0102ff")};
  std::string key;
  ASSERT_TRUE(enc.EncodeKeyPayload(t, row, nullptr, &key).ok());
  EXPECT_EQ(key, Header(1) + R"({"id":1})");
  ChangeRecord r(&t, 'c', &key);
  r.after.tuple = &row;
  r.source.lsn = Lsn(23044400);
  r.source.ts_us = 1764100127887783;
  EncodedRecord out;
  ASSERT_TRUE(enc.Encode(r, &out).ok());
  EXPECT_EQ(reg_.calls,
            (std::vector<std::string>{"pg.public.things-key", "pg.public.things-value"}));
  EXPECT_EQ(out.topic, "pg.public.things");
  EXPECT_EQ(*out.key, key);
  const std::string value(*out.value);

  // The same record from the JSON format without schemas: the payload after the header.
  std::string plain_key;
  ASSERT_TRUE(json_enc.EncodeKeyPayload(t, row, nullptr, &plain_key).ok());
  ChangeRecord pr(&t, 'c', &plain_key);
  pr.after.tuple = &row;
  pr.source = r.source;
  EncodedRecord plain;
  ASSERT_TRUE(json_enc.Encode(pr, &plain).ok());
  EXPECT_EQ(value, Header(2) + std::string(*plain.value));
  const json v = json::parse(value.substr(5));
  EXPECT_EQ(v["after"]["price"], "BNI=");  // Connect Decimal bytes, base64, as JsonConverter
  EXPECT_EQ(v["after"]["data"], "AQL/");

  // Same version: no registration; a delete's tombstone is Kafka-null under the framed key.
  ChangeRecord d(&t, 'd', &key);
  d.before.tuple = &row;
  ASSERT_TRUE(enc.Encode(d, &out).ok());
  ASSERT_TRUE(enc.EncodeTombstone(t, key, &out).ok());
  EXPECT_FALSE(out.value.has_value());
  EXPECT_EQ(*out.key, key);
  EXPECT_EQ(reg_.calls.size(), 2u);
  // The schemas are registered as the texts JsonSchemaText prints for the Connect schemas.
  auto texts = enc.SchemaTextsFor(t);
  ASSERT_TRUE(texts.ok());
  EXPECT_EQ(texts->key, JsonSchemaText(KeySchemaOf(t)));
  EXPECT_EQ(reg_.ids.at(texts->value), 2);
}

TEST_F(JsonSchemaEncoderTest, LargeValuesAreFramedInPlace) {
  const TableSchema& t = Things();
  JsonSchemaEncoder enc(options_, reg_, FixedClock);
  const std::string big = "\\x" + std::string(2 * RecordEncoder::kLargeValueBytes, 'a');
  Tuple row = {T("1"), T("1.00"), T(big)};
  std::string key;
  ASSERT_TRUE(enc.EncodeKeyPayload(t, row, nullptr, &key).ok());
  ChangeRecord r(&t, 'c', &key);
  r.after.tuple = &row;
  EncodedRecord out;
  ASSERT_TRUE(enc.Encode(r, &out).ok());
  ASSERT_NE(out.value_owner, nullptr);
  EXPECT_EQ(out.value->data(), out.value_owner->data());
  EXPECT_EQ(out.value->substr(0, 5), Header(2));
  EXPECT_EQ(json::parse(out.value->substr(5))["after"]["id"], 1);
}

TEST_F(JsonSchemaEncoderTest, FixedRecordsAndRegistrarErrors) {
  JsonSchemaEncoder enc(options_, reg_, FixedClock);
  EncodedRecord out;
  ASSERT_TRUE(enc.EncodeHeartbeat(&out).ok());
  ASSERT_TRUE(enc.EncodeHeartbeat(&out).ok());
  EXPECT_EQ(reg_.calls, (std::vector<std::string>{"__debezium-heartbeat.pg-key",
                                                  "__debezium-heartbeat.pg-value"}));
  EXPECT_EQ(*out.key, Header(1) + R"({"serverName":"pg"})");
  EXPECT_EQ(json::parse(out.value->substr(5))["ts_ms"], FixedClock() / 1000);

  const TableSchema& t = Things();
  reg_.fail = Status::FailedPrecondition("subject pg.public.things-key: incompatible");
  Tuple row = {T("1"), T("1.00"), T("\\x00")};
  std::string key;
  Status s = enc.EncodeKeyPayload(t, row, nullptr, &key);
  EXPECT_EQ(s.message(), "subject pg.public.things-key: incompatible");
  reg_.fail = Status::Ok();
  EXPECT_TRUE(enc.EncodeKeyPayload(t, row, nullptr, &key).ok());
}

}  // namespace
}  // namespace cdc
