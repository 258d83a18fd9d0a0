#include "connector/transfer_mode.h"

#include <cstdlib>
#include <map>

#include "connector/pg_connection.h"
#include "connector/relation_registry.h"
#include "decoders/events/relation_cache.h"
#include "decoders/values/pg_binary.h"

namespace cdc::connector {

namespace {

// The first captured, included column of the publication that binary transfer cannot carry, as
// "schema.table.column has type T"; "" when there is none.
Result<std::string> FirstTextOnlyColumn(const TransferInputs& in, const std::string& dsn,
                                        const CaptureRules& rules, CatalogReader& catalog,
                                        const EventOptions& options) {
  auto conn = Connect(dsn, ConnKind::kSql);
  if (!conn.ok()) return conn.status();
  PGconn* c = conn->get();
  // The columns as pgoutput announces them (no dropped columns), per published table.
  auto res = Exec(c,
                  "SELECT c.oid, n.nspname, c.relname, a.attname, a.atttypid, a.atttypmod "
                  "FROM pg_publication_tables pt JOIN pg_namespace n ON n.nspname = "
                  "pt.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = "
                  "pt.tablename JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND "
                  "NOT a.attisdropped WHERE pt.pubname = " +
                      QuoteLiteral(c, in.publication) + " ORDER BY 2, 3, a.attnum");
  if (!res.ok()) {
    return Status::Unavailable(res.status().message())
        .WithContext("deciding source.value_transfer");
  }
  PGresult* r = res->get();
  std::map<uint32_t, pgoutput::Relation> tables;  // by OID, in catalog order of first sight
  std::vector<uint32_t> order;
  for (int i = 0; i < PQntuples(r); ++i) {
    const auto oid = static_cast<uint32_t>(std::strtoul(PQgetvalue(r, i, 0), nullptr, 10));
    auto [it, inserted] = tables.try_emplace(oid);
    pgoutput::Relation& rel = it->second;
    if (inserted) {
      order.push_back(oid);
      rel.oid = oid;
      rel.nspname = PQgetvalue(r, i, 1);
      rel.relname = PQgetvalue(r, i, 2);
    }
    pgoutput::Column col;
    col.name = PQgetvalue(r, i, 3);
    col.type_oid = static_cast<uint32_t>(std::strtoul(PQgetvalue(r, i, 4), nullptr, 10));
    col.typmod = std::atoi(PQgetvalue(r, i, 5));
    rel.columns.push_back(std::move(col));
  }
  RelationRegistry registry(options, &rules, &catalog);
  for (uint32_t oid : order) {
    pgoutput::Relation& rel = tables[oid];
    const std::string name = rel.nspname + "." + rel.relname;
    if (!registry.Captured(name)) continue;
    auto schema = registry.Update(rel, /*captured=*/true);
    // A table pgcdc cannot map at all fails the session on its Relation message with the
    // exact reason; that does not depend on the transfer mode.
    if (!schema.ok()) continue;
    const TableSchema& t = **schema;
    for (size_t i = 0; i < t.codecs.size(); ++i) {
      if (!t.included[i] || BinaryDecodable(t.codecs[i], in.utf8_client)) continue;
      return name + "." + t.relation.columns[i].name + " has type " +
             BinaryUndecodableTypeName(t.codecs[i]) + UnknownTypeNote(t.codecs[i].type);
    }
  }
  return std::string();
}

}  // namespace

Result<TransferDecision> DecideValueTransfer(const TransferInputs& in, const std::string& dsn,
                                             const CaptureRules& rules, CatalogReader& catalog,
                                             const EventOptions& options) {
  using config::ValueTransfer;
  TransferDecision d;
  if (in.mode == ValueTransfer::kText) return d;
  if (in.server_version < 140000) {
    if (in.mode == ValueTransfer::kBinary) {
      return Status::FailedPrecondition(
          "source.value_transfer: binary needs PostgreSQL 14 or later (pgoutput's binary "
          "option); this server is " +
          std::to_string(in.server_version) + "; use auto or text");
    }
    d.why_text = "PostgreSQL before 14 has no binary transfer";
    return d;
  }
  if (in.text_required) {
    if (in.mode == ValueTransfer::kBinary) {
      return Status::FailedPrecondition(
          "source.value_transfer: binary, but a captured column's type arrived that pgcdc "
          "decodes only in text form (see the line before); use auto or text");
    }
    d.why_text = "a binary value of a type pgcdc decodes only as text arrived earlier";
    return d;
  }
  auto column = FirstTextOnlyColumn(in, dsn, rules, catalog, options);
  if (!column.ok()) return column.status();
  if (column->empty()) {
    d.binary = true;
    return d;
  }
  if (in.mode == ValueTransfer::kBinary) {
    return Status::FailedPrecondition("source.value_transfer: binary, but " + *column +
                                      ", which pgcdc decodes only in text form; use auto (text "
                                      "for such tables) or text, or leave the column out");
  }
  d.why_text = *column;
  return d;
}

std::string DescribeTransfer(const TransferInputs& in, const TransferDecision& d) {
  if (d.binary) return "value transfer: binary (pgoutput binary format)";
  if (in.mode == config::ValueTransfer::kText) return "value transfer: text (configured)";
  return "value transfer: text, because " + d.why_text;
}

}  // namespace cdc::connector
