// Debezium's schema.name.adjustment.mode / field.name.adjustment.mode (name_adjuster.h): its own
// test cases ported (SchemaNameAdjusterTest in debezium-connector-common), the quirks its code
// has, and the names a JSON event carries under each mode.

#include "decoders/events/name_adjuster.h"

#include <gtest/gtest.h>

#include "tests/unit/decoders/event_builder_fixture.h"

namespace cdc::eb_test {
namespace {

constexpr auto kAvro = NameAdjustment::kAvro;
constexpr auto kUni = NameAdjustment::kAvroUnicode;
constexpr auto kNone = NameAdjustment::kNone;

// SchemaNameAdjusterTest.shouldConsiderValidFullnames / shouldConsiderInvalidFullnames: a valid
// name is returned as it is, an invalid one is not.
TEST(NameAdjusterTest, ValidFullnamesAreKept) {
  EXPECT_EQ(AdjustSchemaName("test_server.connector_test.products.Key", kAvro),
            "test_server.connector_test.products.Key");
  EXPECT_EQ(AdjustSchemaName("t1234.connector_test.products.Key", kAvro),
            "t1234.connector_test.products.Key");
  EXPECT_EQ(AdjustSchemaName("test-server.connector_test.products.Key", kAvro),
            "test_server.connector_test.products.Key");
}

// shouldDetermineValidFirstCharacters / shouldDetermineValidNonFirstCharacters (underscore).
TEST(NameAdjusterTest, UnderscoreReplacementCharacterClasses) {
  const std::string first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
  for (char c : first) {
    EXPECT_EQ(AdjustSchemaName(std::string(1, c), kAvro), std::string(1, c)) << c;
  }
  const std::string rest = ".abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
  for (char c : rest) {
    const std::string name = std::string("a") + c;
    EXPECT_EQ(AdjustSchemaName(name, kAvro), name) << c;
  }
  EXPECT_EQ(AdjustSchemaName("a-b c$d", kAvro), "a_b_c_d");
}

// shouldConsiderInvalidFirstCharacters: under avro_unicode "1", "_" and CJK are invalid first
// characters, and "_" and CJK invalid later too.
TEST(NameAdjusterTest, UnicodeReplacementCharacterClasses) {
  EXPECT_EQ(AdjustSchemaName("1", kUni), "_u0031");
  EXPECT_EQ(AdjustSchemaName("_", kUni), "_u005f");
  EXPECT_EQ(AdjustSchemaName("语", kUni), "_u8bed");
  EXPECT_EQ(AdjustSchemaName("a_", kUni), "a_u005f");
  EXPECT_EQ(AdjustSchemaName("a语", kUni), "a_u8bed");
  EXPECT_EQ(AdjustSchemaName("a1.b", kUni), "a1.b");
}

// shouldConvertInvalidCharactersToUnicode.
TEST(NameAdjusterTest, ConvertInvalidCharactersToUnicode) {
  EXPECT_EQ(AdjustSchemaName("_hello_语言.", kUni), "_u005fhello_u005f_u8bed_u8a00.");
}

// whenFirstCharIsInvalidAddUnderscoreBeforeInsteadOfReplacingIt (DBZ-6559).
TEST(NameAdjusterTest, LeadingDigitGetsAnUnderscoreInFront) {
  EXPECT_EQ(AdjustSchemaName("24ColumnName", kAvro), "_24ColumnName");
  EXPECT_EQ(AdjustSchemaName("44ColumnName", kAvro), "_44ColumnName");
  EXPECT_EQ(AdjustFieldName("1st col", kAvro), "_1st_col");
  // Only underscore replacement keeps the digit; avro_unicode escapes it.
  EXPECT_EQ(AdjustFieldName("1st", kUni), "_u0031st");
  // Java's Character.isDigit: an Arabic-Indic digit is kept too (the name stays invalid).
  EXPECT_EQ(AdjustFieldName("\u0663x", kAvro), "_\u0663x");
  // Any other invalid first character is replaced.
  EXPECT_EQ(AdjustFieldName("-x", kAvro), "_x");
}

// The quirk the reference notes: only the first character of the WHOLE name is checked as a
// first character, so a segment starting with a digit stays.
TEST(NameAdjusterTest, OnlyTheWholeNamesFirstCharacterIsAFirstCharacter) {
  EXPECT_EQ(AdjustSchemaName("pg.public.1x.Value", kAvro), "pg.public.1x.Value");
  EXPECT_EQ(AdjustSchemaName("pg.public.my-table.Value", kAvro), "pg.public.my_table.Value");
}

// FieldNameUnderscoreReplacementFunction / FieldNameUnicodeReplacementFunction: '.' is invalid in
// a field name, valid in a schema name.
TEST(NameAdjusterTest, FieldNamesReplaceDots) {
  EXPECT_EQ(AdjustFieldName("a.b", kAvro), "a_b");
  EXPECT_EQ(AdjustSchemaName("a.b", kAvro), "a.b");
  EXPECT_EQ(AdjustFieldName("a.b_c", kUni), "a_u002eb_u005fc");
  EXPECT_EQ(AdjustFieldName("ok_name9", kAvro), "ok_name9");
}

// UnicodeReplacementFunction.replace: Integer.toHexString padded with "00" only when it has at
// most two digits; UTF-16 units, so a character outside the BMP is a surrogate pair.
TEST(NameAdjusterTest, UnicodeEscapesAsJavaSpellsThem) {
  EXPECT_EQ(AdjustFieldName("a\tb", kUni), "a_u009b");
  EXPECT_EQ(AdjustFieldName("a b", kUni), "a_u0020b");
  EXPECT_EQ(AdjustFieldName("aĀ", kUni), "a_u100");  // U+0100
  EXPECT_EQ(AdjustFieldName("aé", kUni), "a_u00e9");
  EXPECT_EQ(AdjustFieldName("a😀", kUni), "a_ud83d_ude00");
  EXPECT_EQ(AdjustFieldName("a😀", kAvro), "a__");
  EXPECT_EQ(AdjustFieldName("aé", kAvro), "a_");
}

TEST(NameAdjusterTest, NoneAndEmptyAreUnchanged) {
  EXPECT_EQ(AdjustSchemaName("my-table 1", kNone), "my-table 1");
  EXPECT_EQ(AdjustFieldName("1st col", kNone), "1st col");
  EXPECT_EQ(AdjustFieldName("", kAvro), "");
  EXPECT_EQ(AdjustSchemaName("", kUni), "");
}

class NameAdjustmentEventTest : public EventBuilderTest {
 protected:
  const TableSchema& MyTable() {
    pgoutput::Relation rel;
    rel.oid = 16500;
    rel.nspname = "public";
    rel.relname = "my-table";
    rel.replica_identity = 'd';
    rel.columns = {{1, "id", pgtype::kInt4, -1}, {0, "1st col", pgtype::kText, -1}};
    CatalogHints hints;
    hints.known = true;
    hints.primary_key = {"id"};
    hints.topic = "shop.public.my-table";
    auto t = cache_.Update(rel, hints, true);
    EXPECT_TRUE(t.ok()) << t.status().message();
    return **t;
  }

