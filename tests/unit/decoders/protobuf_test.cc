// format protobuf: the schema text ProtobufConverter registers for Connect schemas and the bytes
// it writes, against goldens printed by Confluent's own ProtobufData (confluentinc/
// schema-registry's protobuf-converter, run on the same Connect schemas and values).
// ProtobufEncoder's records are in protobuf_encoder_test.cc.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "decoders/base/base64.h"
#include "decoders/events/record_schemas.h"
#include "decoders/protobuf/proto_datum.h"
#include "decoders/protobuf/proto_schema.h"
#include "decoders/values/json_cursor.h"

namespace cdc {
namespace {

using CT = ConnectType;

std::string Hex(std::string_view bytes) {
  std::string out;
  AppendHex(&out, bytes);
  return out;
}

ConnectSchema Decimal(int scale, int precision) {
  ConnectSchema d = ConnectSchema::Named(CT::kBytes, true, "org.apache.kafka.connect.data.Decimal");
  d.parameters = {{"scale", std::to_string(scale)}};
  if (precision > 0)
    d.parameters.emplace_back("connect.decimal.precision", std::to_string(precision));
  return d;
}

std::string TextOf(const ConnectSchema& s) {
  auto f = ProtoFileOf(s, "test");
  EXPECT_TRUE(f.ok()) << f.status().message();
  return f.ok() ? ProtoSchemaText(**f) : "";
}

std::string BytesOf(const ConnectSchema& s, std::string_view json) {
  auto f = ProtoFileOf(s, "test");
  EXPECT_TRUE(f.ok()) << f.status().message();
  proto::ProtoDatumWriter w;
  JsonCursor in(json);
  std::string out;
  Status st = w.WriteMessage(*(*f)->root, in, &out);
  EXPECT_TRUE(st.ok()) << st.message();
  return Hex(out);
}

// ProtobufData's output for this schema and value, printed by the converter itself.
TEST(ProtoSchemaText, ScalarsInt16AndDecimalAsConfluentPrintsThem) {
  ConnectSchema v = ConnectSchema::Named(CT::kStruct, false, "srv.public.t.Value", 0);
  v.Add("id", ConnectSchema::Of(CT::kInt32));
  v.Add("name", ConnectSchema::Of(CT::kString, true));
  v.Add("n", ConnectSchema::Of(CT::kInt16, true));
  ConnectSchema ts = ConnectSchema::Named(CT::kInt64, true, "io.debezium.time.MicroTimestamp");
  ts.doc = "a doc";
  ts.parameters = {{"__debezium.source.column.type", "TIMESTAMP"}};
  v.Add("ts", ts);
  v.Add("amount", Decimal(2, 10));
  EXPECT_EQ(TextOf(v), R"(syntax = "proto3";
package srv.public.t;

import "confluent/type/decimal.proto";

message Value {
  int32 id = 1;
  string name = 2;
  int32 n = 3 [(confluent.field_meta) = {
    params: [
      {
        key: "connect.type",
        value: "int16"
      }
    ]
  }];
  int64 ts = 4;
  confluent.type.Decimal amount = 5 [(confluent.field_meta) = {
    params: [
      {
        value: "10",
        key: "precision"
      },
      {
        value: "2",
        key: "scale"
      }
    ]
  }];
}
)");
  // 123.45: the Decimal's precision is the value's own (5), not the schema's (10).
  EXPECT_EQ(BytesOf(v, R"({"id":1,"name":null,"n":5,"ts":1700000000000000,"amount":"MDk="})"),
            "08011805208080f9c0c1c482032a080a02303910051802");
}

ConnectSchema EnvelopeLike() {
  ConnectSchema vsd =
      ConnectSchema::Named(CT::kStruct, true, "io.debezium.data.VariableScaleDecimal");
  vsd.doc = "Variable scaled decimal";
  vsd.Add("scale", ConnectSchema::Of(CT::kInt32));
  vsd.Add("value", ConnectSchema::Of(CT::kBytes));
  ConnectSchema row = ConnectSchema::Named(CT::kStruct, true, "srv.public.t.Value", 0);
  row.Add("id", ConnectSchema::Of(CT::kInt32));
  row.Add("b", ConnectSchema::Of(CT::kInt8, true));
  row.Add("f", ConnectSchema::Of(CT::kFloat32, true));
  row.Add("d", ConnectSchema::Of(CT::kFloat64, true));
  row.Add("flag", ConnectSchema::Of(CT::kBoolean, true));
  row.Add("raw", ConnectSchema::Of(CT::kBytes, true));
  row.Add("vsd", vsd);
  row.Add("dt", ConnectSchema::Named(CT::kInt32, true, "org.apache.kafka.connect.data.Date"));
  row.Add("tm", ConnectSchema::Named(CT::kInt32, true, "org.apache.kafka.connect.data.Time"));
  row.Add("tsx", ConnectSchema::Named(CT::kInt64, true, "org.apache.kafka.connect.data.Timestamp"));
  ConnectSchema arr = ConnectSchema::Of(CT::kArray, true);
  arr.items = std::make_shared<ConnectSchema>(ConnectSchema::Of(CT::kInt32));
  row.Add("arr", arr);
  ConnectSchema tags = ConnectSchema::Of(CT::kArray, true);
  tags.items = std::make_shared<ConnectSchema>(ConnectSchema::Of(CT::kString));
  row.Add("tags", tags);
  ConnectSchema m = ConnectSchema::Of(CT::kMap, true);
  m.keys = std::make_shared<ConnectSchema>(ConnectSchema::Of(CT::kString));
  m.values = std::make_shared<ConnectSchema>(ConnectSchema::Of(CT::kInt64));
  row.Add("m", m);
  row.Add("withdef", ConnectSchema::Of(CT::kInt32, true));
  ConnectSchema source =
      ConnectSchema::Named(CT::kStruct, false, "io.debezium.connector.postgresql.Source", 0);
  source.Add("version", ConnectSchema::Of(CT::kString));
  source.Add("connector", ConnectSchema::Of(CT::kString));
  source.Add("ts_ms", ConnectSchema::Of(CT::kInt64));
  ConnectSchema snapshot = ConnectSchema::Named(CT::kString, true, "io.debezium.data.Enum");
  snapshot.parameters = {{"allowed", "true,last,false,incremental"}};
  snapshot.default_string = "false";
  source.Add("snapshot", snapshot);
  source.Add("db", ConnectSchema::Of(CT::kString));
  source.Add("lsn", ConnectSchema::Of(CT::kInt64, true));
  ConnectSchema block = ConnectSchema::Named(CT::kStruct, true, "event.block", 0);
  block.Add("id", ConnectSchema::Of(CT::kString));
  block.Add("total_order", ConnectSchema::Of(CT::kInt64));
  block.Add("data_collection_order", ConnectSchema::Of(CT::kInt64));
  ConnectSchema env = ConnectSchema::Named(CT::kStruct, false, "srv.public.t.Envelope", 2);
  env.Add("before", row);
  env.Add("after", row);
  env.Add("source", source);
  env.Add("op", ConnectSchema::Of(CT::kString));
  env.Add("ts_ms", ConnectSchema::Of(CT::kInt64, true));
  env.Add("transaction", block);
  return env;
}

TEST(ProtoSchemaText, NestedMessagesMapsAndWellKnownTypesAsConfluentPrintsThem) {
  // Note the blank line inside the nested Value: two spaces, as wire's printer indents it.
  EXPECT_EQ(TextOf(EnvelopeLike()), R"(syntax = "proto3";
package srv.public.t;

import "google/type/date.proto";
import "google/type/timeofday.proto";
import "google/protobuf/timestamp.proto";

message Envelope {
  Value before = 1;
  Value after = 2;
  Source source = 3;
  string op = 4;
  int64 ts_ms = 5;
  block transaction = 6;

  message Value {
    int32 id = 1;
    int32 b = 2 [(confluent.field_meta) = {
      params: [
        {
          key: "connect.type",
          value: "int8"
        }
      ]
    }];
    float f = 3;
    double d = 4;
    bool flag = 5;
    bytes raw = 6;
    VariableScaleDecimal vsd = 7;
    google.type.Date dt = 8;
    google.type.TimeOfDay tm = 9;
    google.protobuf.Timestamp tsx = 10;
    repeated int32 arr = 11;
    repeated string tags = 12;
    repeated ConnectDefault1Entry m = 13;
    int32 withdef = 14;
  
    message VariableScaleDecimal {
      int32 scale = 1;
      bytes value = 2;
    }
    message ConnectDefault1Entry {
      string key = 1;
      int64 value = 2;
    }
  }
  message Source {
    string version = 1;
    string connector = 2;
    int64 ts_ms = 3;
    string snapshot = 4;
    string db = 5;
    int64 lsn = 6;
  }
  message block {
    string id = 1;
    int64 total_order = 2;
    int64 data_collection_order = 3;
  }
}
)");
}

TEST(ProtoDatum, EnvelopeBytesAsConfluentWritesThem) {
  // Zero values (d 0.0, flag false) and nulls are not written; the packed int32 list, the map's
  // entry messages and the well-known types as ProtobufData builds them.
  EXPECT_EQ(BytesOf(EnvelopeLike(),
                    R"({"before":null,"after":{"id":3,"b":-1,"f":1.5,"d":0.0,"flag":false,)"
                    R"("raw":"AQI=","vsd":{"scale":2,"value":"MDk="},"dt":2,"tm":3723004,)"
                    R"("tsx":1500,"arr":[1,2,300],"tags":["a","b"],"m":{"x":1,"y":-1},)"
                    R"("withdef":7},"source":{"version":"2.5","connector":"postgresql",)"
                    R"("ts_ms":1,"snapshot":"false","db":"d","lsn":null},"op":"c","ts_ms":5,)"
                    R"("transaction":null})"),
            "1263080310ffffffffffffffffff011d0000c03f320201023a06080212023039420708b20f100118034a"
            "0b080110021803208092f401520808011080cab5ee015a040102ac026201616201626a050a0178100"
            "16a0e0a017910ffffffffffffffffff0170071a1d0a03322e35120a706f737467726573716c18012205"
            "66616c73652a01642201632805");
}

TEST(ProtoSchemaText, UnnamedStructsAndMapsTakeConnectDefaultNames) {
  ConnectSchema inner = ConnectSchema::Of(CT::kStruct);
  inner.Add("y", ConnectSchema::Of(CT::kString));
  ConnectSchema mm = ConnectSchema::Of(CT::kMap);
  mm.keys = std::make_shared<ConnectSchema>(ConnectSchema::Of(CT::kString));
  mm.values = std::make_shared<ConnectSchema>(ConnectSchema::Of(CT::kString));
  ConnectSchema root = ConnectSchema::Of(CT::kStruct);
  root.Add("x", inner);
  root.Add("mm", mm);
  EXPECT_EQ(TextOf(root), R"(syntax = "proto3";

message ConnectDefault1 {
  ConnectDefault2 x = 1;
  repeated ConnectDefault3Entry mm = 2;

  message ConnectDefault2 {
    string y = 1;
  }
  message ConnectDefault3Entry {
    string key = 1;
    string value = 2;
  }
}
)");
}

TEST(ProtoDatum, DecimalPrecisionTimesAndRefusals) {
  ConnectSchema s = ConnectSchema::Named(CT::kStruct, false, "a.B", 0);
  s.Add("z", Decimal(0, 0));
  s.Add("neg", Decimal(3, 0));
  s.Add("big", Decimal(0, 0));
  s.Add("ts", ConnectSchema::Named(CT::kInt64, true, "org.apache.kafka.connect.data.Timestamp"));
  s.Add("day", ConnectSchema::Named(CT::kInt32, true, "org.apache.kafka.connect.data.Date"));
  ConnectSchema ints = ConnectSchema::Of(CT::kArray, true);
  ints.items = std::make_shared<ConnectSchema>(ConnectSchema::Of(CT::kInt32, true));
  s.Add("ints", ints);
  // 0 is the byte 00 with precision 1 and no scale; -1 (ff) at scale 3 is -0.001, precision 1;
  // 2^64 (01 00..00, 9 bytes) has 20 digits. -1500 ms is -2 s + 500,000,000 ns. Day -1 is
  // 1969-12-31. An empty list is not written. (Confluent's ProtobufData wrote these bytes.)
  const std::string big_b64 = "AQAAAAAAAAAA";
  EXPECT_EQ(BytesOf(s, R"({"z":"AA==","neg":"/w==","big":")" + big_b64 +
                           R"(","ts":-1500,"day":-1,"ints":[]})"),
            "0a050a0100100112070a01ff100118031a0d0a09010000000000000000101422"
            "1108feffffffffffffffff011080cab5ee012a0708b10f100c181f");
  // A NULL element cannot be a repeated field's element: an error naming the field.
  auto f = ProtoFileOf(s, "test");
  ASSERT_TRUE(f.ok());
  proto::ProtoDatumWriter w;
  JsonCursor in(R"({"ints":[1,null]})");
  std::string out;
  Status st = w.WriteMessage(*(*f)->root, in, &out);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("null array element"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("B.ints"), std::string::npos) << st.message();
  // Arrays of arrays are refused when the schema is built.
  ConnectSchema grid = ConnectSchema::Of(CT::kArray, true);
  grid.items = std::make_shared<ConnectSchema>(ints);
  ConnectSchema g = ConnectSchema::Named(CT::kStruct, false, "a.G", 0);
  g.Add("grid", grid);
  EXPECT_FALSE(ProtoFileOf(g, "table public.g").ok());
}

