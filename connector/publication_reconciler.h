#pragma once

// The capture set against the publication: which tables the include list (source.tables) matches
// in the catalog, what the publication holds, how they differ (drift), and, for a publication
// pgcdc manages (source.create_publication: true), the ALTER PUBLICATION statements that make
// them agree. Run at every start (source_setup.cc) and every source.reconcile_interval_ms while
// streaming (PublicationReconciler), so a table created later under a wildcard is captured, and
// a table the list no longer matches leaves the publication. A publication an admin made is
// never altered: its drift is reported (run warns, validate and status print it).
//
// Partitioned tables are named in the publication themselves, in both source.partitions modes;
// the mode sets publish_via_partition_root (root: true, changes and snapshot under the root's
// name; leaves: false, under each leaf's name, pg_publication_tables then lists the leaves).
// Naming the root rather than its leaves covers a partition attached later at once, with no
// window before the next reconciliation in which its changes would be missed.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "connector/clock.h"
#include "connector/pg_connection.h"

namespace cdc::connector {

struct TableName {
  std::string schema;
  std::string table;
  std::string Display() const { return schema + "." + table; }
  std::string Quoted(PGconn* conn) const;  // "schema"."table", for SQL
  auto operator<=>(const TableName&) const = default;
};

// The tables the include list matches: ordinary and partitioned tables outside the system
// schemas; a partition only when no table above it matches (the root stands for it).
struct CaptureSet {
  std::set<TableName> tables;
  std::set<TableName> partitioned;  // the subset that are partitioned tables
  // The ordinary tables without a usable replica identity (no primary key under DEFAULT, or
  // NOTHING): once published, PostgreSQL refuses UPDATE and DELETE on them.
  std::set<TableName> no_identity;
};
Result<CaptureSet> ResolveCaptureSet(PGconn* sql, const std::vector<std::string>& include_patterns);

// What the publication must hold: source.tables, plus signals.table when the list is not empty
// (an empty list publishes every table, the signal table included). The signal table's rows
// reach the stream that way; its events are published only if source.tables captures it.
std::vector<std::string> PublishedPatterns(const config::Config& cfg);

struct PublicationView {
  bool exists = false;
  bool all_tables = false;        // FOR ALL TABLES
  std::optional<bool> via_root;   // publish_via_partition_root (PostgreSQL 13+)
  std::set<TableName> named;      // FOR TABLE entries (pg_publication_rel)
  std::set<std::string> schemas;  // FOR TABLES IN SCHEMA (PostgreSQL 15+)
};
Result<PublicationView> ReadPublication(PGconn* sql, const std::string& publication);

struct PublicationDrift {
  std::vector<TableName> missing;   // matched by the include list, not in the publication
  std::set<TableName> no_identity;  // of `missing`: see CaptureSet::no_identity
  std::vector<TableName> extra;     // named in the publication, not matched (harmless: filtered)
  // publish_via_partition_root disagrees with source.partitions and a captured table is
  // partitioned, so its events would go to the other mode's topics.
  bool via_root_wrong = false;
  bool want_via_root = true;
  bool empty() const { return missing.empty() && extra.empty() && !via_root_wrong; }
};
PublicationDrift CompareToPublication(const CaptureSet& wanted, const PublicationView& view,
                                      config::PartitionMode mode);

// One line for the via-root disagreement of a publication pgcdc does not manage, naming both
// fixes.
std::string ViaRootMismatch(const std::string& publication, const PublicationDrift& drift);
// One line per missing table of such a publication.
std::string MissingFromPublication(const std::string& publication, const TableName& t);

// Warns, one line each, about the drift of a publication pgcdc does not manage: the
// publish_via_partition_root disagreement and every missing table. A line is logged once while
// it holds (remembered for the process: the start and every session's reconciler share it), and
// again if it stops holding and comes back. Main thread only.
void ReportUnmanagedDrift(const std::string& publication, const PublicationDrift& drift);

// Creates the publication for `wanted` (FOR ALL TABLES when the include list is empty), with
// publish_via_partition_root per `mode` (PostgreSQL 13+).
Status CreatePublication(PGconn* sql, const config::Config& cfg, const CaptureSet& wanted);

// Makes a managed publication agree with `drift`, one statement and one log line per change.
// A failed statement is logged and the others still run (the next reconciliation tries again);
// the result lists the tables that joined, for the caller's warning about their existing rows.
std::vector<TableName> ApplyDrift(PGconn* sql, const std::string& publication,
                                  const PublicationDrift& drift);

// The warning for a table that joined the capture set without a snapshot reading it
// (snapshot.new_tables: skip).
void WarnNotSnapshotted(const std::string& publication, const TableName& t);

// Of the tables that joined the publication, those that need their existing rows read
// (snapshot.new_tables: incremental): all but the signal table. With `skip`, none, and each
// gets WarnNotSnapshotted.
std::vector<std::string> TablesToSnapshot(const config::Config& cfg,
                                          const std::vector<TableName>& joined);

// The periodic reconciliation while streaming. Owns its own SQL connection (never the
// replication connection); statements there are bounded by lock_timeout and statement_timeout so
// that a table locked by a long transaction delays the replication loop by seconds at most (the
// status updates keep flowing after it; wal_sender_timeout is a minute by default).
// Called by the replication thread only, between loop turns.
class PublicationReconciler {
 public:
  PublicationReconciler(const config::Config& cfg, const Clock& clock);

  // Reconciles when source.reconcile_interval_ms has passed since the last time (the first time
  // one interval after construction: the start has just reconciled). Never fails the session:
  // a failure is logged and retried at the next interval. Returns the tables that joined the
  // publication (to be snapshotted per snapshot.new_tables).
  std::vector<TableName> MaybeRun();

 private:
  Status RunOnce(std::vector<TableName>* joined);

  const config::Config& cfg_;
  const Clock& clock_;
  Clock::TimePoint next_;
  PgConnPtr conn_;
};

}  // namespace cdc::connector
