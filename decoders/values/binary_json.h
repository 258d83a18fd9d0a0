#pragma once

// Binary-format column values (values/pg_binary.h) in Debezium's JSON rendering: byte for byte
// what AppendValue (value_json.h) appends for the text form of the same value. Most types are
// turned into their text form and handed to AppendValue, so there is one JSON renderer per
// type; bytea, the text-like types, dates and times are rendered straight from the bytes (a
// 100 MB bytea is held once as raw bytes, not twice as hex text). Pure, thread-compatible.

#include <string_view>

#include "decoders/base/status.h"
#include "decoders/values/column_codec.h"
#include "decoders/values/json_writer.h"

namespace cdc {

// Appends the JSON value of the binary-format `bytes`. Fails (InvalidArgument) for a codec
// BinaryDecodable refuses, and (Corruption) for bytes that are not a valid send format.
Status AppendBinaryValue(const ColumnCodec& codec, std::string_view bytes, JsonWriter& w);

}  // namespace cdc
