#include "decoders/protobuf/protobuf_encoder.h"

#include "decoders/events/record_schemas.h"

namespace cdc {

namespace {

EventOptions WithoutSchemas(EventOptions o) {
  o.schemas = false;
  return o;
}

}  // namespace

ProtobufEncoder::ProtobufEncoder(const EventOptions& options, SchemaRegistrar& registrar, Clock now)
    : options_(options),
      registrar_(registrar),
      payload_options_(WithoutSchemas(options)),
      payload_(payload_options_, now) {}

Status ProtobufEncoder::Build(const ConnectSchema& schema, const std::string& topic,
                              std::string_view where, bool key, File* file, std::string* text,
                              int32_t* id) {
  auto f = ProtoFileOf(schema, where);
  if (!f.ok()) return f.status();
  *file = *f;
  *text = ProtoSchemaText(**f);
  const std::string subject = SubjectFor(options_.subject_strategy, topic, schema.name, key);
  return registrar_.IdFor(subject, SchemaType::kProtobuf, *text, id);
}

Result<const ProtobufEncoder::Prepared*> ProtobufEncoder::Prepare(const TableSchema& t) {
  Prepared& p = tables_[t.relation.oid];
  if (p.ready && p.version == t.version && t.version != 0) return &p;
  p = Prepared{};
  p.version = t.version;
  const std::string where = "table " + t.qualified_name + " (topic " + t.topic + ")";
  // The key first, as the converters run (the key converter before the value converter).
  if (!t.key_columns.empty()) {
    CDC_RETURN_IF_ERROR(
        Build(KeySchemaOf(t), t.topic, where, true, &p.key, &p.texts.key, &p.key_id));
  }
  CDC_RETURN_IF_ERROR(
      Build(EnvelopeSchemaOf(t), t.topic, where, false, &p.value, &p.texts.value, &p.value_id));
  p.ready = true;
  return &p;
}

Status ProtobufEncoder::PrepareFixed(Prepared& p, const ConnectSchema& key,
                                     const ConnectSchema& value, const std::string& topic) {
  if (p.ready) return Status::Ok();
  const std::string where = "topic " + topic;
  CDC_RETURN_IF_ERROR(Build(key, topic, where, true, &p.key, &p.texts.key, &p.key_id));
  CDC_RETURN_IF_ERROR(Build(value, topic, where, false, &p.value, &p.texts.value, &p.value_id));
  p.ready = true;
  return Status::Ok();
}

Result<ProtobufEncoder::Texts> ProtobufEncoder::SchemaTextsFor(const TableSchema& t) {
  auto p = Prepare(t);
  if (!p.ok()) return p.status();
  return (*p)->texts;
}

Status ProtobufEncoder::Write(const ProtoFile& file, int32_t id, std::string_view json,
                              std::string* out) {
  out->clear();
  WriteFrameHeader(out, id);
  out->push_back('\0');  // the message indexes [0]: the file's first (only) top-level message
  JsonCursor in(json);
  return writer_.WriteMessage(*file.root, in, out);
}

Status ProtobufEncoder::Frame(const EncodedRecord& inner, const Prepared& p, bool key_framed,
                              EncodedRecord* out) {
  *out = EncodedRecord{};
  out->topic = inner.topic;
  if (inner.key) {
    if (key_framed) {
      out->key = inner.key;
    } else {
      CDC_RETURN_IF_ERROR(Write(*p.key, p.key_id, *inner.key, &key_buf_));
      out->key = key_buf_;
    }
  }
  if (!inner.value) return Status::Ok();  // a tombstone stays Kafka-null
  if (inner.value->size() >= kLargeValueBytes) value_buf_.reserve(inner.value->size());
  CDC_RETURN_IF_ERROR(Write(*p.value, p.value_id, *inner.value, &value_buf_));
  out->value = value_buf_;
  if (value_buf_.size() >= kLargeValueBytes) out->value_owner = &value_buf_;
  return Status::Ok();
}

Status ProtobufEncoder::EncodeKeyPayload(const TableSchema& t, const pgoutput::Tuple& tuple,
                                         const pgoutput::Tuple* fallback, std::string* out) {
  auto p = Prepare(t);
  if (!p.ok()) return p.status();
  if (!(*p)->key) return Status::InvalidArgument("table " + t.qualified_name + " has no key");
  CDC_RETURN_IF_ERROR(payload_.EncodeKeyPayload(t, tuple, fallback, &json_));
  return Write(*(*p)->key, (*p)->key_id, json_, out).WithContext(t.qualified_name + " (key)");
}

Status ProtobufEncoder::Encode(const ChangeRecord& r, EncodedRecord* out) {
  auto p = Prepare(*r.table);
  if (!p.ok()) return p.status();
  EncodedRecord inner;
  CDC_RETURN_IF_ERROR(payload_.Encode(r, &inner));
  // r.key is EncodeKeyPayload's, framed already.
  return Frame(inner, **p, /*key_framed=*/true, out).WithContext(r.table->qualified_name);
}

Status ProtobufEncoder::EncodeTombstone(const TableSchema& t, const std::string& key,
                                        EncodedRecord* out) {
  *out = EncodedRecord{};
  out->topic = t.topic;
  out->key = key;  // framed already; the null value needs no schema
  return Status::Ok();
}

Status ProtobufEncoder::Encode(const TransactionRecord& r, EncodedRecord* out) {
  CDC_RETURN_IF_ERROR(PrepareFixed(transaction_, TransactionKeySchema(), TransactionValueSchema(),
                                   options_.transaction_topic));
  EncodedRecord inner;
  CDC_RETURN_IF_ERROR(payload_.Encode(r, &inner));
  return Frame(inner, transaction_, false, out);
}

Status ProtobufEncoder::Encode(const MessageRecord& r, EncodedRecord* out) {
  const bool content_as_bytes = options_.converter.binary == BinaryHandling::kBytes;
  CDC_RETURN_IF_ERROR(PrepareFixed(message_, MessageKeySchema(),
                                   MessageValueSchema(content_as_bytes), options_.message_topic));
  EncodedRecord inner;
  CDC_RETURN_IF_ERROR(payload_.Encode(r, &inner));
  return Frame(inner, message_, false, out);
}

Status ProtobufEncoder::EncodeHeartbeat(EncodedRecord* out) {
  CDC_RETURN_IF_ERROR(PrepareFixed(heartbeat_, HeartbeatKeySchema(), HeartbeatValueSchema(),
                                   options_.heartbeat_topic));
  EncodedRecord inner;
  CDC_RETURN_IF_ERROR(payload_.EncodeHeartbeat(&inner));
  return Frame(inner, heartbeat_, false, out);
}

void ProtobufEncoder::ReleaseLarge() {
  payload_.ReleaseLarge();
  if (value_buf_.capacity() >= kLargeValueBytes) std::string().swap(value_buf_);
}

}  // namespace cdc
