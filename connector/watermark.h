#pragma once

// Watermarks of incremental snapshots (DBLog; README "Incremental snapshots"): logical decoding
// messages pgcdc writes with pg_logical_emit_message(true, 'pgcdc', payload) around each chunk
// SELECT, so that the chunk's place in the stream is known. Transactional: each arrives as an
// 'M' inside its own Begin/Commit, in commit order with the data (reference §6.1), and is
// confirmed like any transaction. pgoutput sends messages only from PostgreSQL 14 on.
//
// Anyone may call pg_logical_emit_message, so a watermark counts only when it carries the
// random `snapshot_id` this pgcdc process issued (a previous run's or a forged one is ignored).
// Neither watermarks nor signal messages are ever published as op "m" records.
//
// Plain functions; callers own the connection. Any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "connector/pg_connection.h"
#include "decoders/base/status.h"

namespace cdc::connector {

inline constexpr std::string_view kWatermarkPrefix = "pgcdc";
// Signals sent by `pgcdc snapshot` without a signal table (signals.h has their content).
inline constexpr std::string_view kSignalPrefix = "pgcdc-signal";

struct Watermark {
  enum class Kind { kLow, kHigh };
  Kind kind = Kind::kLow;
  std::string snapshot_id;  // random per process
  uint64_t chunk = 0;       // chunk number, per process
  std::string table;        // schema.table, for people reading the WAL

  bool operator==(const Watermark&) const = default;
};

std::string EncodeWatermark(const Watermark& w);
// nullopt for anything that is not a watermark pgcdc wrote (wrong shape).
std::optional<Watermark> ParseWatermark(std::string_view payload);

// Writes the watermark in a transaction of its own on `conn` (autocommit), which must have
// `synchronous_commit = local` set so a stalled synchronous standby does not stall snapshots.
Status EmitWatermark(PGconn* conn, const Watermark& w);

}  // namespace cdc::connector
