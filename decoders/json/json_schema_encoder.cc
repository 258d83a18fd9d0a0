#include "decoders/json/json_schema_encoder.h"

#include "decoders/events/record_schemas.h"
#include "decoders/json/json_schema_text.h"

namespace cdc {

namespace {

EventOptions WithoutSchemas(EventOptions o) {
  o.schemas = false;
  return o;
}

}  // namespace

JsonSchemaEncoder::JsonSchemaEncoder(const EventOptions& options, SchemaRegistrar& registrar,
                                     Clock now)
    : options_(options),
      registrar_(registrar),
      payload_options_(WithoutSchemas(options)),
      payload_(payload_options_, now) {}

Status JsonSchemaEncoder::Register(std::string_view topic, const ConnectSchema& schema,
                                   const std::string& text, bool key, int32_t* id) {
  const std::string subject = SubjectFor(options_.subject_strategy, topic, schema.name, key);
  return registrar_.IdFor(subject, SchemaType::kJson, text, id);
}

Result<const JsonSchemaEncoder::Ids*> JsonSchemaEncoder::Prepare(const TableSchema& t) {
  Ids& ids = tables_[t.relation.oid];
  if (ids.ready && ids.version == t.version && t.version != 0) return &ids;
  ids = Ids{};
  ids.version = t.version;
  // The key first, as the converters run (the key converter before the value converter).
  if (!t.key_columns.empty()) {
    const ConnectSchema key = KeySchemaOf(t);
    ids.texts.key = JsonSchemaText(key);
    CDC_RETURN_IF_ERROR(Register(t.topic, key, ids.texts.key, true, &ids.key));
  }
  const ConnectSchema envelope = EnvelopeSchemaOf(t);
  ids.texts.value = JsonSchemaText(envelope);
  CDC_RETURN_IF_ERROR(Register(t.topic, envelope, ids.texts.value, false, &ids.value));
  ids.ready = true;
  return &ids;
}

Status JsonSchemaEncoder::PrepareFixed(Ids& ids, const ConnectSchema& key,
                                       const ConnectSchema& value, const std::string& topic) {
  if (ids.ready) return Status::Ok();
  ids.texts = Texts{JsonSchemaText(key), JsonSchemaText(value)};
  CDC_RETURN_IF_ERROR(Register(topic, key, ids.texts.key, true, &ids.key));
  CDC_RETURN_IF_ERROR(Register(topic, value, ids.texts.value, false, &ids.value));
  ids.ready = true;
  return Status::Ok();
}

Result<JsonSchemaEncoder::Texts> JsonSchemaEncoder::SchemaTextsFor(const TableSchema& t) {
  auto ids = Prepare(t);
  if (!ids.ok()) return ids.status();
  return (*ids)->texts;
}

void JsonSchemaEncoder::Frame(const EncodedRecord& inner, const Ids& ids, bool key_framed,
                              EncodedRecord* out) {
  *out = EncodedRecord{};
  out->topic = inner.topic;
  if (inner.key) {
    if (key_framed) {
      out->key = inner.key;
    } else {
      key_buf_.clear();
      WriteFrameHeader(&key_buf_, ids.key);
      key_buf_.append(*inner.key);
      out->key = key_buf_;
    }
  }
  if (!inner.value) return;  // a tombstone stays Kafka-null
  if (inner.value_owner != nullptr) {
    // A large value: framed in place and handed on, not copied.
    std::string header;
    WriteFrameHeader(&header, ids.value);
    inner.value_owner->insert(0, header);
    out->value = *inner.value_owner;
    out->value_owner = inner.value_owner;
    return;
  }
  value_buf_.clear();
  WriteFrameHeader(&value_buf_, ids.value);
  value_buf_.append(*inner.value);
  out->value = value_buf_;
}

Status JsonSchemaEncoder::EncodeKeyPayload(const TableSchema& t, const pgoutput::Tuple& tuple,
                                           const pgoutput::Tuple* fallback, std::string* out) {
  auto ids = Prepare(t);
  if (!ids.ok()) return ids.status();
  if (t.key_columns.empty())
    return Status::InvalidArgument("table " + t.qualified_name + " has no key");
  std::string json;
  CDC_RETURN_IF_ERROR(payload_.EncodeKeyPayload(t, tuple, fallback, &json));
  out->clear();
  WriteFrameHeader(out, (*ids)->key);
  out->append(json);
  return Status::Ok();
}

Status JsonSchemaEncoder::Encode(const ChangeRecord& r, EncodedRecord* out) {
  auto ids = Prepare(*r.table);
  if (!ids.ok()) return ids.status();
  EncodedRecord inner;
  CDC_RETURN_IF_ERROR(payload_.Encode(r, &inner));
  Frame(inner, **ids, /*key_framed=*/true, out);  // r.key is EncodeKeyPayload's, framed
  return Status::Ok();
}

Status JsonSchemaEncoder::EncodeTombstone(const TableSchema& t, const std::string& key,
                                          EncodedRecord* out) {
  *out = EncodedRecord{};
  out->topic = t.topic;
  out->key = key;  // framed already; the null value needs no schema
  return Status::Ok();
}

Status JsonSchemaEncoder::Encode(const TransactionRecord& r, EncodedRecord* out) {
  CDC_RETURN_IF_ERROR(PrepareFixed(transaction_, TransactionKeySchema(), TransactionValueSchema(),
                                   options_.transaction_topic));
  EncodedRecord inner;
  CDC_RETURN_IF_ERROR(payload_.Encode(r, &inner));
  Frame(inner, transaction_, false, out);
  return Status::Ok();
}

Status JsonSchemaEncoder::Encode(const MessageRecord& r, EncodedRecord* out) {
  const bool content_as_bytes = options_.converter.binary == BinaryHandling::kBytes;
  CDC_RETURN_IF_ERROR(PrepareFixed(message_, MessageKeySchema(),
                                   MessageValueSchema(content_as_bytes), options_.message_topic));
  EncodedRecord inner;
  CDC_RETURN_IF_ERROR(payload_.Encode(r, &inner));
  Frame(inner, message_, false, out);
  return Status::Ok();
}

Status JsonSchemaEncoder::EncodeHeartbeat(EncodedRecord* out) {
  CDC_RETURN_IF_ERROR(PrepareFixed(heartbeat_, HeartbeatKeySchema(), HeartbeatValueSchema(),
                                   options_.heartbeat_topic));
  EncodedRecord inner;
  CDC_RETURN_IF_ERROR(payload_.EncodeHeartbeat(&inner));
  Frame(inner, heartbeat_, false, out);
  return Status::Ok();
}

void JsonSchemaEncoder::ReleaseLarge() {
  payload_.ReleaseLarge();
  if (value_buf_.capacity() >= kLargeValueBytes) std::string().swap(value_buf_);
}

}  // namespace cdc
