#pragma once

// ReplicationStream: one logical replication session in COPY BOTH mode on a libpq connection
// (pgoutput.md §1.6, §2.5). Non-blocking: Next() returns frames already received, the caller
// polls socket() and calls ConsumeInput() when it is readable. Owns its connection.
//
// Called by the replication thread only.

#include <cstdint>
#include <span>
#include <string>

#include "connector/pg_connection.h"
#include "connector/replication_source.h"
#include "decoders/base/lsn.h"
#include "decoders/base/status.h"

namespace cdc::connector {

struct StartOptions {
  std::string slot;
  Lsn start;  // 0/0: the slot's confirmed_flush_lsn
  std::string publication;
  int proto_version = 1;
  bool messages = false;  // PG14+
  // PG14+: values of types with a binary send function arrive in that format ('b' tuple values,
  // decoded by decoders/values/pg_binary.h) instead of their text output. See transfer_mode.h.
  bool binary = false;
};

class ReplicationStream final : public ReplicationSource {
 public:
  explicit ReplicationStream(PgConnPtr conn) : conn_(std::move(conn)) {}
  ~ReplicationStream() override;
  ReplicationStream(const ReplicationStream&) = delete;
  ReplicationStream& operator=(const ReplicationStream&) = delete;

  // Issues START_REPLICATION. FailedPrecondition with SQLSTATE 55006 in the message when the
  // slot is active elsewhere (the caller may retry).
  Status Start(const StartOptions& options);

  // Sets *frame to the next complete CopyData message and returns true, or returns false when
  // none is buffered. The frame stays valid until the next call. Unavailable when the stream or
  // connection ended (with the server's error, if any).
  Result<bool> Next(std::span<const uint8_t>* frame) override;

  // Frees the frame Next() returned, once the caller is done with it (Next() also does).
  void Release() override { FreeBuffer(); }

  // Reads what the socket has into libpq's buffer.
  Status ConsumeInput() override;

  // Queues and tries to send a standby status update. flush/apply = `flush`.
  Status SendStatus(Lsn write, Lsn flush, bool reply_requested) override;

  // Pushes queued output; true while some remains (poll for POLLOUT).
  Result<bool> FlushOutput() override;

  // Ends COPY politely (CopyDone), after the final status update.
  void Finish() override;

  int socket() const override { return PQsocket(conn_.get()); }
  PGconn* conn() const { return conn_.get(); }

 private:
  void FreeBuffer();

  PgConnPtr conn_;
  char* buf_ = nullptr;
  bool copy_active_ = false;
};

}  // namespace cdc::connector
