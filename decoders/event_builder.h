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

// The transaction a change belongs to, from its Begin message.
struct TxnContext {
  Xid xid;
  int64_t commit_ts = 0;  // PG epoch micros
  Lsn final_lsn;          // the commit record's LSN
  std::optional<Lsn> last_commit_lsn;  // end LSN of the previous transaction (source.sequence)
};

class EventBuilder {
 public:
  // `now_unix_micros` supplies the processing time (payload ts_ms); tests pass a fixed clock.
  using Clock = int64_t (*)();
  explicit EventBuilder(const EventOptions& options, Clock now_unix_micros = nullptr);

  // `lsn` is the change's WAL position (the XLogData walStart). Each call emits zero or more
  // events; errors name the table and column that could not be converted.
  Status OnInsert(const TableSchema& t, const pgoutput::Insert& m, const TxnContext& txn, Lsn lsn,
                  EventEmitter& out);
  Status OnUpdate(const TableSchema& t, const pgoutput::Update& m, const TxnContext& txn, Lsn lsn,
                  EventEmitter& out);
  Status OnDelete(const TableSchema& t, const pgoutput::Delete& m, const TxnContext& txn, Lsn lsn,
                  EventEmitter& out);
  Status OnTruncate(const TableSchema& t, const TxnContext& txn, Lsn lsn, EventEmitter& out);

 private:
  // Appends the row struct of `tuple`; 'u' values come from `fallback` (the FULL old row) when it
  // has them, else the unavailable-value placeholder.
  // In a key-only tuple (`key_only`, a 'K' old tuple) 'n' means "not sent": required columns
  // then get their type's zero value, as Debezium does, so the row still matches its schema.
  Status AppendRow(const TableSchema& t, const pgoutput::Tuple& tuple,
                   const pgoutput::Tuple* fallback, bool key_only, JsonWriter& w);
  // Writes the key payload for `tuple` into key_payload_ (values from `fallback` for 'u').
  Status BuildKeyPayload(const TableSchema& t, const pgoutput::Tuple& tuple,
                         const pgoutput::Tuple* fallback, std::string* out);
  Status EmitChange(const TableSchema& t, char op, const std::string* key_payload,
                    const pgoutput::Tuple* before, bool before_key_only,
                    const pgoutput::Tuple* after, const pgoutput::Tuple* after_fallback,
                    const TxnContext& txn, Lsn lsn, std::span<const EventHeader> headers,
                    EventEmitter& out);
  Status EmitTombstone(const TableSchema& t, const std::string* key_payload, Lsn lsn,
                       EventEmitter& out);
  void WrapKey(const TableSchema& t, const std::string& payload);
  Status CheckArity(const TableSchema& t, const pgoutput::Tuple& tuple) const;

  const EventOptions& options_;
  Clock clock_;
  std::string source_head_;  // "{\"version\":...,\"connector\":\"postgresql\",\"name\":..."
  std::string key_buf_;
  std::string value_buf_;
  std::string key_payload_;
  std::string other_key_payload_;
};

}  // namespace cdc