// An int64 as Java's BigInteger.toByteArray writes it (a Connect Decimal's unscaled bytes): the
// shortest big-endian two's complement.
std::string MinimalTwos(int64_t v) {
  std::string b(8, '\0');
  for (int i = 7; i >= 0; --i) {
    b[static_cast<size_t>(i)] = static_cast<char>(static_cast<uint64_t>(v) >> (8 * (7 - i)));
  }
  while (b.size() > 1 &&
         ((b[0] == 0 && (b[1] & 0x80) == 0) || (b[0] == '\xff' && (b[1] & 0x80) != 0))) {
    b.erase(0, 1);
  }
  return b;
}

TEST(ProtoDatum, DecimalDigitsOfShortValuesAgreeWithTheLongDivision) {
  // Values of up to 8 bytes take a path without allocation; the same value with a redundant
  // sign byte in front (9 bytes) takes the long division. Both must count the magnitude's digits.
  std::vector<int64_t> values = {0,   1,   -1,   127,       128,       -128,         -129,
                                 255, 256, -256, INT64_MAX, INT64_MIN, INT64_MIN + 1};
  std::vector<int64_t> powers = {1};  // 10^0 .. 10^18
  while (powers.back() <= INT64_MAX / 10) powers.push_back(powers.back() * 10);
  for (int64_t p : powers) {
    for (int64_t v : {p - 1, p, p + 1}) {
      values.push_back(v);
      values.push_back(-v);
    }
  }
  std::mt19937_64 rng(17);
  for (int i = 0; i < 2000; ++i) {
    values.push_back(static_cast<int64_t>(rng() >> (rng() % 64)));
  }
  for (int64_t v : values) {
    const uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    const auto want = static_cast<uint32_t>(std::to_string(mag).size());
    const std::string twos = MinimalTwos(v);
    EXPECT_EQ(proto::DecimalDigits(twos), want) << v;
    EXPECT_EQ(proto::DecimalDigits(std::string(1, v < 0 ? '\xff' : '\0') + twos), want) << v;
  }
  // 2^64 (9 bytes) has 20 digits; -2^64 too; the empty value is zero.
  EXPECT_EQ(proto::DecimalDigits(std::string("\x01\0\0\0\0\0\0\0\0", 9)), 20u);
  EXPECT_EQ(proto::DecimalDigits(std::string("\xff\0\0\0\0\0\0\0\0", 9)), 20u);
  EXPECT_EQ(proto::DecimalDigits(""), 1u);
}

