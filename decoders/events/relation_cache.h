#pragma once

// RelationCache: the per-session map from relation OID to everything needed to turn that
// relation's tuples into events: the pgoutput Relation, column codecs, key columns, and a
// version number that encoders key their per-relation caches by.
//
// Every Relation message replaces the entry for its OID (never merged), as pgoutput requires.
// The cache must be cleared when the replication session restarts. Owned and called by the
// replication thread only.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "decoders/events/event_options.h"
#include "decoders/values/column_codec.h"
#include "decoders/wire/pgoutput_messages.h"

namespace cdc {

// What the stream does not carry and the catalog does: the primary key (Debezium keys events by
// it even under REPLICA IDENTITY FULL) and NOT NULL columns (schema "optional"). `known` is
// false when the catalog could not be read; the key then falls back to the replica identity.
struct CatalogHints {
  bool known = false;
  std::vector<std::string> primary_key;
  std::unordered_set<std::string> not_null;
  // Column default expressions (pg_get_expr of pg_attrdef.adbin), by column name.
  std::unordered_map<std::string, std::string> defaults;
  // Types of the columns that are not built in (enums, domains, arrays of them, extensions).
  std::unordered_map<uint32_t, TypeInfo> types;
  // Configuration, not catalog: columns left out of images and schemas (never key columns), and
  // columns that key the events instead of the primary key (message_key_columns).
  std::unordered_set<std::string> excluded_columns;
  std::vector<std::string> key_override;
  // Where the table's records go: the connector's naming policy (connector/topic_names.h).
  std::string topic;
};

struct TableSchema {
  pgoutput::Relation relation;
  std::string qualified_name;  // schema.table
  std::string topic;           // from CatalogHints::topic (empty for tables not captured)
  bool captured = true;        // false: in the publication but outside the include list
  uint64_t version = 0;        // increases with every Relation message for this OID

  std::vector<ColumnCodec> codecs;  // one per relation column
  std::vector<bool> optional;       // one per relation column
  // One per relation column: the default Debezium declares in the schema, in PostgreSQL's text
  // form (values/column_default.h); a key-only old row fills a NOT NULL column with it.
  std::vector<std::optional<std::string>> defaults;
  std::vector<bool> included;  // one per relation column: false = excluded or skipped
  // One per relation column (or empty): the __debezium.source.column.* parameters its Value
  // field carries under EventOptions::propagate_source_type; empty for the others. Key fields
  // never carry them, as in Debezium.
  std::vector<SchemaParameters> source_parameters;
  std::vector<size_t> key_columns;  // indices into relation.columns; empty: null key
  // The names every format spells, after Debezium's name adjustment (event_options.h): one field
  // name per relation column, and the record schemas' full names. RelationCache::Update fills
  // them; a TableSchema built by hand (tests) may leave them empty, then the accessors give the
  // unadjusted names.
  std::vector<std::string> field_names;
  std::string key_name;       // <topic>.Key
  std::string value_name;     // <topic>.Value
  std::string envelope_name;  // <topic>.Envelope
  const std::string& FieldName(size_t i) const {
    return i < field_names.size() ? field_names[i] : relation.columns[i].name;
  }
  std::string KeyName() const { return key_name.empty() ? topic + ".Key" : key_name; }
  std::string ValueName() const { return value_name.empty() ? topic + ".Value" : value_name; }
  std::string EnvelopeName() const {
    return envelope_name.empty() ? topic + ".Envelope" : envelope_name;
  }
  // What a format spells once per relation version (schemas, quoted names) its encoder caches,
  // keyed by `version` (json_encoder.h): nothing format-specific lives here.
};

class RelationCache {
 public:
  explicit RelationCache(const EventOptions& options) : options_(options) {}

  // Remembers a Type message (user types, domains, enums).
  void AddType(const pgoutput::Type& type);

  // Replaces the entry for relation.oid. The returned pointer is valid until the next Update for
  // the same OID or Clear(). Fails, naming the column, when a column's type cannot be mapped and
  // the policy is `fail`, or when a key override names a missing column.
  Result<const TableSchema*> Update(pgoutput::Relation relation, const CatalogHints& hints,
                                    bool captured);

  // nullptr when no Relation was received for `oid` in this session (a protocol error).
  const TableSchema* Find(uint32_t oid) const {
    auto it = tables_.find(oid);
    return it == tables_.end() ? nullptr : it->second.get();
  }

  void Clear() {
    tables_.clear();
    types_.clear();
  }

 private:
  uint32_t ResolveType(uint32_t oid) const;

  const EventOptions& options_;
  std::unordered_map<uint32_t, std::unique_ptr<TableSchema>> tables_;
  std::unordered_map<uint32_t, pgoutput::Type> types_;
  uint64_t next_version_ = 1;
};

}  // namespace cdc
