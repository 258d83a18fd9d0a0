#pragma once

// Converts PostgreSQL text-format column values (pgoutput 't' values, produced under the pinned
// session settings DateStyle=ISO, TimeZone=UTC, IntervalStyle=postgres, extra_float_digits=3,
// bytea_output=hex) into Debezium's JSON rendering, and describes each column's Kafka Connect
// schema. ../shared/reference/debezium-format.md §3 is the specification.
//
// A ColumnCodec is computed once per column per relation version; converting a value uses only
// the codec. Thread-compatible: no shared mutable state.

#include <cstdint>
#include <string>
#include <string_view>

#include "decoders/json_writer.h"
#include "decoders/status.h"

namespace cdc {

enum class DecimalHandling { kPrecise, kDouble, kString };
enum class BinaryHandling { kBytes, kBase64, kBase64UrlSafe, kHex };
enum class TimePrecision { kAdaptive, kAdaptiveTimeMicroseconds, kConnect };
enum class IntervalHandling { kNumeric, kString };

struct ConverterOptions {
  DecimalHandling decimal = DecimalHandling::kPrecise;
  BinaryHandling binary = BinaryHandling::kBytes;
  TimePrecision time_precision = TimePrecision::kAdaptive;
  IntervalHandling interval = IntervalHandling::kNumeric;
  std::string unavailable_placeholder = "__debezium_unavailable_value";
};

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
  kMoney,            // money under decimal_handling precise (Decimal, scale 2)
  kString,
  kUuid,
  kJson,
  kXml,
  kBytes,
  kDate,             // io.debezium.time.Date: days since epoch
  kConnectDate,
  kTimeMillis,       // io.debezium.time.Time
  kTimeMicros,       // io.debezium.time.MicroTime
  kConnectTime,
  kTimeTz,           // io.debezium.time.ZonedTime
  kTimestampMillis,  // io.debezium.time.Timestamp
  kTimestampMicros,  // io.debezium.time.MicroTimestamp
  kConnectTimestamp,
  kTimestampTz,      // io.debezium.time.ZonedTimestamp
  kIntervalMicros,   // io.debezium.time.MicroDuration
  kIntervalString,   // io.debezium.time.Interval
  kUnmappedText,     // a type without a Debezium mapping yet: its PostgreSQL text form
};

struct ColumnCodec {
  ValueType type = ValueType::kString;
  int scale = 0;        // kDecimal/kMoney
  int precision = 0;    // kDecimal (0 = unknown)
  int frac_digits = 6;  // kTimestampTz: fractional digits rendered
  BinaryHandling binary = BinaryHandling::kBytes;
};

// Picks the codec for a column of built-in type `type_oid` with modifier `typmod`.
ColumnCodec CodecFor(uint32_t type_oid, int32_t typmod, const ConverterOptions& options);

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
