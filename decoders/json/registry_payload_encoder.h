#pragma once

// RegistryPayloadEncoder: what the Schema Registry formats that spell the JSON format's payload
// (JsonEncoder with schemas off) another way have in common: JsonSchemaEncoder writes that JSON
// itself, ProtobufEncoder writes it as Protobuf. Both carry the same values as the JSON format
// under every handling mode, because one renderer made them.
//
// It registers and caches as AvroEncoder does (avro_encoder.h): per relation version the key
// schema, then the value schema (the key converter runs before the value converter); once per
// encoder the transaction, message and heartbeat schemas; the ids are cached, so the steady state
// never calls the registrar. A registrar error is returned as it is, before anything of the
// record is produced (the connector stops there, the LSN stays before the record), and the next
// record of that version tries again. Tombstones stay Kafka-null under the framed key; the key
// payload (EncodeKeyPayload) is the framed key, so the __debezium.oldkey/newkey headers carry it.
//
// A format supplies two things: Describe, its schema of a Connect schema (the text to register
// and whatever it needs to write records of it), and Write, the framed record of a payload.
//
// One instance per EventBuilder (one thread); the registrar is shared and thread-safe. Views
// returned are valid until the next Encode* call.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "decoders/events/change_record.h"
#include "decoders/events/event_options.h"
#include "decoders/events/schema_registrar.h"
#include "decoders/json/json_encoder.h"

namespace cdc {

class RegistryPayloadEncoder : public RecordEncoder {
 public:
  using Clock = JsonEncoder::Clock;

  Status EncodeKeyPayload(const TableSchema& t, const pgoutput::Tuple& tuple,
                          const pgoutput::Tuple* fallback, std::string* out) final;
  Status Encode(const ChangeRecord& r, EncodedRecord* out) final;
  Status EncodeTombstone(const TableSchema& t, const std::string& key, EncodedRecord* out) final;
  Status Encode(const TransactionRecord& r, EncodedRecord* out) final;
  Status Encode(const MessageRecord& r, EncodedRecord* out) final;
  Status EncodeHeartbeat(EncodedRecord* out) final;
  void ReleaseLarge() final;

  // The schema texts registered for `t`'s current version (tests); empty key text: no key.
  struct Texts {
    std::string key;
    std::string value;
  };
  Result<Texts> SchemaTextsFor(const TableSchema& t);

 protected:
  // `registrar` must outlive the encoder; `now` as JsonEncoder's. `type` is the schemaType the
  // format's texts are registered under.
  RegistryPayloadEncoder(const EventOptions& options, SchemaRegistrar& registrar, SchemaType type,
                         Clock now);

  // A format's schema of one Connect schema, and the registry's id for it.
  struct Described {
    std::string text;
    int32_t id = 0;
    // What the format needs to write records of this schema (its own type); may be null.
    std::shared_ptr<const void> state;
  };
  // Sets out->text and out->state for `connect`; `where` (the table or topic) names the record
  // in an error.
  virtual Status Describe(const ConnectSchema& connect, std::string_view where, Described* out) = 0;
  // Sets *out (cleared first) to the framed record of `schema` whose payload is the JSON `json`.
  virtual Status Write(const Described& schema, std::string_view json, std::string* out) = 0;
  // A large payload in *owner (the inner encoder's buffer): frames it there, without a copy, and
  // returns true; false when the format cannot, and Write is called instead.
  virtual bool FrameInPlace(const Described& /*schema*/, std::string* /*owner*/) { return false; }

  const EventOptions& options() const { return options_; }

 private:
  // One relation version's schemas, or a fixed record kind's.
  struct Prepared {
    uint64_t version = 0;
    bool ready = false;
    bool has_key = false;
    Described key;
    Described value;
  };
  Result<const Prepared*> Prepare(const TableSchema& t);
  Status PrepareFixed(Prepared& p, const ConnectSchema& key, const ConnectSchema& value,
                      const std::string& topic);
  Status Register(const ConnectSchema& schema, const std::string& topic, std::string_view where,
                  bool key, Described* out);
  // The record of the inner encoder's `inner`: the key (unless `key_framed`) and the value.
  Status Frame(const EncodedRecord& inner, const Prepared& p, bool key_framed, EncodedRecord* out);

  const EventOptions& options_;
  SchemaRegistrar& registrar_;
  const SchemaType type_;
  const EventOptions payload_options_;  // options_ with schemas off
  JsonEncoder payload_;
  std::unordered_map<uint32_t, Prepared> tables_;  // by relation OID, for its latest version
  Prepared transaction_;
  Prepared message_;
  Prepared heartbeat_;
  std::string json_;
  std::string key_buf_;
  std::string value_buf_;
};

}  // namespace cdc
