#include "decoders/json/registry_payload_encoder.h"

#include "decoders/events/record_schemas.h"

namespace cdc {

namespace {

EventOptions WithoutSchemas(EventOptions o) {
  o.schemas = false;
  return o;
}

}  // namespace

RegistryPayloadEncoder::RegistryPayloadEncoder(const EventOptions& options,
                                               SchemaRegistrar& registrar, SchemaType type,
                                               Clock now)
    : options_(options),
      registrar_(registrar),
      type_(type),
      payload_options_(WithoutSchemas(options)),
      payload_(payload_options_, now) {}

Status RegistryPayloadEncoder::Register(const ConnectSchema& schema, const std::string& topic,
                                        std::string_view where, bool key, Described* out) {
  CDC_RETURN_IF_ERROR(Describe(schema, where, out));
  const std::string subject = SubjectFor(options_.subject_strategy, topic, schema.name, key);
  return registrar_.IdFor(subject, type_, out->text, &out->id);
}

Result<const RegistryPayloadEncoder::Prepared*> RegistryPayloadEncoder::Prepare(
    const TableSchema& t) {
  Prepared& p = tables_[t.relation.oid];
  if (p.ready && p.version == t.version && t.version != 0) return &p;
  p = Prepared{};
  p.version = t.version;
  const std::string where = "table " + t.qualified_name + " (topic " + t.topic + ")";
  if (!t.key_columns.empty()) {
    p.has_key = true;
    CDC_RETURN_IF_ERROR(Register(KeySchemaOf(t), t.topic, where, true, &p.key));
  }
  CDC_RETURN_IF_ERROR(Register(EnvelopeSchemaOf(t), t.topic, where, false, &p.value));
  p.ready = true;
  return &p;
}

Status RegistryPayloadEncoder::PrepareFixed(Prepared& p, const ConnectSchema& key,
                                            const ConnectSchema& value, const std::string& topic) {
  if (p.ready) return Status::Ok();
  const std::string where = "topic " + topic;
  p.has_key = true;
  CDC_RETURN_IF_ERROR(Register(key, topic, where, true, &p.key));
  CDC_RETURN_IF_ERROR(Register(value, topic, where, false, &p.value));
  p.ready = true;
  return Status::Ok();
}

Result<RegistryPayloadEncoder::Texts> RegistryPayloadEncoder::SchemaTextsFor(const TableSchema& t) {
  auto p = Prepare(t);
  if (!p.ok()) return p.status();
  return Texts{(*p)->has_key ? (*p)->key.text : std::string(), (*p)->value.text};
}

Status RegistryPayloadEncoder::Frame(const EncodedRecord& inner, const Prepared& p, bool key_framed,
                                     EncodedRecord* out) {
  *out = EncodedRecord{};
  out->topic = inner.topic;
  if (inner.key) {
    if (key_framed) {
      out->key = inner.key;
    } else {
      CDC_RETURN_IF_ERROR(Write(p.key, *inner.key, &key_buf_));
      out->key = key_buf_;
    }
  }
  if (!inner.value) return Status::Ok();  // a tombstone stays Kafka-null
  if (inner.value_owner != nullptr && FrameInPlace(p.value, inner.value_owner)) {
    out->value = *inner.value_owner;  // a large value, handed on without a copy
    out->value_owner = inner.value_owner;
    return Status::Ok();
  }
  if (inner.value->size() >= kLargeValueBytes) value_buf_.reserve(inner.value->size() + 16);
  CDC_RETURN_IF_ERROR(Write(p.value, *inner.value, &value_buf_));
  out->value = value_buf_;
  if (value_buf_.size() >= kLargeValueBytes) out->value_owner = &value_buf_;
  return Status::Ok();
}

Status RegistryPayloadEncoder::EncodeKeyPayload(const TableSchema& t, const pgoutput::Tuple& tuple,
                                                const pgoutput::Tuple* fallback, std::string* out) {
  auto p = Prepare(t);
  if (!p.ok()) return p.status();
  if (!(*p)->has_key) return Status::InvalidArgument("table " + t.qualified_name + " has no key");
  CDC_RETURN_IF_ERROR(payload_.EncodeKeyPayload(t, tuple, fallback, &json_));
  return Write((*p)->key, json_, out).WithContext(t.qualified_name + " (key)");
}

Status RegistryPayloadEncoder::Encode(const ChangeRecord& r, EncodedRecord* out) {
  auto p = Prepare(*r.table);
  if (!p.ok()) return p.status();
  EncodedRecord inner;
  CDC_RETURN_IF_ERROR(payload_.Encode(r, &inner));
  // r.key is EncodeKeyPayload's, framed already.
  return Frame(inner, **p, /*key_framed=*/true, out).WithContext(r.table->qualified_name);
}

Status RegistryPayloadEncoder::EncodeTombstone(const TableSchema& t, const std::string& key,
                                               EncodedRecord* out) {
  *out = EncodedRecord{};
  out->topic = t.topic;
  out->key = key;  // framed already; the null value needs no schema
  return Status::Ok();
}

Status RegistryPayloadEncoder::Encode(const TransactionRecord& r, EncodedRecord* out) {
  CDC_RETURN_IF_ERROR(PrepareFixed(transaction_, TransactionKeySchema(), TransactionValueSchema(),
                                   options_.transaction_topic));
  EncodedRecord inner;
  CDC_RETURN_IF_ERROR(payload_.Encode(r, &inner));
  return Frame(inner, transaction_, false, out);
}

Status RegistryPayloadEncoder::Encode(const MessageRecord& r, EncodedRecord* out) {
  const bool content_as_bytes = options_.converter.binary == BinaryHandling::kBytes;
  CDC_RETURN_IF_ERROR(PrepareFixed(message_, MessageKeySchema(),
                                   MessageValueSchema(content_as_bytes), options_.message_topic));
  EncodedRecord inner;
  CDC_RETURN_IF_ERROR(payload_.Encode(r, &inner));
  return Frame(inner, message_, false, out);
}

Status RegistryPayloadEncoder::EncodeHeartbeat(EncodedRecord* out) {
  CDC_RETURN_IF_ERROR(PrepareFixed(heartbeat_, HeartbeatKeySchema(), HeartbeatValueSchema(),
                                   options_.heartbeat_topic));
  EncodedRecord inner;
  CDC_RETURN_IF_ERROR(payload_.EncodeHeartbeat(&inner));
  return Frame(inner, heartbeat_, false, out);
}

void RegistryPayloadEncoder::ReleaseLarge() {
  payload_.ReleaseLarge();
  if (value_buf_.capacity() >= kLargeValueBytes) std::string().swap(value_buf_);
}

}  // namespace cdc
