#include "decoders/json/debezium_schema.h"

#include "decoders/events/record_schemas.h"
#include "decoders/json/connect_schema_json.h"

namespace cdc {

std::string BuildKeySchemaJson(const TableSchema& t) { return ConnectSchemaJson(KeySchemaOf(t)); }

std::string BuildEnvelopeSchemaJson(const TableSchema& t) {
  return ConnectSchemaJson(EnvelopeSchemaOf(t));
}

const std::string& TransactionKeySchemaJson() {
  static const std::string json = ConnectSchemaJson(TransactionKeySchema());
  return json;
}

const std::string& TransactionValueSchemaJson() {
  static const std::string json = ConnectSchemaJson(TransactionValueSchema());
  return json;
}

const std::string& HeartbeatKeySchemaJson() {
  static const std::string json = ConnectSchemaJson(HeartbeatKeySchema());
  return json;
}

const std::string& HeartbeatValueSchemaJson() {
  static const std::string json = ConnectSchemaJson(HeartbeatValueSchema());
  return json;
}

const std::string& MessageKeySchemaJson() {
  static const std::string json = ConnectSchemaJson(MessageKeySchema());
  return json;
}

std::string BuildMessageValueSchemaJson(bool content_as_bytes) {
  return ConnectSchemaJson(MessageValueSchema(content_as_bytes));
}

}  // namespace cdc
