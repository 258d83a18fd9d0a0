#pragma once

// Parser for PostgreSQL's COPY ... TO STDOUT (FORMAT binary) stream
// (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"). The snapshot reads a
// table in binary when pg_binary decodes every one of its columns: a bytea then arrives as its
// raw bytes instead of twice as many hex digits, and the values are the same send-format bytes a
// binary pgoutput session carries, rendered by the same AppendBinaryValue.
//
// The stream is a file header (the 11-byte signature "PGCOPY\n\377\r\n\0", an int32 flags word,
// an int32 header-extension length and the extension), the rows (an int16 field count, then per
// field an int32 length, -1 for NULL, and that many bytes), and a trailer (an int16 -1). All
// integers are big-endian. PostgreSQL sends one CopyData message per row; the header travels in
// the first message, together with the first row (or with the trailer for an empty result), and
// the trailer in a message of its own.
//
// Pure and bounds-checked: the bytes come from the network; bad bytes are a Corruption value,
// never a crash.

#include <cstddef>
#include <string_view>

#include "decoders/base/status.h"
#include "decoders/wire/pgoutput_messages.h"

namespace cdc {

// Reads the CopyData messages of one binary COPY, in order. Thread-compatible; one per COPY.
class CopyBinaryReader {
 public:
  enum class Part { kNothing, kRow, kTrailer };
  struct Message {
    Part part = Part::kNothing;
    // kRow: the row's bytes (field count onwards), a view into the message given to Next().
    std::string_view row;
  };

  // `message` is one CopyData payload. Returns what it carries: a row, the trailer, or nothing
  // (a message holding only the header). Corruption when the first message does not start with
  // a valid header, or a message follows the trailer, or the trailer has bytes after it.
  Result<Message> Next(std::string_view message);

  // The trailer was read: the COPY's data is complete.
  bool finished() const { return trailer_seen_; }

 private:
  bool header_seen_ = false;
  bool trailer_seen_ = false;
};

// Parses `row` (a Message::row) into `out`, which gets exactly `columns` values: kNull, or
// kBinary with `data` viewing the field's bytes inside `row` (valid as long as `row`'s buffer).
// Corruption when the field count differs from `columns`, a length is negative (other than -1)
// or runs past the row, or bytes are left after the last field.
Status ParseCopyBinaryRow(std::string_view row, size_t columns, pgoutput::Tuple* out);

}  // namespace cdc
