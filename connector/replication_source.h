#pragma once

// ReplicationSource: where the stream loop reads replication frames and sends standby status
// updates. ReplicationStream is the real one (libpq, COPY BOTH); tests script frames with a fake
// (tests/unit/stream_loop_test.cc), so the LSN discipline is tested in-process.
//
// Called by the replication thread only.

#include <cstdint>
#include <span>

#include "decoders/base/lsn.h"
#include "decoders/base/status.h"

namespace cdc::connector {

class ReplicationSource {
 public:
  virtual ~ReplicationSource() = default;
  // Sets *frame to the next complete message and returns true, or false when none is buffered.
  // The frame stays valid until Release() or the next call. Unavailable when the stream ended.
  virtual Result<bool> Next(std::span<const uint8_t>* frame) = 0;
  // Frees the frame Next() returned, once the caller is done with it.
  virtual void Release() = 0;
  // Reads what the socket has (call when socket() is readable).
  virtual Status ConsumeInput() = 0;
  // Queues and tries to send a standby status update (flush = apply = `flush`).
  virtual Status SendStatus(Lsn write, Lsn flush, bool reply_requested) = 0;
  // Pushes queued output; true while some remains (poll for POLLOUT).
  virtual Result<bool> FlushOutput() = 0;
  // Ends the session politely, after the final status update.
  virtual void Finish() = 0;
  // The descriptor to poll, or -1 (then the loop waits its timeout).
  virtual int socket() const = 0;
};

}  // namespace cdc::connector
