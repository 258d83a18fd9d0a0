#pragma once

// RelationRegistry: the one place a pgoutput Relation becomes a TableSchema, for the stream, the
// snapshot's plan, a resumed snapshot's peek and the value-transfer decision alike: for a
// captured relation, the catalog's hints (primary key, NOT NULL, types; CatalogReader) and the
// configured excludes and key overrides (CaptureRules), then the RelationCache. The same
// relation therefore gets the same key, columns and codecs whichever path reads it.
//
// Borrowed pointers must outlive it. One instance per thread that reads relations (the
// CatalogReader holds a connection).

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "connector/capture_rules.h"
#include "connector/catalog_reader.h"
#include "decoders/events/relation_cache.h"

namespace cdc::connector {

class RelationRegistry {
 public:
  RelationRegistry(const EventOptions& options, const CaptureRules* rules, CatalogReader* catalog)
      : rules_(rules), catalog_(catalog), cache_(options) {}

  // Whether the include list captures `qualified_name` (schema.table): it names the table, or,
  // for a partition, one of the partitioned tables above it (source.partitions: leaves streams
  // and snapshots leaves under their own names). The second asks the catalog, so only names the
  // list does not match cost a query (Relation messages are rare).
  bool Captured(const std::string& qualified_name) const;

  // Replaces the entry for rel.oid; `captured` relations get the catalog's and the rules' hints.
  // `hints_out`, when given, receives them (for the caller's warnings). FailedPrecondition when
  // the relation's topic is another captured table's (a table created or renamed while
  // streaming whose sanitised name collides): no topic ever mixes two tables.
  Result<const TableSchema*> Update(pgoutput::Relation rel, bool captured,
                                    CatalogHints* hints_out = nullptr);
  void AddType(const pgoutput::Type& type) { cache_.AddType(type); }
  const TableSchema* Find(uint32_t oid) const { return cache_.Find(oid); }
  void Clear() { cache_.Clear(); }

 private:
  Status ClaimTopic(const pgoutput::Relation& rel, const std::string& topic);

  const CaptureRules* rules_;
  CatalogReader* catalog_;
  RelationCache cache_;
  // The topics captured relations publish to, for the collision check: topic -> (oid, quoted
  // name) and oid -> topic. A relation that changes topic (a rename) releases its old one; a
  // table dropped and created again under its name takes over its topic.
  std::map<std::string, std::pair<uint32_t, std::string>> topic_owner_;
  std::map<uint32_t, std::string> topic_of_;
};

}  // namespace cdc::connector
