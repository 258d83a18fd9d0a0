#include "connector/publication_reconciler.h"

#include <spdlog/spdlog.h>

#include <map>

#include "connector/capture_rules.h"
#include "connector/replica_identity.h"

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
  // The sixth column says why an ordinary table has no usable replica identity, as the server
  // decides it (RelationGetIndexList: only a valid, immediate index counts): 'd' DEFAULT without
  // a primary key, 'n' NOTHING, 'i' USING INDEX whose index is gone or invalid; '' usable.
  auto res = Exec(
      sql,
      "SELECT c.oid, n.nspname, c.relname, c.relkind = 'p', COALESCE((SELECT i.inhparent FROM "
      "pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition), 0), CASE WHEN c.relkind "
      "<> 'r' OR c.relreplident = 'f' THEN '' WHEN c.relreplident = 'n' THEN 'n' WHEN EXISTS "
      "(SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisvalid AND x.indimmediate "
      "AND CASE c.relreplident WHEN 'd' THEN x.indisprimary ELSE x.indisreplident END) THEN '' "
      "ELSE c.relreplident::text END FROM pg_class c JOIN pg_namespace n ON n.oid = "
      "c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND "
      "n.nspname NOT LIKE 'pg\\_%' ORDER BY 2, 3");
  if (!res.ok()) return res.status().WithContext("resolving source.tables");
  struct Row {
    TableName name;
    bool partitioned;
    uint32_t parent;
    char gap;  // see the query
    bool matched;
  };
  std::map<uint32_t, Row> rows;
  PGresult* r = res->get();
  for (int i = 0; i < PQntuples(r); ++i) {
    Row row{{PQgetvalue(r, i, 1), PQgetvalue(r, i, 2)},
            PQgetvalue(r, i, 3)[0] == 't',
            static_cast<uint32_t>(std::strtoul(PQgetvalue(r, i, 4), nullptr, 10)),
            PQgetvalue(r, i, 5)[0],
            false};
    row.matched = IncludedBy(patterns, row.name.schema, row.name.table);
    rows.emplace(static_cast<uint32_t>(std::strtoul(PQgetvalue(r, i, 0), nullptr, 10)),
                 std::move(row));
  }
  CaptureSet set;
  for (const auto& [oid, row] : rows) {
    std::vector<TableName> ancestors;  // nearest first
    bool covered_above = false;        // a partitioned table above it is matched: it stands for it
    for (uint32_t up = row.parent; up != 0;) {
      auto it = rows.find(up);
      if (it == rows.end()) break;
      ancestors.push_back(it->second.name);
      covered_above = covered_above || it->second.matched;
      up = it->second.parent;
    }
    if (row.gap != '\0') {
      const std::string why = IdentityGapWhy(row.gap);
      set.identity_gaps.emplace(row.name, IdentityGap{why, row.name, ancestors});
      // Writes to a partition fail wherever it is published, through any table above it.
      for (size_t a = 0; a < ancestors.size(); ++a) {
        set.identity_gaps.emplace(
            ancestors[a],
            IdentityGap{"partition " + QuotedName(row.name.schema, row.name.table) + ": " + why,
                        row.name,
                        std::vector<TableName>(ancestors.begin() + static_cast<long>(a) + 1,
                                               ancestors.end())});
      }
    }
    if (!row.matched || covered_above) continue;
    set.tables.insert(row.name);
    if (row.partitioned) set.partitioned.insert(row.name);
  }
  return set;
}

