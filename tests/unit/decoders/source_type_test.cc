// Debezium's column.propagate.source.type / datatype.propagate.source.type: the source type,
// length and scale PgJDBC derives from a column's type and modifier (as Debezium 3.6.1's
// streaming reads a Relation message), which columns match, and the
// __debezium.source.column.* parameters on the Value fields of the JSON schema.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "decoders/events/record_schemas.h"
#include "decoders/events/relation_cache.h"
#include "decoders/events/source_type_rules.h"
#include "decoders/json/connect_schema_json.h"
#include "decoders/values/pg_type_oids.h"
#include "decoders/values/source_column_type.h"

namespace cdc {
namespace {

using nlohmann::ordered_json;

constexpr int kMax = 2147483647;

int32_t NumericMod(int precision, int scale) { return ((precision << 16) | scale) + 4; }

TypeInfo Type(char typtype, std::string name, uint32_t base = 0, int32_t typmod = -1,
              uint32_t element = 0) {
  TypeInfo t;
  t.typtype = typtype;
  t.name = std::move(name);
  t.base = base;
  t.typmod = typmod;
  t.element = element;
  return t;
}

// The pg_type rows the catalog reader would give: built-ins by name, and Debezium's test types
// (RecordsStreamProducerIT / RecordsSnapshotProducerIT): float83, money2, numeric82 and
// numericex (a domain of a domain), varbit2, test_type and its array.
std::unordered_map<uint32_t, TypeInfo> Catalog() {
  return {
      {pgtype::kInt4, Type('b', "int4")},
      {pgtype::kVarchar, Type('b', "varchar")},
      {pgtype::kNumeric, Type('b', "numeric")},
      {pgtype::kFloat4, Type('b', "float4")},
      {pgtype::kMoney, Type('b', "money")},
      {pgtype::kText, Type('b', "text")},
      {1007, Type('b', "_int4", 0, -1, pgtype::kInt4)},
      {90001, Type('d', "float83", pgtype::kNumeric, NumericMod(8, 3))},
      {90002, Type('d', "money2", pgtype::kMoney)},
      {90003, Type('d', "numeric82", pgtype::kNumeric, NumericMod(8, 2))},
      {90004, Type('d', "numericex", 90003)},
      {90005, Type('d', "varbit2", pgtype::kVarbit, 3)},
      {90006, Type('e', "test_type")},
      {90007, Type('b', "_test_type", 0, -1, 90006)},
  };
}

SourceColumnType Of(uint32_t oid, int32_t typmod) {
  static const auto catalog = Catalog();
  TypeLookup lookup = [](uint32_t o) -> const TypeInfo* {
    auto it = catalog.find(o);
    return it == catalog.end() ? nullptr : &it->second;
  };
  return SourceColumnTypeOf(oid, typmod, lookup);
}

#define EXPECT_SOURCE_TYPE(got, n, l, s) \
  do {                                   \
    SourceColumnType g = (got);          \
    EXPECT_EQ(g.name, n);                \
    EXPECT_EQ(g.length, l) << n;         \
    EXPECT_EQ(g.scale, s) << n;          \
  } while (0)

// RecordsStreamProducerIT.shouldPropagateSourceTypeByDatatype, shouldPropagateSourceColumnType*
// and the domain tests assert these values.
TEST(SourceColumnType, AsDebeziumStreamingDerivesThem) {
  EXPECT_SOURCE_TYPE(Of(pgtype::kNumeric, NumericMod(5, 2)), "numeric", 5, 2);
  EXPECT_SOURCE_TYPE(Of(pgtype::kNumeric, NumericMod(4, 0)), "numeric", 4, 0);
  EXPECT_SOURCE_TYPE(Of(pgtype::kVarchar, 128 + 4), "varchar", 128, 0);
  EXPECT_SOURCE_TYPE(Of(pgtype::kFloat4, -1), "float4", 8, 8);
  EXPECT_SOURCE_TYPE(Of(90001, -1), "float83", 8, 3);
  EXPECT_SOURCE_TYPE(Of(90002, -1), "money2", kMax, 0);
  EXPECT_SOURCE_TYPE(Of(pgtype::kMoney, -1), "money", kMax, 0);
  EXPECT_SOURCE_TYPE(Of(90004, -1), "numericex", 8, 2);
  EXPECT_SOURCE_TYPE(Of(90005, -1), "varbit2", 3, 0);
  EXPECT_SOURCE_TYPE(Of(90006, -1), "test_type", kMax, 0);
  EXPECT_SOURCE_TYPE(Of(90007, -1), "_test_type", kMax, 0);
}

// What PgJDBC's TypeInfoCache reports for unconstrained and other columns: an unbounded type's
// "unknown length" (Integer.MAX_VALUE), a numeric's display size, an array's element's figures.
TEST(SourceColumnType, UnconstrainedAndOtherTypes) {
  EXPECT_SOURCE_TYPE(Of(pgtype::kInt4, -1), "int4", 10, 0);
  EXPECT_SOURCE_TYPE(Of(pgtype::kText, -1), "text", kMax, 0);
  EXPECT_SOURCE_TYPE(Of(pgtype::kVarchar, -1), "varchar", kMax, 0);
  EXPECT_SOURCE_TYPE(Of(pgtype::kNumeric, -1), "numeric", 131089, 0);
  EXPECT_SOURCE_TYPE(Of(1007, -1), "_int4", 10, 0);
  EXPECT_EQ(PgjdbcPrecision(pgtype::kTimestamp, 3), 26);
  EXPECT_EQ(PgjdbcScale(pgtype::kTimestamp, 3), 3);
  EXPECT_EQ(PgjdbcPrecision(pgtype::kTimestamptz, -1), 35);
  EXPECT_EQ(PgjdbcScale(pgtype::kTimestamptz, -1), 6);
  EXPECT_EQ(PgjdbcPrecision(pgtype::kBpchar, 4 + 4), 4);
  EXPECT_EQ(PgjdbcPrecision(pgtype::kInt8, -1), 19);
  EXPECT_EQ(PgjdbcScale(pgtype::kFloat8, -1), 17);
  EXPECT_EQ(Of(12345, -1).name, "");  // not in the catalog: unknown
}

// Predicates.includes: any pattern, over the whole string, ignoring case.
TEST(SourceTypeRules, MatchWholeNamesIgnoringCase) {
  auto rules = SourceTypeRules::Compile({".*vc.*", "public.alias_table.salary3"},
                                        {".+\\.NUMERIC", ".+\\.VARCHAR"});
  ASSERT_TRUE(rules.ok());
  EXPECT_TRUE(rules->Matches("public.string_table", "vc", "varchar"));
  EXPECT_TRUE(rules->Matches("public.string_table", "vcv", "varchar"));
  EXPECT_TRUE(rules->Matches("PUBLIC.ALIAS_TABLE", "Salary3", "money3"));
  EXPECT_FALSE(rules->Matches("public.alias_table", "salary", "money"));
  EXPECT_FALSE(rules->Matches("public.alias_table", "salary30", "money"));
  EXPECT_TRUE(rules->Matches("public.test_table", "c3a", "numeric"));
  EXPECT_FALSE(rules->Matches("public.test_table", "c1", "int4"));
  // A datatype pattern sees "schema.table.type", so a bare type name matches nothing.
  auto bare = SourceTypeRules::Compile({}, {"numeric"});
  ASSERT_TRUE(bare.ok());
  EXPECT_FALSE(bare->Matches("public.t", "c", "numeric"));
  EXPECT_TRUE(SourceTypeRules().empty());

  auto bad = SourceTypeRules::Compile({"(unclosed"}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("format.column_propagate_source_type"), std::string::npos);
}

class PropagateSourceTypeSchema : public ::testing::Test {
 protected:
  // RecordsStreamProducerIT.shouldPropagateSourceTypeByDatatype's table: CREATE TABLE test_table
  // (id SERIAL, c1 INT, c2 INT, c3a NUMERIC(5,2), c3b VARCHAR(128), f1 float(10),
  // f2 decimal(8,4), primary key (id)), with datatype.propagate.source.type
  // ".+\\.NUMERIC,.+\\.VARCHAR,.+\\.FLOAT4".
  ordered_json Envelope(const std::vector<std::string>& columns,
                        const std::vector<std::string>& datatypes, ordered_json* key = nullptr) {
    auto rules = SourceTypeRules::Compile(columns, datatypes);
    EXPECT_TRUE(rules.ok());
    options_.propagate_source_type = *rules;
    pgoutput::Relation rel;
    rel.oid = 16600;
    rel.nspname = "public";
    rel.relname = "test_table";
    rel.replica_identity = 'd';
    rel.columns = {{1, "id", pgtype::kInt4, -1},
                   {0, "c1", pgtype::kInt4, -1},
                   {0, "c2", pgtype::kInt4, -1},
                   {0, "c3a", pgtype::kNumeric, NumericMod(5, 2)},
                   {0, "c3b", pgtype::kVarchar, 128 + 4},
                   {0, "f1", pgtype::kFloat4, -1},
                   {0, "f2", pgtype::kNumeric, NumericMod(8, 4)}};
    CatalogHints hints;
    hints.known = true;
    hints.primary_key = {"id"};
    hints.not_null = {"id"};
    hints.types = Catalog();
    hints.topic = "pg.public.test_table";
    auto t = cache_.Update(rel, hints, true);
    EXPECT_TRUE(t.ok()) << t.status().message();
    if (key != nullptr) *key = ordered_json::parse(ConnectSchemaJson(KeySchemaOf(**t)));
    return ordered_json::parse(ConnectSchemaJson(EnvelopeSchemaOf(**t)));
  }

