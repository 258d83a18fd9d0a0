#pragma once

// StuckEvent: the event the broker refused for good (message too large, topic authorization,
// unknown topic, ...) when no sink.dead_letter_topic takes such events. pgcdc stops there rather
// than skip it, so the same event is refused again on every start until a person acts; the
// record (kept in the offsets file, see OffsetStore) lets `status` and `validate` say which event
// it is and what to do, and the exit line says the same.
//
// The record is written when pgcdc exits on the refusal and cleared once the confirmed LSN passes
// `lsn` (the event was delivered, or dead-lettered, after the fix) or, for an event refused
// during a snapshot, once a snapshot completes. Plain values; no threads of its own.

#include <optional>
#include <string>
#include <string_view>

#include "decoders/base/lsn.h"

namespace cdc::connector {

struct StuckEvent {
  // Keys longer than this are cut (at a UTF-8 boundary) and `key_truncated` is set: the record
  // names the event, it does not archive it. A binary key (Avro) is shown with its non-text
  // bytes as \xNN (sinks/printable_key.h).
  static constexpr size_t kMaxKeyBytes = 200;

  std::string topic;
  std::string table;  // "schema.table", or the topic for records of no table (heartbeats, ...)
  std::optional<std::string> key;  // nullopt: a null key
  bool key_truncated = false;
  // Streaming: the commit LSN of the event's transaction (the Begin message's final_lsn). Once
  // the confirmed LSN passes it, the transaction was delivered. Snapshot: the snapshot's
  // consistent point.
  Lsn lsn;
  bool in_snapshot = false;
  std::string cause;  // the broker's error, e.g. "Broker: Message size too large"
  std::string error;  // its librdkafka name, e.g. "MSG_SIZE_TOO_LARGE" (selects the advice)
  std::string at;     // when it was refused, UTC "YYYY-MM-DDTHH:MM:SSZ"

  // Sets `key` from raw key bytes (nullptr: a null key): the first kMaxKeyBytes of them, for
  // display (PrintableBytes).
  void SetKey(const char* data, size_t len);
};

// "topic 'T' (table X) key K at LSN L: cause (ERROR)", plus " [key truncated to 200 bytes]".
std::string DescribeStuck(const StuckEvent& e);

// The ways out, for the exit line, `status` and `validate`: for a size refusal, raise the limits
// (sink.kafka.message.max.bytes, the topic's max.message.bytes); for other refusals, fix their
// cause; in every case, or set sink.dead_letter_topic.
std::string StuckWaysOut(const StuckEvent& e);

// The current UTC time as "YYYY-MM-DDTHH:MM:SSZ".
std::string UtcNow();

}  // namespace cdc::connector