TEST(ProtoSchemaText, OptionalForNullablesKeepsNullApartFromZero) {
  // ProtobufConverter with optional.for.nullables=true printed and wrote these.
  ConnectSchema inner = ConnectSchema::Named(CT::kStruct, true, "x.Inner", 0);
  inner.Add("q", ConnectSchema::Of(CT::kInt32));
  ConnectSchema s = ConnectSchema::Named(CT::kStruct, false, "a.B", 0);
  s.Add("id", ConnectSchema::Of(CT::kInt32));
  s.Add("n", ConnectSchema::Of(CT::kInt32, true));
  s.Add("s", ConnectSchema::Of(CT::kString, true));
  s.Add("i2", ConnectSchema::Of(CT::kInt16, true));
  s.Add("z", Decimal(0, 0));
  s.Add("in", inner);
  ConnectSchema arr = ConnectSchema::Of(CT::kArray, true);
  arr.items = std::make_shared<ConnectSchema>(ConnectSchema::Of(CT::kInt32));
  s.Add("arr", arr);
  ConnectSchema m = ConnectSchema::Of(CT::kMap, true);
  m.keys = std::make_shared<ConnectSchema>(ConnectSchema::Of(CT::kString));
  m.values = std::make_shared<ConnectSchema>(ConnectSchema::Of(CT::kString, true));
  s.Add("m", m);
  auto f = ProtoFileOf(s, "test", ProtoOptions{true});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(ProtoSchemaText(**f), R"(syntax = "proto3";
package a;

import "confluent/type/decimal.proto";

message B {
  int32 id = 1;
  optional int32 n = 2;
  optional string s = 3;
  optional int32 i2 = 4 [(confluent.field_meta) = {
    params: [
      {
        key: "connect.type",
        value: "int16"
      }
    ]
  }];
  optional confluent.type.Decimal z = 5 [(confluent.field_meta) = {
    params: [
      {
        value: "0",
        key: "scale"
      }
    ]
  }];
  optional Inner in = 6;
  repeated int32 arr = 7;
  repeated ConnectDefault1Entry m = 8;

  message Inner {
    int32 q = 1;
  }
  message ConnectDefault1Entry {
    string key = 1;
    string value = 2;
  }
}
)");
  // The optional zeros are written, the required one is not; NULLs are absent.
  proto::ProtoDatumWriter w;
  JsonCursor in(R"({"id":0,"n":0,"s":"","i2":0,"z":null,"in":null,"arr":[0],)"
                R"("m":{"k":null,"e":""}})");
  std::string out;
  ASSERT_TRUE(w.WriteMessage(*(*f)->root, in, &out).ok());
  EXPECT_EQ(Hex(out), "10001a0020003a010042030a016b42030a0165");
  JsonCursor nulls(R"({"id":0,"n":null,"s":null,"i2":null,"z":null,"in":null,"arr":null,)"
                   R"("m":null})");
  out.clear();
  ASSERT_TRUE(w.WriteMessage(*(*f)->root, nulls, &out).ok());
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace cdc
