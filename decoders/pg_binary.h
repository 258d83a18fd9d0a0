#pragma once

// Values in PostgreSQL's binary send format (pgoutput 'b' tuple values, sent when
// START_REPLICATION asks for "binary" 'true', PostgreSQL 14+), rendered exactly as
// value_converter renders the same value's text form: the event does not depend on the transfer
// mode. Most types are turned into the text form pg_text parses and handed to AppendValue, so
// there is one renderer per type; bytea and the text-like types are rendered straight from the
// bytes (a 100 MB bytea is held once as raw bytes, not twice as hex text).
//
// The layouts are those of each type's *send function in PostgreSQL's src/backend/utils/adt
// (int4send, numeric_send, timestamp_send, array_send, ...). Every read is bounds-checked; bad
// bytes are an error value naming the type, never a crash. Pure functions, thread-compatible.

#include <cstdint>
#include <string>
#include <string_view>

#include "decoders/json_writer.h"
#include "decoders/status.h"
#include "decoders/value_converter.h"

namespace cdc {

// Whether AppendBinaryValue decodes values of `codec` (for arrays: of their elements). Types it
// does not decode must travel as text: the transfer-mode decision falls back to text for them.
// `utf8_client`: whether the session's client encoding is UTF8 (xml_send adds an encoding
// declaration that xml_out omits otherwise).
bool BinaryDecodable(const ColumnCodec& codec, bool utf8_client = true);

// The first type in `codec` that BinaryDecodable refuses, for log lines ("money", "inet[]").
std::string BinaryUndecodableTypeName(const ColumnCodec& codec);

// Appends the JSON value of the binary-format `bytes`: byte for byte what AppendValue appends
// for the text form of the same value. Fails (InvalidArgument) for a codec BinaryDecodable
// refuses, and (Corruption) for bytes that are not a valid send format of the type.
Status AppendBinaryValue(const ColumnCodec& codec, std::string_view bytes, JsonWriter& w);

namespace pgbinary {

// PostgreSQL's float8out / float4out with extra_float_digits > 0: the shortest digits that
// read back exactly, fixed-point when the decimal exponent is in [-4, 15) (float4: [-4, 6)),
// else d.ddde+XX; "NaN", "Infinity", "-Infinity", "0", "-0".
void AppendFloat8Text(std::string* out, double v);
void AppendFloat4Text(std::string* out, float v);

// The text form of a binary value of the built-in type `type_oid` (pg_type_oids.h), as the
// type's output function prints it under pgcdc's pinned session settings. False when the bytes
// are not a valid send format. Covers the types AppendBinaryValue turns into text: bool, int2,
// int4, int8, oid, float4, float8, numeric, "char", uuid, jsonb, bit, varbit, interval, point,
// lseg, path, box, polygon, line, circle, macaddr, macaddr8.
bool BinaryToText(uint32_t type_oid, std::string_view bytes, std::string* out);

}  // namespace pgbinary

}  // namespace cdc
