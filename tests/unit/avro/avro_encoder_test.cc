// AvroEncoder's records decoded by avro-c (an independent Avro implementation) with the schema
// text it registered: framing, ids, every field's value, the registration order and caching,
// registrar errors and invalid names.

#include "decoders/avro/avro_encoder.h"

#include <avro.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "decoders/events/relation_cache.h"
#include "decoders/values/pg_type_oids.h"

namespace cdc {
namespace {

using pgoutput::Tuple;
using pgoutput::TupleValue;
using pgoutput::ValueKind;

int64_t FixedClock() { return 1700000000123456; }

TupleValue T(std::string_view s) { return TupleValue{ValueKind::kText, s}; }
TupleValue N() { return TupleValue{ValueKind::kNull, {}}; }

// An in-memory registry: one global id per distinct text, a log of every call.
class FakeRegistrar : public SchemaRegistrar {
 public:
  Status IdFor(std::string_view subject, SchemaType type, std::string_view schema,
               int32_t* id) override {
    EXPECT_EQ(type, SchemaType::kAvro);
    calls.emplace_back(subject);
    if (!fail.ok()) return fail;
    auto [it, added] = ids.emplace(std::string(schema), static_cast<int32_t>(ids.size() + 1));
    texts[it->second] = std::string(schema);
    *id = it->second;
    return Status::Ok();
  }
  std::vector<std::string> calls;
  std::map<std::string, int32_t> ids;
  std::map<int32_t, std::string> texts;
  Status fail;
};

// One decoded datum: the avro-c value and what owns it.
class Decoded {
 public:
  // Checks the 5-byte header and decodes the rest with the schema registered under its id.
  Decoded(std::string_view framed, const FakeRegistrar& reg) {
    EXPECT_GE(framed.size(), 5u);
    EXPECT_EQ(framed[0], '\0');
    id = static_cast<int32_t>(
        (static_cast<uint8_t>(framed[1]) << 24) | (static_cast<uint8_t>(framed[2]) << 16) |
        (static_cast<uint8_t>(framed[3]) << 8) | static_cast<uint8_t>(framed[4]));
    auto it = reg.texts.find(id);
    EXPECT_NE(it, reg.texts.end()) << "unknown id " << id;
    if (it == reg.texts.end()) return;
    EXPECT_EQ(avro_schema_from_json_length(it->second.data(), it->second.size(), &schema_), 0)
        << avro_strerror();
    iface_ = avro_generic_class_from_schema(schema_);
    avro_generic_value_new(iface_, &value);
    bytes_ = std::string(framed.substr(5));
    avro_reader_t r = avro_reader_memory(bytes_.data(), static_cast<int64_t>(bytes_.size()));
    EXPECT_EQ(avro_value_read(r, &value), 0) << avro_strerror();
    char extra = 0;  // nothing may follow the datum: reading one more byte must fail
    EXPECT_NE(avro_read(r, &extra, 1), 0) << "bytes left after the datum";
    avro_reader_free(r);
    ok = true;
  }
  ~Decoded() {
    if (ok) avro_value_decref(&value);
    if (iface_ != nullptr) avro_value_iface_decref(iface_);
    if (schema_ != nullptr) avro_schema_decref(schema_);
  }
  Decoded(const Decoded&) = delete;
  Decoded& operator=(const Decoded&) = delete;

  bool ok = false;
  int32_t id = -1;
  avro_value_t value{};

