#include "decoders/debezium_schema.h"

#include "decoders/json_writer.h"
#include "decoders/relation_cache.h"

namespace cdc {

const char kSourceSchemaJson[] =
    R"({"type":"struct","fields":[)"
    R"({"type":"string","optional":false,"field":"version"},)"
    R"({"type":"string","optional":false,"field":"connector"},)"
    R"({"type":"string","optional":false,"field":"name"},)"
    R"({"type":"int64","optional":false,"field":"ts_ms"},)"
    R"({"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,)"
    R"("parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},)"
    R"({"type":"string","optional":false,"field":"db"},)"
    R"({"type":"string","optional":true,"field":"sequence"},)"
    R"({"type":"int64","optional":true,"field":"ts_us"},)"
    R"({"type":"int64","optional":true,"field":"ts_ns"},)"
    R"({"type":"string","optional":false,"field":"schema"},)"
    R"({"type":"string","optional":false,"field":"table"},)"
    R"({"type":"int64","optional":true,"field":"txId"},)"
    R"({"type":"int64","optional":true,"field":"lsn"},)"
    R"({"type":"int64","optional":true,"field":"xmin"},)"
    R"({"type":"string","optional":true,"field":"origin"},)"
    R"({"type":"int64","optional":true,"field":"origin_lsn"}],)"
    R"("optional":false,"name":"io.debezium.connector.postgresql.Source","version":1,)"
    R"("field":"source"})";

const char kTransactionBlockSchemaJson[] =
    R"({"type":"struct","fields":[)"
    R"({"type":"string","optional":false,"field":"id"},)"
    R"({"type":"int64","optional":false,"field":"total_order"},)"
    R"({"type":"int64","optional":false,"field":"data_collection_order"}],)"
    R"("optional":true,"name":"event.block","version":1,"field":"transaction"})";

const char kTransactionKeySchemaJson[] =
    R"({"type":"struct","fields":[{"type":"string","optional":false,"field":"id"}],)"
    R"("optional":false,"name":"io.debezium.connector.common.TransactionMetadataKey","version":1})";

const char kTransactionValueSchemaJson[] =
    R"({"type":"struct","fields":[)"
    R"({"type":"string","optional":false,"field":"status"},)"
    R"({"type":"string","optional":false,"field":"id"},)"
    R"({"type":"int64","optional":true,"field":"event_count"},)"
    R"({"type":"array","items":{"type":"struct","fields":[)"
    R"({"type":"string","optional":false,"field":"data_collection"},)"
    R"({"type":"int64","optional":false,"field":"event_count"}],)"
    R"("optional":true,"name":"event.collection","version":1},"optional":true,)"
    R"("field":"data_collections"},)"
    R"({"type":"int64","optional":false,"field":"ts_ms"}],)"
    R"("optional":false,"name":"io.debezium.connector.common.TransactionMetadataValue",)"
    R"("version":1})";

const char kHeartbeatKeySchemaJson[] =
    R"({"type":"struct","fields":[{"type":"string","optional":false,"field":"serverName"}],)"
    R"("optional":false,"name":"io.debezium.connector.common.ServerNameKey","version":1})";

const char kHeartbeatValueSchemaJson[] =
    R"({"type":"struct","fields":[{"type":"int64","optional":false,"field":"ts_ms"}],)"
    R"("optional":false,"name":"io.debezium.connector.common.Heartbeat","version":1})";

const char kMessageKeySchemaJson[] =
    R"({"type":"struct","fields":[{"type":"string","optional":true,"field":"prefix"}],)"
    R"("optional":false,"name":"io.debezium.connector.postgresql.MessageKey","version":1})";

std::string BuildMessageValueSchemaJson(bool content_as_bytes) {
  std::string s = R"({"type":"struct","fields":[)"
                  R"({"type":"string","optional":false,"field":"op"},)"
                  R"({"type":"int64","optional":true,"field":"ts_ms"},)";
  s += kSourceSchemaJson;
  s += ",";
  s += kTransactionBlockSchemaJson;
  s += R"(,{"type":"struct","fields":[{"type":"string","optional":true,"field":"prefix"},)";
  s += content_as_bytes ? R"({"type":"bytes","optional":true,"field":"content"}],)"
                        : R"({"type":"string","optional":true,"field":"content"}],)";
  s += R"("optional":false,"name":"io.debezium.connector.postgresql.Message","version":1,)"
       R"("field":"message"}],"optional":false,)"
       R"("name":"io.debezium.connector.postgresql.MessageValue","version":1})";
  return s;
}

namespace {

constexpr char kEnvelopeTailJson[] = R"({"type":"string","optional":false,"field":"op"},)"
                                     R"({"type":"int64","optional":true,"field":"ts_ms"},)"
                                     R"({"type":"int64","optional":true,"field":"ts_us"},)"
                                     R"({"type":"int64","optional":true,"field":"ts_ns"})";

void AppendColumnSchema(const TableSchema& t, size_t i, bool optional, JsonWriter& w) {
  const ColumnCodec& codec = t.codecs[i];
  w.BeginObject();
  w.Key("type");
  w.String(ConnectTypeOf(codec));
  AppendSchemaFields(codec, w);
  w.Key("optional");
  w.Bool(optional);
  AppendSchemaSemantics(codec, w);
  w.Key("field");
  w.String(t.relation.columns[i].name);
  w.EndObject();
}

// Named after the topic, whose characters Kafka rejects are already '_', as Debezium names them
// (a schema "a b" gives topic and schema names "<name>.a_b...").
std::string StructName(const TableSchema& t, const EventOptions& /*o: the topic has the prefix*/,
                       const char* suffix) {
  return t.topic + "." + suffix;
}

void AppendValueStruct(const TableSchema& t, const EventOptions& o, const char* field,
                       JsonWriter& w) {
  w.BeginObject();
  w.Key("type");
  w.String("struct");
  w.Key("fields");
  w.BeginArray();
  for (size_t i = 0; i < t.relation.columns.size(); ++i) {
    if (t.included[i]) AppendColumnSchema(t, i, t.optional[i], w);
  }
  w.EndArray();
  w.Key("optional");
  w.Bool(true);
  w.Key("name");
  w.String(StructName(t, o, "Value"));
  w.Key("field");
  w.String(field);
  w.EndObject();
}

}  // namespace

std::string BuildKeySchemaJson(const TableSchema& t, const EventOptions& o) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("type");
  w.String("struct");
  w.Key("fields");
  w.BeginArray();
  for (size_t i : t.key_columns) AppendColumnSchema(t, i, false, w);
  w.EndArray();
  w.Key("optional");
  w.Bool(false);
  w.Key("name");
  w.String(StructName(t, o, "Key"));
  w.EndObject();
  return out;
}

std::string BuildEnvelopeSchemaJson(const TableSchema& t, const EventOptions& o) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("type");
  w.String("struct");
  w.Key("fields");
  w.BeginArray();
  AppendValueStruct(t, o, "before", w);
  AppendValueStruct(t, o, "after", w);
  w.Raw(kSourceSchemaJson);
  w.Raw(kTransactionBlockSchemaJson);
  w.Raw(kEnvelopeTailJson);
  w.EndArray();
  w.Key("optional");
  w.Bool(false);
  w.Key("name");
  w.String(StructName(t, o, "Envelope"));
  w.Key("version");
  w.Int(2);
  w.EndObject();
  return out;
}

}  // namespace cdc
