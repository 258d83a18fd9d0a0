#pragma once

// EventBuilder: turns decoded row changes into Debezium change events (key + envelope value,
// JSON with or without schemas) and hands them to an EventEmitter in order.
// ../shared/reference/debezium-format.md §1 is the specification.
//
// One instance per replication session, owned and called by the replication thread. The
// builder reuses its buffers between events: the views in each emitted ChangeEvent are valid
// only during the Emit call.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "decoders/event.h"
#include "decoders/event_options.h"
#include "decoders/pgoutput_messages.h"
#include "decoders/relation_cache.h"

namespace cdc {

// The transaction a change belongs to, from its Begin message, plus the counters of the
// transaction metadata block (filled by the builder as it emits events).
struct TxnContext {
  Xid xid;
  int64_t commit_ts = 0;  // PG epoch micros
  Lsn final_lsn;          // the commit record's LSN
  std::optional<Lsn> last_commit_lsn;  // end LSN of the previous transaction (source.sequence)
  // The replication origin of a transaction replayed from elsewhere (pgoutput Origin message,
  // which follows Begin): source.origin / origin_lsn, as Debezium 3.5+.
  std::optional<std::string> origin;
  std::optional<Lsn> origin_lsn;

  // "<xid>:<commit LSN>". Debezium suffixes a different LSN on each record of a transaction;
  // pgcdc uses one id for BEGIN, every event and END, so the whole id correlates them (splitting
  // on ':' and taking the xid, as Debezium's docs advise, works as well).
  std::string id;
  uint64_t total_order = 0;
  std::vector<std::pair<std::string, uint64_t>> collections;  // "schema.table" -> events
  // Transactional logical messages so far: their data_collection_order. They count in
  // total_order and END's event_count, as with Debezium, but are not a data collection (Debezium
  // lists each under the toString() of an internal object, which no consumer can use).
  uint64_t messages = 0;

  // The transaction `b` opens. `with_id` fills `id`, which only transaction metadata uses (it
  // costs an allocation per transaction).
  static TxnContext Of(const pgoutput::Begin& b, bool with_id);
};

// A logical decoding message (pg_logical_emit_message), for op "m" records.
struct MessageContext {
  bool transactional = false;
  TxnContext* txn = nullptr;  // set for transactional messages (their transaction block counts)
  int64_t seen_unix_micros = 0;     // source.ts_ms for non-transactional messages
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
  // `now_unix_micros` supplies the processing time (payload ts_ms); tests pass a fixed clock.
  using Clock = int64_t (*)();
  explicit EventBuilder(const EventOptions& options, Clock now_unix_micros = nullptr);

  // A change event whose value reaches this size is "large": its buffer is reserved for it up
  // front, offered to the sink to keep (ChangeEvent::value_owner), and never kept for the next
  // event, so memory is bounded by the values in flight, not by the largest value ever seen.
  static constexpr size_t kLargeEventBytes = 256 * 1024;

  // `lsn` is the change's WAL position (the XLogData walStart). Each call emits zero or more
  // events; errors name the table and column that could not be converted.
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

  // Transaction metadata records on <name>.transaction (only with transaction_metadata).
  // BEGIN precedes the transaction's first event; END follows its last, with the counts.
  Status OnTransactionBegin(const TxnContext& txn, EventEmitter& out);
  Status OnTransactionEnd(const TxnContext& txn, EventEmitter& out);

  // An op "m" record on <name>.message, keyed by the prefix.
  Status OnMessage(const MessageContext& m, EventEmitter& out);

  // A heartbeat record {ts_ms} keyed {serverName} on __debezium-heartbeat.<name>.
  Status OnHeartbeat(EventEmitter& out);

 private:
  // The per-record members of the source block.
  struct SourceFields {
    int64_t ts_us = 0;
    std::optional<Xid> xid;
    std::optional<Lsn> last_commit;
    Lsn lsn;
    std::string_view snapshot = "false";
    int64_t processed_us = 0;  // payload ts_*: 0 reads the builder's clock
    const std::string* origin = nullptr;  // borrowed from the TxnContext; null = no origin
    std::optional<Lsn> origin_lsn;
  };
  static SourceFields Streamed(const TxnContext& txn, Lsn lsn);

