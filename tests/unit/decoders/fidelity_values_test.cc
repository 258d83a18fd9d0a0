// Debezium 3.6.1's expectations for pure value paths (issue 16), ported: column defaults
// (connection/PostgresDefaultValueConverterIT, RecordsStreamProducerIT), float rendering
// (AbstractRecordsProducerTest.schemasAndValuesForNumericType), bit varying(1)
// (schemaAndValuesForBinTypes) and unchanged-TOAST placeholders in arrays
// (RecordsStreamProducerIT.shouldHandleToasted*ArrayColumn, DecoderDifferences).

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "decoders/base/md5.h"
#include "decoders/values/column_default.h"
#include "decoders/values/pg_type_oids.h"
#include "decoders/values/value_json.h"

namespace cdc {
namespace {

constexpr int32_t Numeric(int precision, int scale) { return ((precision << 16) | scale) + 4; }

// The schema "default" JSON for a column of `oid`/`typmod` whose stored default is `expr`;
// "<none>" when Debezium declares none.
std::string DefaultJson(uint32_t oid, int32_t typmod, const std::string& expr,
                        ConverterOptions o = {}) {
  ColumnCodec c = CodecFor(oid, typmod, o);
  auto text = ColumnDefaultText(c, expr, false);
  if (!text) return "<none>";
  std::string json;
  if (!RenderDefault(c, *text, &json)) return "<none>";
  return json;
}

std::string Render(uint32_t oid, int32_t typmod, std::string_view text, ConverterOptions o = {}) {
  std::string out;
  JsonWriter w(&out);
  Status s = AppendValue(CodecFor(oid, typmod, o), text, w);
  return s.ok() ? out : "ERROR: " + s.message();
}

std::string Unavailable(uint32_t array_oid, ConverterOptions o = {}) {
  std::string out;
  JsonWriter w(&out);
  Status s = AppendUnavailable(CodecFor(array_oid, -1, o), o, w);
  return s.ok() ? out : "ERROR: " + s.message();
}

TEST(FidelityDefaults, PostgresDefaultValueConverterIT) {
  // shouldReturnNullForNumericDefaultValue(UsingDecimalHandlingModePrecise)
  EXPECT_EQ(DefaultJson(pgtype::kNumeric, Numeric(19, 4), "NULL::numeric"), "<none>");
  // shouldTrimNumericalDefaultValueAndShouldNotTrimNonNumericalDefaultValue
  EXPECT_EQ(DefaultJson(pgtype::kInt8, -1, " 1 "), "1");
  EXPECT_EQ(DefaultJson(pgtype::kText, -1, " 1 "), "\" 1 \"");
  // shouldParseTextDefaultValueWithEscapedQuote (the fix after 3.6.1; 3.6.1 gives "can")
  EXPECT_EQ(DefaultJson(pgtype::kText, -1, "'can''t'::text"), "\"can't\"");
}

TEST(FidelityDefaults, RecordsStreamProducerIT) {
  // shouldReceiveChangesForDefaultValues
  EXPECT_EQ(DefaultJson(pgtype::kText, -1, "'default'::text"), "\"default\"");
  // shouldReceiveNumericTypeAsDoubleWithDefaults
  ConverterOptions dbl;
  dbl.decimal = DecimalHandling::kDouble;
  EXPECT_EQ(DefaultJson(pgtype::kNumeric, Numeric(19, 4), "1", dbl), "1.0");
  EXPECT_EQ(DefaultJson(pgtype::kInt4, -1, "2"), "2");
  // shouldReceiveNumericTypeAsDoubleWithNullDefaults
  EXPECT_EQ(DefaultJson(pgtype::kNumeric, Numeric(19, 4), "NULL::numeric", dbl), "<none>");
  EXPECT_EQ(DefaultJson(pgtype::kInt4, -1, "NULL::integer"), "<none>");
  // SERIAL columns: SchemaBuilder.int32().defaultValue(0) (nextval is a function)
  EXPECT_EQ(DefaultJson(pgtype::kInt4, -1, "nextval('t_pk_seq'::regclass)"), "0");
  EXPECT_EQ(DefaultJson(pgtype::kInt2, -1, "nextval('t_ss_seq'::regclass)"), "0");
  EXPECT_EQ(DefaultJson(pgtype::kInt8, -1, "nextval('t_bs_seq'::regclass)"), "0");
}

TEST(FidelityDefaults, ConverterPlaceholdersAndTypes) {
  // PostgresDefaultValueConverter's placeholders for generated values, through the converters.
  EXPECT_EQ(DefaultJson(pgtype::kTimestamptz, -1, "now()"), "\"1970-01-01T00:00:00.000000Z\"");
  EXPECT_EQ(DefaultJson(pgtype::kTimestamptz, -1, "CURRENT_TIMESTAMP"),
            "\"1970-01-01T00:00:00.000000Z\"");
  EXPECT_EQ(DefaultJson(pgtype::kDate, -1, "CURRENT_DATE"), "0");
  EXPECT_EQ(DefaultJson(pgtype::kUuid, -1, "gen_random_uuid()"),
            "\"00000000-0000-0000-0000-000000000000\"");
  EXPECT_EQ(DefaultJson(pgtype::kJsonb, -1, "'{\"a\": 1}'::jsonb"), "\"{\\\"a\\\": 1}\"");
  EXPECT_EQ(DefaultJson(pgtype::kBool, -1, "true"), "true");
  EXPECT_EQ(DefaultJson(pgtype::kBit, 1, "'1'::\"bit\""), "true");
  EXPECT_EQ(DefaultJson(pgtype::kFloat8, -1, "1.5"), "1.5");
  EXPECT_EQ(DefaultJson(pgtype::kDate, -1, "'2016-11-04'::date"), "17109");
  EXPECT_EQ(DefaultJson(pgtype::kNumeric, Numeric(6, 2), "12.5"), "\"BOI=\"");  // 1250
  // No mapper in Debezium: bytea, money, timetz, inet; a variable-scale numeric is a struct.
  EXPECT_EQ(DefaultJson(pgtype::kBytea, -1, "'\\x01'::bytea"), "<none>");
  EXPECT_EQ(DefaultJson(pgtype::kMoney, -1, "'1.00'::money"), "<none>");
  EXPECT_EQ(DefaultJson(pgtype::kTimetz, -1, "'10:00:00+00'::time with time zone"), "<none>");
  EXPECT_EQ(DefaultJson(pgtype::kNumeric, -1, "1.5"), "<none>");
  // A domain's type name has no mapper.
  EXPECT_FALSE(ColumnDefaultText(CodecFor(pgtype::kInt4, -1, {}), "1", true).has_value());
  // Enums: 'label'::type where the cast names the column's type.
  ColumnCodec e;
  e.type = ValueType::kEnum;
  e.type_name = "test_type";
  EXPECT_EQ(ColumnDefaultText(e, "'V2'::test_type", false).value_or("<none>"), "V2");
  EXPECT_EQ(ColumnDefaultText(e, "'V2'::other", false).value_or("<none>"), "<none>");
}

TEST(FidelityValues, FloatsAsJsonConverterWritesThem) {
  // schemasAndValuesForNumericType: r_int 3.0f, db_int 4.0d, r 3.3f, db 4.44d.
  EXPECT_EQ(Render(pgtype::kFloat4, -1, "3"), "3.0");
  EXPECT_EQ(Render(pgtype::kFloat8, -1, "4"), "4.0");
  EXPECT_EQ(Render(pgtype::kFloat8, -1, "-2"), "-2.0");
  EXPECT_EQ(Render(pgtype::kFloat4, -1, "3.3"), "3.3");
  EXPECT_EQ(Render(pgtype::kFloat8, -1, "4.44"), "4.44");
  // schemasAndValuesForNumericTypesUsingDoubleMode-like: numeric 22 as double 22.0.
  ConverterOptions dbl;
  dbl.decimal = DecimalHandling::kDouble;
  EXPECT_EQ(Render(pgtype::kNumeric, -1, "22", dbl), "22.0");
  // schemaAndValuesForGeomTypes: point (1,1) -> x 1.0, y 1.0.
  EXPECT_EQ(Render(pgtype::kPoint, -1, "(1,1)"),
            R"({"x":1.0,"y":1.0,"wkb":"AQEAAAAAAAAAAADwPwAAAAAAAPA/","srid":null})");
}

// AbstractRecordsProducerTest.schemasAndValuesForDomainAliasTypes (Debezium after 3.6.1,
// dbz#2135; 3.6.1 leaves these columns out): box '(0,0),(1,1)' (PostgreSQL prints (1,1),(0,0))
// is the ring (1,1) (1,0) (0,0) (0,1) (1,1); the closed path '((0,0),(0,1),(0,2))' a line string.
TEST(FidelityValues, BoxRingAndClosedPath) {
  auto wkb = [](std::vector<double> xy, bool polygon) {
    std::string w(1, 1);
    auto u32 = [&w](uint32_t v) {
      for (int i = 0; i < 4; ++i) w.push_back(static_cast<char>(v >> (8 * i)));
    };
    u32(polygon ? 3 : 2);
    if (polygon) u32(1);
    u32(static_cast<uint32_t>(xy.size() / 2));
    for (double d : xy) {
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      for (int i = 0; i < 8; ++i) w.push_back(static_cast<char>(bits >> (8 * i)));
    }
    std::string out;
    JsonWriter jw(&out);
    AppendBytes(BinaryHandling::kBytes, w, jw);
    return out;
  };
  EXPECT_EQ(Render(pgtype::kBox, -1, "(1,1),(0,0)"),
            R"({"wkb":)" + wkb({1, 1, 1, 0, 0, 0, 0, 1, 1, 1}, true) +
                R"(,"srid":null,"extensions":{"type":"box"}})");
  EXPECT_EQ(Render(pgtype::kPath, -1, "((0,0),(0,1),(0,2))"),
            R"({"wkb":)" + wkb({0, 0, 0, 1, 0, 2}, false) +
                R"(,"srid":null,"extensions":{"type":"path","closed":"true"}})");
  // circle <(10,4),10> -> Circle(10.0, 4.0, 10.0); line {-1,0,0}.
  EXPECT_EQ(Render(pgtype::kCircle, -1, "<(10,4),10>").substr(0, 27),
            R"({"center":{"x":10.0,"y":4.0)");
  EXPECT_EQ(Render(pgtype::kLine, -1, "{-1,0,0}"), R"({"a":-1.0,"b":0.0,"c":0.0})");
}

// PostgresTemporalPrecisionHandlingIT.shouldConvertTemporalsToIsoString: IsoDate "2017-09-15Z",
// IsoTime "04:05:11.789Z"; far dates keep Java's '+' (and never overflow the day arithmetic).
TEST(FidelityValues, IsoStringMode) {
  ConverterOptions iso;
  iso.time_precision = TimePrecision::kIsoString;
  EXPECT_EQ(Render(pgtype::kDate, -1, "2017-09-15", iso), "\"2017-09-15Z\"");
  EXPECT_EQ(Render(pgtype::kDate, -1, "5874897-12-31", iso), "\"+5874897-12-31Z\"");
  EXPECT_EQ(Render(pgtype::kTime, -1, "04:05:11.789", iso), "\"04:05:11.789Z\"");
  EXPECT_EQ(Render(pgtype::kTimestamp, 1, "2019-07-09 02:28:57.1", iso),
            "\"2019-07-09T02:28:57.1Z\"");
  ConverterOptions nano;
  nano.time_precision = TimePrecision::kNanoseconds;
  EXPECT_EQ(Render(pgtype::kTime, -1, "04:05:11.789", nano), "14711789000000");
  EXPECT_EQ(Render(pgtype::kTimestamp, -1, "infinity", nano), "9223372036854775807");
}

// RecordsStreamProducerIT.testStreamMoneyPreciseDecimalFraction: money.fraction.digits 1 ->
// Decimal(scale 1) 123.5 from $123.46 (HALF_UP).
TEST(FidelityValues, MoneyFractionDigits) {
  ConverterOptions one;
  one.money_fraction_digits = 1;
  EXPECT_EQ(Render(pgtype::kMoney, -1, "$123.46", one), "\"BNM=\"");  // 1235
  EXPECT_EQ(Render(pgtype::kMoney, -1, "-$0.95", one), "\"9g==\"");   // -10 (half away from 0)
  ConverterOptions none;
  none.money_fraction_digits = 0;
  EXPECT_EQ(Render(pgtype::kMoney, -1, "$0.05", none), "\"AA==\"");  // 0
  EXPECT_EQ(Render(pgtype::kMoney, -1, "$0.50", none), "\"AQ==\"");  // 1
}

TEST(FidelityValues, BitVaryingOneIsBoolean) {
  // schemaAndValuesForBinTypes: bv1 BIT VARYING(1) '1' -> true (OPTIONAL_BOOLEAN_SCHEMA).
  EXPECT_EQ(Render(pgtype::kVarbit, 1, "1"), "true");
  EXPECT_EQ(ConnectTypeOf(CodecFor(pgtype::kVarbit, 1, {})), ConnectType::kBoolean);
  EXPECT_EQ(Render(pgtype::kVarbit, 2, "00"), "\"\"");  // bv: Bits(2), no bytes
}

TEST(FidelityToast, ArrayPlaceholders) {
  std::string ints = "[";
  for (char ch : std::string("__debezium_unavailable_value")) {
    if (ints.size() > 1) ints += ",";
    ints += std::to_string(static_cast<unsigned char>(ch));
  }
  ints += "]";
  // shouldHandleToastedDateArrayColumn / IntegerArrayColumn / BigIntArrayColumn
  EXPECT_EQ(Unavailable(1182 /* _date */), ints);
  EXPECT_EQ(Unavailable(1007 /* _int4 */), ints);
  EXPECT_EQ(Unavailable(1016 /* _int8 */), ints);
  // shouldHandleToastedUuidArrayColumn: UUID.nameUUIDFromBytes(placeholder)
  EXPECT_EQ(Unavailable(2951 /* _uuid */), R"(["b68a35a7-17ad-35b3-af2a-ae46edb4545a"])");
  // shouldHandleToastedByteArrayColumn: the placeholder's bytes
  EXPECT_EQ(Unavailable(1001 /* _bytea */), R"(["X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ=="])");
  // hex mode: the placeholder itself (shouldHandleToastedByteaColumnInHexMode), not hex
  ConverterOptions hex;
  hex.binary = BinaryHandling::kHex;
  EXPECT_EQ(Unavailable(1001, hex), R"(["__debezium_unavailable_value"])");
  // shouldHandleToastedArrayColumn / CharacterVarying / BpChar / JsonArrayColumn
  EXPECT_EQ(Unavailable(1009 /* _text */), R"(["__debezium_unavailable_value"])");
  EXPECT_EQ(Unavailable(199 /* _json */), R"(["__debezium_unavailable_value"])");
  // No placeholder shape fits a boolean element: an error naming the fix.
  EXPECT_NE(Unavailable(1000 /* _bool */).find("REPLICA IDENTITY FULL"), std::string::npos);
}

TEST(FidelityToast, Md5KnownAnswers) {
  auto hex = [](std::string_view s) {
    std::string out;
    for (unsigned char b : Md5(s)) {
      static constexpr char kHex[] = "0123456789abcdef";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
    return out;
  };
  EXPECT_EQ(hex(""), "d41d8cd98f00b204e9800998ecf8427e");  // RFC 1321 appendix A.5
  EXPECT_EQ(hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex(std::string(1000, 'a')), "cabe45dcc9ae5b66ba86600cca6b8ba8");
}

}  // namespace
}  // namespace cdc
