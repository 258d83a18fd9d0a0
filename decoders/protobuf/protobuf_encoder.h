#pragma once

// ProtobufEncoder: Debezium's records spelled as Confluent's ProtobufConverter (default
// configuration) writes them with a Schema Registry: key and value each framed as magic byte 0,
// the 4-byte big-endian schema id, the message indexes (always [0], the file's only top-level
// message, written as the single byte 0), and the Protobuf binary of the registered message.
// The schemas are ProtobufData's conversion (proto_schema.h) of the same Connect schemas the JSON
// format prints (events/record_schemas.h), registered under schemaType PROTOBUF with no
// references (the serializer's skip.known.types). The values are the JSON format's payload
// without schemas (JsonEncoder with schemas off) written as Protobuf (proto_datum.h), so every
// handling mode carries the same data. As with ProtobufData, a null is an absent field, which a
// reader sees as the type's zero value; unlike it, a null is never replaced by the column's
// default (pgcdc behaves as ignore.default.for.nullables=true does).
//
// Registration, caching and failure as AvroEncoder's (avro_encoder.h): per relation version the
// key schema, then the value schema; once per encoder the transaction, message and heartbeat
// schemas; a registrar error is returned before anything of the record is produced.
//
// One instance per EventBuilder (one thread); the registrar is shared and thread-safe. Views
// returned are valid until the next Encode* call.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "decoders/events/change_record.h"
#include "decoders/events/event_options.h"
#include "decoders/events/schema_registrar.h"
#include "decoders/json/json_encoder.h"
#include "decoders/protobuf/proto_datum.h"
#include "decoders/protobuf/proto_schema.h"

namespace cdc {

class ProtobufEncoder final : public RecordEncoder {
 public:
  using Clock = JsonEncoder::Clock;
  // `registrar` must outlive the encoder; `now` as JsonEncoder's.
  ProtobufEncoder(const EventOptions& options, SchemaRegistrar& registrar, Clock now = nullptr);

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
  using File = std::shared_ptr<const ProtoFile>;
  // One relation version's schemas and ids, or a fixed record kind's.
  struct Prepared {
    uint64_t version = 0;
    bool ready = false;
    File key;  // nullptr: no key columns
    File value;
    int32_t key_id = 0;
    int32_t value_id = 0;
    Texts texts;
  };
  Result<const Prepared*> Prepare(const TableSchema& t);
  Status PrepareFixed(Prepared& p, const ConnectSchema& key, const ConnectSchema& value,
                      const std::string& topic);
  Status Build(const ConnectSchema& schema, const std::string& topic, std::string_view where,
               bool key, File* file, std::string* text, int32_t* id);
  // The framed record of the JSON `json` as a message of `file`, onto *out (cleared first).
  Status Write(const ProtoFile& file, int32_t id, std::string_view json, std::string* out);
  // Writes the inner encoder's record into *out: the key (unless `key_framed`) and the value.
  Status Frame(const EncodedRecord& inner, const Prepared& p, bool key_framed, EncodedRecord* out);

  const EventOptions& options_;
  SchemaRegistrar& registrar_;
  const EventOptions payload_options_;  // options_ with schemas off
  JsonEncoder payload_;
  proto::ProtoDatumWriter writer_;
  std::unordered_map<uint32_t, Prepared> tables_;  // by relation OID, for its latest version
  Prepared transaction_;
  Prepared message_;
  Prepared heartbeat_;
  std::string json_;
  std::string key_buf_;
  std::string value_buf_;
};

}  // namespace cdc
