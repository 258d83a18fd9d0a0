#pragma once

// Avro's binary encoding (the specification's "Binary Encoding"), written by pgcdc itself: it is
// small, and pgcdc links no Avro library. Zig-zag varints for int and long, little-endian IEEE
// floats, length-prefixed bytes and strings, a union's branch index before its value, arrays and
// maps as one counted block and a zero. Plus Confluent's framing (magic byte 0, the schema id as
// a 4-byte big-endian int) and WriteJsonAsAvro, which turns a value rendered by pgcdc's JSON
// renderers into the datum of its Avro schema, so Avro carries exactly the JSON format's values.
// Pure functions, thread-compatible.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "decoders/avro/avro_schema.h"
#include "decoders/base/status.h"
#include "decoders/values/json_cursor.h"

namespace cdc::avro {

inline void WriteLong(std::string* out, int64_t v) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (z >= 0x80) {
    out->push_back(static_cast<char>((z & 0x7F) | 0x80));
    z >>= 7;
  }
  out->push_back(static_cast<char>(z));
}

inline void WriteBool(std::string* out, bool v) { out->push_back(v ? '\1' : '\0'); }

inline void WriteBytes(std::string* out, std::string_view bytes) {
  WriteLong(out, static_cast<int64_t>(bytes.size()));
  out->append(bytes);
}

inline void WriteDouble(std::string* out, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
}

inline void WriteFloat(std::string* out, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
}

// The union branch of a nullable value: `present` picks the non-null branch of `u` (a
// ["null", T] or [T, "null"] union).
inline void WriteBranch(std::string* out, const AvroSchema& u, bool present) {
  const int null_branch = u.NullBranch();
  WriteLong(out, present ? 1 - null_branch : null_branch);
}

// Reads one JSON value at `in` (as value_json.h renders it) and writes it as a datum of
// `schema`: numbers by their Avro type, bytes from the base64 strings JsonConverter writes, NaN
// and the infinities from their quoted forms, records member by member in field order (a member
// missing from the JSON is null). Fails, naming the path, on a value that does not fit.
Status WriteJsonAsAvro(const AvroSchema& schema, JsonCursor& in, std::string* out);

}  // namespace cdc::avro
