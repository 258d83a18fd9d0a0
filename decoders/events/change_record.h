#pragma once

// The format-neutral records the EventBuilder produces, and the RecordEncoder that spells them.
//
// The builder owns Debezium's *semantics*: which records a change makes and in which order
// (skipped operations, an update that moves its row to another key as 'd' + tombstone + 'c',
// BEGIN before a transaction's first record, snapshot reads). An encoder owns the *spelling*:
// JSON with or without schemas today (json_encoder.h); Avro, JSON Schema or Protobuf with a
// schema registry's ids later. Everything here is views into the caller's data, valid during the
// call that receives it.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "decoders/base/lsn.h"
#include "decoders/base/status.h"
#include "decoders/events/event.h"
#include "decoders/events/relation_cache.h"
#include "decoders/wire/pgoutput_messages.h"

namespace cdc {

// The transaction a change belongs to, from its Begin message, plus the counters of the
// transaction metadata block (the builder counts as it emits records).
struct TxnContext {
  Xid xid;
  int64_t commit_ts = 0;               // PG epoch micros
  Lsn final_lsn;                       // the commit record's LSN
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
  bool begin_emitted = false;  // BEGIN went out (transaction metadata): END must follow

  // The transaction `b` opens. `with_id` fills `id`, which only transaction metadata uses (it
  // costs an allocation per transaction).
  static TxnContext Of(const pgoutput::Begin& b, bool with_id);
};

// A record's place in its transaction (Debezium's `transaction` block).
struct TxnBlock {
  std::string_view id;
  uint64_t total_order = 0;
  uint64_t data_collection_order = 0;
};

// The per-record members of Debezium's source block.
struct SourceInfo {
  int64_t ts_us = 0;  // commit time (streamed) or read time (snapshot)
  std::optional<Xid> xid;
  std::optional<Lsn> last_commit;  // source.sequence's first member
  Lsn lsn;
  std::string_view snapshot = "false";  // "true", "first", "last", ... for reads
  int64_t processed_us = 0;             // payload ts_*: 0 = the encoder's clock
  const std::string* origin = nullptr;  // a replayed transaction's origin; null = none
  std::optional<Lsn> origin_lsn;
};

// One row image: `tuple`, whose unchanged-TOAST ('u') values come from `fallback` (a FULL old
// row) when it has them; in a key-only image ('K' old tuple) 'n' means "not sent".
struct RowImage {
  const pgoutput::Tuple* tuple = nullptr;  // nullptr: no image (before of an insert, ...)
  const pgoutput::Tuple* fallback = nullptr;
  bool key_only = false;
};

// A data change (c, u, d, r, t) of one table.
struct ChangeRecord {
  ChangeRecord(const TableSchema* t, char o, const std::string* k = nullptr)
      : table(t), op(o), key(k) {}

  const TableSchema* table = nullptr;
  char op = 'c';
  // The key payload as EncodeKeyPayload made it; nullptr for a table without a key (and truncates).
  const std::string* key = nullptr;
  RowImage before;
  RowImage after;
  SourceInfo source;
  const TxnBlock* block = nullptr;       // with transaction metadata; nullptr otherwise (and reads)
  std::span<const EventHeader> headers;  // __debezium.oldkey / newkey on a key change
};

// BEGIN or END of a transaction (transaction metadata).
struct TransactionRecord {
  const TxnContext* txn = nullptr;
  bool end = false;
};

// A logical decoding message (op "m").
struct MessageRecord {
  std::string_view prefix;
  std::string_view content;
  SourceInfo source;
  const TxnBlock* block = nullptr;  // transactional messages under transaction metadata
};

// What an encoder hands back. Views valid until the next Encode* call on the same encoder.
struct EncodedRecord {
  std::string_view topic;
  std::optional<std::string_view> key;    // nullopt: a null key
  std::optional<std::string_view> value;  // nullopt: a tombstone
  // Set for a large value the sink may take over instead of copying (ChangeEvent::value_owner).
  std::string* value_owner = nullptr;
};

// RecordEncoder: how records are spelled. One instance per thread that builds events (each
// streaming session's builder, each snapshot worker's). Per relation version it prepares what it
// caches (schemas; later the registry's ids), keyed by TableSchema::version.
class RecordEncoder {
 public:
  virtual ~RecordEncoder() = default;

  // A value of at least this size is "large": its buffer is reserved for it up front, offered to
  // the sink to keep (EncodedRecord::value_owner), and never kept for the next record, so memory
  // is bounded by the values in flight, not by the largest value ever seen.
  static constexpr size_t kLargeValueBytes = 256 * 1024;

  // The payload of the key of `tuple` (values of 'u' key columns from `fallback`), as it goes
  // inside the key record and in the __debezium.oldkey/newkey headers. Two payloads are equal
  // exactly when the keys are.
  virtual Status EncodeKeyPayload(const TableSchema& t, const pgoutput::Tuple& tuple,
                                  const pgoutput::Tuple* fallback, std::string* out) = 0;
  virtual Status Encode(const ChangeRecord& r, EncodedRecord* out) = 0;
  // The null-value record after a delete, under `key` (a key payload).
  virtual Status EncodeTombstone(const TableSchema& t, const std::string& key,
                                 EncodedRecord* out) = 0;
  virtual Status Encode(const TransactionRecord& r, EncodedRecord* out) = 0;
  virtual Status Encode(const MessageRecord& r, EncodedRecord* out) = 0;
  // A heartbeat record (keyed by the connector name).
  virtual Status EncodeHeartbeat(EncodedRecord* out) = 0;

  // Called after the caller is done with a record's views: a large value buffer is not kept.
  virtual void ReleaseLarge() {}
};

}  // namespace cdc
