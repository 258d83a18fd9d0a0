#pragma once

// AvroEncoder: Debezium's records spelled as Confluent's AvroConverter writes them with a Schema
// Registry (avro-schema-registry.md): key and value each framed as magic byte 0, the 4-byte
// big-endian schema id, and the Avro binary datum of the registered schema. The schemas are
// AvroData's conversion (avro_schema.h) of the same Connect schemas the JSON format prints
// (events/record_schemas.h); the values are the JSON format's values (values/value_json.h),
// written as Avro (avro_datum.h), so both formats carry the same data under every handling mode.
//
// Registration: per relation version, the key schema, then the value schema, each under
// SubjectFor(options.subject_strategy, topic, record full name); per encoder, once each, the
// transaction, message and heartbeat schemas. The ids are cached, so the steady state never calls
// the registrar. A registrar error is returned as it is, before anything of the record is
// produced (the connector stops there, the LSN stays before the record), and the next record of
// that version tries again.
//
// The key payload (EncodeKeyPayload) is the framed key itself, so the __debezium.oldkey/newkey
// headers carry the framed key bytes, as the key does.
//
// One instance per EventBuilder (one thread); the registrar is shared and thread-safe. Views
// returned are valid until the next Encode* call.

#include <memory>
#include <string>
#include <unordered_map>

#include "decoders/avro/avro_schema.h"
#include "decoders/base/unix_clock.h"
#include "decoders/events/change_record.h"
#include "decoders/events/event_options.h"
#include "decoders/events/schema_registrar.h"
#include "decoders/values/json_writer.h"

namespace cdc {

class AvroEncoder final : public RecordEncoder {
 public:
  // `now` supplies the processing time (payload ts_ms); tests pass a fixed clock, nullptr means
  // the wall clock. `registrar` must outlive the encoder.
  using Clock = UnixMicrosClock;
  AvroEncoder(const EventOptions& options, SchemaRegistrar& registrar, Clock now = nullptr);

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
  using Node = std::shared_ptr<const AvroSchema>;

  // What every record of one relation version repeats.
  struct AvroTable {
    uint64_t version = 0;
    bool ready = false;
    Node key;                           // nullptr: no key columns
    Node envelope;                      // <topic>.Envelope
    const AvroSchema* row = nullptr;    // <topic>.Value, inside the envelope's before/after
    std::vector<std::string> defaults;  // per column: the default's JSON; empty: none
    int32_t key_id = 0;
    int32_t value_id = 0;
    std::string key_text;
    std::string value_text;
  };
  // A fixed record kind (transaction metadata, logical message, heartbeat).
  struct FixedRecord {
    bool ready = false;
    Node key;
    Node value;
    int32_t key_id = 0;
    int32_t value_id = 0;
  };

  Result<const AvroTable*> Prepare(const TableSchema& t);
  Status PrepareFixed(FixedRecord& f, const ConnectSchema& key, const ConnectSchema& value,
                      const std::string& topic);
  Status Register(std::string_view topic, const AvroSchema& schema, const std::string& text,
                  bool key, int32_t* id);

  // The JSON of a row image, as the JSON encoder renders it, into *json.
  Status RowJson(const TableSchema& t, const AvroTable& at, const RowImage& image,
                 std::string* json);
  // Writes the JSON value `json` as a datum of `schema` onto *out.
  static Status Transcode(const AvroSchema& schema, std::string_view json, std::string* out);
  void WriteSource(const SourceInfo& f, std::string_view schema, std::string_view table,
                   std::string* out) const;
  void WriteBlock(const AvroSchema& field, const TxnBlock* b, std::string* out) const;

  const EventOptions& options_;
  SchemaRegistrar& registrar_;
  Clock clock_;
  Node source_;  // io.debezium.connector.postgresql.Source, for its union branches
  std::unordered_map<uint32_t, AvroTable> tables_;  // by relation OID, for its latest version
  FixedRecord transaction_;
  FixedRecord message_;
  FixedRecord heartbeat_;
  std::string key_buf_;
  std::string value_buf_;
  std::string json_;
};

}  // namespace cdc
