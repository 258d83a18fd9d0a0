#include "decoders/avro/avro_encoder.h"

#include "decoders/avro/avro_datum.h"
#include "decoders/base/append_number.h"
#include "decoders/events/record_schemas.h"
#include "decoders/values/binary_json.h"
#include "decoders/values/value_json.h"

namespace cdc {

namespace {

using avro::WriteBranch;
using avro::WriteBytes;
using avro::WriteLong;

// The non-null branch of a ["null", T] / [T, "null"] union (or the schema itself).
const AvroSchema& NonNull(const AvroSchema& s) {
  const int n = s.NullBranch();
  return n < 0 ? s : *s.branches[static_cast<size_t>(1 - n)];
}

const AvroSchema& FieldOf(const AvroSchema& record, size_t i) { return *record.fields[i].schema; }

size_t ImageBytes(const RowImage& image) {
  size_t n = 0;
  if (image.tuple != nullptr) {
    for (const auto& v : *image.tuple) n += v.data.size();
  }
  return n;
}

// Envelope and source field positions (record_schemas.cc's order).
enum EnvelopeField : size_t { kBefore, kAfter, kSource, kTransaction, kOp, kTsMs, kTsUs, kTsNs };
enum SourceField : size_t {
  kVersion,
  kConnector,
  kName,
  kSrcTsMs,
  kSnapshot,
  kDb,
  kSequence,
  kSrcTsUs,
  kSrcTsNs,
  kSchema,
  kTable,
  kTxId,
  kLsn,
  kXmin,
  kOrigin,
  kOriginLsn,
};

}  // namespace

AvroEncoder::AvroEncoder(const EventOptions& options, SchemaRegistrar& registrar, Clock now)
    : options_(options), registrar_(registrar), clock_(now != nullptr ? now : &UnixMicrosNow) {
  // The source block's names are fixed and valid: this cannot fail.
  auto source = AvroSchemaOf(SourceSchema(), "the source block");
  if (source.ok()) source_ = *source;
}

Status AvroEncoder::Register(std::string_view topic, const AvroSchema& schema,
                             const std::string& text, bool key, int32_t* id) {
  const std::string subject =
      SubjectFor(options_.subject_strategy, topic, NonNull(schema).FullName(), key);
  return registrar_.IdFor(subject, SchemaType::kAvro, text, id);
}

Result<const AvroEncoder::AvroTable*> AvroEncoder::Prepare(const TableSchema& t) {
  AvroTable& at = tables_[t.relation.oid];
  if (at.ready && at.version == t.version && t.version != 0) return &at;
  at = AvroTable{};
  at.version = t.version;
  const std::string where = "table " + t.qualified_name + " (topic " + t.topic + ")";
  if (!t.key_columns.empty()) {
    auto key = AvroSchemaOf(KeySchemaOf(t), where);
    if (!key.ok()) return key.status();
    at.key = *key;
    at.key_text = AvroSchemaText(*at.key);
  }
  auto envelope = AvroSchemaOf(EnvelopeSchemaOf(t), where);
  if (!envelope.ok()) return envelope.status();
  at.envelope = *envelope;
  at.value_text = AvroSchemaText(*at.envelope);
  at.row = &NonNull(FieldOf(*at.envelope, kBefore));
  const auto& columns = t.relation.columns;
  at.defaults.resize(columns.size());
  for (size_t i = 0; i < columns.size() && i < t.defaults.size(); ++i) {
    if (t.defaults[i]) RenderDefault(t.codecs[i], *t.defaults[i], &at.defaults[i]);
  }
  // The key first, as AvroConverter does (the key converter runs before the value converter).
  if (at.key) CDC_RETURN_IF_ERROR(Register(t.topic, *at.key, at.key_text, true, &at.key_id));
  CDC_RETURN_IF_ERROR(Register(t.topic, *at.envelope, at.value_text, false, &at.value_id));
  at.ready = true;
  return &at;
}

Status AvroEncoder::PrepareFixed(FixedRecord& f, const ConnectSchema& key,
                                 const ConnectSchema& value, const std::string& topic) {
  if (f.ready) return Status::Ok();
  auto k = AvroSchemaOf(key, "topic " + topic);
  if (!k.ok()) return k.status();
  auto v = AvroSchemaOf(value, "topic " + topic);
  if (!v.ok()) return v.status();
  f.key = *k;
  f.value = *v;
  CDC_RETURN_IF_ERROR(Register(topic, *f.key, AvroSchemaText(*f.key), true, &f.key_id));
  CDC_RETURN_IF_ERROR(Register(topic, *f.value, AvroSchemaText(*f.value), false, &f.value_id));
  f.ready = true;
  return Status::Ok();
}

Result<AvroEncoder::Texts> AvroEncoder::SchemaTextsFor(const TableSchema& t) {
  auto at = Prepare(t);
  if (!at.ok()) return at.status();
  return Texts{(*at)->key_text, (*at)->value_text};
}

Status AvroEncoder::Transcode(const AvroSchema& schema, std::string_view json, std::string* out) {
  JsonCursor in(json);
  return avro::WriteJsonAsAvro(schema, in, out);
}

Status AvroEncoder::RowJson(const TableSchema& t, const AvroTable& at, const RowImage& image,
                            std::string* json) {
  // As JsonEncoder::AppendRow: the same values, fallbacks and placeholders.
  json->clear();
  const pgoutput::Tuple& tuple = *image.tuple;
  JsonWriter w(json);
  w.BeginObject();
  for (size_t i = 0; i < tuple.size(); ++i) {
    if (!t.included[i]) continue;
    const auto& col = t.relation.columns[i];
    w.Key(t.FieldName(i));
    const pgoutput::TupleValue* v = &tuple[i];
    if (v->kind == pgoutput::ValueKind::kUnchanged && image.fallback != nullptr &&
        (*image.fallback)[i].kind != pgoutput::ValueKind::kUnchanged) {
      v = &(*image.fallback)[i];
    }
    Status s;
    switch (v->kind) {
      case pgoutput::ValueKind::kNull:
        if (image.key_only && !t.optional[i]) {
          // Debezium's convertValue: the schema's default, else the type's fall-back.
          if (!at.defaults[i].empty()) {
            w.Raw(at.defaults[i]);
          } else {
            AppendZeroValue(t.codecs[i], w);
          }
        } else {
          w.Null();
        }
        break;
      case pgoutput::ValueKind::kUnchanged:
        s = AppendUnavailable(t.codecs[i], options_.converter, w);
        break;
      case pgoutput::ValueKind::kText: s = AppendValue(t.codecs[i], v->data, w); break;
      case pgoutput::ValueKind::kBinary: s = AppendBinaryValue(t.codecs[i], v->data, w); break;
    }
    if (!s.ok()) return s.WithContext(t.qualified_name + "." + col.name);
  }
  w.EndObject();
  return Status::Ok();
}

Status AvroEncoder::EncodeKeyPayload(const TableSchema& t, const pgoutput::Tuple& tuple,
                                     const pgoutput::Tuple* fallback, std::string* out) {
  auto prepared = Prepare(t);
  if (!prepared.ok()) return prepared.status();
  const AvroTable& at = **prepared;
  if (!at.key) return Status::InvalidArgument("table " + t.qualified_name + " has no key");
  // The key's JSON as JsonEncoder::EncodeKeyPayload makes it, then its datum.
  json_.clear();
  JsonWriter w(&json_);
  w.BeginObject();
  for (size_t i : t.key_columns) {
    const auto& col = t.relation.columns[i];
    w.Key(t.FieldName(i));
    const pgoutput::TupleValue* v = &tuple[i];
    if (v->kind == pgoutput::ValueKind::kUnchanged && fallback != nullptr) v = &(*fallback)[i];
    if (v->kind == pgoutput::ValueKind::kText || v->kind == pgoutput::ValueKind::kBinary) {
      Status s = v->kind == pgoutput::ValueKind::kText ? AppendValue(t.codecs[i], v->data, w)
                                                       : AppendBinaryValue(t.codecs[i], v->data, w);
      if (!s.ok()) return s.WithContext(t.qualified_name + "." + col.name + " (key)");
    } else {
      // A key column without a value cannot be written in a required Avro field: the type's
      // zero value, as Debezium's convertValue gives a required field.
      AppendZeroValue(t.codecs[i], w);
    }
  }
  w.EndObject();
  out->clear();
  WriteFrameHeader(out, at.key_id);
  return Transcode(*at.key, json_, out).WithContext(t.qualified_name + " (key)");
}

void AvroEncoder::WriteSource(const SourceInfo& f, std::string_view schema, std::string_view table,
                              std::string* out) const {
  const AvroSchema& s = *source_;
  WriteBytes(out, options_.source_version);
  WriteBytes(out, "postgresql");
  WriteBytes(out, options_.name);
  WriteLong(out, f.ts_us / 1000);
  WriteBranch(out, FieldOf(s, kSnapshot), true);
  WriteBytes(out, f.snapshot);
  WriteBytes(out, options_.database);
  // sequence: the JSON array of the last commit's and this record's LSNs, as strings.
  WriteBranch(out, FieldOf(s, kSequence), true);
  std::string seq = "[";
  if (f.last_commit) {
    seq.push_back('"');
    AppendUInt(&seq, f.last_commit->value);
    seq.push_back('"');
  } else {
    seq.append("null");
  }
  seq.append(",\"");
  AppendUInt(&seq, f.lsn.value);
  seq.append("\"]");
  WriteBytes(out, seq);
  WriteBranch(out, FieldOf(s, kSrcTsUs), true);
  WriteLong(out, f.ts_us);
  WriteBranch(out, FieldOf(s, kSrcTsNs), true);
  WriteLong(out, f.ts_us * 1000);
  WriteBytes(out, schema);
  WriteBytes(out, table);
  WriteBranch(out, FieldOf(s, kTxId), f.xid.has_value());
  if (f.xid) WriteLong(out, static_cast<int64_t>(f.xid->value));
  WriteBranch(out, FieldOf(s, kLsn), true);
  WriteLong(out, static_cast<int64_t>(f.lsn.value));
  WriteBranch(out, FieldOf(s, kXmin), false);
  WriteBranch(out, FieldOf(s, kOrigin), f.origin != nullptr);
  if (f.origin != nullptr) WriteBytes(out, *f.origin);
  WriteBranch(out, FieldOf(s, kOriginLsn), f.origin_lsn.has_value());
  if (f.origin_lsn) WriteLong(out, static_cast<int64_t>(f.origin_lsn->value));
}

void AvroEncoder::WriteBlock(const AvroSchema& field, const TxnBlock* b, std::string* out) const {
  WriteBranch(out, field, b != nullptr);
  if (b == nullptr) return;
  WriteBytes(out, b->id);
  WriteLong(out, static_cast<int64_t>(b->total_order));
  WriteLong(out, static_cast<int64_t>(b->data_collection_order));
}

void AvroEncoder::ReleaseLarge() {
  if (value_buf_.capacity() >= kLargeValueBytes) std::string().swap(value_buf_);
}

Status AvroEncoder::Encode(const ChangeRecord& r, EncodedRecord* out) {
  const TableSchema& t = *r.table;
  auto prepared = Prepare(t);
  if (!prepared.ok()) return prepared.status();
  const AvroTable& at = **prepared;
  const AvroSchema& env = *at.envelope;
  value_buf_.clear();
  const size_t row_bytes = ImageBytes(r.before) + ImageBytes(r.after);
  if (row_bytes >= kLargeValueBytes) value_buf_.reserve(row_bytes + 1024);
  WriteFrameHeader(&value_buf_, at.value_id);
  for (const RowImage* image : {&r.before, &r.after}) {
    const size_t field = image == &r.before ? kBefore : kAfter;
    WriteBranch(&value_buf_, FieldOf(env, field), image->tuple != nullptr);
    if (image->tuple == nullptr) continue;
    CDC_RETURN_IF_ERROR(RowJson(t, at, *image, &json_));
    CDC_RETURN_IF_ERROR(Transcode(*at.row, json_, &value_buf_).WithContext(t.qualified_name));
  }
  WriteSource(r.source, t.relation.nspname, t.relation.relname, &value_buf_);
  WriteBlock(FieldOf(env, kTransaction), r.block, &value_buf_);
  WriteBytes(&value_buf_, std::string_view(&r.op, 1));
  const int64_t now_us = r.source.processed_us != 0 ? r.source.processed_us : clock_();
  WriteBranch(&value_buf_, FieldOf(env, kTsMs), true);
  WriteLong(&value_buf_, now_us / 1000);
  WriteBranch(&value_buf_, FieldOf(env, kTsUs), true);
  WriteLong(&value_buf_, now_us);
  WriteBranch(&value_buf_, FieldOf(env, kTsNs), true);
  WriteLong(&value_buf_, now_us * 1000);

  *out = EncodedRecord{};
  out->topic = t.topic;
  if (r.key != nullptr) out->key = *r.key;  // already framed (EncodeKeyPayload)
  out->value = value_buf_;
  if (value_buf_.size() >= kLargeValueBytes) out->value_owner = &value_buf_;
  return Status::Ok();
}

Status AvroEncoder::EncodeTombstone(const TableSchema& t, const std::string& key,
                                    EncodedRecord* out) {
  // A null value is Kafka-null with no registration (AvroConverter); the key is framed already.
  *out = EncodedRecord{};
  out->topic = t.topic;
  out->key = key;
  return Status::Ok();
}

Status AvroEncoder::Encode(const TransactionRecord& r, EncodedRecord* out) {
  CDC_RETURN_IF_ERROR(PrepareFixed(transaction_, TransactionKeySchema(), TransactionValueSchema(),
                                   options_.transaction_topic));
  const TxnContext& txn = *r.txn;
  key_buf_.clear();
  WriteFrameHeader(&key_buf_, transaction_.key_id);
  WriteBytes(&key_buf_, txn.id);

  const AvroSchema& v = *transaction_.value;
  value_buf_.clear();
  WriteFrameHeader(&value_buf_, transaction_.value_id);
  WriteBytes(&value_buf_, r.end ? "END" : "BEGIN");
  WriteBytes(&value_buf_, txn.id);
  WriteBranch(&value_buf_, FieldOf(v, 2), r.end);
  if (r.end) WriteLong(&value_buf_, static_cast<int64_t>(txn.total_order));
  WriteBranch(&value_buf_, FieldOf(v, 3), r.end);
  if (r.end) {
    const AvroSchema& item = *NonNull(FieldOf(v, 3)).items;
    if (!txn.collections.empty()) {
      WriteLong(&value_buf_, static_cast<int64_t>(txn.collections.size()));
      for (const auto& [name, count] : txn.collections) {
        WriteBranch(&value_buf_, item, true);
        WriteBytes(&value_buf_, name);
        WriteLong(&value_buf_, static_cast<int64_t>(count));
      }
    }
    WriteLong(&value_buf_, 0);
  }
  WriteLong(&value_buf_, PgTimestampToUnixMicros(txn.commit_ts) / 1000);
  *out = EncodedRecord{};
  out->topic = options_.transaction_topic;
  out->key = key_buf_;
  out->value = value_buf_;
  return Status::Ok();
}

Status AvroEncoder::Encode(const MessageRecord& r, EncodedRecord* out) {
  const bool content_as_bytes = options_.converter.binary == BinaryHandling::kBytes;
  CDC_RETURN_IF_ERROR(PrepareFixed(message_, MessageKeySchema(),
                                   MessageValueSchema(content_as_bytes), options_.message_topic));
  key_buf_.clear();
  WriteFrameHeader(&key_buf_, message_.key_id);
  WriteBranch(&key_buf_, FieldOf(*message_.key, 0), true);
  WriteBytes(&key_buf_, r.prefix);

  const AvroSchema& v = *message_.value;
  value_buf_.clear();
  WriteFrameHeader(&value_buf_, message_.value_id);
  WriteBytes(&value_buf_, "m");
  WriteBranch(&value_buf_, FieldOf(v, 1), true);
  WriteLong(&value_buf_, clock_() / 1000);
  WriteSource(r.source, "", "", &value_buf_);
  WriteBlock(FieldOf(v, 3), r.block, &value_buf_);
  // The message as the JSON format renders it (content per binary.handling.mode), as a datum.
  json_.clear();
  JsonWriter w(&json_);
  w.BeginObject();
  w.Key("prefix");
  w.String(r.prefix);
  w.Key("content");
  AppendBytes(options_.converter.binary, r.content, w);
  w.EndObject();
  CDC_RETURN_IF_ERROR(Transcode(FieldOf(v, 4), json_, &value_buf_));
  *out = EncodedRecord{};
  out->topic = options_.message_topic;
  out->key = key_buf_;
  out->value = value_buf_;
  return Status::Ok();
}

Status AvroEncoder::EncodeHeartbeat(EncodedRecord* out) {
  CDC_RETURN_IF_ERROR(PrepareFixed(heartbeat_, HeartbeatKeySchema(), HeartbeatValueSchema(),
                                   options_.heartbeat_topic));
  key_buf_.clear();
  WriteFrameHeader(&key_buf_, heartbeat_.key_id);
  WriteBytes(&key_buf_, options_.name);
  value_buf_.clear();
  WriteFrameHeader(&value_buf_, heartbeat_.value_id);
  WriteLong(&value_buf_, clock_() / 1000);
  *out = EncodedRecord{};
  out->topic = options_.heartbeat_topic;
  out->key = key_buf_;
  out->value = value_buf_;
  return Status::Ok();
}

}  // namespace cdc
