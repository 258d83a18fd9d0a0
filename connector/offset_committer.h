#pragma once

// OffsetCommitter: how far pgcdc tells the world it is done, in pg_recvlogical's order: first
// persist the confirmed LSN (the offsets file), then report it to the server as the flush
// position. The server may then recycle WAL before it, so reporting first would lose changes in a
// crash. Reports never go below an earlier one, and the write position is what was received.
//
// Owned and called by the replication thread. The tracker and the clock must outlive it.

#include <functional>

#include "connector/clock.h"
#include "connector/lsn_tracker.h"
#include "connector/replication_source.h"
#include "decoders/base/lsn.h"
#include "decoders/base/status.h"

namespace cdc::connector {

struct CommitCadence {
  int commit_interval_ms = 1000;   // offsets.commit_interval_ms: persist at most this often
  int status_interval_ms = 10000;  // source.status_interval_ms: report at least this often
};

class OffsetCommitter {
 public:
  // `persist` durably records a confirmed LSN (the offsets file); `start` is what is already.
  OffsetCommitter(CommitCadence cadence, const LsnTracker* tracker,
                  std::function<Status(Lsn)> persist, Lsn start,
                  const Clock& clock = Clock::Steady());

  // The session's source, or nullptr between sessions (reports are then skipped).
  void Attach(ReplicationSource* source) { source_ = source; }
  // A frame's walEnd was received.
  void OnReceived(Lsn wal_end) {
    if (wal_end > received_) received_ = wal_end;
  }
  // Persists the tracker's confirmed LSN when it moved and the commit interval passed (or
  // `force`), then reports it; otherwise reports when the status interval passed.
  Status Commit(bool force);
  // Reports write = max(received, persisted), flush = persisted.
  Status SendStatus(bool reply_requested);

  Lsn persisted() const { return persisted_; }
  Lsn received() const { return received_; }

 private:
  const CommitCadence cadence_;
  const LsnTracker* tracker_;
  std::function<Status(Lsn)> persist_;
  const Clock& clock_;
  ReplicationSource* source_ = nullptr;
  Lsn persisted_;
  Lsn received_;
  Clock::TimePoint last_commit_{};
  Clock::TimePoint last_status_{};
};

}  // namespace cdc::connector
