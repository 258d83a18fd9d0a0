#include "connector/catalog_reader.h"

#include <spdlog/spdlog.h>

namespace cdc::connector {

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
                    "SELECT a.attname, a.attnotnull, COALESCE(a.attnum = ANY(i.indkey), false) "
                    "FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND "
                    "i.indisprimary WHERE a.attrelid = " +
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
    }
    hints.known = PQntuples(r) > 0;  // none: the table was dropped since

    // The columns' types, their array elements and domain bases (built-in ones too, so an
    // unmapped built-in type such as box is named in errors).
    auto types = Exec(conn_.get(),
                      "WITH cols AS (SELECT atttypid AS oid FROM pg_attribute WHERE attrelid = " +
                          std::to_string(oid) +
                          " AND attnum > 0 AND NOT attisdropped), "
                          "ts AS (SELECT oid FROM cols UNION SELECT t.typelem FROM pg_type t JOIN "
                          "cols USING (oid) UNION SELECT t.typbasetype FROM pg_type t JOIN cols "
                          "USING (oid)) "
                          "SELECT t.oid, t.typtype, t.typname, t.typcategory, t.typelem, "
                          "t.typbasetype, COALESCE((SELECT string_agg(e.enumlabel, ',' ORDER BY "
                          "e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '') "
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
      hints.types.emplace(static_cast<uint32_t>(std::strtoul(PQgetvalue(tr, i, 0), nullptr, 10)),
                          std::move(info));
    }
    return hints;
  }
  return hints;
}

}  // namespace cdc::connector
