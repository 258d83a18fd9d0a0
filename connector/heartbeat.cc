#include "connector/heartbeat.h"

#include <spdlog/spdlog.h>

namespace cdc::connector {

Heartbeat::Heartbeat(config::HeartbeatConfig cfg, std::string dsn)
    : cfg_(std::move(cfg)), dsn_(std::move(dsn)) {}

Status Heartbeat::MaybeBeat(ChangeProcessor& processor) {
  if (cfg_.interval_ms <= 0 || processor.in_transaction()) return Status::Ok();
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(cfg_.interval_ms)) return Status::Ok();
  last_ = now;
  if (!cfg_.action_query.empty()) RunActionQuery();
  return processor.EmitHeartbeat();
}

void Heartbeat::RunActionQuery() {
  // Writes WAL on the source so the slot has something to confirm even when the captured
  // database is quiet. A failure is logged, not fatal: the heartbeat record itself still goes
  // out.
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    auto c = Connect(dsn_, ConnKind::kSql);
    if (!c.ok()) {
      spdlog::warn("heartbeat.action_query: {}", c.status().message());
      return;
    }
    conn_ = std::move(*c);
  }
  // An INSERT returns COMMAND_OK, a SELECT pg_logical_emit_message(...) TUPLES_OK.
  PgResultPtr res(PQexec(conn_.get(), cfg_.action_query.c_str()));
  const ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    spdlog::warn("heartbeat.action_query failed: {}",
                 res ? ResultError(res.get()) : std::string(PQerrorMessage(conn_.get())));
    conn_.reset();
  }
}

}  // namespace cdc::connector
