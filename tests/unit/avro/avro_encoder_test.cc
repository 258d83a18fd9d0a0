// AvroEncoder's records decoded by avro-c (an independent Avro implementation) with the schema
// text it registered: framing, ids, every field's value, the registration order and caching,
// registrar errors and invalid names.

#include "decoders/avro/avro_encoder.h"

#include <avro.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/avro/avro_encoder_fixture.h"

namespace cdc::avro_test {
namespace {

TEST_F(AvroEncoderTest, InsertDecodesFieldByField) {
  const TableSchema& t = Things();
  AvroEncoder enc(options_, reg_, FixedClock);
  Tuple row = Row("1");
  std::string key;
  ASSERT_TRUE(enc.EncodeKeyPayload(t, row, nullptr, &key).ok());
  ChangeRecord r(&t, 'c', &key);
  r.after.tuple = &row;
  r.source = Source();
  EncodedRecord out;
  Status s = enc.Encode(r, &out);
  ASSERT_TRUE(s.ok()) << s.message();

  // Key before value, one registration each.
  EXPECT_EQ(reg_.calls,
            (std::vector<std::string>{"pg.public.things-key", "pg.public.things-value"}));
  EXPECT_EQ(out.topic, "pg.public.things");
  ASSERT_TRUE(out.key.has_value());
  EXPECT_EQ(*out.key, key);
  EXPECT_EQ(key, std::string("\0\0\0\0\1\2", 6));  // magic, id 1, zig-zag 1

  Decoded k(*out.key, reg_);
  ASSERT_TRUE(k.ok);
  EXPECT_EQ(k.id, 1);
  EXPECT_EQ(Long(At(k.value, "id")), 1);

  ASSERT_TRUE(out.value.has_value());
  Decoded v(*out.value, reg_);
  ASSERT_TRUE(v.ok);
  EXPECT_EQ(v.id, 2);
  EXPECT_TRUE(IsNull(At(v.value, "before")));
  EXPECT_EQ(Long(At(v.value, "after.id")), 1);
  EXPECT_EQ(Long(At(v.value, "after.small")), 7);
  EXPECT_EQ(Long(At(v.value, "after.big")), 9000000000);
  EXPECT_EQ(Bytes(At(v.value, "after.price")), std::string("\x04\xd2", 2));  // 1234, scale 2
  EXPECT_EQ(Long(At(v.value, "after.vnum.scale")), 5);
  EXPECT_EQ(Bytes(At(v.value, "after.vnum.value")), std::string("\x04\xcb\x2f", 3));  // 314159
  EXPECT_EQ(Str(At(v.value, "after.note")), "first \"order\"");
  EXPECT_EQ(Bytes(At(v.value, "after.data")), std::string("\x01\x02\xff", 3));
  EXPECT_EQ(Long(At(v.value, "after.ts")), 1764100127887783);
  EXPECT_EQ(Str(At(v.value, "after.tstz")), "2025-11-25T19:48:47.887783Z");
  EXPECT_EQ(Long(At(v.value, "after.d")), 20417);
  EXPECT_EQ(Long(At(v.value, "after.t")), 49500500000);
  EXPECT_EQ(Str(At(v.value, "after.u")), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(Str(At(v.value, "after.j")), R"({"a": 1})");
  avro_value_t tags = At(v.value, "after.tags");
  size_t n = 0;
  avro_value_get_size(&tags, &n);
  ASSERT_EQ(n, 3u);
  avro_value_t e;
  avro_value_get_by_index(&tags, 0, &e, nullptr);
  EXPECT_EQ(Str(Unwrap(e)), "a");
  avro_value_get_by_index(&tags, 1, &e, nullptr);
  EXPECT_TRUE(IsNull(Unwrap(e)));
  avro_value_get_by_index(&tags, 2, &e, nullptr);
  EXPECT_EQ(Str(Unwrap(e)), "b c");
  EXPECT_DOUBLE_EQ(Double(At(v.value, "after.f")), 1.5);
  EXPECT_TRUE(Bool(At(v.value, "after.ok")));

  EXPECT_EQ(Str(At(v.value, "source.version")), "test");
  EXPECT_EQ(Str(At(v.value, "source.connector")), "postgresql");
  EXPECT_EQ(Str(At(v.value, "source.name")), "pg");
  EXPECT_EQ(Long(At(v.value, "source.ts_ms")), 1764100127887);
  EXPECT_EQ(Str(At(v.value, "source.snapshot")), "false");
  EXPECT_EQ(Str(At(v.value, "source.db")), "appdb");
  EXPECT_EQ(Str(At(v.value, "source.sequence")), R"(["23044000","23044400"])");
  EXPECT_EQ(Long(At(v.value, "source.ts_us")), 1764100127887783);
  EXPECT_EQ(Long(At(v.value, "source.ts_ns")), 1764100127887783000);
  EXPECT_EQ(Str(At(v.value, "source.schema")), "public");
  EXPECT_EQ(Str(At(v.value, "source.table")), "things");
  EXPECT_EQ(Long(At(v.value, "source.txId")), 492);
  EXPECT_EQ(Long(At(v.value, "source.lsn")), 23044400);
  EXPECT_TRUE(IsNull(At(v.value, "source.xmin")));
  EXPECT_TRUE(IsNull(At(v.value, "source.origin")));
  EXPECT_TRUE(IsNull(At(v.value, "transaction")));
  EXPECT_EQ(Str(At(v.value, "op")), "c");
  EXPECT_EQ(Long(At(v.value, "ts_ms")), FixedClock() / 1000);
  EXPECT_EQ(Long(At(v.value, "ts_us")), FixedClock());
  EXPECT_EQ(Long(At(v.value, "ts_ns")), FixedClock() * 1000);
}

TEST_F(AvroEncoderTest, UpdateWithNullsDeleteTombstoneAndOneRegistrationPerVersion) {
  const TableSchema& t = Things();
  AvroEncoder enc(options_, reg_, FixedClock);
  Tuple before = Row("2");
  Tuple after = Row("2");
  for (size_t i = 2; i < after.size(); ++i) after[i] = N();  // every nullable column NULL
  std::string key;
  ASSERT_TRUE(enc.EncodeKeyPayload(t, after, nullptr, &key).ok());
  TxnBlock block{"492:23044400", 3, 2};
  ChangeRecord u(&t, 'u', &key);
  u.before.tuple = &before;
  u.after.tuple = &after;
  u.source = Source();
  u.block = &block;
  EncodedRecord out;
  ASSERT_TRUE(enc.Encode(u, &out).ok());
  {
    Decoded v(*out.value, reg_);
    ASSERT_TRUE(v.ok);
    EXPECT_EQ(Str(At(v.value, "before.note")), "first \"order\"");
    EXPECT_EQ(Long(At(v.value, "after.small")), 7);
    for (const char* c : {"big", "price", "vnum", "note", "data", "ts", "tstz", "d", "t", "u", "j",
                          "tags", "f", "ok"}) {
      EXPECT_TRUE(IsNull(At(v.value, std::string("after.") + c))) << c;
    }
    EXPECT_EQ(Str(At(v.value, "transaction.id")), "492:23044400");
    EXPECT_EQ(Long(At(v.value, "transaction.total_order")), 3);
    EXPECT_EQ(Long(At(v.value, "transaction.data_collection_order")), 2);
    EXPECT_EQ(Str(At(v.value, "op")), "u");
  }

  ChangeRecord d(&t, 'd', &key);
  d.before.tuple = &before;
  d.source = Source();
  ASSERT_TRUE(enc.Encode(d, &out).ok());
  {
    Decoded v(*out.value, reg_);
    ASSERT_TRUE(v.ok);
    EXPECT_TRUE(IsNull(At(v.value, "after")));
    EXPECT_EQ(Long(At(v.value, "before.id")), 2);
    EXPECT_EQ(Str(At(v.value, "op")), "d");
  }

  ASSERT_TRUE(enc.EncodeTombstone(t, key, &out).ok());
  EXPECT_FALSE(out.value.has_value());
  ASSERT_TRUE(out.key.has_value());
  EXPECT_EQ(*out.key, key);

  // Steady state: no more registrations. A new relation version registers again, key first.
  EXPECT_EQ(reg_.calls.size(), 2u);
  const TableSchema& t2 = Things();
  ASSERT_TRUE(enc.EncodeKeyPayload(t2, after, nullptr, &key).ok());
  EXPECT_EQ(reg_.calls,
            (std::vector<std::string>{"pg.public.things-key", "pg.public.things-value",
                                      "pg.public.things-key", "pg.public.things-value"}));
}

TEST_F(AvroEncoderTest, DecimalAndBinaryModesFollowTheConverterOptions) {
  options_.converter.decimal = DecimalHandling::kString;
  options_.converter.binary = BinaryHandling::kHex;
  const TableSchema& t = Things();
  AvroEncoder enc(options_, reg_, FixedClock);
  Tuple row = Row("3");
  std::string key;
  ASSERT_TRUE(enc.EncodeKeyPayload(t, row, nullptr, &key).ok());
  ChangeRecord r(&t, 'r', &key);
  r.after.tuple = &row;
  r.source = Source();
  r.source.snapshot = "true";
  EncodedRecord out;
  ASSERT_TRUE(enc.Encode(r, &out).ok());
  Decoded v(*out.value, reg_);
  ASSERT_TRUE(v.ok);
  EXPECT_EQ(Str(At(v.value, "after.price")), "12.34");
  EXPECT_EQ(Str(At(v.value, "after.vnum")), "3.14159");
  EXPECT_EQ(Str(At(v.value, "after.data")), "0102ff");
  EXPECT_EQ(Str(At(v.value, "source.snapshot")), "true");

  options_.converter.decimal = DecimalHandling::kDouble;
  FakeRegistrar reg2{SchemaType::kAvro};
  RelationCache cache2{options_};
  AvroEncoder enc2(options_, reg2, FixedClock);
  pgoutput::Relation rel = t.relation;
  CatalogHints hints;
  hints.known = true;
  hints.primary_key = {"id"};
  hints.topic = "pg.public.things";
  auto t2 = cache2.Update(rel, hints, true);
  ASSERT_TRUE(t2.ok());
  ASSERT_TRUE(enc2.EncodeKeyPayload(**t2, row, nullptr, &key).ok());
  ChangeRecord r2(*t2, 'c', &key);
  r2.after.tuple = &row;
  ASSERT_TRUE(enc2.Encode(r2, &out).ok());
  Decoded v2(*out.value, reg2);
  ASSERT_TRUE(v2.ok);
  EXPECT_DOUBLE_EQ(Double(At(v2.value, "after.price")), 12.34);
  EXPECT_DOUBLE_EQ(Double(At(v2.value, "after.vnum")), 3.14159);
}

TEST_F(AvroEncoderTest, TransactionMessageAndHeartbeatRecords) {
  AvroEncoder enc(options_, reg_, FixedClock);
  TxnContext txn;
  txn.xid = Xid{492};
  txn.commit_ts = UnixMicrosToPgTimestamp(1764100127887783);
  txn.id = "492:23044400";
  txn.total_order = 3;
  txn.collections = {{"public.things", 2}, {"public.other", 1}};
  EncodedRecord out;
  ASSERT_TRUE(enc.Encode(TransactionRecord{&txn, false}, &out).ok());
  {
    Decoded k(*out.key, reg_);
    Decoded v(*out.value, reg_);
    ASSERT_TRUE(k.ok && v.ok);
    EXPECT_EQ(Str(At(k.value, "id")), "492:23044400");
    EXPECT_EQ(Str(At(v.value, "status")), "BEGIN");
    EXPECT_TRUE(IsNull(At(v.value, "event_count")));
    EXPECT_TRUE(IsNull(At(v.value, "data_collections")));
    EXPECT_EQ(Long(At(v.value, "ts_ms")), 1764100127887);
  }
  ASSERT_TRUE(enc.Encode(TransactionRecord{&txn, true}, &out).ok());
  {
    Decoded v(*out.value, reg_);
    ASSERT_TRUE(v.ok);
    EXPECT_EQ(Str(At(v.value, "status")), "END");
    EXPECT_EQ(Long(At(v.value, "event_count")), 3);
    avro_value_t cols = At(v.value, "data_collections");
    size_t n = 0;
    avro_value_get_size(&cols, &n);
    ASSERT_EQ(n, 2u);
    avro_value_t e;
    avro_value_get_by_index(&cols, 1, &e, nullptr);
    EXPECT_EQ(Str(At(e, "data_collection")), "public.other");
    EXPECT_EQ(Long(At(e, "event_count")), 1);
  }
  EXPECT_EQ(reg_.calls, (std::vector<std::string>{"pg.transaction-key", "pg.transaction-value"}));

  MessageRecord m;
  m.prefix = "audit";
  m.content = std::string_view("\x00hi", 3);
  m.source = Source();
  ASSERT_TRUE(enc.Encode(m, &out).ok());
  {
    Decoded k(*out.key, reg_);
    Decoded v(*out.value, reg_);
    ASSERT_TRUE(k.ok && v.ok);
    EXPECT_EQ(Str(At(k.value, "prefix")), "audit");
    EXPECT_EQ(Str(At(v.value, "op")), "m");
    EXPECT_EQ(Str(At(v.value, "message.prefix")), "audit");
    EXPECT_EQ(Bytes(At(v.value, "message.content")), std::string("\0hi", 3));
    EXPECT_EQ(Str(At(v.value, "source.table")), "");
  }

  ASSERT_TRUE(enc.EncodeHeartbeat(&out).ok());
  ASSERT_TRUE(enc.EncodeHeartbeat(&out).ok());
  {
    Decoded k(*out.key, reg_);
    Decoded v(*out.value, reg_);
    ASSERT_TRUE(k.ok && v.ok);
    EXPECT_EQ(Str(At(k.value, "serverName")), "pg");
    EXPECT_EQ(Long(At(v.value, "ts_ms")), FixedClock() / 1000);
  }
  EXPECT_EQ(reg_.calls.size(), 6u);  // one per subject, the second heartbeat registers nothing
}

TEST_F(AvroEncoderTest, RegistrarErrorIsReturnedAsItIs) {
  const TableSchema& t = Things();
  AvroEncoder enc(options_, reg_, FixedClock);
  reg_.fail = Status::FailedPrecondition("subject pg.public.things-key: incompatible");
  Tuple row = Row("1");
  std::string key;
  Status s = enc.EncodeKeyPayload(t, row, nullptr, &key);
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "subject pg.public.things-key: incompatible");
  // The next record tries again, and succeeds once the registry does.
  reg_.fail = Status::Ok();
  EXPECT_TRUE(enc.EncodeKeyPayload(t, row, nullptr, &key).ok());
}

TEST_F(AvroEncoderTest, InvalidColumnNameFailsNamingItAndTheTable) {
  const TableSchema& t = Things("unit price");
  AvroEncoder enc(options_, reg_, FixedClock);
  Tuple row = Row("1");
  std::string key;
  Status s = enc.EncodeKeyPayload(t, row, nullptr, &key);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'unit price'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("public.things"), std::string::npos) << s.message();
  EXPECT_TRUE(reg_.calls.empty());
}

// Debezium's schema/field name adjustment (avro): a table "my-table" with a column "1st col",
// refused unadjusted, is registered with adjusted names; the subjects follow the topic, which is
// not adjusted.
TEST_F(AvroEncoderTest, AdjustedNamesAreRegisteredInsteadOfRefused) {
  pgoutput::Relation rel;
  rel.oid = 16700;
  rel.nspname = "public";
  rel.relname = "my-table";
  rel.columns = {{1, "id", pgtype::kInt4, -1}, {0, "1st col", pgtype::kText, -1}};
  CatalogHints hints;
  hints.known = true;
  hints.primary_key = {"id"};
  hints.topic = "pg.public.my-table";
  Tuple row = {T("1"), T("x")};
  {
    auto t = cache_.Update(rel, hints, true);
    ASSERT_TRUE(t.ok());
    AvroEncoder enc(options_, reg_, FixedClock);
    ChangeRecord r(*t, 'c', nullptr);
    r.after.tuple = &row;
    r.source = Source();
    EncodedRecord out;
    Status s = enc.Encode(r, &out);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("'1st col'"), std::string::npos) << s.message();
  }
  reg_.calls.clear();
  options_.schema_name_adjustment = NameAdjustment::kAvro;
  options_.field_name_adjustment = NameAdjustment::kAvro;
  RelationCache cache(options_);
  auto t = cache.Update(rel, hints, true);
  ASSERT_TRUE(t.ok());
  AvroEncoder enc(options_, reg_, FixedClock);
  std::string key;
  ASSERT_TRUE(enc.EncodeKeyPayload(**t, row, nullptr, &key).ok());
  ChangeRecord r(*t, 'c', &key);
  r.after.tuple = &row;
  r.source = Source();
  EncodedRecord out;
  Status s = enc.Encode(r, &out);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(out.topic, "pg.public.my-table");
  EXPECT_EQ(reg_.calls,
            (std::vector<std::string>{"pg.public.my-table-key", "pg.public.my-table-value"}));
  Decoded k(*out.key, reg_);
  ASSERT_TRUE(k.ok);
  EXPECT_NE(reg_.texts[k.id].find(R"("namespace":"pg.public.my_table")"), std::string::npos)
      << reg_.texts[k.id];
  Decoded v(*out.value, reg_);
  ASSERT_TRUE(v.ok);
  const std::string& text = reg_.texts[v.id];
  EXPECT_NE(text.find(R"("connect.name":"pg.public.my_table.Envelope")"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("connect.name":"pg.public.my_table.Value")"), std::string::npos) << text;
  EXPECT_EQ(text.find("my-table"), std::string::npos) << text;
  EXPECT_EQ(Str(At(v.value, "after._1st_col")), "x");
  EXPECT_EQ(Str(At(v.value, "source.table")), "my-table");
}

}  // namespace
}  // namespace cdc::avro_test
