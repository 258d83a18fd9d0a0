#pragma once

// Source preparation: checks everything pgcdc needs from the server before anything is created
// (version, wal_level, role attributes, slot state), then creates the publication and the slot
// if they are missing, in that order (a slot created before its publication fails on the first
// change: pgoutput.md §6.8).
//
// Called once per start on the main thread, with an SQL connection and a replication connection.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "connector/pg_connection.h"
#include "connector/publication_reconciler.h"
#include "decoders/base/lsn.h"

namespace cdc::connector {

struct SystemIdentity {
  std::string system_id;
  uint32_t timeline = 0;
  Lsn xlogpos;
  std::string database;
};

// pg_replication_slots.wal_status (PostgreSQL 13+): whether the slot's WAL is still there.
enum class WalStatus { kUnknown, kReserved, kExtended, kUnreserved, kLost };
// The server's word for it ("n/a" for kUnknown: before 13, or a NULL).
std::string_view WalStatusName(WalStatus s);
WalStatus ParseWalStatus(std::string_view word);  // kUnknown for a word it does not know

struct SlotState {
  bool exists = false;
  std::string plugin;
  std::string database;
  std::optional<Lsn> confirmed_flush;
  WalStatus wal_status = WalStatus::kUnknown;
  bool active = false;
  int active_pid = 0;
};

struct SourceFacts {
  int server_version = 0;  // PQserverVersion, e.g. 150020
  SystemIdentity identity;
  SlotState slot;
  bool publication_exists = false;
  CaptureSet capture;           // the include list resolved against the catalog
  PublicationView publication;  // as it is now
  // capture against publication; for one still to be created, only what it will leave out
  // (left_out) or publish with failing writes (writes_fail)
  PublicationDrift drift;
};

// Reads what the server is and has; fails with one line naming the missing setting or
// privilege. Creates nothing. A lost slot is reported in `slot.wal_status`, not as an error:
// whether it is fatal depends on the snapshot mode. With source.create_publication: false, a
// publication whose publish_via_partition_root disagrees with source.partitions (and matters)
// fails here; its other drift is left in `drift` for the caller to report.
Result<SourceFacts> InspectSource(PGconn* sql, PGconn* repl, const config::Config& cfg);

// Creates the publication if it is missing, or makes a managed one follow source.tables and
// source.partitions (publication_reconciler.h); warns about the drift of one an admin made.
// `snapshot_follows`: this start snapshots every published table, so tables that join now need
// no incremental snapshot (nor a warning about their existing rows). Otherwise the tables that
// joined and need their rows read (TablesToSnapshot) go to `to_snapshot` when given. Tables
// without a usable replica identity are left out of (or dropped from) a managed FOR TABLE
// publication, and reported (replica_identity.h); `metrics` (may be null) counts the changes.
Status EnsurePublication(PGconn* sql, const config::Config& cfg, const SourceFacts& facts,
                         bool snapshot_follows, std::vector<std::string>* to_snapshot = nullptr,
                         Metrics* metrics = nullptr);

struct CreatedSlot {
  Lsn consistent_point;
  std::string snapshot_name;  // set when an exported snapshot was asked for
};

// Creates the slot, with an exported snapshot when `export_snapshot` (the connection must then
// stay idle until every snapshot reader has imported it: pgoutput.md §1.4). A `temporary` slot
// is dropped by the server when `repl` closes.
Result<CreatedSlot> CreateSlot(PGconn* repl, const std::string& slot, int server_version,
                               bool export_snapshot, bool temporary = false);

// Drops the slot, waiting for a walsender that still holds it (a previous run's) to let go.
Status DropSlot(PGconn* repl, const std::string& slot);

// Warns about captured tables with TOAST-able non-key columns but not REPLICA IDENTITY FULL:
// unchanged out-of-line values will arrive as the unavailable-value placeholder. A line per table
// for a handful (kNamesShown) of them, else one line with the count and the first few (every
// name at debug level). Key columns never count.
void WarnAboutToast(PGconn* sql, const std::string& publication,
                    const std::vector<std::string>& include_patterns);

// Re-reads the slot row (for status checks while running).
Result<SlotState> ReadSlot(PGconn* sql, const std::string& slot);

// pgoutput proto_version for this server (pgoutput.md version matrix). Streaming and two-phase
// are not requested, so the messages are the v1 layout on every version.
int ProtoVersionFor(int server_version);

}  // namespace cdc::connector
