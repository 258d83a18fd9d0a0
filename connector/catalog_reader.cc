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
    return hints;
  }
  return hints;
}

}  // namespace cdc::connector
