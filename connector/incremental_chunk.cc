#include "connector/incremental_chunk.h"

#include <algorithm>
#include <cstdlib>

namespace cdc::connector {

namespace {

// (k1, ..., kn)
std::string KeyRow(const ChunkTable& t) {
  std::string s = "(";
  for (size_t i = 0; i < t.key_exprs.size(); ++i) s += (i ? ", " : "") + t.key_exprs[i];
  return s + ")";
}

// ('v1'::type1, ...): a row value to compare the key with.
std::string Literal(PGconn* c, const ChunkTable& t, const KeyValues& k) {
  std::string s = "(";
  for (size_t i = 0; i < k.size() && i < t.key_types.size(); ++i) {
    s += (i ? ", " : "") + (k[i] ? QuoteLiteral(c, *k[i]) : std::string("NULL")) +
         "::" + t.key_types[i];
  }
  return s + ")";
}

uint64_t ParseU64(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 10); }

}  // namespace

bool ChunkSnapshot::Sees(uint32_t xid) const {
  // pgoutput's xids are 32 bits, the snapshot's 64: compare modulo 2^32, as PostgreSQL does.
  auto precedes = [](uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; };
  const auto lo = [](uint64_t x) { return static_cast<uint32_t>(x & 0xffffffffu); };
  if (precedes(xid, lo(xmin))) return true;
  if (!precedes(xid, lo(xmax))) return false;
  return std::none_of(xip.begin(), xip.end(), [&](uint64_t x) { return lo(x) == xid; });
}

KeyValues ChunkRows::Key(int row, const ChunkTable& t) const {
  KeyValues k;
  for (size_t i = 0; i < t.key_exprs.size(); ++i) {
    const int col = static_cast<int>(t.column_count + i);
    if (PQgetisnull(result.get(), row, col)) {
      k.emplace_back();
    } else {
      k.emplace_back(PQgetvalue(result.get(), row, col));
    }
  }
  return k;
}

Result<ChunkTable> DescribeChunkTable(PGconn* c, const std::string& publication,
                                      const IncrementalTable& table, RelationRegistry* registry) {
  const bool pg15 = PQserverVersion(c) >= 150000;
  const std::string pub = QuoteLiteral(c, publication);
  const auto dot = table.name.find('.');
  const std::string schema = table.name.substr(0, dot);
  const std::string relname = dot == std::string::npos ? "" : table.name.substr(dot + 1);
  auto found =
      Exec(c, "SELECT c.oid, c.relreplident, " + std::string(pg15 ? "pt.rowfilter" : "NULL") +
                  " FROM pg_publication_tables pt JOIN pg_namespace n ON n.nspname = "
                  "pt.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND "
                  "c.relname = pt.tablename WHERE pt.pubname = " +
                  pub + " AND pt.schemaname = " + QuoteLiteral(c, schema) +
                  " AND pt.tablename = " + QuoteLiteral(c, relname));
  if (!found.ok()) return found.status().WithContext("incremental snapshot of " + table.name);
  if (PQntuples(found->get()) == 0) {
    return Status::FailedPrecondition("incremental snapshot of " + table.name +
                                      " refused: the table is not in publication " + publication);
  }
  pgoutput::Relation rel;
  rel.oid = static_cast<uint32_t>(std::strtoul(PQgetvalue(found->get(), 0, 0), nullptr, 10));
  rel.nspname = schema;
  rel.relname = relname;
  rel.replica_identity = PQgetvalue(found->get(), 0, 1)[0];
  const std::string oid = std::to_string(rel.oid);
  CDC_RETURN_IF_ERROR(ReadPublishedColumns(c, publication, &rel)
                          .WithContext("incremental snapshot of " + table.name));
  ChunkTable t;
  t.name = table.name;
  t.from = QuoteIdent(c, schema) + "." + QuoteIdent(c, relname);
  for (size_t j = 0; j < rel.columns.size(); ++j) {
    t.columns += (j ? ", " : "") + QuoteIdent(c, rel.columns[j].name);
  }
  t.column_count = rel.columns.size();

  // The paging key: the surrogate key, else the primary key, else the replica identity index.
  std::string key_sql;
  if (!table.surrogate_key.empty()) {
    key_sql =
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = " +
        oid + " AND a.attname = " + QuoteLiteral(c, table.surrogate_key) +
        " AND NOT a.attisdropped";
  } else {
    key_sql =
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_index i CROSS JOIN "
        "LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a ON "
        "a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE i.indrelid = " +
        oid + " AND i.indexrelid = (SELECT indexrelid FROM pg_index WHERE indrelid = " + oid +
        " AND (indisprimary OR indisreplident) ORDER BY indisprimary DESC LIMIT 1) ORDER BY k.ord";
  }
  auto keys = Exec(c, key_sql);
  if (!keys.ok()) return keys.status().WithContext("incremental snapshot: key of " + table.name);
  if (PQntuples(keys->get()) == 0) {
    if (!table.surrogate_key.empty()) {
      return Status::FailedPrecondition("incremental snapshot of " + table.name +
                                        " refused: surrogate-key column '" + table.surrogate_key +
                                        "' does not exist");
    }
    return Status::FailedPrecondition(
        "incremental snapshot of " + table.name +
        " refused: the table has no primary key (nor replica identity index); name a unique "
        "NOT NULL column as surrogate-key in the execute-snapshot signal");
  }
  for (int j = 0; j < PQntuples(keys->get()); ++j) {
    t.key_exprs.push_back(QuoteIdent(c, PQgetvalue(keys->get(), j, 0)));
    t.key_types.push_back(PQgetvalue(keys->get(), j, 1));
  }
  std::string row_filter;
  if (!PQgetisnull(found->get(), 0, 2)) row_filter = PQgetvalue(found->get(), 0, 2);
  if (!row_filter.empty()) t.where = "(" + row_filter + ")";
  if (!table.filter.empty()) t.where += (t.where.empty() ? "(" : " AND (") + table.filter + ")";

  auto schema_ptr = registry->Update(std::move(rel), /*captured=*/true);
  if (!schema_ptr.ok()) return schema_ptr.status().WithContext("incremental snapshot of " + t.name);
  t.schema = *schema_ptr;
  if (t.schema->key_columns.empty()) {
    // The window de-duplicates by the events' key; with a null key nothing matches.
    return Status::FailedPrecondition(
        "incremental snapshot of " + t.name +
        " refused: its events have a null key (no primary key), so changes during the snapshot "
        "cannot be matched with its rows; give the events a key with format.message_key_columns "
        "and name that column as surrogate-key");
  }
  return t;
}

