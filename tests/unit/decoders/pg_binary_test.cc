#include "decoders/values/pg_binary.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>

#include "decoders/values/binary_json.h"
#include "decoders/values/pg_type_oids.h"
#include "decoders/values/value_json.h"
#include "tests/unit/test_util.h"

// Each case is a value in its binary send format (bytes worked out by hand from the type's
// *send function) and the text its output function prints: the binary path must render exactly
// what the text path renders, and every truncation of the bytes must be an error, not a crash.

namespace cdc {
namespace {

struct BinaryCase {
  uint32_t oid;
  int32_t typmod;
  const char* hex;   // the send format
  const char* text;  // the output function's text for the same value
};

constexpr int32_t Numeric(int precision, int scale) { return ((precision << 16) | scale) + 4; }

const BinaryCase kBinaryCases[] = {
    {pgtype::kBool, -1, "01", "t"},
    {pgtype::kBool, -1, "00", "f"},
    {pgtype::kInt2, -1, "8000", "-32768"},
    {pgtype::kInt4, -1, "7fffffff", "2147483647"},
    {pgtype::kInt8, -1, "8000000000000000", "-9223372036854775808"},
    {pgtype::kOid, -1, "ffffffff", "4294967295"},
    {pgtype::kFloat8, -1, "3ff8000000000000", "1.5"},
    {pgtype::kFloat8, -1, "3fb999999999999a", "0.1"},
    {pgtype::kFloat8, -1, "54b249ad2594c37d", "1e+100"},
    {pgtype::kFloat8, -1, "7ff8000000000000", "NaN"},
    {pgtype::kFloat8, -1, "fff0000000000000", "-Infinity"},
    {pgtype::kFloat8, -1, "8000000000000000", "-0"},
    {pgtype::kFloat8, -1, "42dc12218377de40", "123456789012345"},
    {pgtype::kFloat8, -1, "430c6bf526340000", "1e+15"},
    {pgtype::kFloat8, -1, "3f1a36e2eb1c432d", "0.0001"},
    {pgtype::kFloat8, -1, "3eef75104d551d69", "1.5e-05"},
    {pgtype::kFloat8, -1, "0000000000000001", "5e-324"},
    {pgtype::kFloat8, -1, "7fefffffffffffff", "1.7976931348623157e+308"},
    {pgtype::kFloat8, -1, "c0091eb851eb851f", "-3.14"},
    {pgtype::kFloat8, -1, "4059000000000000", "100"},
    {pgtype::kFloat4, -1, "3fc00000", "1.5"},
    {pgtype::kFloat4, -1, "3dcccccd", "0.1"},
    {pgtype::kFloat4, -1, "49742400", "1e+06"},
    {pgtype::kFloat4, -1, "47f12000", "123456"},
    {pgtype::kFloat4, -1, "7f7fffff", "3.4028235e+38"},
    {pgtype::kFloat4, -1, "7f800000", "Infinity"},
    {pgtype::kNumeric, Numeric(10, 2), "0002000000000002000c0d48", "12.34"},
    {pgtype::kNumeric, Numeric(10, 2), "000200004000000204d2044c", "-1234.11"},
    {pgtype::kNumeric, -1, "0000000000000003", "0.000"},
    {pgtype::kNumeric, -1, "0002000000000004000a0457", "10.1111"},
    {pgtype::kNumeric, -1, "0001ffff000000040001", "0.0001"},
    {pgtype::kNumeric, -1, "0001fffd000000091388", "0.000000005"},
    {pgtype::kNumeric, -1, "0003000200000000000109291a85", "123456789"},
    {pgtype::kNumeric, -1, "00010005000000000001", "100000000000000000000"},
    {pgtype::kNumeric, -1, "0006000100000014000100020003000400050006",
     "10002.00030004000500060000"},
    {pgtype::kNumeric, -1, "00000000c0000000", "NaN"},
    {pgtype::kChar, -1, "41", "A"},
    {pgtype::kChar, -1, "00", ""},
    {pgtype::kChar, -1, "e9", "\\351"},
    {pgtype::kText, -1, "74616209686572652022712220c3a9",
     "tab\x09"
     "here \"q\" \xc3"
     "\xa9"
     ""},
    {pgtype::kBpchar, -1, "61622020", "ab  "},
    {pgtype::kName, -1, "6e", "n"},
    {pgtype::kUuid, -1, "a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
    {pgtype::kJson, -1, "7b2261223a20317d", "{\"a\": 1}"},
    {pgtype::kJsonb, -1, "017b2261223a20317d", "{\"a\": 1}"},
    {pgtype::kXml, -1, "3c613e783c2f613e", "<a>x</a>"},
    {pgtype::kBytea, -1, "010203", "\\x010203"},
    {pgtype::kBytea, -1, "", "\\x"},
    {pgtype::kMacaddr, -1, "08002b010203", "08:00:2b:01:02:03"},
    {pgtype::kMacaddr8, -1, "08002b0102030405", "08:00:2b:01:02:03:04:05"},
    {pgtype::kDate, -1, "00001808", "2016-11-04"},
    {pgtype::kDate, -1, "ffffd532", "1969-12-31"},
    {pgtype::kDate, -1, "7fffffff", "infinity"},
    {pgtype::kDate, -1, "80000000", "-infinity"},
    {pgtype::kDate, -1, "fff4da8b", "0001-01-01 BC"},
    {pgtype::kTime, -1, "000000141dd76000", "24:00:00"},
    {pgtype::kTime, 3, "00000000ddef6e00", "01:02:03.456"},
    {pgtype::kTimetz, -1, "0000000b9daee00dffffe3e0", "13:51:30.123789+02"},
    {pgtype::kTimetz, -1, "000000018d160d8000003138", "01:51:02-03:30"},
    {pgtype::kTimestamp, -1, "0002121301c766d0", "2018-06-20 15:13:16.945104"},
    {pgtype::kTimestamp, 3, "0002121301c76668", "2018-06-20 15:13:16.945"},
    {pgtype::kTimestamp, -1, "fffca2fec4c81fff", "1969-12-31 23:59:59.999999"},
    {pgtype::kTimestamp, -1, "7fffffffffffffff", "infinity"},
    {pgtype::kTimestamp, 3, "8000000000000000", "-infinity"},
    {pgtype::kTimestamptz, -1, "0002121301c766d0", "2018-06-20 15:13:16.945104+00"},
    {pgtype::kTimestamptz, 2, "0002121301c752e0", "2018-06-20 15:13:16.94+00"},
    {pgtype::kTimestamptz, -1, "8000000000000000", "-infinity"},
    {pgtype::kInterval, -1, "000000036c97a760fffffffd0000000e",
     "1 year 2 mons -3 days 04:05:06.78"},
    {pgtype::kInterval, -1, "fffffffc936858a00000000000000000", "-04:05:06.78"},
    {pgtype::kInterval, -1, "00000053d1ac100000000000ffffffff", "-1 mons +100:00:00"},
    {pgtype::kBit, 1, "0000000180", "1"},
    {pgtype::kBit, 1, "0000000100", "0"},
    {pgtype::kVarbit, -1, "00000018030201", "000000110000001000000001"},
    {pgtype::kBit, 10, "0000000affc0", "1111111111"},
    {pgtype::kPoint, -1, "3ff8000000000000c000000000000000", "(1.5,-2)"},
    {pgtype::kBox, -1, "3ff00000000000003ff000000000000000000000000000000000000000000000",
     "(1,1),(0,0)"},
    {pgtype::kLseg, -1, "000000000000000000000000000000003ff80000000000004000000000000000",
     "[(0,0),(1.5,2)]"},
    {pgtype::kPath, -1,
     "0000000002000000000000000000000000000000003ff00000000000003ff0000000000000", "[(0,0),(1,1)]"},
    {pgtype::kPath, -1,
     "0100000003000000000000000000000000000000003ff00000000000003ff00000000000004000000000000000000"
     "0000000000000",
     "((0,0),(1,1),(2,0))"},
    {pgtype::kPolygon, -1,
     "00000003000000000000000000000000000000003ff00000000000003ff0000000000000400000000000000000000"
     "00000000000",
     "((0,0),(1,1),(2,0))"},
    {pgtype::kLine, -1, "3ff0000000000000bff00000000000000000000000000000", "{1,-1,0}"},
    {pgtype::kCircle, -1, "3ff000000000000040000000000000003fe0000000000000", "<(1,2),0.5>"},
    {1007, -1, "00000001000000010000001700000003000000010000000400000001ffffffff0000000400000003",
     "{1,NULL,3}"},
    {1007, -1,
     "000000020000000000000017000000020000000100000002000000010000000400000001000000040000000200000"
     "004000000030000000400000004",
     "{{1,2},{3,4}}"},
    {1007, -1, "000000000000000000000017", "{}"},
    {1009, -1,
     "00000001000000000000001900000003000000010000000361206200000003632264000000044e554c4c",
     "{\"a b\",\"c\\\"d\",\"NULL\"}"},
    {1001, -1, "00000001000000000000001100000002000000010000000201ff00000000",
     "{\"\\\\x01ff\",\"\\\\x\"}"},
    {1231, -1,
     "0000000100000000000006a400000002000000010000000c000200000000000100011388000000080000000000000"
     "000",
     "{1.5,0}"},
    {1115, -1, "00000001000000000000045a0000000100000001000000080002121301c766d0",
     "{\"2018-06-20 15:13:16.945104\"}"},
    {2951, -1, "000000010000000000000b86000000010000000100000010a0eebc999c0b4ef8bb6d6bb9bd380a11",
     "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"},
};

std::string Bytes(const char* hex) {
  auto v = testing::FromHex(hex);
  return std::string(v.begin(), v.end());
}

std::string RenderText(const ColumnCodec& codec, std::string_view text) {
  std::string out;
  JsonWriter w(&out);
  Status s = AppendValue(codec, text, w);
  return s.ok() ? out : "ERROR: " + s.message();
}

std::string RenderBinary(const ColumnCodec& codec, std::string_view bytes) {
  std::string out;
  JsonWriter w(&out);
  Status s = AppendBinaryValue(codec, bytes, w);
  return s.ok() ? out : "ERROR: " + s.message();
}

// The option sets the renderings depend on: every case is checked under each.
std::vector<ConverterOptions> OptionSets() {
  std::vector<ConverterOptions> sets(4);
  sets[1].decimal = DecimalHandling::kString;
  sets[1].binary = BinaryHandling::kHex;
  sets[1].time_precision = TimePrecision::kConnect;
  sets[1].interval = IntervalHandling::kString;
  sets[2].decimal = DecimalHandling::kDouble;
  sets[2].binary = BinaryHandling::kBase64UrlSafe;
  sets[2].time_precision = TimePrecision::kAdaptiveTimeMicroseconds;
  sets[3].binary = BinaryHandling::kBase64;
  return sets;
}

TEST(PgBinaryTest, RendersWhatTheTextPathRenders) {
  for (const auto& o : OptionSets()) {
    for (const auto& c : kBinaryCases) {
      ColumnCodec codec = CodecFor(c.oid, c.typmod, o);
      ASSERT_TRUE(BinaryDecodable(codec)) << c.oid;
      const std::string text = RenderText(codec, c.text);
      const std::string binary = RenderBinary(codec, Bytes(c.hex));
      EXPECT_EQ(binary, text) << "oid " << c.oid << " text '" << c.text << "' bytes " << c.hex;
      // NaN under decimal_handling precise is an error on both paths; everything else renders.
      if (std::string_view(c.text) != "NaN" || c.oid != pgtype::kNumeric ||
          o.decimal != DecimalHandling::kPrecise) {
        EXPECT_EQ(text.rfind("ERROR", 0), std::string::npos) << c.text << ": " << text;
      }
    }
  }
}

// Types whose send format is the text itself take any bytes; the others have a fixed shape.
bool RawText(uint32_t oid) {
  return oid == pgtype::kText || oid == pgtype::kBpchar || oid == pgtype::kName ||
         oid == pgtype::kJson || oid == pgtype::kXml || oid == pgtype::kBytea;
}

TEST(PgBinaryTest, TruncatedOrPaddedBytesAreErrors) {
  const ConverterOptions o;
  for (const auto& c : kBinaryCases) {
    if (RawText(c.oid)) continue;
    ColumnCodec codec = CodecFor(c.oid, c.typmod, o);
    const std::string bytes = Bytes(c.hex);
    for (size_t n = 0; n < bytes.size(); ++n) {
      // jsonb's version byte alone is the empty document's prefix; not a shape error.
      if (c.oid == pgtype::kJsonb && n >= 1) continue;
      EXPECT_EQ(RenderBinary(codec, bytes.substr(0, n)).rfind("ERROR", 0), 0u)
          << "oid " << c.oid << " truncated to " << n << " of " << bytes.size();
    }
    if (c.oid == pgtype::kJsonb) continue;
    EXPECT_EQ(RenderBinary(codec, bytes + '\0').rfind("ERROR", 0), 0u)
        << "oid " << c.oid << " with a trailing byte";
  }
}

TEST(PgBinaryTest, MalformedShapesAreErrors) {
  const ConverterOptions o;
  auto error = [&](uint32_t oid, int32_t typmod, const char* hex) {
    return RenderBinary(CodecFor(oid, typmod, o), Bytes(hex)).rfind("ERROR", 0) == 0;
  };
  // numeric: a digit past 9999, a bad sign, a negative count or scale, NaN with digits.
  EXPECT_TRUE(error(pgtype::kNumeric, -1, "0001 0000 0000 0000 2710"));
  EXPECT_TRUE(error(pgtype::kNumeric, -1, "0000 0000 1234 0000"));
  EXPECT_TRUE(error(pgtype::kNumeric, -1, "ffff 0000 0000 0000"));
  EXPECT_TRUE(error(pgtype::kNumeric, -1, "0000 0000 0000 ffff"));
  EXPECT_TRUE(error(pgtype::kNumeric, -1, "0001 0000 c000 0000 0001"));
  // arrays: 7 dimensions, a negative length, more items than bytes, an element past the end,
  // an element length below -1.
  EXPECT_TRUE(error(1007, -1, "00000007 00000000 00000017"));
  EXPECT_TRUE(error(1007, -1, "00000001 00000000 00000017 ffffffff 00000001"));
  EXPECT_TRUE(error(1007, -1, "00000002 00000000 00000017 7fffffff 00000001 7fffffff 00000001"));
  EXPECT_TRUE(error(1007, -1, "00000001 00000000 00000017 00000001 00000001 00000008 00000001"));
  EXPECT_TRUE(error(1007, -1, "00000001 00000000 00000017 00000001 00000001 fffffffe"));
  // an element that is not a valid int4 (5 bytes)
  EXPECT_TRUE(error(1007, -1, "00000001 00000000 00000017 00000001 00000001 00000005 0000000001"));
  // bit strings: a negative length, fewer bytes than bits.
  EXPECT_TRUE(error(pgtype::kVarbit, -1, "ffffffff"));
  EXPECT_TRUE(error(pgtype::kVarbit, -1, "00000011 ffff"));
  // path/polygon: negative and oversized point counts.
  EXPECT_TRUE(error(pgtype::kPolygon, -1, "ffffffff"));
  EXPECT_TRUE(error(pgtype::kPath, -1, "01 7fffffff 0000000000000000"));
  // time past 24:00, timestamps that overflow Unix micros, jsonb of another version.
  EXPECT_TRUE(error(pgtype::kTime, -1, "0000001500000000"));
  EXPECT_TRUE(error(pgtype::kTimestamp, -1, "7ffffffffffffffe"));
  EXPECT_TRUE(error(pgtype::kJsonb, -1, "02 7b7d"));
}

TEST(PgBinaryTest, ExtensionTypesEnumsAndDomains) {
  std::unordered_map<uint32_t, TypeInfo> types;
  types[90001] = TypeInfo{'e', "mood", 0, 0, "sad,ok,happy"};
  types[90002] = TypeInfo{'b', "hstore", 0, 0, ""};
  types[90003] = TypeInfo{'b', "ltree", 0, 0, ""};
  types[90004] = TypeInfo{'b', "citext", 0, 0, ""};
  types[90005] = TypeInfo{'d', "price", 0, pgtype::kNumeric, ""};
  types[90006] = TypeInfo{'b', "_mood", 90001, 0, ""};
  types[90007] = TypeInfo{'r', "floatrange", 0, 0, ""};
  types[90008] = TypeInfo{'b', "geometry", 0, 0, ""};
  TypeLookup lookup = [&](uint32_t oid) -> const TypeInfo* {
    auto it = types.find(oid);
    return it == types.end() ? nullptr : &it->second;
  };
  for (auto hstore : {HstoreHandling::kJson, HstoreHandling::kMap}) {
    ConverterOptions o;
    o.hstore = hstore;
    o.unknown_types = UnknownTypePolicy::kString;
    struct {
      uint32_t oid;
      int32_t typmod;
      std::string bytes;
      const char* text;
    } cases[] = {
        {90001, -1, "happy", "happy"},
        {90002, -1,
         Bytes("00000003 00000001 61 00000001 31 00000003 622262 ffffffff 00000001 5c 00000000"),
         R"("a"=>"1", "b\"b"=>NULL, "\\"=>"")"},
        {90002, -1, Bytes("00000000"), ""},
        {90003, -1, Bytes("01 612e622e63"), "a.b.c"},
        {90004, -1, "MiXeD", "MiXeD"},
        {90005, Numeric(10, 2), Bytes("0002 0000 0000 0002 000c 0d48"), "12.34"},
        {90006, -1, Bytes("00000001 00000000 00015f91 00000002 00000001 00000002 6f6b ffffffff"),
         "{ok,NULL}"},
    };
    for (const auto& c : cases) {
      ColumnCodec codec = CodecFor(c.oid, c.typmod, o, lookup);
      ASSERT_TRUE(BinaryDecodable(codec)) << c.oid;
      const std::string text = RenderText(codec, c.text);
      EXPECT_EQ(text.rfind("ERROR", 0), std::string::npos) << text;
      EXPECT_EQ(RenderBinary(codec, c.bytes), text) << c.oid;
    }
    // hstore: a key without its bytes, a value length below -1.
    ColumnCodec h = CodecFor(90002, -1, o, lookup);
    EXPECT_EQ(RenderBinary(h, Bytes("00000001 00000005 61")).rfind("ERROR", 0), 0u);
    EXPECT_EQ(RenderBinary(h, Bytes("00000001 00000001 61 fffffffe")).rfind("ERROR", 0), 0u);
    EXPECT_EQ(RenderBinary(CodecFor(90003, -1, o, lookup), Bytes("02 61")).rfind("ERROR", 0), 0u);
    // Ranges and unmapped extension types need their text form.
    EXPECT_FALSE(BinaryDecodable(CodecFor(90007, -1, o, lookup)));
    EXPECT_FALSE(BinaryDecodable(CodecFor(90008, -1, o, lookup)));
    EXPECT_EQ(BinaryUndecodableTypeName(CodecFor(90008, -1, o, lookup)), "geometry");
  }
}

TEST(PgBinaryTest, TypesLeftToTextAreNotDecodable) {
  const ConverterOptions o;
  for (uint32_t oid : {pgtype::kMoney, pgtype::kInet, pgtype::kCidr, pgtype::kTsvector,
                       pgtype::kInt4Range, pgtype::kTstzRange, uint32_t{1020} /* box[] */,
                       uint32_t{1041} /* inet[] */, uint32_t{791} /* money[] */}) {
    ColumnCodec codec = CodecFor(oid, -1, o);
    EXPECT_FALSE(BinaryDecodable(codec)) << oid;
    // A binary value of such a type is refused, never guessed at.
    EXPECT_EQ(RenderBinary(codec, Bytes("00000000")).rfind("ERROR", 0), 0u) << oid;
  }
  EXPECT_EQ(BinaryUndecodableTypeName(CodecFor(1041, -1, o)), "inet[]");
  EXPECT_EQ(BinaryUndecodableTypeName(CodecFor(pgtype::kMoney, -1, o)), "money");
  // xml_send adds an encoding declaration for a client encoding other than UTF8.
  EXPECT_TRUE(BinaryDecodable(CodecFor(pgtype::kXml, -1, o), true));
  EXPECT_FALSE(BinaryDecodable(CodecFor(pgtype::kXml, -1, o), false));
}

TEST(PgBinaryTest, FloatTextMatchesPostgres) {
  // Outputs of SELECT x::float8 / x::float4 with extra_float_digits = 3 (PostgreSQL 12+).
  auto f8 = [](double d) {
    std::string s;
    pgbinary::AppendFloat8Text(&s, d);
    return s;
  };
  auto f4 = [](float f) {
    std::string s;
    pgbinary::AppendFloat4Text(&s, f);
    return s;
  };
  EXPECT_EQ(f8(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(f8(1e-5), "1e-05");
  EXPECT_EQ(f8(-1234.5e20), "-1.2345e+23");
  EXPECT_EQ(f8(99999999999999.9), "99999999999999.9");
  EXPECT_EQ(f8(2.5e-310), "2.5e-310");
  EXPECT_EQ(f8(0.0), "0");
  EXPECT_EQ(f4(3.14159f), "3.14159");
  EXPECT_EQ(f4(1e-5f), "1e-05");
  EXPECT_EQ(f4(999999.0f), "999999");
  EXPECT_EQ(f4(-0.0f), "-0");
  EXPECT_EQ(f4(1.17549435e-38f), "1.1754944e-38");
}

}  // namespace
}  // namespace cdc
