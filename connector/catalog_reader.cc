#include "connector/catalog_reader.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace cdc::connector {

Status ReadPublishedColumns(PGconn* c, const std::string& publication, pgoutput::Relation* rel) {
  const bool pg15 = PQserverVersion(c) >= 150000;
  auto cols = Exec(
      c,
      "SELECT a.attname, a.atttypid, a.atttypmod, COALESCE(CASE c.relreplident "
      "WHEN 'f' THEN true "
      "WHEN 'd' THEN a.attnum = ANY((SELECT i.indkey FROM pg_index i WHERE i.indrelid = "
      "c.oid AND i.indisprimary)::int2[]) "
      "WHEN 'i' THEN a.attnum = ANY((SELECT i.indkey FROM pg_index i WHERE i.indrelid = "
      "c.oid AND i.indisreplident)::int2[]) ELSE false END, false) "
      "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE a.attrelid = " +
          std::to_string(rel->oid) + " AND a.attnum > 0 AND NOT a.attisdropped AND " +
          "a.attgenerated = ''" +
          (pg15 ? " AND a.attname IN (SELECT unnest(pt.attnames) FROM pg_publication_tables pt "
                  "WHERE pt.pubname = " +
                      QuoteLiteral(c, publication) +
                      " AND pt.schemaname = " + QuoteLiteral(c, rel->nspname) +
                      " AND pt.tablename = " + QuoteLiteral(c, rel->relname) + ")"
                : std::string()) +
          " ORDER BY a.attnum");
  if (!cols.ok())
    return cols.status().WithContext("columns of " + rel->nspname + "." + rel->relname);
  rel->columns.clear();
  for (int j = 0; j < PQntuples(cols->get()); ++j) {
    pgoutput::Column col;
    col.name = PQgetvalue(cols->get(), j, 0);
    col.type_oid = static_cast<uint32_t>(std::strtoul(PQgetvalue(cols->get(), j, 1), nullptr, 10));
    col.typmod = std::atoi(PQgetvalue(cols->get(), j, 2));
    col.flags = PQgetvalue(cols->get(), j, 3)[0] == 't' ? 1 : 0;
    rel->columns.push_back(std::move(col));
  }
  return Status::Ok();
}

Result<PGconn*> CatalogReader::Conn() {
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    auto c = Connect(dsn_, ConnKind::kSql);
    if (!c.ok()) return c.status();
    conn_ = std::move(*c);
  }
  return conn_.get();
}

Result<std::vector<std::pair<std::string, std::string>>> CatalogReader::PartitionAncestors(
    const std::string& qualified_name) {
  std::vector<std::pair<std::string, std::string>> out;
  Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto c = Conn();
    if (!c.ok()) return c.status();
    // Matched on the joined name, as the stream has it, so that dots in names need no parsing.
    // pg_partition_ancestors lists the partition itself first, then its ancestors upwards.
    auto res = Exec(*c,
                    "SELECT an.nspname, a.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
                    "c.relnamespace, LATERAL pg_partition_ancestors(c.oid) WITH ORDINALITY "
                    "p(relid, depth) JOIN pg_class a ON a.oid = p.relid JOIN pg_namespace an ON "
                    "an.oid = a.relnamespace WHERE c.relispartition AND n.nspname || '.' || "
                    "c.relname = " +
                        QuoteLiteral(*c, qualified_name) + " AND a.oid <> c.oid ORDER BY p.depth");
    if (!res.ok()) {
      last = res.status();
      conn_.reset();
      continue;
    }
    for (int i = 0; i < PQntuples(res->get()); ++i) {
      out.emplace_back(PQgetvalue(res->get(), i, 0), PQgetvalue(res->get(), i, 1));
    }
    return out;
  }
  return last.WithContext("reading the partitions above " + qualified_name);
}

CatalogHints CatalogReader::Lookup(uint32_t oid) {
  CatalogHints hints;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
      auto c = Connect(dsn_, ConnKind::kSql);
      if (!c.ok()) {
        spdlog::warn("catalog lookup for relation {} failed: {}", oid, c.status().message());
        return hints;
      }
      conn_ = std::move(*c);
    }
    auto res = Exec(conn_.get(),
                    "SELECT a.attname, a.attnotnull, COALESCE(a.attnum = ANY(i.indkey), false), "
                    "CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END "
                    "FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND "
                    "i.indisprimary LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND "
                    "d.adnum = a.attnum WHERE a.attrelid = " +
                        std::to_string(oid) +
                        " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum");
    if (!res.ok()) {
      spdlog::warn("catalog lookup for relation {} failed: {}", oid, res.status().message());
      conn_.reset();
      continue;
    }
    PGresult* r = res->get();
    for (int i = 0; i < PQntuples(r); ++i) {
      std::string name = PQgetvalue(r, i, 0);
      if (PQgetvalue(r, i, 1)[0] == 't') hints.not_null.insert(name);
      if (PQgetvalue(r, i, 2)[0] == 't') hints.primary_key.push_back(name);
      if (!PQgetisnull(r, i, 3)) hints.defaults.emplace(name, PQgetvalue(r, i, 3));
    }
    hints.known = PQntuples(r) > 0;  // none: the table was dropped since

    // The columns' types, their array elements and domain bases, down to the bottom of a
    // domain of a domain (whose modifier may sit on any level, values/source_column_type.h);
    // built-in ones too, so an unmapped built-in type such as box is named in errors.
    auto types =
        Exec(conn_.get(),
             "WITH RECURSIVE cols AS (SELECT atttypid AS oid FROM pg_attribute WHERE "
             "attrelid = " +
                 std::to_string(oid) +
                 " AND attnum > 0 AND NOT attisdropped), "
                 "ts(oid) AS (SELECT oid FROM cols UNION SELECT x FROM pg_type t JOIN ts "
                 "ON t.oid = ts.oid, unnest(ARRAY[t.typelem, t.typbasetype]) x WHERE "
                 "x <> 0) "
                 "SELECT t.oid, t.typtype, t.typname, t.typcategory, t.typelem, "
                 "t.typbasetype, COALESCE((SELECT string_agg(e.enumlabel, ',' ORDER BY "
                 "e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), ''), t.typtypmod "
                 "FROM pg_type t WHERE t.oid IN (SELECT oid FROM ts)");
    if (!types.ok()) {
      spdlog::warn("type lookup for relation {} failed: {}", oid, types.status().message());
      return hints;
    }
    PGresult* tr = types->get();
    for (int i = 0; i < PQntuples(tr); ++i) {
      TypeInfo info;
      info.typtype = PQgetvalue(tr, i, 1)[0];
      info.name = PQgetvalue(tr, i, 2);
      if (PQgetvalue(tr, i, 3)[0] == 'A') {
        info.element = static_cast<uint32_t>(std::strtoul(PQgetvalue(tr, i, 4), nullptr, 10));
      }
      info.base = static_cast<uint32_t>(std::strtoul(PQgetvalue(tr, i, 5), nullptr, 10));
      info.enum_labels = PQgetvalue(tr, i, 6);
      info.typmod = std::atoi(PQgetvalue(tr, i, 7));
      hints.types.emplace(static_cast<uint32_t>(std::strtoul(PQgetvalue(tr, i, 0), nullptr, 10)),
                          std::move(info));
    }
    return hints;
  }
  return hints;
}

}  // namespace cdc::connector
