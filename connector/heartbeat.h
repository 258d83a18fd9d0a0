#pragma once

// Heartbeat: heartbeat.interval_ms and heartbeat.action_query. Every interval, between
// transactions, runs the action query on the source (its own SQL connection, so the slot has WAL
// to confirm when the captured tables are quiet; debezium-format.md §2.2) and publishes a
// heartbeat record through the ChangeProcessor.
//
// Owned and called by the replication thread.

#include <chrono>
#include <string>

#include "config/config.h"
#include "connector/change_processor.h"
#include "connector/pg_connection.h"
#include "decoders/base/status.h"

namespace cdc::connector {

class Heartbeat {
 public:
  Heartbeat(config::HeartbeatConfig cfg, std::string dsn);

  // Beats when one is due and `processor` is between transactions. A failed action query is
  // logged, not fatal (the record still goes out); a failed publish is returned.
  Status MaybeBeat(ChangeProcessor& processor);
  // How long the loop may sleep before the next beat is due (a large number when off).
  int interval_ms() const { return cfg_.interval_ms; }

 private:
  void RunActionQuery();

  config::HeartbeatConfig cfg_;
  std::string dsn_;
  std::chrono::steady_clock::time_point last_{};
  PgConnPtr conn_;  // for the action query; re-opened after a failure
};

}  // namespace cdc::connector
