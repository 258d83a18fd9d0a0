#pragma once

// JsonSchemaEncoder: Debezium's records spelled as Confluent's JsonSchemaConverter writes them
// with a Schema Registry: key and value each framed as magic byte 0, the 4-byte big-endian schema
// id, and the UTF-8 JSON of the payload alone (no {"schema","payload"} wrapper). The payload is
// the JSON format's payload without schemas (JsonEncoder with schemas off): JsonSchemaData writes
// the same JSON as JsonConverter for every type Debezium's PostgreSQL records use (bytes and
// decimals as base64, maps with string keys as objects, nulls as null, never a default in place
// of a null). The registered schemas are json_schema_text.h's, under schemaType JSON.
//
// Registration, caching and failure as AvroEncoder's (avro_encoder.h): per relation version the
// key schema, then the value schema; once per encoder the transaction, message and heartbeat
// schemas; a registrar error is returned before anything of the record is produced.
//
// One instance per EventBuilder (one thread); the registrar is shared and thread-safe. Views
// returned are valid until the next Encode* call.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "decoders/events/change_record.h"
#include "decoders/events/event_options.h"
#include "decoders/events/schema_registrar.h"
#include "decoders/json/json_encoder.h"

namespace cdc {

class JsonSchemaEncoder final : public RecordEncoder {
 public:
  using Clock = JsonEncoder::Clock;
  // `registrar` must outlive the encoder; `now` as JsonEncoder's.
  JsonSchemaEncoder(const EventOptions& options, SchemaRegistrar& registrar, Clock now = nullptr);

  Status EncodeKeyPayload(const TableSchema& t, const pgoutput::Tuple& tuple,
                          const pgoutput::Tuple* fallback, std::string* out) override;
  Status Encode(const ChangeRecord& r, EncodedRecord* out) override;
  Status EncodeTombstone(const TableSchema& t, const std::string& key, EncodedRecord* out) override;
  Status Encode(const TransactionRecord& r, EncodedRecord* out) override;
  Status Encode(const MessageRecord& r, EncodedRecord* out) override;
  Status EncodeHeartbeat(EncodedRecord* out) override;
  void ReleaseLarge() override;

  // The schema texts registered for `t`'s current version (tests); empty key text: no key.
  struct Texts {
    std::string key;
    std::string value;
  };
  Result<Texts> SchemaTextsFor(const TableSchema& t);

 private:
  // The ids of one relation version's schemas, or of a fixed record kind's.
  struct Ids {
    uint64_t version = 0;
    bool ready = false;
    int32_t key = 0;
    int32_t value = 0;
    Texts texts;
  };
  Result<const Ids*> Prepare(const TableSchema& t);
  Status PrepareFixed(Ids& ids, const ConnectSchema& key, const ConnectSchema& value,
                      const std::string& topic);
  Status Register(std::string_view topic, const ConnectSchema& schema, const std::string& text,
                  bool key, int32_t* id);
  // Frames the inner encoder's record into *out: the key (unless `key_framed`) and the value.
  void Frame(const EncodedRecord& inner, const Ids& ids, bool key_framed, EncodedRecord* out);

  const EventOptions& options_;
  SchemaRegistrar& registrar_;
  const EventOptions payload_options_;  // options_ with schemas off
  JsonEncoder payload_;
  std::unordered_map<uint32_t, Ids> tables_;  // by relation OID, for its latest version
  Ids transaction_;
  Ids message_;
  Ids heartbeat_;
  std::string key_buf_;
  std::string value_buf_;
};

}  // namespace cdc
