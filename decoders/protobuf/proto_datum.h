#pragma once

// Protobuf's binary encoding of a pgcdc record, written by pgcdc itself (the encoding is small
// and pgcdc links no Protobuf library): varints, little-endian fixed32/64 floats, length-delimited
// strings, bytes and messages, packed repeated scalars. ProtoDatumWriter reads a value rendered
// by pgcdc's JSON renderers (values/value_json.h) and writes it as the message of its ProtoFile
// (proto_schema.h), as ProtobufData.fromConnectData and DynamicMessage.toByteArray() do:
//   - fields in tag order; a null is an absent field; a proto3 zero value (0, +0.0, false, "",
//     empty bytes, an empty list) is not written; a present struct is written even when empty;
//   - JsonConverter's base64 bytes decoded; NaN and the infinities from their quoted forms;
//   - a Decimal as confluent.type.Decimal {value: the unscaled two's-complement bytes as they
//     are, precision: the value's own digit count (BigDecimal.precision()), scale: the schema's};
//   - Connect's Date, Time and Timestamp as google.type.Date (proleptic Gregorian, UTC),
//     google.type.TimeOfDay and google.protobuf.Timestamp;
//   - a map as one entry message per member, in the JSON's order.
// A value ProtobufData cannot write (a null inside an array) fails, naming the field, as the
// converter does; the connector stops before the record, so the LSN holds.
//
// One writer per encoder (one thread); it keeps scratch buffers across records.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "decoders/base/status.h"
#include "decoders/protobuf/proto_schema.h"
#include "decoders/values/json_cursor.h"

namespace cdc::proto {

inline void WriteVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Wire types.
enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

inline void WriteTag(std::string* out, int tag, WireType type) {
  WriteVarint(out, (static_cast<uint64_t>(tag) << 3) | type);
}

class ProtoDatumWriter {
 public:
  // Appends the fields of the JSON object at `in` as a message of `m` onto *out (no length
  // prefix: the top-level message of a record is the rest of the record).
  Status WriteMessage(const ProtoMessage& m, JsonCursor& in, std::string* out) {
    return Message(m, in, out, 0);
  }

 private:
  Status Message(const ProtoMessage& m, JsonCursor& in, std::string* out, size_t depth);
  Status Field(const ProtoField& f, JsonCursor& in, std::string* out, size_t depth);
  // One value of `f` (an element, for a repeated field), with its tag unless `packed`.
  Status Value(const ProtoField& f, JsonCursor& in, std::string* out, size_t depth, bool packed);
  Status MapEntries(const ProtoField& f, JsonCursor& in, std::string* out, size_t depth);
  // A nested message built in the scratch buffer of `depth`, then written length-delimited.
  std::string& Scratch(size_t depth);

  std::deque<std::string> scratch_;  // by depth; a deque keeps references stable
  std::string str_;
  std::string bytes_;
};

// BigDecimal.precision() of an unscaled value given as two's-complement big-endian bytes (a
// Connect Decimal's bytes): the number of decimal digits of its magnitude, 1 for zero. The
// precision ProtobufData writes into a confluent.type.Decimal. Any thread; no state.
uint32_t DecimalDigits(std::string_view twos);

}  // namespace cdc::proto
