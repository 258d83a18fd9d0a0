#pragma once

// The AvroEncoder tests' fixture: an in-memory registrar, a decoder of framed datums built on
// avro-c (an independent Avro implementation) with accessors for its values, and a table of
// every common type with a row and a source position. Used by avro_encoder_test.cc.

#include <avro.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "decoders/avro/avro_encoder.h"
#include "decoders/events/relation_cache.h"
#include "decoders/values/pg_type_oids.h"
#include "tests/unit/decoders/fake_registrar.h"

namespace cdc::avro_test {

using pgoutput::Tuple;
using pgoutput::TupleValue;
using pgoutput::ValueKind;

inline int64_t FixedClock() { return 1700000000123456; }

inline TupleValue T(std::string_view s) { return TupleValue{ValueKind::kText, s}; }
inline TupleValue N() { return TupleValue{ValueKind::kNull, {}}; }

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

inline avro_value_t Unwrap(avro_value_t v) {
  if (avro_value_get_type(&v) == AVRO_UNION) {
    avro_value_t b;
    EXPECT_EQ(avro_value_get_current_branch(&v, &b), 0);
    return b;
  }
  return v;
}

// The value at a dotted path of record fields, through unions.
inline avro_value_t At(avro_value_t v, std::string_view path) {
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

inline bool IsNull(avro_value_t v) { return avro_value_get_type(&v) == AVRO_NULL; }
inline int64_t Long(avro_value_t v) {
  if (avro_value_get_type(&v) == AVRO_INT32) {
    int32_t i = 0;
    avro_value_get_int(&v, &i);
    return i;
  }
  int64_t l = 0;
  EXPECT_EQ(avro_value_get_long(&v, &l), 0);
  return l;
}
inline std::string Str(avro_value_t v) {
  const char* p = nullptr;
  size_t n = 0;
  EXPECT_EQ(avro_value_get_string(&v, &p, &n), 0);
  return p == nullptr ? "" : std::string(p, n - 1);  // avro-c counts the NUL
}
inline std::string Bytes(avro_value_t v) {
  const void* p = nullptr;
  size_t n = 0;
  EXPECT_EQ(avro_value_get_bytes(&v, &p, &n), 0);
  return std::string(static_cast<const char*>(p), n);
}
inline double Double(avro_value_t v) {
  double d = 0;
  EXPECT_EQ(avro_value_get_double(&v, &d), 0);
  return d;
}
inline bool Bool(avro_value_t v) {
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
  FakeRegistrar reg_{SchemaType::kAvro};
  RelationCache cache_{options_};
};

}  // namespace cdc::avro_test