  // Appends the row struct of `tuple`; 'u' values come from `fallback` (the FULL old row) when it
  // has them, else the unavailable-value placeholder.
  // In a key-only tuple (`key_only`, a 'K' old tuple) 'n' means "not sent": required columns
  // then get their type's zero value, as Debezium does, so the row still matches its schema.
  Status AppendRow(const TableSchema& t, const pgoutput::Tuple& tuple,
                   const pgoutput::Tuple* fallback, bool key_only, JsonWriter& w);
  // Writes the key payload for `tuple` into key_payload_ (values from `fallback` for 'u').
  Status BuildKeyPayload(const TableSchema& t, const pgoutput::Tuple& tuple,
                         const pgoutput::Tuple* fallback, std::string* out);
  // Builds the update's new key into key_payload_ and, when the old one is known, the old key
  // into other_key_payload_. True when they differ: the update moved the row to another key.
  Result<bool> BuildUpdateKeys(const TableSchema& t, const pgoutput::Update& m,
                               const pgoutput::Tuple* old);
  // The 'd' record under `old_key` (with a header naming `new_key`) and its tombstone.
  Status EmitKeyChangeDelete(const TableSchema& t, const pgoutput::Update& m,
                             const std::string& old_key, const std::string& new_key,
                             TxnContext& txn, Lsn lsn, EventEmitter& out);
  // `txn` is null for snapshot reads (no transaction block).
  Status EmitChange(const TableSchema& t, char op, const std::string* key_payload,
                    const pgoutput::Tuple* before, bool before_key_only,
                    const pgoutput::Tuple* after, const pgoutput::Tuple* after_fallback,
                    const SourceFields& source, TxnContext* txn,
                    std::span<const EventHeader> headers, EventEmitter& out);
  // The null-value record after a delete; a key-change delete's carries `headers`
  // (__debezium.newkey), as Debezium's does.
  Status EmitTombstone(const TableSchema& t, const std::string* key_payload, Lsn lsn,
                       EventEmitter& out, std::span<const EventHeader> headers = {});
  void WrapKey(const TableSchema& t, const std::string& payload);
  // Wraps `payload` with `schema` into key_buf_/value_buf_ per the schemas option.
  void Wrap(std::string* buf, std::string_view schema, std::string_view payload);
  // Wraps the key {field: value} (transaction id, message prefix, heartbeat server name).
  void WrapOneFieldKey(std::string* buf, std::string_view schema, std::string_view field,
                       std::string_view value);
  // Appends the source block: source_head_ + per-record members + `schema_table_json`.
  // `w` must write into `v`, right after a Key("source").
  void AppendSource(JsonWriter& w, std::string* v, const SourceFields& f,
                    std::string_view schema_table_json);
  // The transaction block {id, total_order, data_collection_order} of the next event of `txn`
  // (table `t`'s count, or the transaction's messages when `t` is null), counting it.
  void AppendTransactionBlock(const TableSchema* t, TxnContext& txn, JsonWriter& w);
  Status EmitTransactionRecord(const TxnContext& txn, bool end, EventEmitter& out);
  Status CheckArity(const TableSchema& t, const pgoutput::Tuple& tuple) const;

  const EventOptions& options_;
  Clock clock_;
  std::string source_head_;  // "{\"version\":...,\"connector\":\"postgresql\",\"name\":..."
  std::string key_buf_;
  std::string value_buf_;
  std::string key_payload_;
  std::string other_key_payload_;
  std::string scratch_;
  // Transaction records have buffers of their own: BEGIN is emitted from inside the Emit of a
  // transaction's first event, whose views still point into key_buf_/value_buf_.
  std::string tx_key_buf_;
  std::string tx_value_buf_;
  const std::string transaction_topic_;
  const std::string message_topic_;
  const std::string heartbeat_topic_;
  const std::string message_value_schema_;
};

}  // namespace cdc
