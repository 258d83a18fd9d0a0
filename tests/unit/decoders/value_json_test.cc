#include "decoders/values/value_json.h"

#include <gtest/gtest.h>

#include <unordered_map>

#include "decoders/json/connect_schema_json.h"
#include "decoders/values/pg_text.h"
#include "decoders/values/pg_type_oids.h"

namespace cdc {
namespace {

struct Case {
  uint32_t oid;
  int32_t typmod;
  const char* text;
  const char* json;  // expected rendering
};

std::string Render(const ColumnCodec& codec, std::string_view text) {
  std::string out;
  JsonWriter w(&out);
  Status s = AppendValue(codec, text, w);
  return s.ok() ? out : "ERROR: " + s.message();
}

constexpr int32_t Numeric(int precision, int scale) { return ((precision << 16) | scale) + 4; }

// Expected values come from ../shared/reference/debezium-format.md §3.
const Case kDefaultModeCases[] = {
    {pgtype::kBool, -1, "t", "true"},
    {pgtype::kBool, -1, "f", "false"},
    {pgtype::kInt2, -1, "-32768", "-32768"},
    {pgtype::kInt8, -1, "9223372036854775807", "9223372036854775807"},
    {pgtype::kFloat8, -1, "1.5", "1.5"},
    {pgtype::kFloat8, -1, "NaN", "\"NaN\""},
    {pgtype::kFloat4, -1, "-Infinity", "\"-Infinity\""},
    {pgtype::kNumeric, Numeric(10, 2), "12.34", "\"BNI=\""},
    {pgtype::kNumeric, Numeric(3, 2), "1.1", "\"bg==\""},  // padded to scale: 110
    {pgtype::kNumeric, Numeric(10, 2), "-1234.11", "\"/h3t\""},
    {pgtype::kNumeric, Numeric(10, 0), "-128", "\"gA==\""},
    {pgtype::kNumeric, -1, "10.1111", R"({"scale":4,"value":"AYr3"})"},
    {pgtype::kNumeric, -1, "10", R"({"scale":0,"value":"Cg=="})"},
    {pgtype::kNumeric, -1, "0.000", R"({"scale":0,"value":"AA=="})"},
    {pgtype::kMoney, -1, "$1,234.11", "\"AeIT\""},
    {pgtype::kMoney, -1, "-$1,234.11", "\"/h3t\""},
    {pgtype::kText, -1, "tab\there \"q\" \xc3\xa9", R"("tab\there \"q\" é")"},
    {pgtype::kUuid, -1, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
     "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\""},
    {pgtype::kJsonb, -1, R"({"a": 1})", R"("{\"a\": 1}")"},
    {pgtype::kBytea, -1, "\\x010203", "\"AQID\""},
    {pgtype::kBytea, -1, "\\x", "\"\""},
    {pgtype::kDate, -1, "2016-11-04", "17109"},
    {pgtype::kDate, -1, "1969-12-31", "-1"},
    {pgtype::kTime, -1, "24:00:00", "86400000000"},
    {pgtype::kTime, 3, "01:02:03.456", "3723456"},
    {pgtype::kTimetz, -1, "13:51:30.123789+02", "\"11:51:30.123789Z\""},
    {pgtype::kTimetz, -1, "13:51:30.123+02", "\"11:51:30.123Z\""},
    {pgtype::kTimetz, -1, "01:51:02-03:30", "\"05:21:02Z\""},
    {pgtype::kTimestamp, -1, "2018-06-20 15:13:16.945104", "1529507596945104"},
    {pgtype::kTimestamp, 3, "2018-06-20 15:13:16.945", "1529507596945"},
    {pgtype::kTimestamp, -1, "infinity", "9223372036825200000"},
    {pgtype::kTimestamp, -1, "-infinity", "-9223372036832400000"},
    {pgtype::kTimestamptz, -1, "2016-11-04 13:51:30.123456+02", "\"2016-11-04T11:51:30.123456Z\""},
    {pgtype::kTimestamptz, -1, "2016-11-04 11:51:30+00", "\"2016-11-04T11:51:30.000000Z\""},
    {pgtype::kTimestamptz, 3, "2016-11-04 11:51:30.5+00", "\"2016-11-04T11:51:30.500Z\""},
    {pgtype::kTimestamptz, -1, "21016-11-04 06:51:30.123456+00",
     "\"+21016-11-04T06:51:30.123456Z\""},
    {pgtype::kTimestamptz, -1, "infinity", "\"infinity\""},
    {pgtype::kTimestamptz, -1, "2000-01-01 00:00:00+05:30", "\"1999-12-31T18:30:00.000000Z\""},
    {pgtype::kInterval, -1, "1 year 2 mons 3 days 04:05:06.78", "37091106780000"},
    {pgtype::kInterval, -1, "-1 days +02:03:00", "-79020000000"},
    {pgtype::kInterval, -1, "00:00:00", "0"},
    {pgtype::kInet, -1, "192.168.2.0/12", "\"192.168.2.0/12\""},
};

TEST(ValueJson, DefaultModes) {
  ConverterOptions opts;
  for (const auto& c : kDefaultModeCases) {
    EXPECT_EQ(Render(CodecFor(c.oid, c.typmod, opts), c.text), c.json)
        << "oid " << c.oid << " text '" << c.text << "'";
  }
}

TEST(ValueJson, NumericSpecialsFailInPreciseModeAndRenderInOthers) {
  ConverterOptions precise;
  EXPECT_EQ(Render(CodecFor(pgtype::kNumeric, Numeric(10, 2), precise), "NaN").rfind("ERROR", 0),
            0u);
  EXPECT_EQ(Render(CodecFor(pgtype::kNumeric, -1, precise), "Infinity").rfind("ERROR", 0), 0u);
  ConverterOptions str;
  str.decimal = DecimalHandling::kString;
  EXPECT_EQ(Render(CodecFor(pgtype::kNumeric, -1, str), "NaN"), "\"NAN\"");
  EXPECT_EQ(Render(CodecFor(pgtype::kNumeric, -1, str), "-Infinity"), "\"NEGATIVE_INFINITY\"");
  EXPECT_EQ(Render(CodecFor(pgtype::kNumeric, -1, str), "22.2200"), "\"22.2200\"");
  ConverterOptions dbl;
  dbl.decimal = DecimalHandling::kDouble;
  EXPECT_EQ(Render(CodecFor(pgtype::kNumeric, -1, dbl), "22.22"), "22.22");
  EXPECT_EQ(Render(CodecFor(pgtype::kMoney, -1, dbl), "$1,234.11"), "1234.11");
  // A NOT NULL column missing from a key-only before image: zero at the column's scale, as
  // Debezium 3.6.1 (test_debezium_diff.py). The scale does not touch real values.
  auto zero = [](const ColumnCodec& c) {
    std::string out;
    JsonWriter w(&out);
    AppendZeroValue(c, w);
    return out;
  };
  EXPECT_EQ(zero(CodecFor(pgtype::kNumeric, Numeric(6, 2), str)), "\"0.00\"");
  EXPECT_EQ(zero(CodecFor(pgtype::kMoney, -1, str)), "\"0.00\"");
  EXPECT_EQ(zero(CodecFor(pgtype::kNumeric, -1, str)), "\"0\"");
  EXPECT_EQ(Render(CodecFor(pgtype::kNumeric, Numeric(6, 2), str), "1.5"), "\"1.5\"");
}

// ±infinity timestamps: pgjdbc's sentinel as microseconds, the same instant in milliseconds
// (Debezium 3.6.1 in connect mode; test_debezium_diff.py).
TEST(ValueJson, InfinityTimestampsInEveryPrecision) {
  ConverterOptions connect;
  connect.time_precision = TimePrecision::kConnect;
  EXPECT_EQ(Render(CodecFor(pgtype::kTimestamp, -1, connect), "infinity"), "9223372036825200");
  EXPECT_EQ(Render(CodecFor(pgtype::kTimestamp, -1, connect), "-infinity"), "-9223372036832400");
  ConverterOptions adaptive;
  EXPECT_EQ(Render(CodecFor(pgtype::kTimestamp, 3, adaptive), "infinity"), "9223372036825200");
  EXPECT_EQ(Render(CodecFor(pgtype::kTimestamp, 6, adaptive), "infinity"), "9223372036825200000");
}

TEST(ValueJson, BinaryModes) {
  ConverterOptions o;
  o.binary = BinaryHandling::kHex;
  EXPECT_EQ(Render(CodecFor(pgtype::kBytea, -1, o), "\\x01ff"), "\"01ff\"");
  o.binary = BinaryHandling::kBase64UrlSafe;
  EXPECT_EQ(Render(CodecFor(pgtype::kBytea, -1, o), "\\xfbff"), "\"-_8=\"");
}

TEST(ValueJson, IntervalStringMode) {
  ConverterOptions o;
  o.interval = IntervalHandling::kString;
  EXPECT_EQ(Render(CodecFor(pgtype::kInterval, -1, o), "1 year 2 mons 3 days 04:05:06.78"),
            "\"P1Y2M3DT4H5M6.78S\"");
}

// The schema of a nullable column of codec `c`, as JsonConverter prints it.
std::string RenderSchema(const ColumnCodec& c) {
  return ConnectSchemaJson(ColumnSchemaOf(c, true));
}

TEST(ValueJson, ArraysBitsPointsAndHstore) {
  ConverterOptions o;
  ColumnCodec ints = CodecFor(1007, -1, o);  // int4[]
  EXPECT_EQ(Render(ints, "{1,NULL,-3}"), "[1,null,-3]");
  EXPECT_EQ(Render(ints, "{{1,2},{3,4}}"), "[1,2,3,4]");  // flattened, row-major
  EXPECT_EQ(Render(ints, "[0:1]={5,6}"), "[5,6]");
  EXPECT_EQ(Render(ints, "{}"), "[]");
  EXPECT_EQ(RenderSchema(ints),
            R"({"type":"array","items":{"type":"int32","optional":true},"optional":true})");
  ColumnCodec texts = CodecFor(1009, -1, o);  // text[]
  EXPECT_EQ(Render(texts, R"({"a b","q\"uote",NULL,"NULL",plain})"),
            R"(["a b","q\"uote",null,"NULL","plain"])");
  ColumnCodec tstz = CodecFor(1185, -1, o);
  EXPECT_EQ(Render(tstz, R"({"2016-11-04 11:51:30+00"})"), R"(["2016-11-04T11:51:30.000000Z"])");
  EXPECT_EQ(CodecFor(791, -1, o).type, ValueType::kUnmappedText);  // money[]: not in Debezium

