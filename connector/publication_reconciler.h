#pragma once

// The capture set against the publication: which tables the include list (source.tables) matches
// in the catalog, what the publication holds, how they differ (drift), and, for a publication
// pgcdc manages (source.create_publication: true), the ALTER PUBLICATION statements that make
// them agree. Run at every start (source_setup.cc) and every source.reconcile_interval_ms while
// streaming (PublicationReconciler), so a table created later under a wildcard is captured, and
// a table the list no longer matches leaves the publication. A publication an admin made is
// never altered: its drift is reported (run warns, validate and status print it).
//
// Replica identity: a managed FOR TABLE publication never holds a matched table without a usable
// replica identity (PostgreSQL would refuse the application's UPDATE and DELETE on it); such a
// table is left out, or dropped, and joins once it has one. Where pgcdc cannot leave it out
// (FOR ALL TABLES, an admin's publication), the failing writes are reported
// (replica_identity.h).
//
// Partitioned tables are named in the publication themselves, in both source.partitions modes;
// the mode sets publish_via_partition_root (root: true, changes and snapshot under the root's
// name; leaves: false, under each leaf's name, pg_publication_tables then lists the leaves).
// Naming the root rather than its leaves covers a partition attached later at once, with no
// window before the next reconciliation in which its changes would be missed.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "connector/clock.h"
#include "connector/metrics.h"
#include "connector/pg_connection.h"

namespace cdc::connector {

struct TableName {
  std::string schema;
  std::string table;
  std::string Display() const { return schema + "." + table; }
  std::string Quoted(PGconn* conn) const;  // "schema"."table", for SQL
  auto operator<=>(const TableName&) const = default;
};

// Why a table has no usable replica identity. Once such a table is in a publication that
// publishes UPDATE or DELETE, PostgreSQL refuses the application's UPDATE and DELETE on it
// ("cannot update table ... because it does not have a replica identity").
struct IdentityGap {
  // "no primary key" (REPLICA IDENTITY DEFAULT), "REPLICA IDENTITY NOTHING", "its REPLICA
  // IDENTITY index is missing or invalid" (USING INDEX), or for a partitioned table the first
  // partition below it that lacks one: "partition public.m_1 has no primary key".
  std::string why;
  TableName fix;                     // the table to ALTER: itself, or that partition
  std::vector<TableName> ancestors;  // the partitioned tables above it, nearest first
};

// The tables the include list matches: ordinary and partitioned tables outside the system
// schemas; a partition only when no table above it matches (the root stands for it).
struct CaptureSet {
  std::set<TableName> tables;
  std::set<TableName> partitioned;  // the subset that are partitioned tables
  // Every table of the database, matched or not, without a usable replica identity: an
  // ordinary table under DEFAULT without a valid, immediate primary key, under NOTHING, or
  // under USING INDEX whose index is gone or invalid (FULL is always usable); a partitioned
  // table when a partition below it is one (writes land on the partitions).
  std::map<TableName, IdentityGap> identity_gaps;
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
  // pubupdate or pubdelete: only then does a missing replica identity break the application's
  // writes (an insert-only publication, publish = 'insert', may hold any table).
  bool publishes_update_delete = true;
};
Result<PublicationView> ReadPublication(PGconn* sql, const std::string& publication);

struct PublicationDrift {
  std::vector<TableName> missing;  // matched by the include list, not in the publication
  std::vector<TableName> extra;    // named in the publication, not matched (harmless: filtered)
  // A managed FOR TABLE publication that publishes UPDATE or DELETE never holds a matched table
  // without a usable replica identity: `left_out` lists every such table, `drop_no_identity`
  // those of them it holds now (ApplyDrift drops them). Neither is in `missing`.
  std::map<TableName, IdentityGap> left_out;
  std::vector<TableName> drop_no_identity;
  // Tables the publication publishes, and keeps publishing, without a usable replica identity:
  // the application's UPDATE and DELETE on them fail (FOR ALL TABLES, FOR TABLES IN SCHEMA, an
  // admin's publication). A partition is covered by its partitioned table's entry.
  std::map<TableName, IdentityGap> writes_fail;
  bool all_tables = false;  // the publication is FOR ALL TABLES (for the lines about it)
  // publish_via_partition_root disagrees with source.partitions and a captured table is
  // partitioned, so its events would go to the other mode's topics.
  bool via_root_wrong = false;
  bool want_via_root = true;
  bool empty() const {
    return missing.empty() && extra.empty() && drop_no_identity.empty() && !via_root_wrong;
  }
};
// `managed`: source.create_publication (pgcdc may leave tables out of it).
PublicationDrift CompareToPublication(const CaptureSet& wanted, const PublicationView& view,
                                      config::PartitionMode mode, bool managed);

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
// publish_via_partition_root per `mode` (PostgreSQL 13+). A FOR TABLE list leaves out the tables
// without a usable replica identity (`wanted.identity_gaps`; the caller reports them).
Status CreatePublication(PGconn* sql, const config::Config& cfg, const CaptureSet& wanted);

// Makes a managed publication agree with `drift`, one statement and one log line per change
// (a table dropped for its replica identity: that line names why and the fix), counted in
// `metrics` when given. A failed statement is logged and the others still run (the next
// reconciliation tries again); the result lists the tables that joined, for the caller's
// warning about their existing rows.
std::vector<TableName> ApplyDrift(PGconn* sql, const std::string& publication,
                                  const PublicationDrift& drift, Metrics* metrics = nullptr);

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
  // `metrics` (may be null) counts the capture set's changes; it outlives the reconciler.
  PublicationReconciler(const config::Config& cfg, const Clock& clock, Metrics* metrics = nullptr);

  // Reconciles when source.reconcile_interval_ms has passed since the last time (the first time
  // one interval after construction: the start has just reconciled). Never fails the session:
  // a failure is logged and retried at the next interval. Returns the tables that joined the
  // publication (to be snapshotted per snapshot.new_tables).
  std::vector<TableName> MaybeRun();

 private:
  Status RunOnce(std::vector<TableName>* joined);

  const config::Config& cfg_;
  const Clock& clock_;
  Metrics* metrics_;
  Clock::TimePoint next_;
  PgConnPtr conn_;
};

}  // namespace cdc::connector