 private:
  avro_schema_t schema_ = nullptr;
  avro_value_iface_t* iface_ = nullptr;
  std::string bytes_;
};

avro_value_t Unwrap(avro_value_t v) {
  if (avro_value_get_type(&v) == AVRO_UNION) {
    avro_value_t b;
    EXPECT_EQ(avro_value_get_current_branch(&v, &b), 0);
    return b;
  }
  return v;
}

// The value at a dotted path of record fields, through unions.
avro_value_t At(avro_value_t v, std::string_view path) {
  v = Unwrap(v);
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string name(path.substr(0, dot));
    avro_value_t f;
    EXPECT_EQ(avro_value_get_by_name(&v, name.c_str(), &f, nullptr), 0) << name;
    v = Unwrap(f);
    path = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  }
  return v;
}

bool IsNull(avro_value_t v) { return avro_value_get_type(&v) == AVRO_NULL; }
int64_t Long(avro_value_t v) {
  if (avro_value_get_type(&v) == AVRO_INT32) {
    int32_t i = 0;
    avro_value_get_int(&v, &i);
    return i;
  }
  int64_t l = 0;
  EXPECT_EQ(avro_value_get_long(&v, &l), 0);
  return l;
}
std::string Str(avro_value_t v) {
  const char* p = nullptr;
  size_t n = 0;
  EXPECT_EQ(avro_value_get_string(&v, &p, &n), 0);
  return p == nullptr ? "" : std::string(p, n - 1);  // avro-c counts the NUL
}
std::string Bytes(avro_value_t v) {
  const void* p = nullptr;
  size_t n = 0;
  EXPECT_EQ(avro_value_get_bytes(&v, &p, &n), 0);
  return std::string(static_cast<const char*>(p), n);
}
double Double(avro_value_t v) {
  double d = 0;
  EXPECT_EQ(avro_value_get_double(&v, &d), 0);
  return d;
}
bool Bool(avro_value_t v) {
  int b = 0;
  EXPECT_EQ(avro_value_get_boolean(&v, &b), 0);
  return b != 0;
}

class AvroEncoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.name = "pg";
    options_.transaction_topic = "pg.transaction";
    options_.message_topic = "pg.message";
    options_.heartbeat_topic = "__debezium-heartbeat.pg";
    options_.database = "appdb";
    options_.source_version = "test";
    options_.format = RecordFormat::kAvro;
    options_.registrar = &reg_;
  }

  const TableSchema& Things(const std::string& odd_column = "note") {
    pgoutput::Relation rel;
    rel.oid = 16600;
    rel.nspname = "public";
    rel.relname = "things";
    rel.columns = {
        {1, "id", pgtype::kInt4, -1},          {0, "small", pgtype::kInt2, -1},
        {0, "big", pgtype::kInt8, -1},         {0, "price", pgtype::kNumeric, ((10 << 16) | 2) + 4},
        {0, "vnum", pgtype::kNumeric, -1},     {0, odd_column, pgtype::kText, -1},
        {0, "data", pgtype::kBytea, -1},       {0, "ts", pgtype::kTimestamp, -1},
        {0, "tstz", pgtype::kTimestamptz, -1}, {0, "d", pgtype::kDate, -1},
        {0, "t", pgtype::kTime, -1},           {0, "u", pgtype::kUuid, -1},
        {0, "j", pgtype::kJsonb, -1},          {0, "tags", 1009, -1},
        {0, "f", pgtype::kFloat8, -1},         {0, "ok", pgtype::kBool, -1}};
    CatalogHints hints;
    hints.known = true;
    hints.primary_key = {"id"};
    hints.not_null = {"id", "small"};
    hints.topic = "pg.public.things";
    auto t = cache_.Update(rel, hints, true);
    EXPECT_TRUE(t.ok()) << t.status().message();
    return **t;
  }

  static Tuple Row(std::string_view id) {
    return {T(id),
            T("7"),
            T("9000000000"),
            T("12.34"),
            T("3.14159"),
            T("first \"order\""),
            T("\\x0102ff"),
            T("2025-11-25 19:48:47.887783"),
            T("2025-11-25 19:48:47.887783+00"),
            T("2025-11-25"),
            T("13:45:00.5"),
            T("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            T(R"({"a": 1})"),
            T("{a,NULL,\"b c\"}"),
            T("1.5"),
            T("t")};
  }

  static SourceInfo Source() {
    SourceInfo s;
    s.ts_us = 1764100127887783;
    s.xid = Xid{492};
    s.last_commit = Lsn(23044000);
    s.lsn = Lsn(23044400);
    return s;
  }

  EventOptions options_;
  FakeRegistrar reg_;
  RelationCache cache_{options_};
};

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
  FakeRegistrar reg2;
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
}  // namespace cdc
