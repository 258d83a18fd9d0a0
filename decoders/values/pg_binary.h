#pragma once

// Values in PostgreSQL's binary send format (pgoutput 'b' tuple values, sent when
// START_REPLICATION asks for "binary" 'true', PostgreSQL 14+; and binary COPY): which codecs can
// travel in it, and the text form of the send formats that renderers read through their text
// path, so the event does not depend on the transfer mode. The per-format renderers of binary
// values are beside the text renderers (json/binary_json.h).
//
// The layouts are those of each type's *send function in PostgreSQL's src/backend/utils/adt
// (int4send, numeric_send, timestamp_send, array_send, ...). Every read is bounds-checked; bad
// bytes are `false`, never a crash. Pure functions, thread-compatible.

#include <cstdint>
#include <string>
#include <string_view>

#include "decoders/values/column_codec.h"

namespace cdc {

// Whether values of `codec` (for arrays: of their elements) can be decoded from the binary
// format. Types it refuses must travel as text: the transfer-mode decision falls back to text
// for them. `utf8_client`: whether the session's client encoding is UTF8 (xml_send adds an
// encoding declaration that xml_out omits otherwise).
bool BinaryDecodable(const ColumnCodec& codec, bool utf8_client = true);

// The first type in `codec` that BinaryDecodable refuses, for log lines ("money", "inet[]").
std::string BinaryUndecodableTypeName(const ColumnCodec& codec);
// For such a log line: the unknown-type policy that keeps a column of `type` (which is why it
// is text-only), e.g. " (kept as text under format.unknown_types: string)"; "" for other types.
const char* UnknownTypeNote(ValueType type);

namespace pgbinary {

// PostgreSQL's float8out / float4out with extra_float_digits > 0: the shortest digits that
// read back exactly, fixed-point when the decimal exponent is in [-4, 15) (float4: [-4, 6)),
// else d.ddde+XX; "NaN", "Infinity", "-Infinity", "0", "-0".
void AppendFloat8Text(std::string* out, double v);
void AppendFloat4Text(std::string* out, float v);

// The text form of a binary value of the built-in type `type_oid` (pg_type_oids.h), as the
// type's output function prints it under pgcdc's pinned session settings. False when the bytes
// are not a valid send format. Covers bool, int2, int4, int8, oid, float4, float8, numeric,
// "char", uuid, jsonb, bit, varbit, interval, point, lseg, path, box, polygon, line, circle,
// macaddr, macaddr8.
bool BinaryToText(uint32_t type_oid, std::string_view bytes, std::string* out);

// hstore_send's bytes rewritten as hstore_out's text (which pgtext's hstore parser reads).
bool HstoreToText(std::string_view bytes, std::string* out);

}  // namespace pgbinary

}  // namespace cdc
