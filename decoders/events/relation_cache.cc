#include "decoders/events/relation_cache.h"

#include <algorithm>
#include <string_view>

#include "decoders/values/column_default.h"
#include "decoders/values/pg_type_oids.h"
#include "decoders/values/source_column_type.h"

namespace cdc {

namespace {

// Built-in types by name, for types announced through Type messages: a domain arrives with its
// own OID but its base type's name (pgoutput.md §3.6).
uint32_t BuiltinOidByName(std::string_view name) {
  static const std::pair<std::string_view, uint32_t> kByName[] = {
      {"bool", pgtype::kBool},
      {"bytea", pgtype::kBytea},
      {"char", pgtype::kChar},
      {"name", pgtype::kName},
      {"int8", pgtype::kInt8},
      {"int2", pgtype::kInt2},
      {"int4", pgtype::kInt4},
      {"text", pgtype::kText},
      {"oid", pgtype::kOid},
      {"json", pgtype::kJson},
      {"xml", pgtype::kXml},
      {"cidr", pgtype::kCidr},
      {"float4", pgtype::kFloat4},
      {"float8", pgtype::kFloat8},
      {"macaddr8", pgtype::kMacaddr8},
      {"money", pgtype::kMoney},
      {"macaddr", pgtype::kMacaddr},
      {"inet", pgtype::kInet},
      {"bpchar", pgtype::kBpchar},
      {"varchar", pgtype::kVarchar},
      {"date", pgtype::kDate},
      {"time", pgtype::kTime},
      {"timestamp", pgtype::kTimestamp},
      {"timestamptz", pgtype::kTimestamptz},
      {"interval", pgtype::kInterval},
      {"timetz", pgtype::kTimetz},
      {"numeric", pgtype::kNumeric},
      {"uuid", pgtype::kUuid},
      {"jsonb", pgtype::kJsonb},
  };
  for (const auto& [n, oid] : kByName) {
    if (n == name) return oid;
  }
  return 0;
}

}  // namespace

void RelationCache::AddType(const pgoutput::Type& type) { types_[type.oid] = type; }

uint32_t RelationCache::ResolveType(uint32_t oid) const {
  if (oid < 10000) return oid;
  auto it = types_.find(oid);
  if (it == types_.end() || it->second.nspname != "pg_catalog") return oid;
  uint32_t builtin = BuiltinOidByName(it->second.typname);
  return builtin != 0 ? builtin : oid;
}

Result<const TableSchema*> RelationCache::Update(pgoutput::Relation relation,
                                                 const CatalogHints& hints, bool captured) {
  auto t = std::make_unique<TableSchema>();
  t->relation = std::move(relation);
  const auto& rel = t->relation;
  t->qualified_name = rel.nspname + "." + rel.relname;
  t->topic = hints.topic;
  t->captured = captured;
  t->version = next_version_++;

  const size_t n = rel.columns.size();
  t->codecs.reserve(n);
  TypeLookup lookup = [&hints](uint32_t oid) -> const TypeInfo* {
    auto it = hints.types.find(oid);
    return it == hints.types.end() ? nullptr : &it->second;
  };
  for (const auto& col : rel.columns) {
    t->codecs.push_back(
        CodecFor(ResolveType(col.type_oid), col.typmod, options_.converter, lookup));
  }

  // Key: under REPLICA IDENTITY USING INDEX, the index columns, because they are the only ones
  // pgoutput's old-key tuple carries (a primary-key key would be null for every delete).
  // Otherwise the primary key when the catalog names one, else the replica identity (DEFAULT).
  // FULL/NOTHING without a primary key: no key, like Debezium.
  auto in_pk = [&](const std::string& name) {
    return std::find(hints.primary_key.begin(), hints.primary_key.end(), name) !=
           hints.primary_key.end();
  };
  if (!hints.key_override.empty()) {
    for (const auto& name : hints.key_override) {
      auto it = std::find_if(rel.columns.begin(), rel.columns.end(),
                             [&](const pgoutput::Column& c) { return c.name == name; });
      if (it == rel.columns.end()) {
        return Status::InvalidArgument("format.message_key_columns: table " + t->qualified_name +
                                       " has no column '" + name + "'");
      }
      t->key_columns.push_back(static_cast<size_t>(it - rel.columns.begin()));
    }
    std::sort(t->key_columns.begin(), t->key_columns.end());
  } else if (rel.replica_identity == 'i' || (rel.replica_identity == 'd' && !hints.known)) {
    for (size_t i = 0; i < n; ++i) {
      if (rel.columns[i].is_key()) t->key_columns.push_back(i);
    }
  } else if (hints.known && !hints.primary_key.empty()) {
    for (size_t i = 0; i < n; ++i) {
      if (in_pk(rel.columns[i].name)) t->key_columns.push_back(i);
    }
  }
  t->included.assign(n, true);
  for (size_t i = 0; i < n; ++i) {
    const bool is_key =
        std::find(t->key_columns.begin(), t->key_columns.end(), i) != t->key_columns.end();
    if (hints.excluded_columns.count(rel.columns[i].name) && !is_key) t->included[i] = false;
    if (t->codecs[i].type != ValueType::kUnmappedText || !t->included[i] || !captured) continue;
    switch (options_.converter.unknown_types) {
      case UnknownTypePolicy::kString: break;
      // Under bytes only the arrays Debezium 3.6.1 has no schema for are still unmapped here
      // (PostgresValueConverter.schemaBuilder returns null for them whatever
      // include.unknown.datatypes says): left out, as Debezium leaves them out.
      case UnknownTypePolicy::kBytes:
      case UnknownTypePolicy::kSkip:
        if (!is_key) {
          t->included[i] = false;
          break;
        }
        [[fallthrough]];
      case UnknownTypePolicy::kFail: {
        const std::string& tn = t->codecs[i].type_name;
        return Status::InvalidArgument(
            "column " + t->qualified_name + "." + rel.columns[i].name + " has type " +
            (tn.empty() ? "OID " + std::to_string(rel.columns[i].type_oid) : "'" + tn + "'") +
            ", which pgcdc cannot map to a Debezium type; set format.unknown_types to string "
            "(its text form), bytes (its text form's bytes, as Debezium's "
            "include.unknown.datatypes) or skip (leave the column out)" +
            (options_.converter.unknown_types != UnknownTypePolicy::kFail ? " (it is a key column)"
                                                                          : ""));
      }
    }
  }
  t->optional.assign(n, true);
  for (size_t i : t->key_columns) t->optional[i] = false;
  for (size_t i = 0; i < n; ++i) {
    if (hints.not_null.count(rel.columns[i].name)) t->optional[i] = false;
  }

  t->defaults.resize(n);
  for (size_t i = 0; i < n; ++i) {
    auto d = hints.defaults.find(rel.columns[i].name);
    if (d == hints.defaults.end()) continue;
    auto type = hints.types.find(rel.columns[i].type_oid);
    const bool domain = type != hints.types.end() && type->second.typtype == 'd';
    t->defaults[i] = ColumnDefaultText(t->codecs[i], d->second, domain);
  }

  // Source types are computed from the Relation's OID and modifier, as Debezium's streaming does
  // (values/source_column_type.h); a type the catalog did not name gets none.
  if (!options_.propagate_source_type.empty()) {
    t->source_parameters.resize(n);
    for (size_t i = 0; i < n; ++i) {
      SourceColumnType type =
          SourceColumnTypeOf(rel.columns[i].type_oid, rel.columns[i].typmod, lookup);
      if (type.name.empty() || !options_.propagate_source_type.Matches(
                                   t->qualified_name, rel.columns[i].name, type.name)) {
        continue;
      }
      t->source_parameters[i] = SourceTypeParameters(type, rel.columns[i].name);
    }
  }

  // Debezium's name adjustment (event_options.h). Two columns adjusted to one name would make a
  // struct with a duplicate field; Debezium fails the same way (SchemaNameAdjuster's conflict
  // check, or Connect's duplicate-field check), so the table is refused, naming both columns.
  t->field_names.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    t->field_names.push_back(AdjustFieldName(rel.columns[i].name, options_.field_name_adjustment));
  }
  if (options_.field_name_adjustment != NameAdjustment::kNone && captured) {
    std::unordered_map<std::string_view, size_t> seen;
    for (size_t i = 0; i < n; ++i) {
      if (!t->included[i]) continue;
      auto [it, fresh] = seen.emplace(t->field_names[i], i);
      if (!fresh) {
        return Status::InvalidArgument("format.field_name_adjustment: columns '" +
                                       rel.columns[it->second].name + "' and '" +
                                       rel.columns[i].name + "' of table " + t->qualified_name +
                                       " both become field '" + t->field_names[i] + "'");
      }
    }
  }
  t->key_name = AdjustSchemaName(t->topic + ".Key", options_.schema_name_adjustment);
  t->value_name = AdjustSchemaName(t->topic + ".Value", options_.schema_name_adjustment);
  t->envelope_name = AdjustSchemaName(t->topic + ".Envelope", options_.schema_name_adjustment);

  auto& slot = tables_[t->relation.oid];
  slot = std::move(t);
  return static_cast<const TableSchema*>(slot.get());
}

}  // namespace cdc
