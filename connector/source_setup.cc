#include "connector/source_setup.h"

#include <spdlog/spdlog.h>

#include "connector/capture_rules.h"
#include "connector/name_list.h"
#include "connector/replica_identity.h"

namespace cdc::connector {

std::string_view WalStatusName(WalStatus s) {
  switch (s) {
    case WalStatus::kUnknown: return "n/a";
    case WalStatus::kReserved: return "reserved";
    case WalStatus::kExtended: return "extended";
    case WalStatus::kUnreserved: return "unreserved";
    case WalStatus::kLost: return "lost";
  }
  return "n/a";
}

WalStatus ParseWalStatus(std::string_view word) {
  for (WalStatus s :
       {WalStatus::kReserved, WalStatus::kExtended, WalStatus::kUnreserved, WalStatus::kLost}) {
    if (word == WalStatusName(s)) return s;
  }
  return WalStatus::kUnknown;
}

int ProtoVersionFor(int server_version) {
  if (server_version >= 160000) return 4;
  if (server_version >= 150000) return 3;
  if (server_version >= 140000) return 2;
  return 1;
}

Result<SlotState> ReadSlot(PGconn* sql, const std::string& slot) {
  const bool has_wal_status = PQserverVersion(sql) >= 130000;
  std::string q = "SELECT plugin, database, confirmed_flush_lsn, " +
                  std::string(has_wal_status ? "wal_status" : "NULL") +
                  ", active, COALESCE(active_pid, 0) FROM pg_replication_slots WHERE slot_name = " +
                  QuoteLiteral(sql, slot);
  auto res = Exec(sql, q);
  if (!res.ok()) return res.status();
  SlotState s;
  if (PQntuples(res->get()) == 0) return s;
  PGresult* r = res->get();
  s.exists = true;
  s.plugin = PQgetvalue(r, 0, 0);
  s.database = PQgetvalue(r, 0, 1);
  if (!PQgetisnull(r, 0, 2)) {
    auto lsn = Lsn::Parse(PQgetvalue(r, 0, 2));
    if (!lsn.ok()) return lsn.status();
    s.confirmed_flush = *lsn;
  }
  s.wal_status = PQgetisnull(r, 0, 3) ? WalStatus::kUnknown : ParseWalStatus(PQgetvalue(r, 0, 3));
  s.active = std::string(PQgetvalue(r, 0, 4)) == "t";
  s.active_pid = std::atoi(PQgetvalue(r, 0, 5));
  return s;
}

Result<SourceFacts> InspectSource(PGconn* sql, PGconn* repl, const config::Config& cfg) {
  SourceFacts f;
  f.server_version = PQserverVersion(sql);
  if (f.server_version < 120000) {
    return Status::FailedPrecondition("postgres: server version " +
                                      std::to_string(f.server_version) +
                                      " is not supported (PostgreSQL 12 or later is required)");
  }

  auto wal = Exec(sql, "SHOW wal_level");
  if (!wal.ok()) return wal.status();
  std::string wal_level = PQgetvalue(wal->get(), 0, 0);
  if (wal_level != "logical") {
    return Status::FailedPrecondition(
        "postgres: wal_level is '" + wal_level +
        "'; logical decoding needs wal_level = logical in postgresql.conf (then restart "
        "PostgreSQL)");
  }

  auto role = Exec(sql,
                   "SELECT current_user, rolsuper, rolreplication FROM pg_roles WHERE rolname = "
                   "current_user");
  if (!role.ok()) return role.status();
  std::string user = PQgetvalue(role->get(), 0, 0);
  bool super = std::string(PQgetvalue(role->get(), 0, 1)) == "t";
  bool replication = std::string(PQgetvalue(role->get(), 0, 2)) == "t";
  if (!super && !replication) {
    return Status::FailedPrecondition("postgres: role '" + user +
                                      "' lacks the REPLICATION attribute (ALTER ROLE " + user +
                                      " REPLICATION)");
  }

  auto ident = Exec(repl, "IDENTIFY_SYSTEM");
  if (!ident.ok()) return ident.status();
  PGresult* ir = ident->get();
  if (PQntuples(ir) != 1 || PQnfields(ir) < 4) {
    return Status::Corruption("postgres: IDENTIFY_SYSTEM returned an unexpected shape");
  }
  f.identity.system_id = PQgetvalue(ir, 0, 0);
  f.identity.timeline = static_cast<uint32_t>(std::strtoul(PQgetvalue(ir, 0, 1), nullptr, 10));
  auto pos = Lsn::Parse(PQgetvalue(ir, 0, 2));
  if (!pos.ok()) return pos.status();
  f.identity.xlogpos = *pos;
  if (PQgetisnull(ir, 0, 3)) {
    return Status::FailedPrecondition("postgres: the replication connection has no database");
  }
  f.identity.database = PQgetvalue(ir, 0, 3);

  auto slot = ReadSlot(sql, cfg.source.slot);
  if (!slot.ok()) return slot.status();
  f.slot = *slot;
  if (f.slot.exists) {
    if (f.slot.plugin != "pgoutput") {
      return Status::FailedPrecondition("postgres: slot '" + cfg.source.slot + "' uses plugin '" +
                                        f.slot.plugin + "', pgcdc needs pgoutput");
    }
    if (f.slot.database != f.identity.database) {
      return Status::FailedPrecondition("postgres: slot '" + cfg.source.slot +
                                        "' belongs to database '" + f.slot.database + "', not '" +
                                        f.identity.database + "'");
    }
  }

  auto view = ReadPublication(sql, cfg.source.publication);
  if (!view.ok()) return view.status();
  f.publication = std::move(*view);
  f.publication_exists = f.publication.exists;
  auto capture = ResolveCaptureSet(sql, PublishedPatterns(cfg));
  if (!capture.ok()) return capture.status();
  f.capture = std::move(*capture);
  if (!cfg.source.tables.empty() && f.capture.tables.empty()) {
    return Status::FailedPrecondition("postgres: source.tables matches no table in database '" +
                                      f.identity.database + "'");
  }
  {
    // No topic may mix two tables: a collision is refused here, before anything is published
    // (the RelationRegistry refuses one that appears while streaming, e.g. a later CREATE).
    const CaptureRules rules(CaptureOptionsFor(cfg));
    std::vector<std::pair<std::string, std::string>> names;
    for (const auto& t : f.capture.tables) names.emplace_back(t.schema, t.table);
    if (auto collision = rules.FindCollision(names); !collision.empty()) {
      return Status::FailedPrecondition("postgres: " + collision);
    }
    for (const auto& [entry, topic] : cfg.topics) {
      bool used = false;
      for (const auto& t : f.capture.tables) used = used || IncludedBy({entry}, t.schema, t.table);
      if (!used) {
        spdlog::warn("topics: '{}' (-> {}) matches no captured table (source.tables)", entry,
                     topic);
      }
    }
  }
  if (!f.capture.partitioned.empty() && f.server_version < 130000) {
    return Status::FailedPrecondition(
        "postgres: source.tables matches partitioned table " +
        f.capture.partitioned.begin()->Display() +
        ", which PostgreSQL before 13 cannot publish; name its partitions instead");
  }

  if (!f.publication_exists) {
    if (!cfg.source.create_publication) {
      return Status::FailedPrecondition("postgres: publication '" + cfg.source.publication +
                                        "' does not exist and source.create_publication is false");
    }
    if (cfg.source.tables.empty() && !super) {
      return Status::FailedPrecondition(
          "postgres: creating a FOR ALL TABLES publication needs a superuser; list "
          "source.tables, or have an admin create publication '" +
          cfg.source.publication + "'");
    }
    // The publication as CreatePublication will make it (publishing every action): only what
    // it leaves out or what fails under it is reported; nothing is missing.
    PublicationView planned;
    planned.all_tables = cfg.source.tables.empty();
    for (const auto& t : f.capture.tables) planned.named.insert(t);
    if (planned.all_tables) planned.named.clear();
    f.drift = CompareToPublication(f.capture, planned, cfg.source.partitions, true);
    f.drift.drop_no_identity.clear();  // never added in the first place
    return f;
  }
  f.drift = CompareToPublication(f.capture, f.publication, cfg.source.partitions,
                                 cfg.source.create_publication);
  if (!cfg.source.create_publication && f.drift.via_root_wrong) {
    return Status::FailedPrecondition(ViaRootMismatch(cfg.source.publication, f.drift));
  }
  return f;
}

Status EnsurePublication(PGconn* sql, const config::Config& cfg, const SourceFacts& facts,
                         bool snapshot_follows, std::vector<std::string>* to_snapshot,
                         Metrics* metrics) {
  const bool managed = cfg.source.create_publication;
  if (!facts.publication_exists) {
    CDC_RETURN_IF_ERROR(CreatePublication(sql, cfg, facts.capture));
    ReportIdentityGaps(cfg.source.publication, facts.drift, managed, metrics);
    return Status::Ok();
  }
  if (!managed) {
    ReportUnmanagedDrift(cfg.source.publication, facts.drift);  // an admin's: never altered
    ReportIdentityGaps(cfg.source.publication, facts.drift, managed, metrics);
    return Status::Ok();
  }
  const auto joined = ApplyDrift(sql, cfg.source.publication, facts.drift, metrics);
  ReportIdentityGaps(cfg.source.publication, facts.drift, managed, metrics);
  if (snapshot_follows) return Status::Ok();
  auto tables = TablesToSnapshot(cfg, joined);
  if (to_snapshot != nullptr) {
    *to_snapshot = std::move(tables);
  } else {
    for (const auto& t : tables) spdlog::warn("table {} joined the capture set unsnapshotted", t);
  }
  return Status::Ok();
}

void WarnAboutToast(PGconn* sql, const std::string& publication,
                    const std::vector<std::string>& include_patterns) {
  // Key columns are left out: the replica identity's columns always reach the decoder (the
  // server logs an out-of-line key value in the old-key tuple), so the placeholder never
  // stands in for them.
  auto res = Exec(sql,
                  "SELECT p.schemaname || '.' || p.tablename, string_agg(a.attname, ', ' ORDER BY "
                  "a.attnum) FROM pg_publication_tables p "
                  "JOIN pg_namespace n ON n.nspname = p.schemaname "
                  "JOIN pg_class c ON c.relname = p.tablename AND c.relnamespace = n.oid "
                  "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT "
                  "a.attisdropped AND a.attstorage IN ('x', 'e') "
                  "WHERE p.pubname = " +
                      QuoteLiteral(sql, publication) +
                      " AND c.relreplident <> 'f' AND NOT EXISTS (SELECT 1 FROM pg_index i "
                      "WHERE i.indrelid = c.oid AND a.attnum = ANY (i.indkey) AND ((c.relreplident "
                      "= 'd' AND i.indisprimary) OR (c.relreplident = 'i' AND i.indisreplident))) "
                      "GROUP BY 1 ORDER BY 1");
  if (!res.ok()) {
    spdlog::debug("TOAST check skipped: {}", res.status().message());
    return;
  }
  std::vector<std::pair<std::string, std::string>> found;  // table, its columns
  for (int i = 0; i < PQntuples(res->get()); ++i) {
    std::string table = PQgetvalue(res->get(), i, 0);
    if (IncludedBy(include_patterns, table))
      found.emplace_back(std::move(table), PQgetvalue(res->get(), i, 1));
  }
  if (found.size() <= kNamesShown) {
    for (const auto& [table, columns] : found) {
      spdlog::warn(
          "table {} has TOAST-able columns ({}) without REPLICA IDENTITY FULL: updates "
          "that leave a large value unchanged carry the unavailable-value placeholder "
          "for it (ALTER TABLE {} REPLICA IDENTITY FULL to get the real value)",
          table, columns, table);
    }
    return;
  }
  std::vector<std::string> tables;  // "schema.table (col, col)"
  for (const auto& [table, columns] : found) tables.push_back(table + " (" + columns + ")");
  spdlog::warn(
      "{} tables have TOAST-able columns without REPLICA IDENTITY FULL: {}; updates that "
      "leave a large value unchanged carry the unavailable-value placeholder for it "
      "(ALTER TABLE ... REPLICA IDENTITY FULL to get the real value; log.level debug "
      "lists every table)",
      tables.size(), FirstNames(tables));
  spdlog::debug("tables with TOAST-able columns without REPLICA IDENTITY FULL: {}",
                AllNames(tables));
}

Result<CreatedSlot> CreateSlot(PGconn* repl, const std::string& slot, int server_version,
                               bool export_snapshot, bool temporary) {
  std::string q = "CREATE_REPLICATION_SLOT " + QuoteIdent(repl, slot) +
                  (temporary ? " TEMPORARY" : "") + " LOGICAL pgoutput";
  if (server_version >= 150000) {
    q += export_snapshot ? " (SNAPSHOT 'export')" : " (SNAPSHOT 'nothing')";
  } else {
    q += export_snapshot ? " EXPORT_SNAPSHOT" : " NOEXPORT_SNAPSHOT";
  }
  auto res = Exec(repl, q);
  if (!res.ok()) return res.status().WithContext("creating replication slot");
  if (PQntuples(res->get()) != 1 || PQnfields(res->get()) < 3) {
    return Status::Corruption("postgres: CREATE_REPLICATION_SLOT returned an unexpected shape");
  }
  CreatedSlot created;
  auto lsn = Lsn::Parse(PQgetvalue(res->get(), 0, 1));
  if (!lsn.ok()) return lsn.status();
  created.consistent_point = *lsn;
  if (!PQgetisnull(res->get(), 0, 2)) created.snapshot_name = PQgetvalue(res->get(), 0, 2);
  if (export_snapshot && created.snapshot_name.empty()) {
    return Status::Corruption("postgres: CREATE_REPLICATION_SLOT exported no snapshot");
  }
  spdlog::info("created {}replication slot {} at {}{}", temporary ? "temporary " : "", slot,
               lsn->ToString(),
               export_snapshot ? " with snapshot " + created.snapshot_name : std::string());
  return created;
}

Status DropSlot(PGconn* repl, const std::string& slot) {
  auto res =
      Exec(repl, "DROP_REPLICATION_SLOT " + QuoteIdent(repl, slot) + " WAIT", PGRES_COMMAND_OK);
  if (!res.ok()) return res.status().WithContext("dropping replication slot " + slot);
  spdlog::info("dropped replication slot {}", slot);
  return Status::Ok();
}

}  // namespace cdc::connector
