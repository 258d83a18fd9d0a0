#include "decoders/wire/replication_frame.h"

#include <string>

#include "decoders/base/byte_reader.h"

namespace cdc {

Result<ReplicationFrame> ParseReplicationFrame(std::span<const uint8_t> frame) {
  ByteReader r(frame);
  uint8_t kind;
  if (!r.ReadU8(&kind)) return Status::Corruption("empty replication frame");
  switch (kind) {
    case 'w': {
      XLogData d;
      uint64_t start, end;
      if (!r.ReadU64(&start) || !r.ReadU64(&end) || !r.ReadI64(&d.send_time)) {
        return Status::Corruption("XLogData header too short (" + std::to_string(frame.size()) +
                                  " bytes, need 25)");
      }
      d.wal_start = Lsn(start);
      d.wal_end = Lsn(end);
      d.payload = r.Rest();
      return ReplicationFrame(d);
    }
    case 'k': {
      Keepalive k;
      uint64_t end;
      uint8_t reply;
      if (!r.ReadU64(&end) || !r.ReadI64(&k.send_time) || !r.ReadU8(&reply)) {
        return Status::Corruption("keepalive too short (" + std::to_string(frame.size()) +
                                  " bytes, need 18)");
      }
      if (!r.empty()) return Status::Corruption("keepalive has trailing bytes");
      k.wal_end = Lsn(end);
      k.reply_requested = reply != 0;
      return ReplicationFrame(k);
    }
    default: return ReplicationFrame(UnknownFrame{kind});
  }
}

std::array<uint8_t, 34> EncodeStandbyStatus(Lsn write, Lsn flush, Lsn apply, int64_t now_pg_micros,
                                            bool reply_requested) {
  std::array<uint8_t, 34> m{};
  m[0] = 'r';
  PutU64(&m[1], write.value);
  PutU64(&m[9], flush.value);
  PutU64(&m[17], apply.value);
  PutU64(&m[25], static_cast<uint64_t>(now_pg_micros));
  m[33] = reply_requested ? 1 : 0;
  return m;
}

}  // namespace cdc
