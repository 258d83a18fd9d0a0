#pragma once

// Strong types for WAL positions and transaction ids. Parsed and formatted only at the edges
// (SQL results, the offsets file, logs); never kept as strings.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "decoders/base/status.h"

namespace cdc {

struct Lsn {
  uint64_t value = 0;

  constexpr Lsn() = default;
  constexpr explicit Lsn(uint64_t v) : value(v) {}
  auto operator<=>(const Lsn&) const = default;

  // 0/0 is InvalidXLogRecPtr.
  bool valid() const { return value != 0; }

  // Parses PostgreSQL's "%X/%X" text form (zero-padded halves accepted). Rejects anything else.
  static Result<Lsn> Parse(std::string_view text);
  // Formats as "%X/%X" with upper-case hex, as PostgreSQL does.
  std::string ToString() const;
};

struct Xid {
  uint32_t value = 0;
  auto operator<=>(const Xid&) const = default;
};

// PostgreSQL timestamps are microseconds since 2000-01-01 UTC.
constexpr int64_t kPgEpochOffsetMicros = 946'684'800'000'000;
inline int64_t PgTimestampToUnixMicros(int64_t pg_micros) {
  return pg_micros + kPgEpochOffsetMicros;
}
inline int64_t UnixMicrosToPgTimestamp(int64_t unix_micros) {
  return unix_micros - kPgEpochOffsetMicros;
}

}  // namespace cdc
