#include "decoders/events/record_schemas.h"

#include "decoders/events/relation_cache.h"

namespace cdc {

namespace {

using CT = ConnectType;

ConnectSchema Req(CT type) { return ConnectSchema::Of(type, false); }
ConnectSchema Opt(CT type) { return ConnectSchema::Of(type, true); }

// Column i's schema, with its default when Debezium declares one (in the key schema too, which
// Debezium builds field by field the same way).
ConnectSchema ColumnSchema(const TableSchema& t, size_t i, bool optional) {
  ConnectSchema s = ColumnSchemaOf(t.codecs[i], optional);
  if (i < t.defaults.size() && t.defaults[i]) {
    s.default_text = *t.defaults[i];
    s.default_codec = std::make_shared<const ColumnCodec>(t.codecs[i]);
  }
  return s;
}

// The columns' Value struct (before/after), optional: a delete has no after, an insert no
// before.
ConnectSchema ValueStruct(const TableSchema& t) {
  ConnectSchema s = ConnectSchema::Named(CT::kStruct, true, t.ValueName(), 0);
  for (size_t i = 0; i < t.relation.columns.size(); ++i) {
    if (!t.included[i]) continue;
    ConnectSchema column = ColumnSchema(t, i, t.optional[i]);
    // After the type's own parameters (Bits' length, Enum's allowed), as Debezium's mapper runs
    // after the converter built the field.
    if (i < t.source_parameters.size()) {
      for (const auto& p : t.source_parameters[i]) column.parameters.push_back(p);
    }
    s.Add(t.FieldName(i), std::move(column));
  }
  return s;
}

}  // namespace

// Named after the topic, whose characters Kafka rejects are already '_', as Debezium names them
// (a schema "a b" gives topic and schema names "<name>.a_b..."), then adjusted under
// schema_name_adjustment (TableSchema::KeyName).
ConnectSchema KeySchemaOf(const TableSchema& t) {
  ConnectSchema s = ConnectSchema::Named(CT::kStruct, false, t.KeyName(), 0);
  for (size_t i : t.key_columns) s.Add(t.FieldName(i), ColumnSchema(t, i, false));
  return s;
}

ConnectSchema EnvelopeSchemaOf(const TableSchema& t) {
  ConnectSchema s = ConnectSchema::Named(CT::kStruct, false, t.EnvelopeName(), 2);
  s.Add("before", ValueStruct(t))
      .Add("after", ValueStruct(t))
      .Add("source", SourceSchema())
      .Add("transaction", TransactionBlockSchema())
      .Add("op", Req(CT::kString))
      .Add("ts_ms", Opt(CT::kInt64))
      .Add("ts_us", Opt(CT::kInt64))
      .Add("ts_ns", Opt(CT::kInt64));
  return s;
}

ConnectSchema SourceSchema() {
  ConnectSchema snapshot = ConnectSchema::Named(CT::kString, true, "io.debezium.data.Enum");
  snapshot.parameters.emplace_back(
      "allowed",
      "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental");
  snapshot.default_string = "false";
  ConnectSchema s =
      ConnectSchema::Named(CT::kStruct, false, "io.debezium.connector.postgresql.Source");
  s.Add("version", Req(CT::kString))
      .Add("connector", Req(CT::kString))
      .Add("name", Req(CT::kString))
      .Add("ts_ms", Req(CT::kInt64))
      .Add("snapshot", std::move(snapshot))
      .Add("db", Req(CT::kString))
      .Add("sequence", Opt(CT::kString))
      .Add("ts_us", Opt(CT::kInt64))
      .Add("ts_ns", Opt(CT::kInt64))
      .Add("schema", Req(CT::kString))
      .Add("table", Req(CT::kString))
      .Add("txId", Opt(CT::kInt64))
      .Add("lsn", Opt(CT::kInt64))
      .Add("xmin", Opt(CT::kInt64))
      .Add("origin", Opt(CT::kString))
      .Add("origin_lsn", Opt(CT::kInt64));
  return s;
}

ConnectSchema TransactionBlockSchema() {
  ConnectSchema s = ConnectSchema::Named(CT::kStruct, true, "event.block");
  s.Add("id", Req(CT::kString))
      .Add("total_order", Req(CT::kInt64))
      .Add("data_collection_order", Req(CT::kInt64));
  return s;
}

ConnectSchema TransactionKeySchema() {
  ConnectSchema s = ConnectSchema::Named(CT::kStruct, false,
                                         "io.debezium.connector.common.TransactionMetadataKey");
  s.Add("id", Req(CT::kString));
  return s;
}

ConnectSchema TransactionValueSchema() {
  ConnectSchema collection = ConnectSchema::Named(CT::kStruct, true, "event.collection");
  collection.Add("data_collection", Req(CT::kString)).Add("event_count", Req(CT::kInt64));
  ConnectSchema collections = Opt(CT::kArray);
  collections.items = std::make_shared<const ConnectSchema>(std::move(collection));
  ConnectSchema s = ConnectSchema::Named(CT::kStruct, false,
                                         "io.debezium.connector.common.TransactionMetadataValue");
  s.Add("status", Req(CT::kString))
      .Add("id", Req(CT::kString))
      .Add("event_count", Opt(CT::kInt64))
      .Add("data_collections", std::move(collections))
      .Add("ts_ms", Req(CT::kInt64));
  return s;
}

ConnectSchema HeartbeatKeySchema() {
  ConnectSchema s =
      ConnectSchema::Named(CT::kStruct, false, "io.debezium.connector.common.ServerNameKey");
  s.Add("serverName", Req(CT::kString));
  return s;
}

ConnectSchema HeartbeatValueSchema() {
  ConnectSchema s =
      ConnectSchema::Named(CT::kStruct, false, "io.debezium.connector.common.Heartbeat");
  s.Add("ts_ms", Req(CT::kInt64));
  return s;
}

ConnectSchema MessageKeySchema() {
  ConnectSchema s =
      ConnectSchema::Named(CT::kStruct, false, "io.debezium.connector.postgresql.MessageKey");
  s.Add("prefix", Opt(CT::kString));
  return s;
}

ConnectSchema MessageValueSchema(bool content_as_bytes) {
  ConnectSchema message =
      ConnectSchema::Named(CT::kStruct, false, "io.debezium.connector.postgresql.Message");
  message.Add("prefix", Opt(CT::kString))
      .Add("content", Opt(content_as_bytes ? CT::kBytes : CT::kString));
  ConnectSchema s =
      ConnectSchema::Named(CT::kStruct, false, "io.debezium.connector.postgresql.MessageValue");
  s.Add("op", Req(CT::kString))
      .Add("ts_ms", Opt(CT::kInt64))
      .Add("source", SourceSchema())
      .Add("transaction", TransactionBlockSchema())
      .Add("message", std::move(message));
  return s;
}

}  // namespace cdc
