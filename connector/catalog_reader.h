#pragma once

// CatalogReader: looks up what pgoutput's Relation message does not carry, on a plain SQL
// connection of its own: a relation's primary key, NOT NULL columns and column defaults (decoders'
// CatalogHints). Queried once per Relation message, which is rare (first use per session and after
// DDL), so a blocking query on the replication thread is acceptable.
//
// The live catalog may be newer than the WAL position being decoded; like Debezium, pgcdc accepts
// that for key and nullability metadata, and never uses it for the column list or types.

#include <string>
#include <utility>
#include <vector>

#include "connector/pg_connection.h"
#include "decoders/events/relation_cache.h"

namespace cdc::connector {

// Fills rel->columns as pgoutput's Relation message would announce them for publication
// `publication`: no dropped or generated columns, only the publication's column list
// (PostgreSQL 15+), flagged when part of the replica identity. rel->oid, nspname and relname
// must be set. For the readers that build a relation without a Relation message (the initial
// and incremental snapshots), so they see the same columns the stream does.
Status ReadPublishedColumns(PGconn* c, const std::string& publication, pgoutput::Relation* rel);

class CatalogReader {
 public:
  explicit CatalogReader(std::string dsn) : dsn_(std::move(dsn)) {}

  // Returns hints with known=false (and logs why) when the catalog cannot be read; the caller then
  // keys by the replica identity.
  CatalogHints Lookup(uint32_t relation_oid);

  // The partitioned tables above the partition named `qualified_name` ("schema.table", as a
  // Relation message names it), nearest first, as (schema, table); none for a table that is not
  // a partition. In source.partitions: leaves, pgoutput names a leaf, and the leaf is captured
  // when the include list names one of these.
  Result<std::vector<std::pair<std::string, std::string>>> PartitionAncestors(
      const std::string& qualified_name);

 private:
  // The connection, (re)opened when needed.
  Result<PGconn*> Conn();

  std::string dsn_;
  PgConnPtr conn_;
};

}  // namespace cdc::connector
