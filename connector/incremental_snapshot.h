#pragma once

// IncrementalSnapshot: re-reads tables while the stream keeps flowing, by DBLog's watermark
// algorithm (reference: shared/reference/incremental-snapshot.md; README "Incremental
// snapshots"). Per chunk, on its own SQL connection and between loop turns: write a low
// watermark (LW), SELECT the next chunk in key order (incremental_chunk.h) into a buffer of
// ready-built op "r" records keyed by their Kafka key, write a high watermark (HW). In the
// stream, LW opens a window; every streamed record of the table inside the window removes its
// key from the buffer (the log's version is newer); at HW the remaining rows are published, in
// the HW's transaction, so they precede every later change and the HW's commit LSN is confirmed
// only once they are acknowledged. Then the next chunk is read.
//
// Visibility hazard (reference §5, §6.4): a commit can be decoded before it is visible to new
// snapshots. The xids of streamed transactions that touched the table are kept until a chunk
// snapshot's xmin passes them; when LW arrives, a chunk whose snapshot does not see one of them is
// thrown away and read again later, so a stale row never follows its newer change.
//
// Durable progress (IncrementalState) changes only at transaction boundaries: the state after a
// transaction (an HW, a signal) becomes the offsets file's once the confirmed LSN reaches that
// transaction's commit, so a restart resumes at the last acknowledged chunk.
//
// Signals (signals.h) arrive as signal-table inserts or 'pgcdc-signal' messages; their handling is
// in incremental_signals.cc.
//
// Owned by the Runner; every method runs on the replication thread. Borrowed pointers must
// outlive it.

#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "connector/capture_rules.h"
#include "connector/catalog_reader.h"
#include "connector/clock.h"
#include "connector/incremental_chunk.h"
#include "connector/incremental_state.h"
#include "connector/metrics.h"
#include "connector/pg_connection.h"
#include "connector/relation_registry.h"
#include "connector/signals.h"
#include "connector/watermark.h"
#include "decoders/events/event.h"
#include "decoders/events/event_builder.h"
#include "decoders/events/event_options.h"
#include "decoders/wire/pgoutput_messages.h"

namespace cdc::connector {

struct IncrementalOptions {
  std::string dsn;
  std::string publication;
  std::vector<std::string> include_patterns;  // source.tables (empty: every table)
  std::string signals_table;                  // schema.table, or empty
  int chunk_size = 4096;
  int progress_interval_ms = 10000;
};

class IncrementalSnapshot {
 public:
  // `restored`: the offsets file's state (resumed from its cursor).
  IncrementalSnapshot(IncrementalOptions options, const EventOptions& event_options,
                      const CaptureRules* rules, CatalogReader* catalog, Metrics* metrics,
                      IncrementalState restored);
  ~IncrementalSnapshot();

  // --- From the ChangeProcessor, in stream order (transactions not skipped only) ---
  static bool Claims(std::string_view message_prefix);
  bool IsSignalTable(const std::string& qualified_name) const {
    return !options_.signals_table.empty() && qualified_name == options_.signals_table;
  }
  void OnBegin(Xid xid);
  // A message with a claimed prefix, inside its transaction: a watermark (at HW the chunk's rows
  // go to `out`) or a signal. Never published itself.
  Status OnMessage(const pgoutput::LogicalMessage& m, EventEmitter& out);
  // A row inserted into the signal table (`t` its schema).
  void OnSignalRow(const TableSchema& t, const pgoutput::Tuple& row);
  // Every record the stream publishes (the window removes its key).
  void OnStreamed(const ChangeEvent& ev);
  void OnTruncate(const std::string& table);
  void OnCommit(Lsn end_lsn);
  // A new replication session: an open window is abandoned (its chunk is read again).
  void ResetSession();

  // --- From the Runner ---
  // Between loop turns: reads the next chunk when none is in the stream and the sink has room.
  // Errors of a table (a bad filter, no key) refuse that table with one line; a lost connection
  // is retried later. Never fails the session.
  void Step(bool sink_blocked);
  // Tables that joined the capture set (snapshot.new_tables: incremental).
  void AddTables(const std::vector<std::string>& names);
  // The confirmed LSN reached `confirmed`: the state of every transaction up to it is durable.
  void Confirm(Lsn confirmed);
  // The durable state, for the offsets file ("" when none).
  std::string DurableJson() const { return EncodeIncrementalState(durable_); }
  // Whether the durable state changed outside a transaction (a table queued by reconciliation,
  // refused or found empty) since the last call: the caller saves it with the persisted LSN,
  // which no longer moves for it.
  bool TakeDurableChanged() { return std::exchange(durable_changed_, false); }

 private:
  enum class Phase { kIdle, kAwaitLow, kOpen };
  struct Buffered {
    std::string key;
    std::string topic;
    std::optional<std::string> value;
    std::vector<std::pair<std::string, std::string>> headers;
    char op = 'r';
    bool removed = false;
  };
  class Collector;

  Status ReadNextChunk();
  // The open transaction changed `table` (for the visibility check).
  void Touched(std::string_view table);
  Status OnWatermark(const Watermark& w, EventEmitter& out);
  void ApplySignal(const Signal& s);
  void Enqueue(const IncrementalTable& t, const char* why);
  // Abandons the open window and the described table (it is described again).
  void DropWindow();
  // A state change outside a transaction: durable behind whatever is pending.
  void ApplyNow();
  void Refuse(const Status& s);
  void Report(bool force);
  Status Connected();

  IncrementalOptions options_;
  const EventOptions& event_options_;
  const CaptureRules* rules_;
  Metrics* metrics_;
  RelationRegistry registry_;
  EventBuilder builder_;
  PgConnPtr conn_;
  std::string snapshot_id_;  // random, per process: only our watermarks count

  IncrementalState state_;                                // as of the last processed message
  IncrementalState durable_;                              // as of the confirmed LSN
  std::deque<std::pair<Lsn, IncrementalState>> pending_;  // (commit end LSN, state after it)
  bool dirty_ = false;                                    // state_ changed in this transaction
  bool durable_changed_ = false;
  // Signals of the open transaction: acted on at its commit, so that a transaction's signals
  // take effect together (a chunk is never read between an execute and a pause sent together).
  std::vector<Signal> txn_signals_;

  std::optional<ChunkTable> table_;  // state_.queue.front(), described
  Phase phase_ = Phase::kIdle;
  uint64_t chunk_ = 0;       // number of the chunk in the stream
  bool chunk_last_ = false;  // it reaches the table's max key
  KeyValues chunk_end_;      // its last row's key: the cursor once acknowledged
  ChunkSnapshot chunk_snapshot_;
  std::vector<Buffered> buffer_;
  std::unordered_map<std::string, std::vector<size_t>> by_key_;
  bool emitting_ = false;

  // The visibility check's memory: (xid, table) of streamed transactions, kept until a chunk
  // snapshot's xmin passes them (at most kMaxStreamed: beyond, the oldest go first). Kept for
  // every captured table, not only queued ones: a commit streamed before its table was queued
  // matters as much.
  Xid txn_xid_;
  std::vector<std::string> txn_tables_;  // tables the open transaction changed
  std::deque<std::pair<uint32_t, std::string>> streamed_;
  Clock::TimePoint retry_at_{};
  Clock::TimePoint last_report_{};
  uint64_t rereads_ = 0;
};

}  // namespace cdc::connector
