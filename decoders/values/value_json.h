#pragma once

// Column values in Debezium's JSON rendering (Kafka Connect's JsonConverter): the text form of
// a value (pgoutput 't' values and text COPY, produced under the pinned session settings
// DateStyle=ISO, TimeZone=UTC, IntervalStyle=postgres, extra_float_digits=3, bytea_output=hex),
// the unchanged-TOAST placeholder and the zero value of a required column, each as
// ColumnCodec (values/column_codec.h) says. ../shared/reference/debezium-format.md §3 is the
// specification. It lives in values/ because it is the one renderer of values: the JSON format
// writes it as is, the Avro format (avro/avro_datum.h) reads it back into Avro's binary types.
// Pure functions, thread-compatible.

#include <string_view>

#include "decoders/base/status.h"
#include "decoders/values/column_codec.h"
#include "decoders/values/json_writer.h"

namespace cdc {

// Appends the JSON value for the text form `text`. Errors name what could not be represented.
Status AppendValue(const ColumnCodec& codec, std::string_view text, JsonWriter& w);

// AppendValue's date, time, timestamp and interval cases (value_json_time.cc), one function per
// family, each told apart by codec.type. Callers use AppendValue, whose switch routes here.
Status AppendDateValue(const ColumnCodec& codec, std::string_view text, JsonWriter& w);
Status AppendTimeValue(const ColumnCodec& codec, std::string_view text, JsonWriter& w);
Status AppendTimestampValue(const ColumnCodec& codec, std::string_view text, JsonWriter& w);
Status AppendIntervalValue(const ColumnCodec& codec, std::string_view text, JsonWriter& w);
// The error of a text form that does not parse as `type`, quoting at most 64 bytes of it.
Status UnparseableValue(std::string_view type, std::string_view text);

// Appends the value Debezium uses for an unchanged TOASTed column, or fails for types that cannot
// hold the placeholder.
Status AppendUnavailable(const ColumnCodec& codec, const ConverterOptions& options, JsonWriter& w);

// Appends raw bytes as Debezium's binary.handling.mode renders them (base64 for bytes).
void AppendBytes(BinaryHandling mode, std::string_view bytes, JsonWriter& w);

// The JSON of a column default (values/column_default.h) rendered as the column's values are;
// false when the renderer rejects it (Debezium then declares no default).
bool RenderDefault(const ColumnCodec& codec, std::string_view text, std::string* json);

// Appends the type's zero value (0, "", false, epoch, ...), which Debezium puts in required
// (NOT NULL) columns that a key-only old tuple did not carry, so the record matches its schema.
void AppendZeroValue(const ColumnCodec& codec, JsonWriter& w);

}  // namespace cdc