Result<PublicationView> ReadPublication(PGconn* sql, const std::string& publication) {
  PublicationView v;
  const int version = PQserverVersion(sql);
  const std::string name = QuoteLiteral(sql, publication);
  auto pub = Exec(sql, "SELECT oid, puballtables, " +
                           std::string(version >= 130000 ? "pubviaroot" : "NULL") +
                           ", pubupdate OR pubdelete FROM pg_publication WHERE pubname = " + name);
  if (!pub.ok()) return pub.status().WithContext("reading publication " + publication);
  if (PQntuples(pub->get()) == 0) return v;
  v.exists = true;
  const std::string oid = PQgetvalue(pub->get(), 0, 0);
  v.all_tables = PQgetvalue(pub->get(), 0, 1)[0] == 't';
  if (!PQgetisnull(pub->get(), 0, 2)) v.via_root = PQgetvalue(pub->get(), 0, 2)[0] == 't';
  v.publishes_update_delete = PQgetvalue(pub->get(), 0, 3)[0] == 't';
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
                                      config::PartitionMode mode, bool managed) {
  PublicationDrift d;
  d.want_via_root = mode == config::PartitionMode::kRoot;
  d.all_tables = view.all_tables;
  const bool writes_break = view.publishes_update_delete;
  const auto publishes = [&view](const TableName& t) {
    return view.all_tables || view.named.count(t) > 0 || view.schemas.count(t.schema) > 0;
  };
  for (const auto& t : wanted.tables) {
    auto gap = wanted.identity_gaps.find(t);
    // Only a table named in the list can be left out (not one its schema publishes).
    if (managed && writes_break && !view.all_tables && !view.schemas.count(t.schema) &&
        gap != wanted.identity_gaps.end()) {
      d.left_out.insert(*gap);
      if (view.named.count(t)) d.drop_no_identity.push_back(t);
      continue;
    }
    if (!publishes(t)) d.missing.push_back(t);
  }
  for (const auto& t : view.named) {
    if (!wanted.tables.count(t)) d.extra.push_back(t);
  }
  if (writes_break) {
    for (const auto& [t, gap] : wanted.identity_gaps) {
      if (!publishes(t) || d.left_out.count(t)) continue;
      if (managed && view.named.count(t) && !wanted.tables.count(t)) continue;  // dropped: extra
      bool above = false;  // a table above it is published: that entry covers it
      for (const auto& a : gap.ancestors) above = above || publishes(a);
      if (!above) d.writes_fail.emplace(t, gap);
    }
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
  size_t count = 0;
  if (cfg.source.tables.empty()) {
    q += " FOR ALL TABLES";
  } else {
    // Without a usable replica identity a table is left out: published, PostgreSQL would refuse
    // the application's UPDATE and DELETE on it. With none left, the publication starts empty.
    for (const auto& t : wanted.tables) {
      if (wanted.identity_gaps.count(t)) continue;
      q += (count++ == 0 ? " FOR TABLE " : ", ") + t.Quoted(sql);
    }
  }
  const bool via_root = cfg.source.partitions == config::PartitionMode::kRoot;
  if (PQserverVersion(sql) >= 130000) {
    q += std::string(" WITH (publish_via_partition_root = ") + (via_root ? "true" : "false") + ")";
  }
  auto res = Exec(sql, q, PGRES_COMMAND_OK);
  if (!res.ok()) return res.status().WithContext("creating publication");
  spdlog::info(
      "created publication {} ({}, publish_via_partition_root = {})", cfg.source.publication,
      cfg.source.tables.empty() ? std::string("FOR ALL TABLES") : std::to_string(count) + " tables",
      via_root);
  return Status::Ok();
}

std::vector<TableName> ApplyDrift(PGconn* sql, const std::string& publication,
                                  const PublicationDrift& drift, Metrics* metrics) {
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
    if (metrics != nullptr) metrics->capture_added.fetch_add(1);
    joined.push_back(t);
  }
  const auto drop = [&](const TableName& t, const std::string& line) {
    auto res =
        Exec(sql, "ALTER PUBLICATION " + pub + " DROP TABLE " + t.Quoted(sql), PGRES_COMMAND_OK);
    if (!res.ok()) {
      spdlog::warn(
          "publication {}: could not drop table {} (retried at the next reconciliation): {}",
          publication, t.Display(), res.status().message());
      return;
    }
    spdlog::warn("{}", line);
    if (metrics != nullptr) metrics->capture_removed.fetch_add(1);
  };
  for (const auto& t : drift.extra) {
    drop(t, "publication " + publication + ": dropped table " + t.Display() +
                " (source.tables no longer matches it): its changes are no longer captured");
  }
  for (const auto& t : drift.drop_no_identity) {
    drop(t, DroppedForIdentity(publication, t, drift.left_out.at(t)));
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

PublicationReconciler::PublicationReconciler(const config::Config& cfg, const Clock& clock,
                                             Metrics* metrics)
    : cfg_(cfg),
      clock_(clock),
      metrics_(metrics),
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
  const PublicationDrift drift =
      CompareToPublication(*wanted, *view, cfg_.source.partitions, cfg_.source.create_publication);
  if (cfg_.source.create_publication) {
    if (!drift.empty()) *joined = ApplyDrift(c, cfg_.source.publication, drift, metrics_);
  } else {
    ReportUnmanagedDrift(cfg_.source.publication, drift);  // not ours: reported only
  }
  ReportIdentityGaps(cfg_.source.publication, drift, cfg_.source.create_publication, metrics_);
  return Status::Ok();
}

}  // namespace cdc::connector
