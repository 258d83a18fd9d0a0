#pragma once

// The format-neutral vocabulary of column values: which Debezium value type a PostgreSQL column
// becomes under the handling options (ValueType), and the ColumnCodec that carries everything a
// renderer needs (scale, precision, element codec, enum labels). A ColumnCodec is computed once
// per column per relation version; rendering a value uses only the codec. Renderers live per
// format (decoders/values/value_json.h for JSON); the Connect schema of a codec is in
// connect_schema.h. ../shared/reference/debezium-format.md §3 is the specification.
// Thread-compatible: no shared mutable state.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "decoders/base/status.h"
#include "decoders/values/connect_schema.h"

namespace cdc {

enum class DecimalHandling { kPrecise, kDouble, kString };
enum class BinaryHandling { kBytes, kBase64, kBase64UrlSafe, kHex };
// Debezium's time.precision.mode (TemporalPrecisionMode): isostring, microseconds and
// nanoseconds as 3.6.1 has them.
enum class TimePrecision {
  kAdaptive,
  kAdaptiveTimeMicroseconds,
  kConnect,
  kIsoString,
  kMicroseconds,
  kNanoseconds,
};
enum class IntervalHandling { kNumeric, kString };
enum class HstoreHandling { kJson, kMap };
// What to do with a column whose type pgcdc cannot map (composites, most extension types).
// kBytes is Debezium's include.unknown.datatypes=true: the text form's UTF-8 bytes under
// binary_handling (kUnknownBytes); the arrays Debezium 3.6.1 has no schema for (money[],
// interval[], varbit[], xml[], point[]) are left out then, as Debezium leaves them out.
enum class UnknownTypePolicy { kFail, kString, kSkip, kBytes };

struct ConverterOptions {
  DecimalHandling decimal = DecimalHandling::kPrecise;
  BinaryHandling binary = BinaryHandling::kBytes;
  TimePrecision time_precision = TimePrecision::kAdaptive;
  IntervalHandling interval = IntervalHandling::kNumeric;
  HstoreHandling hstore = HstoreHandling::kJson;
  UnknownTypePolicy unknown_types = UnknownTypePolicy::kFail;
  std::string unavailable_placeholder = "__debezium_unavailable_value";
  int money_fraction_digits = 2;  // money.fraction.digits: money's Decimal scale (precise)
};

// Adding a type: one row in the descriptor table (connect_schema.cc: its Connect type, semantic
// name and parameters; a static_assert refuses a table that misses it), then one renderer per
// format, which the compiler lists (-Wswitch-enum on cdc_decoders, no default arms): the codec
// choice and ArrayOf (column_codec.cc), the JSON rendering (json/value_json.cc AppendValue), the
// unchanged-TOAST and zero values (json/json_placeholders.cc), and, for a binary-transfer
// decoder, pg_binary. Then BuiltinOidByName (events/relation_cache.cc) for domains.
// kUnmappedText stays last: kValueTypeCount counts through it.
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
  kTimeNanos,       // io.debezium.time.NanoTime (time_precision nanoseconds)
  kTimestampNanos,  // io.debezium.time.NanoTimestamp
  kIsoDate,         // io.debezium.time.IsoDate "2017-09-15Z" (time_precision isostring)
  kIsoTime,         // io.debezium.time.IsoTime "04:05:11.789Z"
  kIsoTimestamp,    // io.debezium.time.IsoTimestamp "2019-07-09T02:28:57.1Z"
  kUnknownBytes,    // unknown_types bytes: the text form's UTF-8 bytes, as bytea under
                    // binary_handling (Debezium's include.unknown.datatypes)
  kUnmappedText,    // no Debezium mapping: its text form, under UnknownTypePolicy
};
inline constexpr size_t kValueTypeCount = static_cast<size_t>(ValueType::kUnmappedText) + 1;

// What Debezium puts in place of an unchanged TOASTed value (unavailable.value.placeholder) of
// a type; each format renders the shape.
enum class ToastPlaceholder {
  kText,       // the placeholder string
  kMap,        // {placeholder: placeholder}
  kBytes,      // the placeholder's bytes (the placeholder itself when bytes render as text)
  kByElement,  // arrays: [placeholder] for text elements, its byte values for integer elements
  kNone,       // cannot be represented: the table needs REPLICA IDENTITY FULL
};

// When a type's values can travel in PostgreSQL's binary format (pg_binary.h decides it).
enum class BinaryTransfer {
  kBuiltin,    // when the value's type is one of the built-in send formats pg_binary reads
  kTextLike,   // text, varchar, bpchar, name, "char", macaddr(8), citext: textsend's text
  kAlways,     // enums: their label
  kElements,   // arrays: when their elements can
  kExtension,  // an extension type's send format (hstore, ltree), by its name
  kXmlUtf8,    // xml, with a UTF8 client encoding only
  kNever,      // text only (tsvector, unmapped types)
};

// What the catalog says about a type that is not built in (pg_type and pg_enum).
struct TypeInfo {
  char typtype = 'b';  // b base, e enum, d domain, r range, c composite, m multirange
  std::string name;
  uint32_t element = 0;     // arrays: the element type
  uint32_t base = 0;        // domains: the base type
  std::string enum_labels;  // enums: labels in sort order, comma-separated
  int32_t typmod = -1;      // domains: the modifier applied to the base (pg_type.typtypmod)
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

// The Connect type of a column's values, and its whole Connect schema (value_types.cc: one row
// per ValueType). `optional`: whether the column may be null (the caller knows, the codec not).
ConnectType ConnectTypeOf(const ColumnCodec& codec);
ConnectSchema ColumnSchemaOf(const ColumnCodec& codec, bool optional);

// The rest of the type's row (value_types.cc).
ToastPlaceholder ToastPlaceholderOf(ValueType type);
BinaryTransfer BinaryTransferOf(ValueType type);
const char* BinaryExtensionOf(ValueType type);  // kExtension: "hstore", "ltree"; else nullptr

}  // namespace cdc
