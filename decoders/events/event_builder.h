#pragma once

// EventBuilder: Debezium's record semantics over decoded row changes: which records a change
// makes and in which order (skipped operations; an update that moves its row to another key as
// 'd' + tombstone + 'c' with the key headers; BEGIN before a transaction's first record and the
// transaction block's counters; snapshot reads), spelled by a RecordEncoder (change_record.h;
// today's JsonEncoder) and handed to an EventEmitter in order.
// ../shared/reference/debezium-format.md §1 is the specification.
//
// One instance per replication session (and per snapshot worker), on one thread. Buffers are
// reused between events: the views in each emitted ChangeEvent are valid only during the Emit
// call, and Emit must not call back into the builder.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "decoders/events/change_record.h"
#include "decoders/events/event.h"
#include "decoders/events/event_options.h"
#include "decoders/events/relation_cache.h"
#include "decoders/wire/pgoutput_messages.h"

namespace cdc {

// A logical decoding message (pg_logical_emit_message), for op "m" records.
struct MessageContext {
  bool transactional = false;
  TxnContext* txn = nullptr;     // set for transactional messages (their transaction block counts)
  int64_t seen_unix_micros = 0;  // source.ts_ms for non-transactional messages
  Lsn lsn;
  std::string_view prefix;
  std::string_view content;
};

// A snapshot read (op "r"): where the snapshot stands and how this record is marked.
struct ReadContext {
  Lsn snapshot_lsn;          // the slot's consistent point (source.lsn)
  int64_t read_unix_micros;  // when the row was read (source.ts_ms)
  // source.snapshot: "true", or Debezium 3's "first", "first_in_data_collection",
  // "last_in_data_collection", "last".
  std::string_view marker = "true";
};

class EventBuilder {
 public:
  // `encoder` spells the records in the configured format (the connector picks it); it is used
  // by this builder only.
  EventBuilder(const EventOptions& options, std::unique_ptr<RecordEncoder> encoder);

  // See RecordEncoder::kLargeValueBytes: such a value is offered to the sink to keep.
  static constexpr size_t kLargeEventBytes = RecordEncoder::kLargeValueBytes;

  // `lsn` is the change's WAL position (the XLogData walStart). Each call emits zero or more
  // events; errors name the table and column that could not be converted. With transaction
  // metadata, the transaction's BEGIN goes out before its first record.
  Status OnInsert(const TableSchema& t, const pgoutput::Insert& m, TxnContext& txn, Lsn lsn,
                  EventEmitter& out);
  Status OnUpdate(const TableSchema& t, const pgoutput::Update& m, TxnContext& txn, Lsn lsn,
                  EventEmitter& out);
  Status OnDelete(const TableSchema& t, const pgoutput::Delete& m, TxnContext& txn, Lsn lsn,
                  EventEmitter& out);
  Status OnTruncate(const TableSchema& t, TxnContext& txn, Lsn lsn, EventEmitter& out);
  // Only the delete side of an update that moved its row to another key (the 'd' record under
  // the old key and its tombstone, exactly as OnUpdate emits them); nothing for other updates.
  // For a resumed snapshot, which must retract keys that no longer exist.
  Status OnKeyChangeDelete(const TableSchema& t, const pgoutput::Update& m, TxnContext& txn,
                           Lsn lsn, EventEmitter& out);

  // A snapshot row (`row` has every column: COPY output, no TOAST placeholders).
  Status OnRead(const TableSchema& t, const pgoutput::Tuple& row, const ReadContext& read,
                EventEmitter& out);

  // END of a transaction whose BEGIN went out (txn.begin_emitted), with the counts.
  Status OnTransactionEnd(const TxnContext& txn, EventEmitter& out);

  // An op "m" record on <name>.message, keyed by the prefix.
  Status OnMessage(const MessageContext& m, EventEmitter& out);

  // A heartbeat record {ts_ms} keyed {serverName} on __debezium-heartbeat.<name>.
  Status OnHeartbeat(EventEmitter& out);

 private:
  static SourceInfo Streamed(const TxnContext& txn, Lsn lsn);
  // With transaction metadata: BEGIN if not yet sent, then the next record's block in `txn`
  // (table `t`'s count, or the transaction's messages when `t` is null), counted. Null without.
  Result<const TxnBlock*> NextBlock(const TableSchema* t, TxnContext& txn, EventEmitter& out);
  // Builds the update's new key into key_payload_ and, when the old one is known, the old key
  // into other_key_payload_. True when they differ: the update moved the row to another key.
  Result<bool> BuildUpdateKeys(const TableSchema& t, const pgoutput::Update& m,
                               const pgoutput::Tuple* old);
  // The 'd' record under `old_key` (with a header naming `new_key`) and its tombstone.
  Status EmitKeyChangeDelete(const TableSchema& t, const pgoutput::Update& m,
                             const std::string& old_key, const std::string& new_key,
                             TxnContext& txn, Lsn lsn, EventEmitter& out);
  // `txn` is null for snapshot reads (no transaction block).
  Status EmitChange(ChangeRecord r, TxnContext* txn, EventEmitter& out);
  // The null-value record after a delete; a key-change delete's carries `headers`
  // (__debezium.newkey), as Debezium's does.
  Status EmitTombstone(const TableSchema& t, const std::string* key, Lsn lsn, Lsn commit,
                       EventEmitter& out, std::span<const EventHeader> headers = {});
  // `headers` followed by options_.context_headers, viewed from headers_ (valid until the next
  // call).
  std::span<const EventHeader> WithContext(std::span<const EventHeader> headers);
  // Hands an encoded record to `out`; `commit` becomes ChangeEvent::commit_lsn.
  Status Emit(const EncodedRecord& e, std::string_view table, char op, Lsn lsn, Lsn commit,
              std::span<const EventHeader> headers, EventEmitter& out);
  Status CheckArity(const TableSchema& t, const pgoutput::Tuple& tuple) const;

  const EventOptions& options_;
  std::unique_ptr<RecordEncoder> encoder_;
  std::string key_payload_;
  std::string other_key_payload_;
  TxnBlock block_;
  std::vector<EventHeader> headers_;
};

}  // namespace cdc
