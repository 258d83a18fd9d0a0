#pragma once

// `pgcdc snapshot`: asks a running pgcdc (or the next one to start: signals wait in the WAL, after
// the slot's position) for an incremental snapshot, or to stop, pause or resume them; or shows
// the offsets file's incremental snapshot state (--status). The signal goes into signals.table
// when one is configured (Debezium's row: id, type, data), otherwise it is written as a logical
// decoding message with prefix 'pgcdc-signal', which needs no table (PostgreSQL 14+).
//
// Called from main's thread; prints to `out`; errors are one line for the caller.

#include <ostream>
#include <string>
#include <vector>

#include "config/config.h"
#include "decoders/base/status.h"

namespace cdc::connector {

struct SnapshotRequest {
  enum class Action { kExecute, kStop, kPause, kResume, kStatus };
  Action action = Action::kExecute;
  std::vector<std::string> tables;  // schema.table; --stop without tables stops all
  std::string where;                // additional condition for every table
};

// InvalidArgument (exit 2) for a bad request: no table, a table source.tables does not capture.
Status SnapshotCommand(const config::Config& cfg, const SnapshotRequest& request,
                       std::ostream& out);

}  // namespace cdc::connector
