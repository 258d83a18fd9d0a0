#include "decoders/values/column_codec.h"

#include <utility>

// The codec of a column: from its type OID and modifier (and, for types that are not built in,
// the catalog's description) to the ValueType and parameters every renderer works from. Chosen
// once per relation version, under the configured handling modes.

#include "decoders/values/pg_type_oids.h"

namespace cdc {

namespace {

ColumnCodec BuiltinCodec(uint32_t type_oid, int32_t typmod, const ConverterOptions& o) {
  ColumnCodec c;
  c.oid = type_oid;
  // For time/timestamp types atttypmod is the fractional precision; -1 means the default 6. It
  // comes from the Relation message, so anything outside PostgreSQL's 0..6 is treated as 6.
  const int time_precision = (typmod < 0 || typmod > 6) ? 6 : typmod;
  const bool connect = o.time_precision == TimePrecision::kConnect;
  switch (type_oid) {
    case pgtype::kBool: c.type = ValueType::kBool; break;
    case pgtype::kInt2: c.type = ValueType::kInt16; break;
    case pgtype::kInt4: c.type = ValueType::kInt32; break;
    case pgtype::kInt8:
    case pgtype::kOid: c.type = ValueType::kInt64; break;
    case pgtype::kFloat4: c.type = ValueType::kFloat32; break;
    case pgtype::kFloat8: c.type = ValueType::kFloat64; break;
    case pgtype::kNumeric:
      if (o.decimal == DecimalHandling::kDouble) {
        c.type = ValueType::kDecimalDouble;
      } else if (o.decimal == DecimalHandling::kString) {
        c.type = ValueType::kDecimalString;
        if (typmod >= 4) c.scale = (typmod - 4) & 0xffff;  // only for the zero value ("0.00")
      } else if (typmod >= 4) {
        c.type = ValueType::kDecimal;
        c.scale = (typmod - 4) & 0xffff;
        c.precision = ((typmod - 4) >> 16) & 0xffff;
      } else {
        c.type = ValueType::kVariableDecimal;
      }
      break;
    case pgtype::kMoney:
      c.type = o.decimal == DecimalHandling::kPrecise  ? ValueType::kMoney
               : o.decimal == DecimalHandling::kDouble ? ValueType::kDecimalDouble
                                                       : ValueType::kDecimalString;
      c.scale = o.money_fraction_digits;
      c.precision = -1;  // marks money for the double/string renderings
      break;
    case pgtype::kChar:
    case pgtype::kName:
    case pgtype::kText:
    case pgtype::kBpchar:
    case pgtype::kVarchar:
    case pgtype::kInet:
    case pgtype::kCidr:
    case pgtype::kMacaddr:
    case pgtype::kMacaddr8: c.type = ValueType::kString; break;
    case pgtype::kUuid: c.type = ValueType::kUuid; break;
    case pgtype::kJson:
    case pgtype::kJsonb: c.type = ValueType::kJson; break;
    case pgtype::kXml: c.type = ValueType::kXml; break;
    case pgtype::kBytea:
      c.type = ValueType::kBytes;
      c.binary = o.binary;
      break;
    // JdbcValueConverters.convertDate/convertTime/convertTimestamp by time.precision.mode.
    case pgtype::kDate:
      c.type = connect                                         ? ValueType::kConnectDate
               : o.time_precision == TimePrecision::kIsoString ? ValueType::kIsoDate
                                                               : ValueType::kDate;
      break;
    case pgtype::kTime:
      if (connect) {
        c.type = ValueType::kConnectTime;
      } else if (o.time_precision == TimePrecision::kIsoString) {
        c.type = ValueType::kIsoTime;
      } else if (o.time_precision == TimePrecision::kNanoseconds) {
        c.type = ValueType::kTimeNanos;
      } else if (o.time_precision == TimePrecision::kAdaptiveTimeMicroseconds ||
                 o.time_precision == TimePrecision::kMicroseconds || time_precision > 3) {
        c.type = ValueType::kTimeMicros;
      } else {
        c.type = ValueType::kTimeMillis;
      }
      break;
    case pgtype::kTimetz: c.type = ValueType::kTimeTz; break;
    case pgtype::kTimestamp:
      c.type = connect                                            ? ValueType::kConnectTimestamp
               : o.time_precision == TimePrecision::kIsoString    ? ValueType::kIsoTimestamp
               : o.time_precision == TimePrecision::kNanoseconds  ? ValueType::kTimestampNanos
               : o.time_precision == TimePrecision::kMicroseconds ? ValueType::kTimestampMicros
               : time_precision <= 3                              ? ValueType::kTimestampMillis
                                                                  : ValueType::kTimestampMicros;
      break;
    case pgtype::kTimestamptz:
      c.type = ValueType::kTimestampTz;
      c.frac_digits = time_precision;
      break;
    case pgtype::kInterval:
      c.type = o.interval == IntervalHandling::kString ? ValueType::kIntervalString
                                                       : ValueType::kIntervalMicros;
      break;
    case pgtype::kBit:
    case pgtype::kVarbit:
      if (typmod == 1) {
        c.type = ValueType::kBool;  // bit(1) and bit varying(1) are booleans in Debezium
      } else {
        c.type = ValueType::kBits;
        c.bits_length = typmod < 0 ? 2147483647 : typmod;
      }
      break;
    case pgtype::kPoint: c.type = ValueType::kPoint; break;
    case pgtype::kBox:
    case pgtype::kLseg:
    case pgtype::kPath:
    case pgtype::kPolygon:
      c.type = ValueType::kGeometry;
      c.type_name = type_oid == pgtype::kBox    ? "box"
                    : type_oid == pgtype::kLseg ? "lseg"
                    : type_oid == pgtype::kPath ? "path"
                                                : "polygon";
      break;
    case pgtype::kCircle: c.type = ValueType::kCircle; break;
    case pgtype::kLine: c.type = ValueType::kLine; break;
    case pgtype::kTsvector: c.type = ValueType::kTsvector; break;
    case pgtype::kInt4Range:
    case pgtype::kInt8Range:
    case pgtype::kNumRange:
    case pgtype::kTsRange:
    case pgtype::kTstzRange:
    case pgtype::kDateRange: c.type = ValueType::kString; break;
    default: c.type = ValueType::kUnmappedText; break;
  }
  return c;
}

// Debezium supports arrays of most element types; money[], interval[], varbit[], xml[] and
// point[] are left to the unknown-type policy, as are arrays of arrays' odd cousins. An array of
// an unknown type under unknown_types bytes is an array of bytes, as Debezium's (its element
// converter is convertBinary).
ColumnCodec ArrayOf(ColumnCodec element) {
  ColumnCodec c;
  switch (element.type) {
    case ValueType::kMoney:
    case ValueType::kIntervalMicros:
    case ValueType::kIntervalString:
    case ValueType::kBits:
    case ValueType::kXml:
    case ValueType::kPoint:
    case ValueType::kArray:
    case ValueType::kUnmappedText:
      c.type = ValueType::kUnmappedText;
      c.type_name = element.type_name.empty() ? "array" : element.type_name + "[]";
      return c;
    case ValueType::kBool:
    case ValueType::kInt16:
    case ValueType::kInt32:
    case ValueType::kInt64:
    case ValueType::kFloat32:
    case ValueType::kFloat64:
    case ValueType::kDecimal:
    case ValueType::kVariableDecimal:
    case ValueType::kDecimalDouble:
    case ValueType::kDecimalString:
    case ValueType::kString:
    case ValueType::kUuid:
    case ValueType::kJson:
    case ValueType::kBytes:
    case ValueType::kDate:
    case ValueType::kConnectDate:
    case ValueType::kTimeMillis:
    case ValueType::kTimeMicros:
    case ValueType::kConnectTime:
    case ValueType::kTimeTz:
    case ValueType::kTimestampMillis:
    case ValueType::kTimestampMicros:
    case ValueType::kConnectTimestamp:
    case ValueType::kTimestampTz:
    case ValueType::kEnum:
    case ValueType::kGeometry:
    case ValueType::kCircle:
    case ValueType::kLine:
    case ValueType::kHstoreJson:
    case ValueType::kHstoreMap:
    case ValueType::kLtree:
    case ValueType::kTsvector:
    case ValueType::kTimeNanos:
    case ValueType::kTimestampNanos:
    case ValueType::kIsoDate:
    case ValueType::kIsoTime:
    case ValueType::kIsoTimestamp:
    case ValueType::kUnknownBytes: break;
  }
  c.type = ValueType::kArray;
  c.binary = element.binary;
  c.element = std::make_shared<const ColumnCodec>(std::move(element));
  return c;
}

// A type nothing maps, under unknown_types bytes: Debezium's include.unknown.datatypes, whose
// schema is binary.handling.mode's (PostgresValueConverter.schemaBuilder) and whose value is
// convertBinary of the text form (AbstractColumnValue.asDefault streaming; PGobject.getValue()
// in a snapshot). Other policies keep kUnmappedText for the relation cache to apply.
ColumnCodec UnknownUnderPolicy(ColumnCodec c, const ConverterOptions& o) {
  if (c.type == ValueType::kUnmappedText && o.unknown_types == UnknownTypePolicy::kBytes) {
    c.type = ValueType::kUnknownBytes;
    c.binary = o.binary;
  }
  return c;
}

}  // namespace

ColumnCodec CodecFor(uint32_t type_oid, int32_t typmod, const ConverterOptions& o,
                     const TypeLookup& lookup) {
  if (uint32_t elem = pgtype::BuiltinArrayElement(type_oid)) {
    return ArrayOf(CodecFor(elem, typmod, o, lookup));
  }
  ColumnCodec c = BuiltinCodec(type_oid, typmod, o);
  if (c.type != ValueType::kUnmappedText) return c;
  if (!lookup) return UnknownUnderPolicy(std::move(c), o);
  const TypeInfo* t = lookup(type_oid);
  if (t == nullptr) return UnknownUnderPolicy(std::move(c), o);
  c.type_name = t->name;
  switch (t->typtype) {
    case 'e':
      c.type = ValueType::kEnum;
      c.enum_allowed = t->enum_labels;
      return c;
    case 'd': {
      // A domain renders as its base type (with the domain's own modifier, if any).
      ColumnCodec base = CodecFor(t->base, typmod, o, lookup);
      if (base.type == ValueType::kUnmappedText || base.type == ValueType::kUnknownBytes) {
        base.type_name = t->name;
      }
      return base;
    }
    case 'r':
    case 'm':
      c.type = ValueType::kString;  // ranges: their text form, as Debezium
      return c;
    default: break;
  }
  if (t->element != 0) return ArrayOf(CodecFor(t->element, typmod, o, lookup));
  if (t->name == "citext") {
    c.type = ValueType::kString;
  } else if (t->name == "hstore") {
    c.type = o.hstore == HstoreHandling::kMap ? ValueType::kHstoreMap : ValueType::kHstoreJson;
  } else if (t->name == "ltree") {
    c.type = ValueType::kLtree;
  }
  return UnknownUnderPolicy(std::move(c), o);
}

}  // namespace cdc