  EXPECT_EQ(CodecFor(pgtype::kBit, 1, o).type, ValueType::kBool);
  EXPECT_EQ(Render(CodecFor(pgtype::kBit, 1, o), "1"), "true");
  ColumnCodec bits = CodecFor(pgtype::kBit, 24, o);
  EXPECT_EQ(Render(bits, "000000110000001000000001"), "\"AQID\"");  // bytes 01 02 03
  EXPECT_EQ(Render(CodecFor(pgtype::kBit, 2, o), "00"), "\"\"");
  EXPECT_EQ(RenderSchema(CodecFor(pgtype::kVarbit, -1, o)),
            R"({"type":"bytes","optional":true,"name":"io.debezium.data.Bits","version":1,)"
            R"("parameters":{"length":"2147483647"}})");

  ColumnCodec point = CodecFor(pgtype::kPoint, -1, o);
  EXPECT_EQ(Render(point, "(1.5,-2)"),
            R"({"x":1.5,"y":-2.0,"wkb":"AQEAAAAAAAAAAAD4PwAAAAAAAADA","srid":null})");

  TypeInfo hstore{'b', "hstore", 0, 0, ""};
  TypeLookup lookup = [&](uint32_t oid) -> const TypeInfo* {
    return oid == 17000 ? &hstore : nullptr;
  };
  EXPECT_EQ(Render(CodecFor(17000, -1, o, lookup), R"("a"=>"1", "b"=>NULL)"),
            R"("{\"a\":\"1\",\"b\":null}")");
  o.hstore = HstoreHandling::kMap;
  ColumnCodec map = CodecFor(17000, -1, o, lookup);
  EXPECT_EQ(Render(map, R"("a"=>"1", "b"=>NULL)"), R"({"a":"1","b":null})");
  EXPECT_EQ(RenderSchema(map), R"({"type":"map","keys":{"type":"string","optional":false},)"
                               R"("values":{"type":"string","optional":true},"optional":true})");
}

TEST(ValueJson, GeometricTypes) {
  ConverterOptions o;
  // lseg: a 2-point LineString; WKB = 01 | 02000000 | 02000000 | 4 little-endian doubles.
  EXPECT_EQ(Render(CodecFor(pgtype::kLseg, -1, o), "[(0,0),(1,2)]"),
            R"({"wkb":"AQIAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAPA/AAAAAAAAAEA=","srid":null,)"
            R"("extensions":{"type":"lseg"}})");
  const std::string path_open = Render(CodecFor(pgtype::kPath, -1, o), "[(0,0),(1,1)]");
  EXPECT_NE(path_open.find(R"("extensions":{"type":"path","closed":"false"})"), std::string::npos);
  const std::string path_closed = Render(CodecFor(pgtype::kPath, -1, o), "((0,0),(1,1),(1,0))");
  EXPECT_NE(path_closed.find(R"("closed":"true")"), std::string::npos);
  EXPECT_NE(path_closed.find(R"("wkb":"AQIAAAADAAAA)"), std::string::npos);  // line string, 3 pts
  EXPECT_EQ(Render(CodecFor(pgtype::kCircle, -1, o), "<(1,2),3>"),
            R"({"center":{"x":1.0,"y":2.0,"wkb":"AQEAAAAAAAAAAADwPwAAAAAAAABA","srid":null},)"
            R"("radius":3.0})");
  EXPECT_EQ(Render(CodecFor(pgtype::kLine, -1, o), "{1,-1,0}"), R"({"a":1.0,"b":-1.0,"c":0.0})");
  EXPECT_EQ(Render(CodecFor(pgtype::kBox, -1, o), "(1,1)").rfind("ERROR", 0), 0u);
  EXPECT_EQ(RenderSchema(CodecFor(pgtype::kLine, -1, o)),
            R"({"type":"struct","fields":[{"type":"double","optional":false,"field":"a"},)"
            R"({"type":"double","optional":false,"field":"b"},)"
            R"({"type":"double","optional":false,"field":"c"}],)"
            R"("optional":true,"name":"io.debezium.data.geometry.Line","version":1})");
}

TEST(ValueJson, UnavailablePlaceholderIsTypeShaped) {
  ConverterOptions o;
  o.unavailable_placeholder = "ab";
  auto render = [&](const ColumnCodec& c) {
    std::string out;
    JsonWriter w(&out);
    Status s = AppendUnavailable(c, o, w);
    return s.ok() ? out : "ERROR";
  };
  EXPECT_EQ(render(CodecFor(pgtype::kText, -1, o)), "\"ab\"");
  EXPECT_EQ(render(CodecFor(pgtype::kBytea, -1, o)), "\"YWI=\"");
  EXPECT_EQ(render(CodecFor(1009, -1, o)), "[\"ab\"]");  // text[]
  EXPECT_EQ(render(CodecFor(1016, -1, o)), "[97,98]");   // int8[]
  EXPECT_EQ(render(CodecFor(pgtype::kInt4, -1, o)), "ERROR");
  // binary_handling other than bytes makes bytea a string column: the placeholder as is
  // (Debezium 3.6.1 in hex mode; test_debezium_diff.py).
  for (BinaryHandling mode :
       {BinaryHandling::kHex, BinaryHandling::kBase64, BinaryHandling::kBase64UrlSafe}) {
    ConverterOptions m = o;
    m.binary = mode;
    EXPECT_EQ(render(CodecFor(pgtype::kBytea, -1, m)), "\"ab\"");
  }
  // unknown_types bytes: as bytea, for Debezium's convertBinaryToBytes/ToHex overrides give the
  // unchanged-TOAST placeholder there too (base64 modes: see the bytea note above).
  ConverterOptions u = o;
  u.unknown_types = UnknownTypePolicy::kBytes;
  EXPECT_EQ(render(CodecFor(3220, -1, u)), "\"YWI=\"");  // pg_lsn
  u.binary = BinaryHandling::kHex;
  EXPECT_EQ(render(CodecFor(3220, -1, u)), "\"ab\"");
}

TEST(ValueJson, EnumsDomainsAndArraysOfThem) {
  ConverterOptions o;
  std::unordered_map<uint32_t, TypeInfo> types = {
      {20000, {'e', "mood", 0, 0, "sad,ok,happy"}},
      {20001, {'b', "_mood", 20000, 0, ""}},
      {20002, {'d', "posint", 0, pgtype::kInt4, ""}},
  };
  TypeLookup lookup = [&](uint32_t oid) -> const TypeInfo* {
    auto it = types.find(oid);
    return it == types.end() ? nullptr : &it->second;
  };
  ColumnCodec mood = CodecFor(20000, -1, o, lookup);
  EXPECT_EQ(Render(mood, "happy"), "\"happy\"");
  EXPECT_EQ(RenderSchema(mood),
            R"({"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,)"
            R"("parameters":{"allowed":"sad,ok,happy"}})");
  EXPECT_EQ(Render(CodecFor(20001, -1, o, lookup), "{sad,happy}"), R"(["sad","happy"])");
  EXPECT_EQ(Render(CodecFor(20002, -1, o, lookup), "42"), "42");
  EXPECT_EQ(CodecFor(20003, -1, o, lookup).type, ValueType::kUnmappedText);
}

// format.unknown_types: bytes is Debezium's include.unknown.datatypes=true: the column's schema is
// binary.handling.mode's and its value the text form's UTF-8 bytes. Ported from Debezium 3.6.1
// RecordsStreamProducerIT shouldReceiveUnknownTypeAsBytes/AsBase64/AsBase64UrlSafe/AsHex, whose
// expectations are AbstractRecordsProducerTest.schemaAndValueForUnknownColumn* (the text
// "<(10.0,20.0),10.0>" there; pgcdc maps circle itself, so a type it cannot map carries it here).
TEST(ValueJson, UnknownTypesAsBytesFollowBinaryHandling) {
  std::unordered_map<uint32_t, TypeInfo> types = {
      {20100, {'c', "pair_t", 0, 0, ""}},
      {20101, {'b', "_pair_t", 20100, 0, ""}},
      {20102, {'d', "pair_d", 0, 20100, ""}},
  };
  TypeLookup lookup = [&](uint32_t oid) -> const TypeInfo* {
    auto it = types.find(oid);
    return it == types.end() ? nullptr : &it->second;
  };
  ConverterOptions o;
  o.unknown_types = UnknownTypePolicy::kBytes;
  struct ModeCase {
    BinaryHandling mode;
    const char* value;
    const char* schema;
  };
  const ModeCase modes[] = {
      {BinaryHandling::kBytes, R"("PCgxMC4wLDIwLjApLDEwLjA+")",
       R"({"type":"bytes","optional":true})"},
      {BinaryHandling::kBase64, R"("PCgxMC4wLDIwLjApLDEwLjA+")",
       R"({"type":"string","optional":true})"},
      {BinaryHandling::kBase64UrlSafe, R"("PCgxMC4wLDIwLjApLDEwLjA-")",
       R"({"type":"string","optional":true})"},
      {BinaryHandling::kHex, R"("3c2831302e302c32302e30292c31302e303e")",
       R"({"type":"string","optional":true})"},
  };
  for (const ModeCase& m : modes) {
    ConverterOptions mo = o;
    mo.binary = m.mode;
    ColumnCodec c = CodecFor(20100, -1, mo, lookup);
    ASSERT_EQ(c.type, ValueType::kUnknownBytes);
    EXPECT_EQ(Render(c, "<(10.0,20.0),10.0>"), m.value);
    EXPECT_EQ(RenderSchema(c), m.schema);
  }
  // Built-in types nothing maps (pg_lsn) and types the catalog does not know, alike.
  EXPECT_EQ(Render(CodecFor(3220, -1, o), "0/16B3748"), R"("MC8xNkIzNzQ4")");
  EXPECT_EQ(CodecFor(20999, -1, o, lookup).type, ValueType::kUnknownBytes);
  // A domain over such a type, as its base; non-ASCII text as its UTF-8 bytes.
  EXPECT_EQ(Render(CodecFor(20102, -1, o, lookup), "(\xc5\xbe,1)"), R"("KMW+LDEp")");
  // An array of it: Debezium's createArrayConverter, convertBinary per element.
  ColumnCodec arr = CodecFor(20101, -1, o, lookup);
  ASSERT_EQ(arr.type, ValueType::kArray);
  EXPECT_EQ(Render(arr, R"x({"(1,2)",NULL,"(3,4)"})x"), R"(["KDEsMik=",null,"KDMsNCk="])");
  EXPECT_EQ(RenderSchema(arr),
            R"({"type":"array","items":{"type":"bytes","optional":true},"optional":true})");
  // The arrays Debezium 3.6.1 has no schema for stay unmapped (the relation cache leaves them out).
  EXPECT_EQ(CodecFor(791, -1, o).type, ValueType::kUnmappedText);  // money[]
  // Other policies keep the text form for the relation cache to apply.
  EXPECT_EQ(CodecFor(20100, -1, ConverterOptions{}, lookup).type, ValueType::kUnmappedText);
}

// Found by the fuzzer: the precision comes from the Relation message; a hostile typmod must not
// drive the rendering out of bounds.
TEST(ValueJson, HostileTypmodIsClamped) {
  ConverterOptions o;
  ColumnCodec c = CodecFor(pgtype::kTimestamptz, 655366, o);
  EXPECT_EQ(c.frac_digits, 6);
  EXPECT_EQ(Render(c, "2016-11-04 11:51:30.5+00"), "\"2016-11-04T11:51:30.500000Z\"");
  std::string out;
  pgtext::AppendFraction(&out, 5, 1000);
  EXPECT_EQ(out, ".000005");
  // Also from the fuzzer: digit runs that overflow int64, and intervals beyond MicroDuration.
  EXPECT_EQ(
      Render(CodecFor(pgtype::kInterval, -1, o), "99999999999999999999 days").rfind("ERROR", 0),
      0u);
  EXPECT_EQ(Render(CodecFor(pgtype::kInterval, -1, o), "178000000 years").rfind("ERROR", 0), 0u);
  EXPECT_EQ(
      Render(CodecFor(pgtype::kInterval, -1, o), "2999999999999999992 years").rfind("ERROR", 0),
      0u);
  EXPECT_EQ(Render(CodecFor(pgtype::kInterval, -1, o), "9223372036854775807 days 1 day")
                .rfind("ERROR", 0),
            0u);
  o.interval = IntervalHandling::kString;
  EXPECT_EQ(Render(CodecFor(pgtype::kInterval, -1, o), "178000000 years"),
            "\"P178000000Y0M0DT0H0M0S\"");
  EXPECT_EQ(
      Render(CodecFor(pgtype::kTimestamp, -1, o), "999999999-01-01 00:00:00").rfind("ERROR", 0),
      0u);
}

TEST(ValueJson, MalformedTextIsAnError) {
  ConverterOptions o;
  EXPECT_EQ(Render(CodecFor(pgtype::kInt4, -1, o), "12a").rfind("ERROR", 0), 0u);
  EXPECT_EQ(Render(CodecFor(pgtype::kBool, -1, o), "yes").rfind("ERROR", 0), 0u);
  EXPECT_EQ(
      Render(CodecFor(pgtype::kTimestamptz, -1, o), "2016-13-04 00:00:00+00").rfind("ERROR", 0),
      0u);
  EXPECT_EQ(Render(CodecFor(pgtype::kBytea, -1, o), "\\x0").rfind("ERROR", 0), 0u);
  EXPECT_EQ(Render(CodecFor(pgtype::kNumeric, Numeric(5, 1), o), "1.25").rfind("ERROR", 0), 0u);
}

TEST(ValueJson, SchemaNames) {
  ConverterOptions o;
  EXPECT_EQ(RenderSchema(CodecFor(pgtype::kNumeric, Numeric(10, 2), o)),
            R"({"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal",)"
            R"("version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"}})");
  EXPECT_EQ(ConnectTypeOf(CodecFor(pgtype::kTimestamptz, -1, o)), ConnectType::kString);
  EXPECT_EQ(ConnectTypeOf(CodecFor(pgtype::kDate, -1, o)), ConnectType::kInt32);
  EXPECT_EQ(ConnectTypeOf(CodecFor(pgtype::kNumeric, -1, o)), ConnectType::kStruct);
}

TEST(PgText, Calendar) {
  EXPECT_EQ(pgtext::DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(pgtext::DaysFromCivil(2000, 3, 1), 11017);
  int64_t micros;
  bool has_offset;
  ASSERT_TRUE(pgtext::ParseTimestamp("0001-01-01 00:00:00 BC", &micros, &has_offset));
  EXPECT_FALSE(has_offset);
  EXPECT_EQ(micros, pgtext::DaysFromCivil(0, 1, 1) * pgtext::kMicrosPerDay);
  std::string out;
  pgtext::AppendIsoInstant(&out, micros, 0);
  EXPECT_EQ(out, "0000-01-01T00:00:00Z");
}

TEST(PgText, RejectsPartialInput) {
  int64_t v, m, d;
  bool off;
  EXPECT_FALSE(pgtext::ParseDate("2016-11-04x", &v));
  EXPECT_FALSE(pgtext::ParseTime("01:02", &v));
  EXPECT_FALSE(pgtext::ParseTimeTz("01:02:03", &v));
  EXPECT_FALSE(pgtext::ParseTimestamp("2016-11-04 01:02:03+0", &v, &off));
  EXPECT_FALSE(pgtext::ParseInterval("3 fortnights", &m, &d, &v));
  pgtext::DecimalParts p;
  EXPECT_FALSE(pgtext::ParseDecimal("1.2.3", &p));
  EXPECT_FALSE(pgtext::ParseDecimal("-", &p));
}

}  // namespace
}  // namespace cdc

namespace cdc {
namespace {

// The int64 fast path of UnscaledBytes must give the bytes of the general one, which leading
// zeros (more than 18 digits, same value) force.
TEST(PgText, UnscaledBytesFastPathMatchesTheGeneralOne) {
  const char* values[] = {"0",
                          "1",
                          "127",
                          "128",
                          "255",
                          "256",
                          "32767",
                          "32768",
                          "65535",
                          "8388607",
                          "8388608",
                          "2147483647",
                          "2147483648",
                          "123456789012",
                          "999999999999999999",
                          "100000000000000000",
                          "36028797018963967",
                          "36028797018963968"};
  for (const char* v : values) {
    for (bool negative : {false, true}) {
      pgtext::DecimalParts fast{negative, v, 0};
      pgtext::DecimalParts general{negative, std::string(20, '0') + v, 0};
      EXPECT_EQ(pgtext::UnscaledBytes(fast), pgtext::UnscaledBytes(general))
          << (negative ? "-" : "") << v;
    }
  }
  EXPECT_EQ(pgtext::UnscaledBytes({false, "0", 0}), std::string(1, '\0'));
  EXPECT_EQ(pgtext::UnscaledBytes({true, "128", 0}), std::string("\x80", 1));
  EXPECT_EQ(pgtext::UnscaledBytes({false, "128", 0}), std::string("\x00\x80", 2));
}

}  // namespace
}  // namespace cdc
