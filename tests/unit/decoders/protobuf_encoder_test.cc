// format protobuf: ProtobufEncoder's records against the registry fixture (a fake registrar):
// framing with the message indexes, ids, registration order and caching, tombstones, large
// values, registrar errors. The schema texts and datum bytes are in protobuf_test.cc.

#include "decoders/protobuf/protobuf_encoder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "decoders/base/base64.h"
#include "decoders/events/record_schemas.h"
#include "decoders/events/relation_cache.h"
#include "decoders/json/json_encoder.h"
#include "decoders/protobuf/proto_datum.h"
#include "decoders/protobuf/proto_schema.h"
#include "decoders/values/pg_type_oids.h"
#include "tests/unit/decoders/registry_encoder_fixture.h"

namespace cdc {
namespace {

using pgoutput::Tuple;
using pgoutput::TupleValue;
using pgoutput::ValueKind;

TupleValue T(std::string_view s) { return TupleValue{ValueKind::kText, s}; }
int64_t FixedClock() { return 1700000000123456; }

std::string Header(int32_t id) {
  std::string h;
  WriteFrameHeader(&h, id);
  h.push_back('\0');  // the message indexes [0]
  return h;
}

std::string Hex(std::string_view bytes) {
  std::string out;
  AppendHex(&out, bytes);
  return out;
}

class ProtobufEncoderTest : public RegistryEncoderTest {
 protected:
  ProtobufEncoderTest() : RegistryEncoderTest(RecordFormat::kProtobuf, SchemaType::kProtobuf) {}

  // The JSON format's payload of `r` (schemas off) written as a message of `connect`.
  std::string PayloadAsProtobuf(const ConnectSchema& connect, const ChangeRecord& r) {
    JsonEncoder json_enc(plain_, FixedClock);
    EncodedRecord plain;
    EXPECT_TRUE(json_enc.Encode(r, &plain).ok());
    auto f = ProtoFileOf(connect, "test");
    EXPECT_TRUE(f.ok());
    proto::ProtoDatumWriter w;
    JsonCursor in(*plain.value);
    std::string out;
    EXPECT_TRUE(w.WriteMessage(*(*f)->root, in, &out).ok());
    return out;
  }
};

TEST_F(ProtobufEncoderTest, FramesTheJsonPayloadAsProtobufWithTheRegisteredIds) {
  const TableSchema& t = Things();
  ProtobufEncoder enc(options_, reg_, FixedClock);
  Tuple row = {T("1"), T("12.34"), T("\\x0102ff")};
  std::string key;
  ASSERT_TRUE(enc.EncodeKeyPayload(t, row, nullptr, &key).ok());
  EXPECT_EQ(key, Header(1) + std::string("\x08\x01", 2));  // id = 1
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
  EXPECT_EQ(*out.value, Header(2) + PayloadAsProtobuf(EnvelopeSchemaOf(t), r));
  // after (2) holds price (2) as a Decimal: 1234 (04 d2), precision 4, scale 2.
  EXPECT_NE(Hex(*out.value).find("12080a0204d210041802"), std::string::npos) << Hex(*out.value);
  auto texts = enc.SchemaTextsFor(t);
  ASSERT_TRUE(texts.ok());
  EXPECT_EQ(texts->key, ProtoSchemaText(**ProtoFileOf(KeySchemaOf(t), "t")));
  EXPECT_EQ(reg_.texts.at(2), texts->value);

  // Same version: no registration; a delete's tombstone is Kafka-null under the framed key.
  ChangeRecord d(&t, 'd', &key);
  d.before.tuple = &row;
  ASSERT_TRUE(enc.Encode(d, &out).ok());
  ASSERT_TRUE(enc.EncodeTombstone(t, key, &out).ok());
  EXPECT_FALSE(out.value.has_value());
  EXPECT_EQ(*out.key, key);
  EXPECT_EQ(reg_.calls.size(), 2u);

  // A large value is handed to the sink to keep.
  const std::string big = "\\x" + std::string(2 * RecordEncoder::kLargeValueBytes, 'a');
  Tuple large = {T("2"), T("1.00"), T(big)};
  ASSERT_TRUE(enc.EncodeKeyPayload(t, large, nullptr, &key).ok());
  ChangeRecord l(&t, 'c', &key);
  l.after.tuple = &large;
  ASSERT_TRUE(enc.Encode(l, &out).ok());
  ASSERT_NE(out.value_owner, nullptr);
  EXPECT_EQ(out.value->data(), out.value_owner->data());
  EXPECT_GT(out.value->size(), RecordEncoder::kLargeValueBytes);
  EXPECT_EQ(out.value->substr(0, 6), Header(2));
}

TEST_F(ProtobufEncoderTest, FixedRecordsAndRegistrarErrors) {
  ProtobufEncoder enc(options_, reg_, FixedClock);
  EncodedRecord out;
  ASSERT_TRUE(enc.EncodeHeartbeat(&out).ok());
  ASSERT_TRUE(enc.EncodeHeartbeat(&out).ok());
  EXPECT_EQ(reg_.calls, (std::vector<std::string>{"__debezium-heartbeat.pg-key",
                                                  "__debezium-heartbeat.pg-value"}));
  EXPECT_EQ(*out.key, Header(1) + std::string("\x0a\x02pg", 4));  // serverName = "pg"
  EXPECT_EQ(reg_.texts.at(1), R"(syntax = "proto3";
package io.debezium.connector.common;

message ServerNameKey {
  string serverName = 1;
}
)");

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
