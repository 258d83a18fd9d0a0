#pragma once

// Snapshot: the initial copy of every captured table, consistent with the replication slot.
//
// The slot was created with an exported snapshot; its replication connection must stay open and
// idle until Run() returns (the export dies with its next command). Run() plans on one
// connection that imports the snapshot (tables of the publication, their columns as pgoutput
// would announce them, their size), splits large tables into CTID ranges, and starts
// `parallelism` workers, each on its own connection in a REPEATABLE READ transaction importing
// the same snapshot. Workers COPY their ranges out, turn every row into one op "r" event through
// the same RelationCache and EventBuilder as streaming, and send it to the sink. Rows committed
// before the slot's consistent point are all read; later ones are left to the stream.
//
// Resuming: tables listed in `done_tables` (read by an earlier, interrupted pass) are left out.
// The others may have records of the interrupted pass on their topics, as of the slot's
// consistent point; rows deleted since then are absent from this pass's read, and the stream
// skips those tables' changes before `lsn`. So the deletes, key changes and truncates committed
// in between are published first, from a peek at the slot, ahead of this pass's reads: replayed
// in order, the topics then match the tables.
// Each table whose every record the sink acknowledged is handed to `on_table_done`, so that the
// caller can record it and a later resume need not read it again.
//
// Delivery: every record goes through the Publisher under its table's DeliveryTicket, which counts
// the table's acknowledged records (and fails the snapshot on a failed report).
//
// Threads: Run() is called on the runner's thread and returns after joining the workers. It
// serves the sink's delivery reports (Publisher::Serve) there; workers waiting for room serve
// them too. on_table_done runs on Run()'s thread. Progress() may be called from any thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "connector/capture_rules.h"
#include "connector/catalog_reader.h"
#include "connector/pg_connection.h"
#include "connector/publisher.h"
#include "connector/relation_registry.h"
#include "connector/snapshot_progress.h"
#include "connector/stop_signal.h"
#include "decoders/base/lsn.h"
#include "decoders/base/status.h"
#include "decoders/base/thread_annotations.h"
#include "decoders/events/event_options.h"
#include "decoders/events/relation_cache.h"

namespace cdc::connector {

class SnapshotMarkers;

// Fails, naming every table, when the role may not SELECT a captured table of `publication`.
// Run before the slot is created, so a missing grant leaves nothing behind.
Status CheckSnapshotPrivileges(PGconn* sql, const std::string& publication,
                               const CaptureRules& rules);

struct SnapshotOptions {
  std::string dsn;
  std::string publication;
  std::string snapshot_name;  // from CREATE_REPLICATION_SLOT ... (SNAPSHOT 'export')
  Lsn lsn;                    // the slot's consistent point: source.lsn of every record
  int parallelism = 2;
  int64_t chunk_pages = 16384;
  int progress_interval_ms = 10000;
  // source.value_transfer: a table is read with binary COPY unless text, or unless a column's
  // type is one pgcdc decodes only as text (an error under binary, as for the stream).
  config::ValueTransfer value_transfer = config::ValueTransfer::kAuto;
  std::set<std::string> done_tables;  // schema.table: already read by an interrupted pass
  // Resuming: the slot whose changes committed before `lsn` are peeked at (never consumed) for
  // the deletes the other tables' read cannot show (see PublishEarlierDeletes).
  std::string resumed_slot;
  // Called once per table when all its records are acknowledged; an error ends the snapshot.
  std::function<Status(const std::string& table)> on_table_done;
};

class Snapshot {
 public:
  // Borrowed pointers must outlive the Snapshot. `stop` is checked between steps; its fd wakes
  // the waiting loop.
  Snapshot(SnapshotOptions options, const EventOptions& event_options, const CaptureRules* rules,
           CatalogReader* catalog, Publisher* publisher, const StopSignal* stop);
  ~Snapshot();

  // Reads everything and waits until the sink acknowledged every record. Returns true when the
  // snapshot completed, false when a stop was requested first; an error (a table the role may
  // not read, a connection lost mid-way, a refused delivery) ends it with nothing handed over.
  Result<bool> Run();

  std::vector<TableProgress> Progress() const;
  uint64_t rows_total() const { return rows_total_.load(); }

 private:
  struct Table;
  struct Range;
  class Worker;

  Status Plan();
  void Fail(const Status& s);
  bool cancelled() const { return cancel_.load() || stop_->requested(); }
  // Sends a record of table `table` on behalf of a worker: waits while the in-flight limits are
  // reached or the sink's queue is full. Thread-safe.
  Status Send(const ChangeEvent& ev, size_t table);
  // Hands every table that is read and acknowledged in full to on_table_done (Run()'s thread).
  Status ReportTablesDone();
  bool NextRange(Range* out);
  void LogProgress();

  SnapshotOptions options_;
  const EventOptions& event_options_;
  const CaptureRules* rules_;
  CatalogReader* catalog_;
  Publisher* publisher_;
  const StopSignal* stop_;

  RelationRegistry relations_;  // filled by Plan(), read-only while workers run
  std::vector<std::unique_ptr<Table>> tables_;
  std::vector<Range> ranges_;
  size_t next_range_ GUARDED_BY(mu_) = 0;

  std::unique_ptr<SnapshotMarkers> markers_;
  std::atomic<bool> planned_{false};
  std::atomic<int> workers_done_{0};

  mutable Mutex mu_;
  Status error_ GUARDED_BY(mu_);  // the first failure
  std::atomic<bool> cancel_{false};
  std::atomic<uint64_t> rows_total_{0};
  int64_t started_us_ = 0;
  int64_t last_progress_us_ = 0;
};

}  // namespace cdc::connector
