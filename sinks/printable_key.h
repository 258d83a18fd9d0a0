#pragma once

// Keys as people read them in log lines, `pgcdc status` and the offsets file's stuck record.
// A JSON key is text and stays as it is; a binary key (Avro's framing begins with the byte 0)
// would put NULs and broken UTF-8 into a log line, so every byte that is not part of printable
// UTF-8 text is written as \xNN instead. For display only: never parsed back. TextChars also
// tells the Kinesis sink whether a key can be a partition key as it is. Pure functions.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace cdc::sinks {

// At most `max_bytes` bytes of `bytes` (cut at a character boundary), each byte outside
// printable UTF-8 text (a control character, DEL, a byte of no valid sequence) as \xNN with
// upper-case hex. `*cut` (if given) says whether bytes were left out.
std::string PrintableBytes(std::string_view bytes, size_t max_bytes, bool* cut = nullptr);

// A key for a log line: PrintableBytes of its first 200 bytes, with "..." when it is longer.
std::string PrintableKey(std::string_view key);

// The number of characters of `s` when all of it is printable UTF-8 text (no control character:
// an Avro key begins with the byte 0), else nullopt.
std::optional<size_t> TextChars(std::string_view s);

}  // namespace cdc::sinks
