#pragma once

// Converts PostgreSQL text-format column values (pgoutput 't' values, produced under the pinned
// session settings DateStyle=ISO, TimeZone=UTC, IntervalStyle=postgres, extra_float_digits=3,
// bytea_output=hex) into Debezium's JSON rendering, and describes each column's Kafka Connect
// schema. ../shared/reference/debezium-format.md §3 is the specification.
//
// A ColumnCodec is computed once per column per relation version; converting a value uses only
// the codec. Thread-compatible: no shared mutable state.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "decoders/json_writer.h"
#include "decoders/status.h"

namespace cdc {

enum class DecimalHandling { kPrecise, kDouble, kString };
enum class BinaryHandling { kBytes, kBase64, kBase64UrlSafe, kHex };
enum class TimePrecision { kAdaptive, kAdaptiveTimeMicroseconds, kConnect };
enum class IntervalHandling { kNumeric, kString };
enum class HstoreHandling { kJson, kMap };
// What to do with a column whose type pgcdc cannot map (composites, most extension types).
enum class UnknownTypePolicy { kFail, kString, kSkip };

struct ConverterOptions {
  DecimalHandling decimal = DecimalHandling::kPrecise;
  BinaryHandling binary = BinaryHandling::kBytes;
  TimePrecision time_precision = TimePrecision::kAdaptive;
  IntervalHandling interval = IntervalHandling::kNumeric;
  HstoreHandling hstore = HstoreHandling::kJson;
  UnknownTypePolicy unknown_types = UnknownTypePolicy::kFail;
  std::string unavailable_placeholder = "__debezium_unavailable_value";
};

// Adding a type: the compiler (-Wswitch-enum on cdc_decoders, no default arms) lists every
// switch that must learn it: the codec choice and ArrayOf (value_converter.cc), the JSON
// rendering (AppendValue), the unchanged-TOAST and zero values (AppendUnavailable,
// AppendZeroValue), the Connect schema (value_schema.cc: type, fields, semantics), and, for a
// binary-transfer decoder, pg_binary. Then BuiltinOidByName (relation_cache.cc) for domains.
enum class ValueType {
  kBool,
  kInt16,
  kInt32,
  kInt64,
  kFloat32,
  kFloat64,
  kDecimal,          // precise with known scale: Connect Decimal (bytes)
  kVariableDecimal,  // precise without scale: io.debezium.data.VariableScaleDecimal
  kDecimalDouble,
  kDecimalString,
  kMoney,  // money under decimal_handling precise (Decimal, scale 2)
  kString,
  kUuid,
  kJson,
  kXml,
  kBytes,
  kDate,  // io.debezium.time.Date: days since epoch
  kConnectDate,
  kTimeMillis,  // io.debezium.time.Time
  kTimeMicros,  // io.debezium.time.MicroTime
  kConnectTime,
  kTimeTz,           // io.debezium.time.ZonedTime
  kTimestampMillis,  // io.debezium.time.Timestamp
  kTimestampMicros,  // io.debezium.time.MicroTimestamp
  kConnectTimestamp,
  kTimestampTz,     // io.debezium.time.ZonedTimestamp
  kIntervalMicros,  // io.debezium.time.MicroDuration
  kIntervalString,  // io.debezium.time.Interval
  kBits,            // io.debezium.data.Bits: bytes, little-endian, high zero bytes trimmed
  kEnum,            // io.debezium.data.Enum with the labels as "allowed"
  kArray,           // Connect ARRAY of the element codec
  kPoint,           // io.debezium.data.geometry.Point {x, y, wkb, srid}
  kGeometry,        // io.debezium.data.geometry.Geometry {wkb, srid, extensions}: box, lseg,
                    // path, polygon (Debezium 3.x)
  kCircle,          // io.debezium.data.geometry.Circle {center Point, radius}
  kLine,            // io.debezium.data.geometry.Line {a, b, c}
  kHstoreJson,      // io.debezium.data.Json string of the key/value object
  kHstoreMap,       // Connect MAP<string, optional string>
  kLtree,           // io.debezium.data.Ltree
  kTsvector,        // io.debezium.data.Tsvector
  kUnmappedText,    // no Debezium mapping: its text form, under UnknownTypePolicy
};

// What the catalog says about a type that is not built in (pg_type and pg_enum).
struct TypeInfo {
  char typtype = 'b';  // b base, e enum, d domain, r range, c composite, m multirange
  std::string name;
  uint32_t element = 0;     // arrays: the element type
  uint32_t base = 0;        // domains: the base type
  std::string enum_labels;  // enums: labels in sort order, comma-separated
};

struct ColumnCodec {
  ValueType type = ValueType::kString;
  // The type the value travels as: built-in types their OID (a domain: its base type's), types
  // that are not built in their own (enums, extensions). pg_binary picks the send format by it.
  uint32_t oid = 0;
  int scale = 0;        // kDecimal/kMoney
  int precision = 0;    // kDecimal (0 = unknown)
  int frac_digits = 6;  // kTimestampTz: fractional digits rendered
  BinaryHandling binary = BinaryHandling::kBytes;
  int bits_length = 0;       // kBits: the declared length (2147483647 when unbounded)
  std::string enum_allowed;  // kEnum
  std::string type_name;     // the PostgreSQL type name, for error messages
  std::shared_ptr<const ColumnCodec> element;  // kArray
};

// Looks up a type that is not built in; nullptr when unknown.
using TypeLookup = std::function<const TypeInfo*(uint32_t oid)>;

// Picks the codec for a column of type `type_oid` with modifier `typmod`. Types that are not
// built in are resolved through `lookup` (enums, domains, arrays of them, extension types by
// name); what cannot be mapped gets kUnmappedText.
ColumnCodec CodecFor(uint32_t type_oid, int32_t typmod, const ConverterOptions& options,
                     const TypeLookup& lookup = {});

// Appends the schema of one field (without "optional"/"field", which the caller adds) as JSON
// members in JsonConverter's order: "type", ["fields"], then "optional" is the caller's, then
// "name", "version", "doc", "parameters". The caller wraps it into an object.
// Returns the Connect "type" string and writes the semantic members after "optional" through
// AppendSchemaSemantics.
std::string_view ConnectTypeOf(const ColumnCodec& codec);
void AppendSchemaFields(const ColumnCodec& codec, JsonWriter& w);     // "fields" for structs
void AppendSchemaSemantics(const ColumnCodec& codec, JsonWriter& w);  // name/version/doc/params

// Appends the JSON value for the text form `text`. Errors name what could not be represented.
Status AppendValue(const ColumnCodec& codec, std::string_view text, JsonWriter& w);

// Appends the value Debezium uses for an unchanged TOASTed column, or fails for types that cannot
// hold the placeholder.
Status AppendUnavailable(const ColumnCodec& codec, const ConverterOptions& options, JsonWriter& w);

// Appends raw bytes as Debezium's binary.handling.mode renders them (base64 for bytes).
void AppendBytes(BinaryHandling mode, std::string_view bytes, JsonWriter& w);

// Appends the type's zero value (0, "", false, epoch, ...), which Debezium puts in required
// (NOT NULL) columns that a key-only old tuple did not carry, so the record matches its schema.
void AppendZeroValue(const ColumnCodec& codec, JsonWriter& w);

}  // namespace cdc
