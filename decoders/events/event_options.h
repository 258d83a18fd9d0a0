#pragma once

// What shapes the events: the topic prefix, the source block, the JSON mode, the value
// conversions. Built once from the configuration by the connector.

#include <string>
#include <utility>
#include <vector>

#include "decoders/events/name_adjuster.h"
#include "decoders/events/source_type_rules.h"
#include "decoders/values/column_codec.h"

namespace cdc {

class SchemaRegistrar;

// format.type: how records are spelled. JSON is Kafka Connect's JsonConverter (with or without
// schemas); Avro is Confluent's AvroConverter and JSON Schema its JsonSchemaConverter, each with a
// Schema Registry (Confluent's wire format).
enum class RecordFormat { kJson, kAvro, kJsonSchema, kProtobuf };

// format.schema_registry.subject_strategy: the subject a key or value schema is registered under.
enum class SubjectStrategy {
  kTopic,        // <topic>-key / <topic>-value (Confluent's TopicNameStrategy)
  kRecord,       // the record's full name (RecordNameStrategy)
  kTopicRecord,  // <topic>-<full name> (TopicRecordNameStrategy)
};

struct EventOptions {
  std::string name;  // source.name (and the heartbeat's serverName key)
  // Where the transaction metadata, logical message and heartbeat records go: the connector's
  // naming policy (connector/topic_names.h) fills these.
  std::string transaction_topic;
  std::string message_topic;
  std::string heartbeat_topic;
  std::string database;        // source.db
  std::string source_version;  // source.version
  RecordFormat format = RecordFormat::kJson;
  SubjectStrategy subject_strategy = SubjectStrategy::kTopic;  // non-JSON formats
  bool schemas = true;         // JsonConverter schemas.enable (format kJson only)
  bool tombstones = true;      // tombstone after each delete
  bool emit_truncate = false;  // Debezium skips truncates by default (skipped.operations=t)
  bool skip_create = false;
  bool skip_update = false;
  bool skip_delete = false;
  // Debezium's provide.transaction.metadata: BEGIN/END records on <name>.transaction and the
  // `transaction` block on every data event.
  bool transaction_metadata = false;
  // Debezium's schema.name.adjustment.mode (the tables' Key/Value/Envelope names) and
  // field.name.adjustment.mode (column names, in schemas and payloads alike); both `none` by
  // default. The fixed io.debezium.* names are valid already and never change.
  NameAdjustment schema_name_adjustment = NameAdjustment::kNone;
  NameAdjustment field_name_adjustment = NameAdjustment::kNone;
  // Debezium's column.propagate.source.type / datatype.propagate.source.type: the columns whose
  // Value-schema fields carry __debezium.source.column.* parameters (none by default).
  SourceTypeRules propagate_source_type;
  ConverterOptions converter;
  // Debezium's extended.headers.enabled (default true; DebeziumHeaderProducer): headers added,
  // after the key-change header, to every data change record (c, u, d, r, t) and its tombstone,
  // never to BEGIN/END, logical decoding messages or heartbeats. Names and values as written
  // (Kafka Connect's SimpleHeaderConverter writes a STRING header as its UTF-8 bytes). Empty:
  // none. The connector fills them (connector/options.cc).
  std::vector<std::pair<std::string, std::string>> context_headers;
  // format kProtobuf: optional fields are proto3 `optional` (ProtobufConverter's
  // optional.for.nullables), so NULL and zero differ on the wire.
  bool protobuf_optional_for_nullables = false;
  // formats kAvro, kJsonSchema, kProtobuf: where schema ids come from (the connector's registry
  // client, which outlives every encoder). Not owned; null with format kJson.
  SchemaRegistrar* registrar = nullptr;
};

}  // namespace cdc
