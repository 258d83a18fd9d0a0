#pragma once

// IncrementalState: what survives a restart of the incremental snapshots (README "Incremental
// snapshots"): the queue of tables to read (the first one is being read), its filter and
// surrogate key, the key of the last chunk whose rows the sink acknowledged (`cursor`), the
// table's maximum key when it started, its counts, and whether snapshots are paused. Stored in
// the offsets file as the "incremental_snapshot" member (OffsetStore keeps it as JSON text).
//
// Plain data; the replication thread owns it.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "decoders/base/status.h"

namespace cdc::connector {

struct IncrementalTable {
  std::string name;           // schema.table, as the catalog spells it
  std::string filter;         // additional-conditions WHERE fragment, or empty
  std::string surrogate_key;  // column to page by instead of the primary key, or empty
  bool operator==(const IncrementalTable&) const = default;
};

struct IncrementalState {
  std::deque<IncrementalTable> queue;  // front(): the table being read
  // Of queue.front(): key columns' text values of the last acknowledged chunk's last row (none
  // yet: start at the beginning), the largest key when the table started (none: not started).
  std::optional<std::vector<std::optional<std::string>>> cursor;
  std::optional<std::vector<std::optional<std::string>>> max_key;
  uint64_t chunks = 0;  // of queue.front(), acknowledged
  uint64_t rows = 0;
  bool paused = false;

  bool empty() const { return queue.empty(); }
  bool operator==(const IncrementalState&) const = default;
  // Forgets the front table's position (it finished or was stopped).
  void PopFront();
};

// "" for an empty state, so the offsets file has no member then.
std::string EncodeIncrementalState(const IncrementalState& s);
// `text` is what EncodeIncrementalState wrote ("" = empty). Corruption names the problem.
Result<IncrementalState> ParseIncrementalState(const std::string& text);

}  // namespace cdc::connector
