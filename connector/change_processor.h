#pragma once

// ChangeProcessor: the middle of the pipeline. Takes XLogData frames of one replication session,
// decodes the pgoutput message, keeps the relation cache, builds events and publishes them under
// their transaction's LsnTracker record (the delivery ticket), so that the transaction's end LSN
// is confirmed only after every event is acknowledged.
//
// Transactions whose commit precedes `resume_lsn` were confirmed in an earlier run and are
// skipped (pgoutput.md §4.5): restarts never re-publish them.
//
// Owned and called by the replication thread. Borrowed pointers must outlive it.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "connector/capture_rules.h"
#include "connector/catalog_reader.h"
#include "connector/lsn_tracker.h"
#include "connector/publisher.h"
#include "connector/relation_registry.h"
#include "decoders/events/event.h"
#include "decoders/events/event_builder.h"
#include "decoders/events/relation_cache.h"
#include "decoders/wire/pgoutput_dispatch.h"
#include "decoders/wire/replication_frame.h"

namespace cdc::connector {

class IncrementalSnapshot;

// What the processor publishes besides row changes.
struct ProcessorOptions {
  bool emit_messages = true;                  // op "m" records for logical decoding messages
  std::vector<std::string> message_prefixes;  // globs; empty = all prefixes
};

class ChangeProcessor : public EventEmitter, private pgoutput::MessageHandler {
 public:
  // `while_full` is called while the sink's local queue is full; it must serve delivery reports
  // and keep the replication connection alive (its error ends the wait and the session).
  ChangeProcessor(const EventOptions& options, ProcessorOptions processor_options,
                  const CaptureRules* rules, CatalogReader* catalog, LsnTracker* tracker,
                  Publisher* publisher, std::function<Status()> while_full);

  // Starts a new replication session: clears the relation cache (the server re-sends Relation
  // messages per session) and sets the position below which transactions are skipped.
  // `binary_values`: the session asked pgoutput for binary values (transfer_mode.h); a captured
  // column whose type pgcdc decodes only as text then ends the session at its Relation message
  // (Unavailable, before any of its changes), and text_required() turns true.
  void ResetSession(Lsn resume_lsn, bool binary_values = false, bool utf8_client = true);

  // A binary session met a column type it cannot decode in binary (see ResetSession).
  bool text_required() const { return text_required_; }

  // Tables (schema.table) that a resumed snapshot read as of a later LSN than the stream's start:
  // their `r` records already hold every change committed before that LSN, so those changes are
  // skipped. Kept across sessions.
  void SetSnapshotReads(std::map<std::string, Lsn> read_lsns) {
    snapshot_reads_ = std::move(read_lsns);
  }

  // Incremental snapshots (incremental_snapshot.h) see every transaction boundary, published
  // record, watermark and signal of the stream; nullptr: none. Must outlive the processor.
  void SetIncremental(IncrementalSnapshot* incremental) { incremental_ = incremental; }

  // Processes one XLogData frame. Errors are fatal for the session (corrupt bytes, a relation
  // never announced, a value that cannot be represented, a sink refusal).
  Status OnXLogData(const XLogData& frame);

  // Publishes a heartbeat record. Tracked like any event (a failed delivery stops pgcdc) but it
  // confirms no LSN. Call only outside a transaction.
  Status EmitHeartbeat();

  bool in_transaction() const { return in_txn_; }
  uint64_t events_sent() const { return events_sent_; }
  // Columns left out under unknown_types: skip, counted per relation version.
  uint64_t columns_skipped() const { return columns_skipped_; }

  Status Emit(const ChangeEvent& event) override;

 private:
  // The pgoutput messages (pgoutput_dispatch.h).
  Status OnBegin(const pgoutput::Begin& b) override;
  Status OnCommit(const pgoutput::Commit& c) override;
  Status OnOrigin(pgoutput::Origin& o) override;
  Status OnRelation(pgoutput::Relation& rel) override;
  Status OnType(const pgoutput::Type& y) override;
  Status OnInsert(const pgoutput::Insert& m, Lsn lsn) override;
  Status OnUpdate(const pgoutput::Update& m, Lsn lsn) override;
  Status OnDelete(const pgoutput::Delete& m, Lsn lsn) override;
  Status OnTruncate(const pgoutput::Truncate& m, Lsn lsn) override;
  Status OnLogicalMessage(const pgoutput::LogicalMessage& m) override;
  // The table a row change of relation `oid` goes to, nullptr when it is skipped (a transaction
  // confirmed earlier, a table not captured or already read by a resumed snapshot); an error
  // outside a transaction or for a relation never announced.
  Result<const TableSchema*> ChangeTarget(uint32_t oid);
  // `t`, or its new version when `tuple` carries an enum label its schema's `allowed` list lacks
  // (ALTER TYPE ... ADD VALUE re-announces no relation): the labels are read again from the
  // catalog, once per relation version, so the first event with the label has a schema that
  // lists it.
  Result<const TableSchema*> WithCurrentEnumLabels(const TableSchema* t,
                                                   const pgoutput::Tuple& tuple);
  // Emits through the sink under a tracker record of its own, confirming `end_lsn` (or nothing,
  // for Lsn()) once delivered.
  template <typename Fn>
  Status EmitStandalone(Lsn end_lsn, Fn&& build);
  // Whether the open transaction's changes to `t` are already in a resumed snapshot's reads.
  bool ReadBySnapshot(const TableSchema& t) const;
  const TableSchema* Table(uint32_t oid, Status* error) const;

  const EventOptions& options_;
  ProcessorOptions processor_options_;
  IncrementalSnapshot* incremental_ = nullptr;
  LsnTracker* tracker_;
  Publisher* publisher_;
  std::function<Status()> while_full_;

  RelationRegistry relations_;
  EventBuilder builder_;
  std::unordered_map<uint32_t, std::string> signatures_;  // last definition per relation, across
                                                          // sessions (schema-change log)
  std::unordered_set<uint32_t> warned_no_key_;
  std::unordered_set<uint64_t> enum_labels_reread_;  // relation versions (WithCurrentEnumLabels)

  Lsn resume_lsn_;
  std::map<std::string, Lsn> snapshot_reads_;
  bool binary_values_ = false;
  bool utf8_client_ = true;
  bool text_required_ = false;
  bool in_txn_ = false;
  bool skip_txn_ = false;
  TxnContext txn_;
  LsnTracker::Txn* txn_record_ = nullptr;
  std::optional<Lsn> last_commit_lsn_;
  uint64_t events_sent_ = 0;
  uint64_t columns_skipped_ = 0;
};

}  // namespace cdc::connector
