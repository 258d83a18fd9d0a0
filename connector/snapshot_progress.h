#pragma once

// TableProgress: how far the snapshot is with one table, as Snapshot::Progress() reports it and
// /metrics and the progress log show it. Its own header so that metrics need not know the
// Snapshot (and the Snapshot, which publishes through the Publisher, can count into metrics).

#include <cstdint>
#include <string>

namespace cdc::connector {

struct TableProgress {
  std::string table;  // schema.table
  int64_t rows_done = 0;
  int64_t rows_estimate = 0;  // pg_class.reltuples at the start; -1 when never analyzed
  bool done = false;
};

}  // namespace cdc::connector
