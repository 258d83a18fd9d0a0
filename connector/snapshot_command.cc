#include "connector/snapshot_command.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "connector/capture_rules.h"
#include "connector/incremental_state.h"
#include "connector/offset_store.h"
#include "connector/pg_connection.h"
#include "connector/signals.h"
#include "connector/watermark.h"

namespace cdc::connector {

namespace {

const char* TypeOf(SnapshotRequest::Action a) {
  switch (a) {
    case SnapshotRequest::Action::kExecute: return "execute-snapshot";
    case SnapshotRequest::Action::kStop: return "stop-snapshot";
    case SnapshotRequest::Action::kPause: return "pause-snapshot";
    case SnapshotRequest::Action::kResume: return "resume-snapshot";
    case SnapshotRequest::Action::kStatus: break;
  }
  return "";
}

Status ShowState(const config::Config& cfg, std::ostream& out) {
  OffsetStore store(cfg.offsets.file);
  auto stored = store.Load();
  if (!stored.ok()) return stored.status();
  if (!*stored || (*stored)->incremental_snapshot.empty()) {
    out << "incremental snapshots: none in progress\n";
    return Status::Ok();
  }
  auto state = ParseIncrementalState((*stored)->incremental_snapshot);
  if (!state.ok()) return state.status();
  out << "incremental snapshots:" << (state->paused ? " PAUSED" : "") << "\n";
  for (size_t i = 0; i < state->queue.size(); ++i) {
    const auto& t = state->queue[i];
    out << "  " << t.name << (t.filter.empty() ? "" : " where " + t.filter);
    if (i == 0) {
      out << ": running, " << state->rows << " rows in " << state->chunks << " chunks acknowledged";
    } else {
      out << ": queued";
    }
    out << "\n";
  }
  return Status::Ok();
}

}  // namespace

Status SnapshotCommand(const config::Config& cfg, const SnapshotRequest& r, std::ostream& out) {
  if (r.action == SnapshotRequest::Action::kStatus) return ShowState(cfg, out);
  if (r.action == SnapshotRequest::Action::kExecute && r.tables.empty()) {
    return Status::InvalidArgument("snapshot: name at least one --table schema.table");
  }
  for (const auto& t : r.tables) {
    if (t.find('.') == std::string::npos) {
      return Status::InvalidArgument("snapshot: --table '" + t + "' must be schema.table");
    }
    if (!IncludedBy(cfg.source.tables, t)) {
      return Status::InvalidArgument("snapshot: table " + t +
                                     " is not captured (source.tables does not match it)");
    }
  }
  std::string data;
  if (r.action == SnapshotRequest::Action::kExecute) {
    data = ExecuteSnapshotData(r.tables, r.where);
  } else if (r.action == SnapshotRequest::Action::kStop && !r.tables.empty()) {
    data = nlohmann::json{{"data-collections", r.tables}, {"type", "incremental"}}.dump();
  }
  const std::string id =
      "pgcdc-cli-" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
  auto conn = Connect(cfg.source.dsn, ConnKind::kSql);
  if (!conn.ok()) return conn.status();
  PGconn* c = conn->get();
  const std::string type = TypeOf(r.action);
  if (!cfg.signals.table.empty()) {
    const auto dot = cfg.signals.table.find('.');
    const std::string table = QuoteIdent(c, cfg.signals.table.substr(0, dot)) + "." +
                              QuoteIdent(c, cfg.signals.table.substr(dot + 1));
    auto res = Exec(c,
                    "INSERT INTO " + table + " (id, type, data) VALUES (" + QuoteLiteral(c, id) +
                        ", " + QuoteLiteral(c, type) + ", " +
                        (data.empty() ? std::string("NULL") : QuoteLiteral(c, data)) + ")",
                    PGRES_COMMAND_OK);
    if (!res.ok())
      return res.status().WithContext("snapshot: signalling through " + cfg.signals.table);
    out << "signal " << id << " (" << type << ") inserted into " << cfg.signals.table << "\n";
    return Status::Ok();
  }
  if (PQserverVersion(c) < 140000) {
    return Status::FailedPrecondition(
        "snapshot: PostgreSQL before 14 cannot carry the signal as a logical decoding message; "
        "configure signals.table");
  }
  auto res = Exec(c, "SELECT pg_logical_emit_message(true, " + QuoteLiteral(c, kSignalPrefix) +
                         ", " + QuoteLiteral(c, SignalMessage(id, type, data)) + ")::text");
  if (!res.ok()) return res.status().WithContext("snapshot: writing the signal message");
  out << "signal " << id << " (" << type << ") written to the WAL at "
      << PQgetvalue(res->get(), 0, 0) << "; pgcdc acts on it when its stream reaches it\n";
  return Status::Ok();
}

}  // namespace cdc::connector