  Captured Insert() {
    EventBuilder b = Builder();
    const auto& t = MyTable();
    pgoutput::Insert ins{16500, Tuple{T("1"), T("x")}};
    EXPECT_TRUE(b.OnInsert(t, ins, Txn(), Lsn(23044320), out_).ok());
    EXPECT_EQ(out_.events.size(), 1u);
    return out_.events.at(0);
  }
};

TEST_F(NameAdjustmentEventTest, AvroModesAdjustSchemaAndFieldNamesNotTopicOrSource) {
  options_.schema_name_adjustment = kAvro;
  options_.field_name_adjustment = kAvro;
  Captured e = Insert();
  EXPECT_EQ(e.topic, "shop.public.my-table");  // topics are never adjusted
  EXPECT_EQ(e.key->at("schema")["name"], "shop.public.my_table.Key");
  const json& v = *e.value;
  EXPECT_EQ(v["schema"]["name"], "shop.public.my_table.Envelope");
  const json& after = v["schema"]["fields"][1];
  EXPECT_EQ(after["name"], "shop.public.my_table.Value");
  EXPECT_EQ(after["fields"][1]["field"], "_1st_col");
  EXPECT_EQ(v["payload"]["after"], json::parse(R"({"id":1,"_1st_col":"x"})"));
  EXPECT_EQ(v["payload"]["source"]["table"], "my-table");  // data, not a name
  // The fixed names are valid: unchanged.
  EXPECT_EQ(v["schema"]["fields"][2]["name"], "io.debezium.connector.postgresql.Source");
}

TEST_F(NameAdjustmentEventTest, UnicodeModes) {
  options_.schema_name_adjustment = kUni;
  options_.field_name_adjustment = kUni;
  Captured e = Insert();
  EXPECT_EQ(e.key->at("schema")["name"], "shop.public.my_u002dtable.Key");
  EXPECT_EQ(e.value->at("payload")["after"], json::parse(R"({"id":1,"_u0031st_u0020col":"x"})"));
}

TEST_F(NameAdjustmentEventTest, OnlyFieldNames) {
  options_.field_name_adjustment = kAvro;
  Captured e = Insert();
  EXPECT_EQ(e.key->at("schema")["name"], "shop.public.my-table.Key");
  EXPECT_EQ(e.value->at("payload")["after"], json::parse(R"({"id":1,"_1st_col":"x"})"));
}

TEST_F(NameAdjustmentEventTest, NoneKeepsNames) {
  Captured e = Insert();
  EXPECT_EQ(e.key->at("schema")["name"], "shop.public.my-table.Key");
  EXPECT_EQ(e.value->at("schema")["name"], "shop.public.my-table.Envelope");
  EXPECT_EQ(e.value->at("payload")["after"], json::parse(R"({"id":1,"1st col":"x"})"));
}

// Two columns adjusted to one field name: refused, naming both (Debezium's adjuster reports the
// conflict and fails).
TEST_F(NameAdjustmentEventTest, TwoColumnsOneFieldNameIsRefused) {
  options_.field_name_adjustment = kAvro;
  pgoutput::Relation rel;
  rel.oid = 16501;
  rel.nspname = "public";
  rel.relname = "t";
  rel.columns = {{1, "a-b", pgtype::kInt4, -1}, {0, "a b", pgtype::kText, -1}};
  CatalogHints hints;
  hints.topic = "shop.public.t";
  auto t = cache_.Update(rel, hints, true);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("'a-b' and 'a b'"), std::string::npos)
      << t.status().message();
  EXPECT_NE(t.status().message().find("'a_b'"), std::string::npos) << t.status().message();
  // Not captured: no events, nothing to refuse.
  EXPECT_TRUE(cache_.Update(rel, hints, false).ok());
}

}  // namespace
}  // namespace cdc::eb_test
