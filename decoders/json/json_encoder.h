#pragma once

// JsonEncoder: Debezium's records spelled as Kafka Connect's JsonConverter writes them, with
// schemas ({"schema":...,"payload":...}) or without (the payload alone). It caches per relation
// version what every record of that table repeats (the key and envelope schemas, the quoted
// column names, the source block's table members), so no JSON lives in the RelationCache.
//
// One instance per EventBuilder (one thread). Buffers are reused between records: the views an
// Encode* call returns are valid until the next Encode* call.

#include <string>
#include <unordered_map>
#include <vector>

#include "decoders/base/unix_clock.h"
#include "decoders/events/change_record.h"
#include "decoders/events/event_options.h"
#include "decoders/values/json_writer.h"

namespace cdc {

class JsonEncoder final : public RecordEncoder {
 public:
  // `now_unix_micros` supplies the processing time (payload ts_ms); tests pass a fixed clock,
  // nullptr means the wall clock.
  using Clock = UnixMicrosClock;
  explicit JsonEncoder(const EventOptions& options, Clock now_unix_micros = nullptr);

  Status EncodeKeyPayload(const TableSchema& t, const pgoutput::Tuple& tuple,
                          const pgoutput::Tuple* fallback, std::string* out) override;
  Status Encode(const ChangeRecord& r, EncodedRecord* out) override;
  Status EncodeTombstone(const TableSchema& t, const std::string& key, EncodedRecord* out) override;
  Status Encode(const TransactionRecord& r, EncodedRecord* out) override;
  Status Encode(const MessageRecord& r, EncodedRecord* out) override;
  Status EncodeHeartbeat(EncodedRecord* out) override;

  // The envelope schema of `t` as this encoder caches it (tests: built once per version).
  const std::string& EnvelopeSchemaFor(const TableSchema& t) { return Prepare(t).envelope_schema; }

  void ReleaseLarge() override;

 private:
  // What every record of one relation version repeats.
  struct JsonTable {
    uint64_t version = 0;
    std::vector<std::string> keys;      // per column: "\"name\":"
    std::vector<std::string> defaults;  // per column: the default's JSON; empty: none
    std::string key_schema;
    std::string envelope_schema;
    std::string source_tail;  // "\"schema\":...,\"table\":..."
  };
  const JsonTable& Prepare(const TableSchema& t);

  Status AppendRow(const TableSchema& t, const JsonTable& jt, const RowImage& image, JsonWriter& w);
  void AppendSource(JsonWriter& w, std::string* v, const SourceInfo& f,
                    std::string_view schema_table_json);
  static void AppendBlock(const TxnBlock& b, JsonWriter& w);
  // Wraps `payload` with `schema` into *buf per the schemas option.
  void Wrap(std::string* buf, std::string_view schema, std::string_view payload) const;
  // Wraps the key {field: value} (transaction id, message prefix, heartbeat server name).
  void WrapOneFieldKey(std::string* buf, std::string_view schema, std::string_view field,
                       std::string_view value);

  const EventOptions& options_;
  Clock clock_;
  std::string source_head_;  // "{\"version\":...,\"connector\":\"postgresql\",\"name\":..."
  std::unordered_map<uint32_t, JsonTable> tables_;  // by relation OID, for its latest version
  std::string key_buf_;
  std::string value_buf_;
  std::string scratch_;
  const std::string message_value_schema_;
};

}  // namespace cdc