  static const ordered_json& Field(const ordered_json& envelope, const std::string& image,
                                   const std::string& name) {
    for (const auto& f : envelope["fields"]) {
      if (f["field"] != image) continue;
      for (const auto& c : f["fields"]) {
        if (c["field"] == name) return c;
      }
    }
    static const ordered_json kNone;
    ADD_FAILURE() << image << "." << name << " not found";
    return kNone;
  }

  EventOptions options_;
  RelationCache cache_{options_};
};

TEST_F(PropagateSourceTypeSchema, ByDatatypeOnTheValueFieldsInDebeziumsOrder) {
  ordered_json key;
  const ordered_json env = Envelope({}, {".+\\.NUMERIC", ".+\\.VARCHAR", ".+\\.FLOAT4"}, &key);
  for (const char* image : {"before", "after"}) {
    EXPECT_FALSE(Field(env, image, "id").contains("parameters"));
    EXPECT_FALSE(Field(env, image, "c1").contains("parameters"));
    EXPECT_FALSE(Field(env, image, "c2").contains("parameters"));
    // Decimal's own parameters first, then the mapper's.
    EXPECT_EQ(Field(env, image, "c3a")["parameters"].dump(),
              R"({"scale":"2","connect.decimal.precision":"5",)"
              R"("__debezium.source.column.type":"NUMERIC","__debezium.source.column.length":"5",)"
              R"("__debezium.source.column.scale":"2","__debezium.source.column.name":"c3a"})");
    EXPECT_EQ(
        Field(env, image, "c3b")["parameters"].dump(),
        R"({"__debezium.source.column.type":"VARCHAR","__debezium.source.column.length":"128",)"
        R"("__debezium.source.column.scale":"0","__debezium.source.column.name":"c3b"})");
    EXPECT_EQ(Field(env, image, "f1")["parameters"].dump(),
              R"({"__debezium.source.column.type":"FLOAT4","__debezium.source.column.length":"8",)"
              R"("__debezium.source.column.scale":"8","__debezium.source.column.name":"f1"})");
    EXPECT_EQ(Field(env, image, "f2")["parameters"]["__debezium.source.column.length"], "8");
    EXPECT_EQ(Field(env, image, "f2")["parameters"]["__debezium.source.column.scale"], "4");
  }
  // TableSchemaBuilder adds the key's fields without a mapper.
  EXPECT_EQ(key.dump(),
            R"({"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],)"
            R"("optional":false,"name":"pg.public.test_table.Key"})");
}

TEST_F(PropagateSourceTypeSchema, ByColumnNameOnlyTheMatchingColumns) {
  const ordered_json env = Envelope({"public\\.test_table\\.c(1|3b)"}, {});
  EXPECT_EQ(Field(env, "after", "c1")["parameters"].dump(),
            R"({"__debezium.source.column.type":"INT4","__debezium.source.column.length":"10",)"
            R"("__debezium.source.column.scale":"0","__debezium.source.column.name":"c1"})");
  EXPECT_EQ(Field(env, "after", "c3b")["parameters"]["__debezium.source.column.type"], "VARCHAR");
  EXPECT_FALSE(Field(env, "after", "c2").contains("parameters"));
  EXPECT_FALSE(Field(env, "after", "c3a")["parameters"].contains("__debezium.source.column.type"));
}

TEST_F(PropagateSourceTypeSchema, NoneByDefault) {
  const ordered_json env = Envelope({}, {});
  EXPECT_FALSE(Field(env, "after", "c3b").contains("parameters"));
  EXPECT_FALSE(Field(env, "after", "f1").contains("parameters"));
}

}  // namespace
}  // namespace cdc
