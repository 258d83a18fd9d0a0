#include <spdlog/spdlog.h>

#include <algorithm>

#include "connector/name_list.h"
#include "connector/snapshot_markers.h"
#include "connector/snapshot_parts.h"
#include "decoders/values/pg_binary.h"

// The snapshot's plan: which tables, with the columns pgoutput would announce (replica
// identity, PG15 column lists and row filters), split into CTID ranges; and the privilege check
// before anything is created.

namespace cdc::connector {

namespace {

// Tables at least this large are split into at least `parallelism` ranges, so one big table
// keeps every worker busy.
constexpr int64_t kMinSplitPages = 1024;

// Whether to read table `name` with binary COPY: when pg_binary decodes every column the events
// show, by the rule the stream's transfer mode follows (transfer_mode.h), so that a bytea
// arrives as raw bytes rather than as hex text twice its size. Under source.value_transfer:
// binary, a column it cannot decode (or a server before 14) fails the snapshot, as it would
// fail the stream; under auto the table is read as text. `*why_text` names the column then.
Result<bool> ReadsBinary(config::ValueTransfer mode, int version, bool utf8_client,
                         const std::string& name, const TableSchema& t, std::string* why_text) {
  using config::ValueTransfer;
  if (mode == ValueTransfer::kText) return false;
  if (version < 140000) {
    if (mode == ValueTransfer::kBinary) {
      return Status::FailedPrecondition(
          "source.value_transfer: binary needs PostgreSQL 14 or later (pgoutput's binary "
          "option); this server is " +
          std::to_string(version) + "; use auto or text");
    }
    *why_text = "PostgreSQL before 14 has no binary transfer";
    return false;
  }
  for (size_t i = 0; i < t.codecs.size(); ++i) {
    if (!t.included[i] || BinaryDecodable(t.codecs[i], utf8_client)) continue;
    *why_text = name + "." + t.relation.columns[i].name + " has type " +
                BinaryUndecodableTypeName(t.codecs[i]) + UnknownTypeNote(t.codecs[i].type);
    if (mode == ValueTransfer::kBinary) {
      return Status::FailedPrecondition("source.value_transfer: binary, but " + *why_text +
                                        ", which pgcdc decodes only in text form; use auto (text "
                                        "for such tables) or text, or leave the column out");
    }
    return false;
  }
  return true;
}

}  // namespace

namespace snapshot_internal {

Status ImportSnapshot(PGconn* conn, const std::string& snapshot_name) {
  // A role-level statement_timeout would cut a long COPY short.
  CDC_RETURN_IF_ERROR(Exec(conn, "SET statement_timeout = 0", PGRES_COMMAND_OK).status());
  CDC_RETURN_IF_ERROR(
      Exec(conn, "SET idle_in_transaction_session_timeout = 0", PGRES_COMMAND_OK).status());
  CDC_RETURN_IF_ERROR(
      Exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", PGRES_COMMAND_OK).status());
  Status s =
      Exec(conn, "SET TRANSACTION SNAPSHOT " + QuoteLiteral(conn, snapshot_name), PGRES_COMMAND_OK)
          .status();
  return s.ok() ? s : s.WithContext("importing the slot's exported snapshot");
}

}  // namespace snapshot_internal

Status CheckSnapshotPrivileges(PGconn* sql, const std::string& publication,
                               const CaptureRules& rules) {
  // What the snapshot reads: each published table, or a partitioned one's leaves (read one by
  // one, so SELECT on the parent is not enough). A leaf published under its own name
  // (publish_via_partition_root = false) is captured when the list names its root.
  auto res = Exec(
      sql,
      "SELECT pt.schemaname, pt.tablename, rn.nspname, r.relname, "
      "COALESCE(string_agg(ln.nspname || '.' || l.relname, ', ') FILTER (WHERE NOT "
      "has_table_privilege(l.oid, 'SELECT')), '') FROM pg_publication_tables pt JOIN "
      "pg_namespace n ON n.nspname = pt.schemaname JOIN pg_class c ON c.relnamespace "
      "= n.oid AND c.relname = pt.tablename JOIN pg_class r ON r.oid = "
      "COALESCE(pg_partition_root(c.oid), c.oid) JOIN pg_namespace rn ON rn.oid = r.relnamespace, "
      "LATERAL (SELECT relid FROM pg_partition_tree(c.oid) WHERE isleaf UNION "
      "SELECT c.oid WHERE c.relkind <> 'p') p JOIN pg_class l ON l.oid = p.relid "
      "JOIN pg_namespace ln ON ln.oid = l.relnamespace WHERE pt.pubname = " +
          QuoteLiteral(sql, publication) + " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2");
  if (!res.ok()) return res.status().WithContext("checking SELECT privileges for the snapshot");
  std::string denied;
  for (int i = 0; i < PQntuples(res->get()); ++i) {
    PGresult* r = res->get();
    const bool captured = rules.Captured(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)) ||
                          rules.Captured(PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
    const std::string lacking = PQgetvalue(r, i, 4);
    if (captured && !lacking.empty()) denied += (denied.empty() ? "" : ", ") + lacking;
  }
  if (denied.empty()) return Status::Ok();
  const std::string user = PQuser(sql);
  return Status::FailedPrecondition("postgres: role '" + user + "' lacks SELECT on " + denied +
                                    ", which the snapshot reads (GRANT SELECT ON ... TO " + user +
                                    ", or leave them out of source.tables)");
}

Status Snapshot::Plan() {
  auto conn = Connect(options_.dsn, ConnKind::kSql);
  if (!conn.ok()) return conn.status();
  PGconn* c = conn->get();
  CDC_RETURN_IF_ERROR(snapshot_internal::ImportSnapshot(c, options_.snapshot_name));
  const int version = PQserverVersion(c);
  const bool pg15 = version >= 150000;
  const char* encoding = PQparameterStatus(c, "client_encoding");
  const bool utf8_client = encoding != nullptr && std::string_view(encoding) == "UTF8";
  const std::string pub = QuoteLiteral(c, options_.publication);
  auto tables = Exec(c,
                     "SELECT c.oid, n.nspname, c.relname, c.relreplident, "
                     "pg_relation_size(c.oid) / current_setting('block_size')::bigint, "
                     "c.reltuples::bigint, " +
                         std::string(pg15 ? "pt.rowfilter" : "NULL") + ", c.relkind = 'p'" +
                         " FROM pg_publication_tables pt JOIN pg_namespace n ON n.nspname = "
                         "pt.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = "
                         "pt.tablename WHERE pt.pubname = " +
                         pub + " ORDER BY 5 DESC, 2, 3");
  if (!tables.ok())
    return tables.status().WithContext("snapshot: listing the publication's tables");
  PGresult* tr = tables->get();
  std::vector<std::string> keyless;  // warned about together, after the loop
  size_t binary_tables = 0;
  std::string first_why_text;  // the first table read as text, and why
  for (int i = 0; i < PQntuples(tr); ++i) {
    pgoutput::Relation rel;
    rel.oid = static_cast<uint32_t>(std::strtoul(PQgetvalue(tr, i, 0), nullptr, 10));
    rel.nspname = PQgetvalue(tr, i, 1);
    rel.relname = PQgetvalue(tr, i, 2);
    rel.replica_identity = PQgetvalue(tr, i, 3)[0];
    const std::string name = rel.nspname + "." + rel.relname;
    // relations_ also captures a leaf listed under its own name (source.partitions: leaves).
    if (!relations_.Captured(name) || options_.done_tables.count(name)) continue;
    const std::string oid = std::to_string(rel.oid);
    // The columns exactly as pgoutput announces them.
    CDC_RETURN_IF_ERROR(
        ReadPublishedColumns(c, options_.publication, &rel).WithContext("snapshot"));
    auto t = std::make_unique<Table>(this);
    t->name = name;
    t->copy_source = QuoteIdent(c, rel.nspname) + "." + QuoteIdent(c, rel.relname);
    for (size_t j = 0; j < rel.columns.size(); ++j) {
      if (j) t->columns += ", ";
      t->columns += QuoteIdent(c, rel.columns[j].name);
    }
    if (!PQgetisnull(tr, i, 6)) t->row_filter = PQgetvalue(tr, i, 6);
    t->pages = std::strtoll(PQgetvalue(tr, i, 4), nullptr, 10);
    t->estimate = std::strtoll(PQgetvalue(tr, i, 5), nullptr, 10);

    auto schema = relations_.Update(std::move(rel), /*captured=*/true);
    if (!schema.ok()) return schema.status().WithContext("snapshot of " + name);
    t->schema = *schema;
    if (t->schema->key_columns.empty()) keyless.push_back(name);
    std::string why_text;
    auto binary =
        ReadsBinary(options_.value_transfer, version, utf8_client, name, *t->schema, &why_text);
    if (!binary.ok()) return binary.status();
    t->binary = *binary;
    if (t->binary) ++binary_tables;
    if (!t->binary && !why_text.empty()) {
      spdlog::debug("snapshot: {} is read with text COPY, because {}", name, why_text);
      if (first_why_text.empty()) first_why_text = why_text;
    }

    // A partitioned table (listed under publish_via_partition_root) is read from its leaves,
    // each labelled with the table: the parent has no storage of its own.
    std::vector<std::pair<std::string, int64_t>> sources;  // quoted source (empty: the table)
    if (PQgetvalue(tr, i, 7)[0] == 't') {
      t->pages = 0;
      t->estimate = 0;
      auto leaves = Exec(c,
                         "SELECT n.nspname, l.relname, pg_relation_size(l.oid) / "
                         "current_setting('block_size')::bigint, GREATEST(l.reltuples, 0)::bigint "
                         "FROM pg_partition_tree(" +
                             oid +
                             ") p JOIN pg_class l ON l.oid = p.relid JOIN pg_namespace n ON "
                             "n.oid = l.relnamespace WHERE p.isleaf AND l.relkind = 'r' ORDER BY "
                             "3 DESC");
      if (!leaves.ok()) return leaves.status().WithContext("snapshot: partitions of " + name);
      for (int j = 0; j < PQntuples(leaves->get()); ++j) {
        const int64_t pages = std::strtoll(PQgetvalue(leaves->get(), j, 2), nullptr, 10);
        sources.emplace_back(QuoteIdent(c, PQgetvalue(leaves->get(), j, 0)) + "." +
                                 QuoteIdent(c, PQgetvalue(leaves->get(), j, 1)),
                             pages);
        t->pages += pages;
        t->estimate += std::strtoll(PQgetvalue(leaves->get(), j, 3), nullptr, 10);
      }
    } else {
      sources.emplace_back(std::string(), t->pages);
    }

    // CTID ranges need a TID range scan (14+) to be cheap; before that a table is read whole.
    const size_t index = tables_.size();
    int64_t n_all = 0;
    for (const auto& [source, pages] : sources) {
      int64_t n = 1;
      if (version >= 140000 && pages > 0) {
        n = (pages + options_.chunk_pages - 1) / options_.chunk_pages;
        if (pages >= kMinSplitPages) n = std::max<int64_t>(n, options_.parallelism);
        n = std::min(n, pages);
      }
      const int64_t step = (pages + n - 1) / std::max<int64_t>(n, 1);
      for (int64_t k = 0; k < n; ++k) {
        Range r;
        r.table = index;
        r.whole = n == 1;
        r.first_page = k * step;
        r.end_page = k + 1 == n ? -1 : (k + 1) * step;
        r.source = source;
        ranges_.push_back(r);
      }
      n_all += n;
    }
    const int64_t n = n_all;
    t->ranges = static_cast<int>(n);
    t->ranges_left.store(t->ranges);
    tables_.push_back(std::move(t));
  }
  (void)Exec(c, "COMMIT", PGRES_COMMAND_OK);
  if (options_.value_transfer == config::ValueTransfer::kText) {
    spdlog::info("snapshot copy: text (configured)");
  } else if (binary_tables == tables_.size()) {
    spdlog::info("snapshot copy: binary (FORMAT binary) for all {} tables", tables_.size());
  } else if (binary_tables == 0) {
    spdlog::info("snapshot copy: text, because {}", first_why_text);
  } else {
    spdlog::info("snapshot copy: binary for {} of {} tables; text for the others, first because {}",
                 binary_tables, tables_.size(), first_why_text);
  }
  if (keyless.size() <= kNamesShown) {
    for (const auto& name : keyless) {
      spdlog::warn(
          "table {} has no primary key (or replica identity index): its events have a "
          "null key",
          name);
    }
  } else {
    spdlog::warn(
        "{} tables have no primary key (or replica identity index), so their events "
        "have a null key: {} (log.level debug lists every table)",
        keyless.size(), FirstNames(keyless));
    spdlog::debug("tables without a primary key (or replica identity index): {}",
                  AllNames(keyless));
  }
  return Status::Ok();
}

}  // namespace cdc::connector
