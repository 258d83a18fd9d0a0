#include "decoders/values/source_column_type.h"

#include <limits>

#include "decoders/values/pg_type_oids.h"

namespace cdc {

namespace {

// PgJDBC's default unknownLength connection property, which Debezium leaves as is: what it
// reports for text, bytea, unbounded varchar and every type it has no rule for.
constexpr int kUnknownLength = std::numeric_limits<int>::max();

// TypeInfoCache.convertArrayToBaseOid: an array is measured as its element type.
uint32_t BaseOf(uint32_t oid, uint32_t element) {
  if (element != 0) return element;
  const uint32_t builtin = pgtype::BuiltinArrayElement(oid);
  return builtin != 0 ? builtin : oid;
}

// A domain nests at most this deep here; deeper chains are measured as their last base.
constexpr int kMaxDomainDepth = 16;

const TypeInfo* Find(const TypeLookup& lookup, uint32_t oid) {
  return lookup ? lookup(oid) : nullptr;
}

uint32_t ElementOf(const TypeLookup& lookup, uint32_t oid) {
  const TypeInfo* t = Find(lookup, oid);
  return t != nullptr ? t->element : 0;
}

bool IsDomain(const TypeInfo* t) { return t != nullptr && t->typtype == 'd' && t->base != 0; }

// PostgresType.getDefaultLength: a domain without a modifier of its own takes its base type's;
// with one, the base type measured with it, unless that says nothing (0 or unknown).
int DefaultLength(const TypeLookup& lookup, uint32_t oid, int depth) {
  const TypeInfo* t = Find(lookup, oid);
  int32_t mods = -1;
  if (IsDomain(t) && depth < kMaxDomainDepth) {
    mods = t->typmod;
    if (mods == -1) return DefaultLength(lookup, t->base, depth + 1);
    const uint32_t base_element = ElementOf(lookup, t->base);
    int size = PgjdbcPrecision(t->base, mods, base_element);
    if (size == 0) size = PgjdbcDisplaySize(t->base, mods, base_element);
    if (size != 0 && size != kUnknownLength) return size;
  }
  const uint32_t element = ElementOf(lookup, oid);
  int size = PgjdbcPrecision(oid, mods, element);
  if (size == 0) size = PgjdbcDisplaySize(oid, mods, element);
  return size;
}

// PostgresType.getDefaultScale, the same walk for the scale.
int DefaultScale(const TypeLookup& lookup, uint32_t oid, int depth) {
  const TypeInfo* t = Find(lookup, oid);
  if (IsDomain(t) && depth < kMaxDomainDepth) {
    if (t->typmod == -1) return DefaultScale(lookup, t->base, depth + 1);
    return PgjdbcScale(t->base, t->typmod, ElementOf(lookup, t->base));
  }
  return PgjdbcScale(oid, -1, ElementOf(lookup, oid));
}

}  // namespace

int PgjdbcPrecision(uint32_t oid, int32_t typmod, uint32_t element) {
  switch (BaseOf(oid, element)) {
    case pgtype::kInt2: return 5;
    case pgtype::kOid:
    case pgtype::kInt4: return 10;
    case pgtype::kInt8: return 19;
    case pgtype::kFloat4: return 8;
    case pgtype::kFloat8: return 17;
    case pgtype::kNumeric:
      if (typmod == -1) return 0;
      return static_cast<int>((static_cast<uint32_t>(typmod - 4) & 0xFFFF0000U) >> 16);
    case pgtype::kChar:
    case pgtype::kBool: return 1;
    case pgtype::kBpchar:
    case pgtype::kVarchar: return typmod == -1 ? kUnknownLength : typmod - 4;
    case pgtype::kDate:
    case pgtype::kTime:
    case pgtype::kTimetz:
    case pgtype::kInterval:
    case pgtype::kTimestamp:
    case pgtype::kTimestamptz: return PgjdbcDisplaySize(oid, typmod, element);
    case pgtype::kBit: return typmod;
    case pgtype::kVarbit: return typmod == -1 ? kUnknownLength : typmod;
    default: return kUnknownLength;
  }
}

int PgjdbcScale(uint32_t oid, int32_t typmod, uint32_t element) {
  switch (BaseOf(oid, element)) {
    case pgtype::kFloat4: return 8;
    case pgtype::kFloat8: return 17;
    case pgtype::kNumeric: return typmod == -1 ? 0 : static_cast<int>((typmod - 4) & 0xFFFF);
    case pgtype::kTime:
    case pgtype::kTimetz:
    case pgtype::kTimestamp:
    case pgtype::kTimestamptz: return typmod == -1 ? 6 : typmod;
    case pgtype::kInterval: return typmod == -1 ? 6 : static_cast<int>(typmod & 0xFFFF);
    default: return 0;
  }
}

int PgjdbcDisplaySize(uint32_t oid, int32_t typmod, uint32_t element) {
  const uint32_t base = BaseOf(oid, element);
  switch (base) {
    case pgtype::kInt2: return 6;
    case pgtype::kInt4: return 11;
    case pgtype::kOid: return 10;
    case pgtype::kInt8: return 20;
    case pgtype::kFloat4: return 15;
    case pgtype::kFloat8: return 25;
    case pgtype::kChar:
    case pgtype::kBool: return 1;
    case pgtype::kDate: return 13;
    case pgtype::kTime:
    case pgtype::kTimetz:
    case pgtype::kTimestamp:
    case pgtype::kTimestamptz: {
      // Digits of the seconds' fraction and the point: "0:0:0.1"::time(1) prints two digits.
      const int second = typmod == -1 ? 7 : typmod == 0 ? 0 : typmod == 1 ? 3 : typmod + 1;
      if (base == pgtype::kTime) return 8 + second;
      if (base == pgtype::kTimetz) return 8 + second + 6;
      if (base == pgtype::kTimestamp) return 13 + 1 + 8 + second;
      return 13 + 1 + 8 + second + 6;
    }
    case pgtype::kInterval: return 49;
    case pgtype::kVarchar:
    case pgtype::kBpchar: return typmod == -1 ? kUnknownLength : typmod - 4;
    case pgtype::kNumeric: {
      if (typmod == -1) return 131089;  // LENGTH(pow(10::numeric, 131071))
      const int precision = ((typmod - 4) >> 16) & 0xFFFF;
      const int scale = (typmod - 4) & 0xFFFF;
      return 1 + precision + (scale != 0 ? 1 : 0);
    }
    case pgtype::kBit: return typmod;
    case pgtype::kVarbit: return typmod == -1 ? kUnknownLength : typmod;
    default: return kUnknownLength;
  }
}

SourceColumnType SourceColumnTypeOf(uint32_t type_oid, int32_t typmod, const TypeLookup& lookup) {
  SourceColumnType out;
  if (const TypeInfo* t = Find(lookup, type_oid)) out.name = t->name;
  // ColumnMetaData: the Relation message's modifier when it has one, else the type's defaults.
  if (typmod != -1) {
    const uint32_t element = ElementOf(lookup, type_oid);
    out.length = PgjdbcPrecision(type_oid, typmod, element);
    out.scale = PgjdbcScale(type_oid, typmod, element);
  } else {
    out.length = DefaultLength(lookup, type_oid, 0);
    out.scale = DefaultScale(lookup, type_oid, 0);
  }
  return out;
}

}  // namespace cdc
