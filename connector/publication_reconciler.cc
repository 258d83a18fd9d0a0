#include "connector/publication_reconciler.h"

#include <spdlog/spdlog.h>

#include <map>

#include "connector/capture_rules.h"

namespace cdc::connector {

namespace {

// Bounds for the statements of a reconciliation while streaming: ALTER PUBLICATION waits for a
// lock on the table, and a long transaction holding one must not stall the replication loop.
constexpr const char* kBoundedSession =
    "SET lock_timeout = '2s'; SET statement_timeout = '5s'; SET "
    "idle_in_transaction_session_timeout "
    "= 0";

}  // namespace

std::string TableName::Quoted(PGconn* conn) const {
  return QuoteIdent(conn, schema) + "." + QuoteIdent(conn, table);
}

Result<CaptureSet> ResolveCaptureSet(PGconn* sql, const std::vector<std::string>& patterns) {
  auto res =
      Exec(sql,
           "SELECT c.oid, n.nspname, c.relname, c.relkind = 'p', COALESCE((SELECT "
           "i.inhparent FROM pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition), "
           "0), c.relkind = 'r' AND (c.relreplident = 'n' OR (c.relreplident = 'd' AND "
           "NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND "
           "x.indisprimary))) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
           "c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname "
           "NOT LIKE 'pg\\_%' ORDER BY 2, 3");
  if (!res.ok()) return res.status().WithContext("resolving source.tables");
  struct Row {
    TableName name;
    bool partitioned;
    uint32_t parent;
    bool no_identity;
    bool matched;
  };
  std::map<uint32_t, Row> rows;
  PGresult* r = res->get();
  for (int i = 0; i < PQntuples(r); ++i) {
    Row row{{PQgetvalue(r, i, 1), PQgetvalue(r, i, 2)},
            PQgetvalue(r, i, 3)[0] == 't',
            static_cast<uint32_t>(std::strtoul(PQgetvalue(r, i, 4), nullptr, 10)),
            PQgetvalue(r, i, 5)[0] == 't',
            false};
    row.matched = IncludedBy(patterns, row.name.schema, row.name.table);
    rows.emplace(static_cast<uint32_t>(std::strtoul(PQgetvalue(r, i, 0), nullptr, 10)),
                 std::move(row));
  }
  CaptureSet set;
  for (const auto& [oid, row] : rows) {
    if (!row.matched) continue;
    bool covered_above = false;  // a partitioned table above it is matched: it stands for it
    for (uint32_t up = row.parent; up != 0 && !covered_above;) {
      auto it = rows.find(up);
      if (it == rows.end()) break;
      covered_above = it->second.matched;
      up = it->second.parent;
    }
    if (covered_above) continue;
    set.tables.insert(row.name);
    if (row.partitioned) set.partitioned.insert(row.name);
    if (row.no_identity) set.no_identity.insert(row.name);
  }
  return set;
}

Result<PublicationView> ReadPublication(PGconn* sql, const std::string& publication) {
  PublicationView v;
  const int version = PQserverVersion(sql);
  const std::string name = QuoteLiteral(sql, publication);
  auto pub = Exec(sql, "SELECT oid, puballtables, " +
                           std::string(version >= 130000 ? "pubviaroot" : "NULL") +
                           " FROM pg_publication WHERE pubname = " + name);
  if (!pub.ok()) return pub.status().WithContext("reading publication " + publication);
  if (PQntuples(pub->get()) == 0) return v;
  v.exists = true;
  const std::string oid = PQgetvalue(pub->get(), 0, 0);
  v.all_tables = PQgetvalue(pub->get(), 0, 1)[0] == 't';
  if (!PQgetisnull(pub->get(), 0, 2)) v.via_root = PQgetvalue(pub->get(), 0, 2)[0] == 't';
  auto rel = Exec(sql,
                  "SELECT n.nspname, c.relname FROM pg_publication_rel pr JOIN pg_class c ON "
                  "c.oid = pr.prrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
                  "pr.prpubid = " +
                      oid);
  if (!rel.ok()) return rel.status().WithContext("reading publication " + publication);
  for (int i = 0; i < PQntuples(rel->get()); ++i) {
    v.named.insert({PQgetvalue(rel->get(), i, 0), PQgetvalue(rel->get(), i, 1)});
  }
  if (version >= 150000) {
    auto ns = Exec(sql,
                   "SELECT n.nspname FROM pg_publication_namespace pn JOIN pg_namespace n ON "
                   "n.oid = pn.pnnspid WHERE pn.pnpubid = " +
                       oid);
    if (!ns.ok()) return ns.status().WithContext("reading publication " + publication);
    for (int i = 0; i < PQntuples(ns->get()); ++i) v.schemas.insert(PQgetvalue(ns->get(), i, 0));
  }
  return v;
}

PublicationDrift CompareToPublication(const CaptureSet& wanted, const PublicationView& view,
                                      config::PartitionMode mode) {
  PublicationDrift d;
  d.want_via_root = mode == config::PartitionMode::kRoot;
  for (const auto& t : wanted.tables) {
    if (!view.all_tables && !view.named.count(t) && !view.schemas.count(t.schema)) {
      d.missing.push_back(t);
      if (wanted.no_identity.count(t)) d.no_identity.insert(t);
    }
  }
  for (const auto& t : view.named) {
    if (!wanted.tables.count(t)) d.extra.push_back(t);
  }
  d.via_root_wrong =
      view.via_root.has_value() && *view.via_root != d.want_via_root && !wanted.partitioned.empty();
  return d;
}

std::string ViaRootMismatch(const std::string& publication, const PublicationDrift& drift) {
  const char* have = drift.want_via_root ? "false" : "true";
  const char* want = drift.want_via_root ? "true" : "false";
  return "postgres: publication '" + publication + "' has publish_via_partition_root = " + have +
         " but source.partitions is " + (drift.want_via_root ? "root" : "leaves") +
         ", so partitioned tables would reach the wrong topics; ALTER PUBLICATION " + publication +
         " SET (publish_via_partition_root = " + want +
         "), or set source.partitions: " + (drift.want_via_root ? "leaves" : "root");
}

std::string MissingFromPublication(const std::string& publication, const TableName& t) {
  return "source.tables matches " + t.Display() + ", but publication '" + publication +
         "' (source.create_publication: false) does not contain it: its changes are NOT "
         "captured (ALTER PUBLICATION " +
         publication + " ADD TABLE " + t.Display() + ")";
}

Status CreatePublication(PGconn* sql, const config::Config& cfg, const CaptureSet& wanted) {
  std::string q = "CREATE PUBLICATION " + QuoteIdent(sql, cfg.source.publication);
  if (cfg.source.tables.empty()) {
    q += " FOR ALL TABLES";
  } else {
    q += " FOR TABLE ";
    bool first = true;
    for (const auto& t : wanted.tables) {
      q += (first ? "" : ", ") + t.Quoted(sql);
      first = false;
    }
  }
  const bool via_root = cfg.source.partitions == config::PartitionMode::kRoot;
  if (PQserverVersion(sql) >= 130000) {
    q += std::string(" WITH (publish_via_partition_root = ") + (via_root ? "true" : "false") + ")";
  }
  auto res = Exec(sql, q, PGRES_COMMAND_OK);
  if (!res.ok()) return res.status().WithContext("creating publication");
  spdlog::info("created publication {} ({}, publish_via_partition_root = {})",
               cfg.source.publication,
               cfg.source.tables.empty() ? std::string("FOR ALL TABLES")
                                         : std::to_string(wanted.tables.size()) + " tables",
               via_root);
  if (!cfg.source.tables.empty() && !wanted.no_identity.empty()) {
    std::string names;
    for (const auto& t : wanted.no_identity) names += (names.empty() ? "" : ", ") + t.Display();
    spdlog::warn(
        "published tables without a replica identity (no primary key): {}; PostgreSQL refuses "
        "UPDATE and DELETE on them while they are published (add a primary key, or REPLICA "
        "IDENTITY FULL, or leave them out of source.tables)",
        names);
  }
  return Status::Ok();
}

std::vector<TableName> ApplyDrift(PGconn* sql, const std::string& publication,
                                  const PublicationDrift& drift) {
  const std::string pub = QuoteIdent(sql, publication);
  std::vector<TableName> joined;
  if (drift.via_root_wrong) {
    const char* want = drift.want_via_root ? "true" : "false";
    auto res =
        Exec(sql, "ALTER PUBLICATION " + pub + " SET (publish_via_partition_root = " + want + ")",
             PGRES_COMMAND_OK);
    if (res.ok()) {
      spdlog::info("publication {}: publish_via_partition_root set to {} (source.partitions: {})",
                   publication, want, drift.want_via_root ? "root" : "leaves");
    } else {
      spdlog::warn("publication {}: could not set publish_via_partition_root: {}", publication,
                   res.status().message());
    }
  }
  for (const auto& t : drift.missing) {
    auto res =
        Exec(sql, "ALTER PUBLICATION " + pub + " ADD TABLE " + t.Quoted(sql), PGRES_COMMAND_OK);
    if (!res.ok()) {
      spdlog::warn(
          "publication {}: could not add table {} (retried at the next reconciliation): {}",
          publication, t.Display(), res.status().message());
      continue;
    }
    spdlog::info("publication {}: added table {} (matched by source.tables)", publication,
                 t.Display());
    if (drift.no_identity.count(t)) {
      spdlog::warn(
          "table {} has no replica identity (no primary key): now that it is published, "
          "PostgreSQL refuses UPDATE and DELETE on it (add a primary key, or ALTER TABLE {} "
          "REPLICA IDENTITY FULL, or leave it out of source.tables)",
          t.Display(), t.Display());
    }
    joined.push_back(t);
  }
  for (const auto& t : drift.extra) {
    auto res =
        Exec(sql, "ALTER PUBLICATION " + pub + " DROP TABLE " + t.Quoted(sql), PGRES_COMMAND_OK);
    if (!res.ok()) {
      spdlog::warn(
          "publication {}: could not drop table {} (retried at the next reconciliation): {}",
          publication, t.Display(), res.status().message());
      continue;
    }
    spdlog::warn(
        "publication {}: dropped table {} (source.tables no longer matches it): its "
        "changes are no longer captured",
        publication, t.Display());
  }
  return joined;
}

void ReportUnmanagedDrift(const std::string& publication, const PublicationDrift& drift) {
  static std::set<std::string> in_effect;  // main thread only (see the header)
  std::set<std::string> now;
  if (drift.via_root_wrong) now.insert(ViaRootMismatch(publication, drift));
  for (const auto& t : drift.missing) now.insert(MissingFromPublication(publication, t));
  for (const auto& line : now) {
    if (!in_effect.count(line)) spdlog::warn("{}", line);
  }
  if (!in_effect.empty() && now.empty()) {
    spdlog::info("publication {} now contains every table source.tables matches", publication);
  }
  in_effect = std::move(now);
}

void WarnNotSnapshotted(const std::string& publication, const TableName& t) {
  spdlog::warn(
      "table {} joined the capture set (publication {}): its changes are captured from now on, "
      "but its existing rows are NOT snapshotted (snapshot.new_tables: skip; `pgcdc snapshot "
      "--table {}` reads them)",
      t.Display(), publication, t.Display());
}

std::vector<std::string> PublishedPatterns(const config::Config& cfg) {
  std::vector<std::string> patterns = cfg.source.tables;
  if (!patterns.empty() && !cfg.signals.table.empty()) patterns.push_back(cfg.signals.table);
  return patterns;
}

std::vector<std::string> TablesToSnapshot(const config::Config& cfg,
                                          const std::vector<TableName>& joined) {
  std::vector<std::string> out;
  for (const auto& t : joined) {
    if (t.Display() == cfg.signals.table) continue;
    if (cfg.snapshot.new_tables == config::NewTablesMode::kSkip) {
      WarnNotSnapshotted(cfg.source.publication, t);
    } else {
      out.push_back(t.Display());
    }
  }
  return out;
}

PublicationReconciler::PublicationReconciler(const config::Config& cfg, const Clock& clock)
    : cfg_(cfg),
      clock_(clock),
      next_(clock.Now() + std::chrono::milliseconds(cfg.source.reconcile_interval_ms)) {}

std::vector<TableName> PublicationReconciler::MaybeRun() {
  std::vector<TableName> joined;
  if (cfg_.source.reconcile_interval_ms <= 0 || clock_.Now() < next_) return joined;
  Status s = RunOnce(&joined);
  // From the end of this run: a slow catalog never makes runs back to back.
  next_ = clock_.Now() + std::chrono::milliseconds(cfg_.source.reconcile_interval_ms);
  if (!s.ok()) {
    spdlog::warn("publication {}: reconciliation with source.tables failed (retried in {} ms): {}",
                 cfg_.source.publication, cfg_.source.reconcile_interval_ms, s.message());
    conn_.reset();
  }
  return joined;
}

Status PublicationReconciler::RunOnce(std::vector<TableName>* joined) {
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    auto c = Connect(cfg_.source.dsn, ConnKind::kSql);
    if (!c.ok()) return c.status();
    conn_ = std::move(*c);
    CDC_RETURN_IF_ERROR(Exec(conn_.get(), kBoundedSession, PGRES_COMMAND_OK).status());
  }
  PGconn* c = conn_.get();
  auto wanted = ResolveCaptureSet(c, PublishedPatterns(cfg_));
  if (!wanted.ok()) return wanted.status();
  auto view = ReadPublication(c, cfg_.source.publication);
  if (!view.ok()) return view.status();
  if (!view->exists) {
    return Status::FailedPrecondition("publication " + cfg_.source.publication +
                                      " no longer exists");
  }
  const PublicationDrift drift = CompareToPublication(*wanted, *view, cfg_.source.partitions);
  if (cfg_.source.create_publication) {
    if (drift.empty()) return Status::Ok();
    *joined = ApplyDrift(c, cfg_.source.publication, drift);
    return Status::Ok();
  }
  ReportUnmanagedDrift(cfg_.source.publication, drift);  // not ours: reported only
  return Status::Ok();
}

}  // namespace cdc::connector
