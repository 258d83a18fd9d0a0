#pragma once

// StreamLoop: the poll loop of one replication session, in the style of pg_recvlogical. Reads
// frames from the source while the Publisher has room (backpressure: a full pipeline stops
// reading, so TCP pushes back on the server), hands XLogData to the ChangeProcessor, confirms an
// idle keepalive's walEnd, serves delivery reports, and commits through the OffsetCommitter
// (persist, then report) every turn, blocked or not, so wal_sender_timeout never fires. On the
// way out it drains what is in flight and commits once more.
//
// Everything borrowed must outlive the loop. Called by the replication thread only.

#include <functional>
#include <span>

#include "connector/change_processor.h"
#include "connector/lsn_tracker.h"
#include "connector/offset_committer.h"
#include "connector/publisher.h"
#include "connector/replication_source.h"
#include "connector/stop_signal.h"

namespace cdc::connector {

class StreamLoop {
 public:
  StreamLoop(ChangeProcessor& processor, LsnTracker& tracker, Publisher& publisher,
             OffsetCommitter& committer, const StopSignal& stop)
      : processor_(processor),
        tracker_(tracker),
        publisher_(publisher),
        committer_(committer),
        stop_(stop) {}

  // Runs until a stop is requested (OK) or an error: a lost connection (Unavailable), bad bytes,
  // a refused delivery. `every_turn` runs after each turn's commit (heartbeat, checks, gauges);
  // its error ends the session. The loop sleeps at most `idle_timeout_ms` between turns.
  Status Run(ReplicationSource& source, const std::function<Status()>& every_turn,
             int idle_timeout_ms);

 private:
  Status HandleFrame(std::span<const uint8_t> bytes);

  ChangeProcessor& processor_;
  LsnTracker& tracker_;
  Publisher& publisher_;
  OffsetCommitter& committer_;
  const StopSignal& stop_;
};

}  // namespace cdc::connector
