#pragma once

// ChangeEvent: one record for a sink, as the decoder stage hands it over. This is the only type
// sinks know about (besides Status and Lsn).
//
// Lifetime: every view points into buffers owned by the producer of the event (EventBuilder) and
// is valid only during the call that receives it. Sinks copy what they keep.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "decoders/base/lsn.h"
#include "decoders/base/status.h"

namespace cdc {

struct EventHeader {
  std::string_view name;
  std::string_view value;
};

struct ChangeEvent {
  std::string_view topic;
  std::optional<std::string_view> key;    // nullopt: a null key (tables without a key, truncate)
  std::optional<std::string_view> value;  // nullopt: a tombstone
  std::span<const EventHeader> headers;
  // When set, *value_owner holds exactly *value and the sink may move it out instead of copying
  // it (a large value is then held once, by the destination's client, until acknowledged). The
  // producer sets it only for large values and expects the string empty afterwards; a sink that
  // fails to queue the event must leave it as it was, since the caller retries with the same event.
  std::string* value_owner = nullptr;

  // Diagnostics only (error messages, metrics); not serialized.
  std::string_view table;  // "schema.table"
  char op = 0;             // 'c','u','d','t','m','r', or 0 (tombstone, BEGIN/END, heartbeat)
  Lsn lsn;
  // The record's place in the stream order, for sinks that derive ids from it (Redis entry
  // ids): the commit LSN of its transaction (streamed records, tombstones, BEGIN/END), a
  // non-transactional message's own LSN; 0 for snapshot reads and heartbeats. Change LSNs of
  // concurrent transactions interleave; commit LSNs rise in the order events are emitted.
  Lsn commit_lsn;

  size_t size_bytes() const { return (key ? key->size() : 0) + (value ? value->size() : 0); }
};

// Receives events in order. Implemented by the connector, which forwards to a sink and tracks
// delivery. Called on the replication thread.
class EventEmitter {
 public:
  virtual ~EventEmitter() = default;
  // A non-OK status stops processing of the current message; the connector treats it as fatal.
  virtual Status Emit(const ChangeEvent& event) = 0;
};

}  // namespace cdc
