#pragma once

// JsonSchemaEncoder: Debezium's records spelled as Confluent's JsonSchemaConverter writes them
// with a Schema Registry: key and value each framed as magic byte 0, the 4-byte big-endian schema
// id, and the UTF-8 JSON of the payload alone (no {"schema","payload"} wrapper). The payload is
// the JSON format's payload without schemas, as it is: JsonSchemaData writes the same JSON as
// JsonConverter for every type Debezium's PostgreSQL records use (bytes and decimals as base64,
// maps with string keys as objects, nulls as null, never a default in place of a null). The
// registered schemas are json_schema_text.h's, under schemaType JSON. Registration, caching,
// failure and threading: registry_payload_encoder.h.

#include "decoders/json/registry_payload_encoder.h"

namespace cdc {

class JsonSchemaEncoder final : public RegistryPayloadEncoder {
 public:
  // `registrar` must outlive the encoder; `now` as JsonEncoder's.
  JsonSchemaEncoder(const EventOptions& options, SchemaRegistrar& registrar, Clock now = nullptr)
      : RegistryPayloadEncoder(options, registrar, SchemaType::kJson, now) {}

 private:
  Status Describe(const ConnectSchema& connect, std::string_view where, Described* out) override;
  Status Write(const Described& schema, std::string_view json, std::string* out) override;
  bool FrameInPlace(const Described& schema, std::string* owner) override;
};

}  // namespace cdc
