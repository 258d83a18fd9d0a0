#pragma once

// ProtobufEncoder: Debezium's records spelled as Confluent's ProtobufConverter writes them with a
// Schema Registry: key and value each framed as magic byte 0, the 4-byte big-endian schema id,
// the message indexes (always [0], the file's only top-level message, written as the single byte
// 0), and the Protobuf binary of the registered message. The schemas are ProtobufData's
// conversion (proto_schema.h) of the same Connect schemas the JSON format prints
// (events/record_schemas.h), registered under schemaType PROTOBUF with no references (the
// serializer's skip.known.types). The values are the JSON format's payload without schemas
// written as Protobuf (proto_datum.h). As with ProtobufData, a null is an absent field, which a
// reader sees as the type's zero value unless format.protobuf.optional_for_nullables makes the
// field proto3 `optional`; unlike it, a null is never replaced by the column's default (pgcdc
// behaves as ignore.default.for.nullables=true does). Registration, caching, failure and
// threading: registry_payload_encoder.h.

#include "decoders/json/registry_payload_encoder.h"
#include "decoders/protobuf/proto_datum.h"
#include "decoders/protobuf/proto_schema.h"

namespace cdc {

class ProtobufEncoder final : public RegistryPayloadEncoder {
 public:
  // `registrar` must outlive the encoder; `now` as JsonEncoder's.
  ProtobufEncoder(const EventOptions& options, SchemaRegistrar& registrar, Clock now = nullptr)
      : RegistryPayloadEncoder(options, registrar, SchemaType::kProtobuf, now) {}

 private:
  // Described::state is the schema's ProtoFile.
  Status Describe(const ConnectSchema& connect, std::string_view where, Described* out) override;
  Status Write(const Described& schema, std::string_view json, std::string* out) override;

  proto::ProtoDatumWriter writer_;
};

}  // namespace cdc
