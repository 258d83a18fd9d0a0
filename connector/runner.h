#pragma once

// Runner: the daemon's run loop. Takes the slot's instance lock (InstanceLock) before anything
// else, so a second pgcdc on the slot is refused before it changes anything. Prepares the source
// (checks, publication, slot), takes the snapshot when snapshot.mode asks for one (Snapshot),
// then streams: one poll loop in the style of pg_recvlogical that reads replication frames, feeds
// them through the ChangeProcessor into the sink, serves the sink's delivery reports, and
// persists and reports the confirmed LSN. Stops reading when in-flight limits are reached (TCP
// backpressure) while still sending status updates so wal_sender_timeout never fires. Reconnects
// with capped, jittered backoff when the replication connection is lost (and takes the instance
// lock again first if its connection went too). Serves /metrics, /healthz and /readyz when
// configured.
//
// The class spans three files, one room each: runner.cc (life, reconnects, refusals),
// start_up.cc (Prepare, the snapshot) and stream_session.cc (one session, commit cadence). The
// heartbeat (Heartbeat), the stop request (StopSignal), delivery (Publisher) and the
// configuration's translation (options.h) are objects of their own.
//
// Delivery reports go to the Publisher, which settles them on their tickets; the Runner only
// hears of refusals (OnRefusal), to record the stuck event.
//
// Threads: everything here runs on the thread that calls Run(), except that during a snapshot
// OnRefusal() may be called from the snapshot's workers (they serve reports while they wait); it
// then only touches refused_ under its mutex. A stop is requested through StopSignal::Process().

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.h"
#include "connector/capture_rules.h"
#include "connector/catalog_reader.h"
#include "connector/change_processor.h"
#include "connector/heartbeat.h"
#include "connector/incremental_snapshot.h"
#include "connector/instance_lock.h"
#include "connector/lsn_tracker.h"
#include "connector/metrics.h"
#include "connector/metrics_server.h"
#include "connector/offset_committer.h"
#include "connector/offset_store.h"
#include "connector/publisher.h"
#include "connector/replication_stream.h"
#include "connector/schema_registry_client.h"
#include "connector/snapshot.h"
#include "connector/source_setup.h"
#include "connector/start_decision.h"
#include "connector/stuck_event.h"
#include "connector/transfer_mode.h"
#include "decoders/events/event_options.h"

namespace cdc::connector {

class Runner {
 public:
  Runner(config::Config cfg, std::string version);
  ~Runner();

  // Runs until a stop is requested (returns OK after a clean shutdown) or a fatal error (returned;
  // nothing past an undelivered change has been confirmed). When the error is an event the
  // broker refused for good (see stuck()), the returned line names the event and the ways out,
  // and the event is recorded in the offsets file.
  Status Run();

  // After Run(): whether it stopped on an event the broker refused for good. Starting again
  // without a change (of limits, topics or sink.dead_letter_topic) fails the same way.
  bool stuck() const;

 private:
  Status RunUntilStopped();
  // Before each session: fails, saying what happened and what to do, when the slot was
  // invalidated, dropped, or moved past `resume` behind our back.
  Status CheckSlotStillOurs(Lsn resume) const;
  Status Prepare();
  // Creates the incremental snapshots' owner (from the stored state) and queues `joined`.
  Status StartIncremental(const std::vector<std::string>& joined);
  // Publishes the replication thread's state to the metrics (once per loop turn).
  void UpdateGauges();
  // Reads every captured table, consistent with the slot. Either (re-)creates the slot with an
  // exported snapshot on `repl`, or, when the interrupted snapshot in `stored` can be resumed,
  // keeps the slot and reads the tables it had not finished in the snapshot of a temporary slot
  // created on `repl` (their changes committed before that are skipped by the stream).
  // True when complete, false when a stop was requested during it.
  Result<bool> TakeSnapshot(PGconn* repl, const SlotState& slot, const Offset* stored);
  Offset OffsetAt(Lsn lsn) const;
  Status StreamSession();
  // An event the broker refused for good: remembered (the first one) for the exit line.
  void OnRefusal(const TicketOrigin& origin, const sinks::DeliveryListener::Refusal& refusal);
  void LogProgress(bool force);
  // Records the refused event in the offsets file and returns the exit line.
  Status StopOnRefusal(const StuckEvent& e);
  // Logs that the stuck event went through and forgets it (the next save drops the record).
  void ClearStuck();

  config::Config cfg_;
  std::string version_;
  InstanceLock lock_;  // held from the start of Run() to the end
  EventOptions event_options_;
  OffsetStore offsets_;
  Heartbeat heartbeat_;
  SystemIdentity identity_;
  int server_version_ = 0;
  Lsn start_lsn_;
  SnapshotState snapshot_state_ = SnapshotState::kNone;  // as in the offsets file
  Lsn snapshot_lsn_;
  std::map<std::string, Lsn> snapshot_tables_;  // as in the offsets file (Offset::snapshot_tables)
  // As in the offsets file: an event refused in an earlier run, until the confirmed LSN passes it
  // (or, refused in a snapshot, until a snapshot completes). Replication thread only.
  std::optional<StuckEvent> stuck_;
  mutable Mutex refused_mu_;
  // The first event refused for good in this run; set by OnRefused (the snapshot's workers may
  // call it), read after the run.
  std::optional<StuckEvent> refused_ GUARDED_BY(refused_mu_);
  bool finished_ = false;  // Prepare() did all there was to do (initial_only, or stopped)
  Clock::TimePoint last_progress_{};
  int64_t inflight_since_ms_ = 0;
  Metrics metrics_;
  std::unique_ptr<MetricsServer> metrics_server_;  // reads metrics_: declared after it
  // format avro: the registry client every encoder gets ids from (event_options_.registrar).
  std::unique_ptr<SchemaRegistryClient> registry_;

  std::unique_ptr<LsnTracker> tracker_;
  std::unique_ptr<CaptureRules> rules_;
  std::unique_ptr<CatalogReader> catalog_;
  std::unique_ptr<OffsetCommitter> committer_;  // from Prepare() on
  // Incremental snapshots (PostgreSQL 14+: watermarks are logical decoding messages); the
  // offsets file's state until it exists. Declared before the processor, which points to it.
  std::string incremental_json_;
  std::unique_ptr<IncrementalSnapshot> incremental_;
  std::unique_ptr<ChangeProcessor> processor_;
  // Owns the sink. Last member: destroyed first, while what its tickets point to still lives.
  std::unique_ptr<Publisher> publisher_;
};

}  // namespace cdc::connector