Result<std::optional<KeyValues>> ReadMaxKey(PGconn* c, const ChunkTable& t) {
  std::string q = "SELECT ";
  for (size_t i = 0; i < t.key_exprs.size(); ++i) q += (i ? ", " : "") + t.key_exprs[i];
  q += " FROM " + t.from + (t.where.empty() ? "" : " WHERE " + t.where) + " ORDER BY ";
  for (size_t i = 0; i < t.key_exprs.size(); ++i) q += (i ? ", " : "") + t.key_exprs[i] + " DESC";
  q += " LIMIT 1";
  auto res = Exec(c, q);
  if (!res.ok()) return res.status().WithContext("incremental snapshot of " + t.name);
  if (PQntuples(res->get()) == 0) return std::optional<KeyValues>();
  KeyValues k;
  for (int i = 0; i < PQnfields(res->get()); ++i) {
    if (PQgetisnull(res->get(), 0, i)) {
      k.emplace_back();
    } else {
      k.emplace_back(PQgetvalue(res->get(), 0, i));
    }
  }
  return std::optional<KeyValues>(std::move(k));
}

Result<ChunkRows> ReadChunk(PGconn* c, const ChunkTable& t, const std::optional<KeyValues>& cursor,
                            const KeyValues& max_key, int limit) {
  const std::string key = KeyRow(t);
  std::string q = "SELECT " + t.columns;
  // Aliased: an output column named like a key column would make ORDER BY ambiguous.
  for (size_t i = 0; i < t.key_exprs.size(); ++i) {
    q += ", " + t.key_exprs[i] + "::text AS __pgcdc_key" + std::to_string(i);
  }
  q += " FROM " + t.from + " WHERE " + key + " <= " + Literal(c, t, max_key);
  if (cursor) q += " AND " + key + " > " + Literal(c, t, *cursor);
  if (!t.where.empty()) q += " AND " + t.where;
  q += " ORDER BY ";
  for (size_t i = 0; i < t.key_exprs.size(); ++i) q += (i ? ", " : "") + t.key_exprs[i];
  q += " LIMIT " + std::to_string(limit);

  CDC_RETURN_IF_ERROR(
      Exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", PGRES_COMMAND_OK).status());
  ChunkRows out;
  Status s;
  // The snapshot first: the SELECT sees exactly it (REPEATABLE READ takes it at the first query).
  auto snap = Exec(c,
                   "SELECT pg_snapshot_xmin(s)::text, pg_snapshot_xmax(s)::text, "
                   "COALESCE((SELECT string_agg(x::text, ',') FROM pg_snapshot_xip(s) x), ''), "
                   "pg_current_wal_lsn()::text FROM pg_current_snapshot() s");
  if (!snap.ok()) s = snap.status();
  if (s.ok()) {
    PGresult* r = snap->get();
    out.snapshot.xmin = ParseU64(PQgetvalue(r, 0, 0));
    out.snapshot.xmax = ParseU64(PQgetvalue(r, 0, 1));
    std::string xip = PQgetvalue(r, 0, 2);
    for (size_t pos = 0; pos < xip.size();) {
      size_t comma = xip.find(',', pos);
      if (comma == std::string::npos) comma = xip.size();
      out.snapshot.xip.push_back(ParseU64(xip.substr(pos, comma - pos)));
      pos = comma + 1;
    }
    auto lsn = Lsn::Parse(PQgetvalue(r, 0, 3));
    if (lsn.ok()) out.snapshot.wal_lsn = *lsn;
    auto rows = Exec(c, q);
    if (rows.ok()) {
      out.result = std::move(*rows);
    } else {
      s = rows.status();
    }
  }
  Status end = Exec(c, s.ok() ? "COMMIT" : "ROLLBACK", PGRES_COMMAND_OK).status();
  if (!s.ok()) return s.WithContext("incremental snapshot of " + t.name);
  if (!end.ok()) return end;
  return out;
}

}  // namespace cdc::connector
