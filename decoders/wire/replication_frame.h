#pragma once

// The streaming replication protocol's CopyData frames (the layer under pgoutput):
//   server -> client: XLogData 'w' and primary keepalive 'k'
//   client -> server: standby status update 'r'
// https://www.postgresql.org/docs/current/protocol-replication.html
// Pure functions: no I/O. Unknown frame kinds are reported, not treated as errors, because newer
// servers may add kinds a logical client should ignore.

#include <array>
#include <cstdint>
#include <span>
#include <variant>

#include "decoders/base/lsn.h"
#include "decoders/base/status.h"

namespace cdc {

struct XLogData {
  Lsn wal_start;
  Lsn wal_end;
  int64_t send_time = 0;             // server clock, PG epoch micros
  std::span<const uint8_t> payload;  // exactly one pgoutput message; points into the frame
};

struct Keepalive {
  Lsn wal_end;  // the walsender's decode position (sentPtr), not the server's WAL end
  int64_t send_time = 0;
  bool reply_requested = false;
};

struct UnknownFrame {
  uint8_t kind = 0;
};

using ReplicationFrame = std::variant<XLogData, Keepalive, UnknownFrame>;

// Parses one CopyData payload as returned by PQgetCopyData. The result's spans point into
// `frame`, which must outlive them.
Result<ReplicationFrame> ParseReplicationFrame(std::span<const uint8_t> frame);

// Builds the 34-byte 'r' message. `now_pg_micros` is the client clock in PG epoch micros.
std::array<uint8_t, 34> EncodeStandbyStatus(Lsn write, Lsn flush, Lsn apply, int64_t now_pg_micros,
                                            bool reply_requested);

}  // namespace cdc
