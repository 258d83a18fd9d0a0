#include "decoders/json/json_encoder.h"

#include "decoders/base/append_number.h"
#include "decoders/json/debezium_schema.h"
#include "decoders/values/binary_json.h"
#include "decoders/values/value_json.h"

namespace cdc {

namespace {

// The bytes of an image's values: the size of the row's JSON, roughly (bytea's hex shrinks to
// base64, escapes grow a little).
size_t ImageBytes(const RowImage& image) {
  size_t n = 0;
  if (image.tuple != nullptr) {
    for (const auto& v : *image.tuple) n += v.data.size();
  }
  return n;
}

}  // namespace

JsonEncoder::JsonEncoder(const EventOptions& options, Clock now_unix_micros)
    : options_(options),
      clock_(now_unix_micros != nullptr ? now_unix_micros : &UnixMicrosNow),
      message_value_schema_(
          BuildMessageValueSchemaJson(options.converter.binary == BinaryHandling::kBytes)) {
  JsonWriter w(&source_head_);
  w.BeginObject();
  w.Key("version");
  w.String(options_.source_version);
  w.Key("connector");
  w.String("postgresql");
  w.Key("name");
  w.String(options_.name);
  // Left open: the per-record members follow.
}

const JsonEncoder::JsonTable& JsonEncoder::Prepare(const TableSchema& t) {
  JsonTable& jt = tables_[t.relation.oid];
  if (jt.version == t.version && t.version != 0) return jt;
  jt = JsonTable{};
  jt.version = t.version;
  const auto& columns = t.relation.columns;
  jt.keys.resize(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    std::string& k = jt.keys[i];
    k.push_back('"');
    JsonWriter::AppendEscaped(&k, t.FieldName(i));
    k.append("\":");
  }
  jt.defaults.resize(columns.size());
  for (size_t i = 0; i < columns.size() && i < t.defaults.size(); ++i) {
    if (t.defaults[i]) RenderDefault(t.codecs[i], *t.defaults[i], &jt.defaults[i]);
  }
  jt.key_schema = BuildKeySchemaJson(t);
  jt.envelope_schema = BuildEnvelopeSchemaJson(t);
  jt.source_tail += "\"schema\":\"";
  JsonWriter::AppendEscaped(&jt.source_tail, t.relation.nspname);
  jt.source_tail += "\",\"table\":\"";
  JsonWriter::AppendEscaped(&jt.source_tail, t.relation.relname);
  jt.source_tail += "\"";
  return jt;
}

Status JsonEncoder::AppendRow(const TableSchema& t, const JsonTable& jt, const RowImage& image,
                              JsonWriter& w) {
  const pgoutput::Tuple& tuple = *image.tuple;
  w.BeginObject();
  for (size_t i = 0; i < tuple.size(); ++i) {
    if (!t.included[i]) continue;
    const auto& col = t.relation.columns[i];
    w.RawKey(jt.keys[i]);
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
          if (!jt.defaults[i].empty()) {
            w.Raw(jt.defaults[i]);
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

Status JsonEncoder::EncodeKeyPayload(const TableSchema& t, const pgoutput::Tuple& tuple,
                                     const pgoutput::Tuple* fallback, std::string* out) {
  const JsonTable& jt = Prepare(t);
  out->clear();
  JsonWriter w(out);
  w.BeginObject();
  for (size_t i : t.key_columns) {
    const auto& col = t.relation.columns[i];
    w.RawKey(jt.keys[i]);
    const pgoutput::TupleValue* v = &tuple[i];
    if (v->kind == pgoutput::ValueKind::kUnchanged && fallback != nullptr) v = &(*fallback)[i];
    if (v->kind == pgoutput::ValueKind::kText || v->kind == pgoutput::ValueKind::kBinary) {
      Status s = v->kind == pgoutput::ValueKind::kText ? AppendValue(t.codecs[i], v->data, w)
                                                       : AppendBinaryValue(t.codecs[i], v->data, w);
      if (!s.ok()) return s.WithContext(t.qualified_name + "." + col.name + " (key)");
    } else {
      w.Null();
    }
  }
  w.EndObject();
  return Status::Ok();
}

void JsonEncoder::AppendSource(JsonWriter& w, std::string* v, const SourceInfo& f,
                               std::string_view schema_table_json) {
  // The fixed parts are cached per encoder (source_head_) and per table (schema_table_json).
  // The head goes through the writer so it knows a value was written; the rest is appended.
  w.Raw(source_head_);
  v->append(",\"ts_ms\":");
  AppendInt(v, f.ts_us / 1000);
  v->append(",\"snapshot\":\"");
  v->append(f.snapshot);
  v->append("\",\"db\":\"");
  JsonWriter::AppendEscaped(v, options_.database);
  v->append("\",\"sequence\":\"[");
  if (f.last_commit) {
    v->append("\\\"");
    AppendUInt(v, f.last_commit->value);
    v->append("\\\"");
  } else {
    v->append("null");
  }
  v->append(",\\\"");
  AppendUInt(v, f.lsn.value);
  v->append("\\\"]\",\"ts_us\":");
  AppendInt(v, f.ts_us);
  v->append(",\"ts_ns\":");
  AppendInt(v, f.ts_us * 1000);
  v->push_back(',');
  v->append(schema_table_json);
  v->append(",\"txId\":");
  if (f.xid) {
    AppendUInt(v, f.xid->value);
  } else {
    v->append("null");
  }
  v->append(",\"lsn\":");
  AppendUInt(v, f.lsn.value);
  v->append(",\"xmin\":null,\"origin\":");
  if (f.origin != nullptr) {
    v->push_back('"');
    JsonWriter::AppendEscaped(v, *f.origin);
    v->push_back('"');
  } else {
    v->append("null");
  }
  v->append(",\"origin_lsn\":");
  if (f.origin_lsn) {
    AppendUInt(v, f.origin_lsn->value);
  } else {
    v->append("null");
  }
  v->push_back('}');
}

void JsonEncoder::AppendBlock(const TxnBlock& b, JsonWriter& w) {
  w.BeginObject();
  w.Key("id");
  w.String(b.id);
  w.Key("total_order");
  w.UInt(b.total_order);
  w.Key("data_collection_order");
  w.UInt(b.data_collection_order);
  w.EndObject();
}

void JsonEncoder::Wrap(std::string* buf, std::string_view schema, std::string_view payload) const {
  buf->clear();
  if (!options_.schemas) {
    buf->append(payload);
    return;
  }
  buf->append("{\"schema\":");
  buf->append(schema);
  buf->append(",\"payload\":");
  buf->append(payload);
  buf->push_back('}');
}

void JsonEncoder::WrapOneFieldKey(std::string* buf, std::string_view schema, std::string_view field,
                                  std::string_view value) {
  scratch_.clear();
  JsonWriter k(&scratch_);
  k.BeginObject();
  k.Key(field);
  k.String(value);
  k.EndObject();
  Wrap(buf, schema, scratch_);
}

void JsonEncoder::ReleaseLarge() {
  if (value_buf_.capacity() >= kLargeValueBytes) std::string().swap(value_buf_);
}

Status JsonEncoder::Encode(const ChangeRecord& r, EncodedRecord* out) {
  const TableSchema& t = *r.table;
  const JsonTable& jt = Prepare(t);
  value_buf_.clear();
  // A large row is written into a buffer reserved once for it, not grown by doubling (which
  // holds the old and the new copy at once), and is then handed to the sink (value_owner).
  const size_t row_bytes = ImageBytes(r.before) + ImageBytes(r.after);
  if (row_bytes >= kLargeValueBytes) {
    value_buf_.reserve(row_bytes + jt.envelope_schema.size() + 1024);
  }
  JsonWriter w(&value_buf_);
  w.BeginObject();
  if (options_.schemas) {
    w.RawKey(R"("schema":)");
    w.Raw(jt.envelope_schema);
    w.RawKey(R"("payload":)");
    w.BeginObject();
  }
  w.RawKey(R"("before":)");
  if (r.before.tuple) {
    CDC_RETURN_IF_ERROR(AppendRow(t, jt, r.before, w));
  } else {
    w.Null();
  }
  w.RawKey(R"("after":)");
  if (r.after.tuple) {
    CDC_RETURN_IF_ERROR(AppendRow(t, jt, r.after, w));
  } else {
    w.Null();
  }
  w.RawKey(R"("source":)");
  AppendSource(w, &value_buf_, r.source, jt.source_tail);
  w.RawKey(R"("transaction":)");
  if (r.block != nullptr) {
    AppendBlock(*r.block, w);
  } else {
    w.Null();
  }
  w.RawKey(R"("op":)");
  const char op_json[3] = {'"', r.op, '"'};  // ops are single letters: nothing to escape
  w.Raw(std::string_view(op_json, 3));
  const int64_t now_us = r.source.processed_us != 0 ? r.source.processed_us : clock_();
  w.RawKey(R"("ts_ms":)");
  w.Int(now_us / 1000);
  w.RawKey(R"("ts_us":)");
  w.Int(now_us);
  w.RawKey(R"("ts_ns":)");
  w.Int(now_us * 1000);
  if (options_.schemas) w.EndObject();
  w.EndObject();

  *out = EncodedRecord{};
  out->topic = t.topic;
  if (r.key != nullptr) {
    Wrap(&key_buf_, jt.key_schema, *r.key);
    out->key = key_buf_;
  }
  out->value = value_buf_;
  if (value_buf_.size() >= kLargeValueBytes) out->value_owner = &value_buf_;
  return Status::Ok();
}

Status JsonEncoder::EncodeTombstone(const TableSchema& t, const std::string& key,
                                    EncodedRecord* out) {
  Wrap(&key_buf_, Prepare(t).key_schema, key);
  *out = EncodedRecord{};
  out->topic = t.topic;
  out->key = key_buf_;
  return Status::Ok();
}

Status JsonEncoder::Encode(const TransactionRecord& r, EncodedRecord* out) {
  const TxnContext& txn = *r.txn;
  WrapOneFieldKey(&key_buf_, TransactionKeySchemaJson(), "id", txn.id);
  scratch_.clear();
  JsonWriter w(&scratch_);
  w.BeginObject();
  w.Key("status");
  w.String(r.end ? "END" : "BEGIN");
  w.Key("id");
  w.String(txn.id);
  w.Key("event_count");
  if (r.end) {
    w.UInt(txn.total_order);
  } else {
    w.Null();
  }
  w.Key("data_collections");
  if (r.end) {
    w.BeginArray();
    for (const auto& [name, count] : txn.collections) {
      w.BeginObject();
      w.Key("data_collection");
      w.String(name);
      w.Key("event_count");
      w.UInt(count);
      w.EndObject();
    }
    w.EndArray();
  } else {
    w.Null();
  }
  w.Key("ts_ms");
  w.Int(PgTimestampToUnixMicros(txn.commit_ts) / 1000);
  w.EndObject();
  Wrap(&value_buf_, TransactionValueSchemaJson(), scratch_);
  *out = EncodedRecord{};
  out->topic = options_.transaction_topic;
  out->key = key_buf_;
  out->value = value_buf_;
  return Status::Ok();
}

Status JsonEncoder::Encode(const MessageRecord& r, EncodedRecord* out) {
  WrapOneFieldKey(&key_buf_, MessageKeySchemaJson(), "prefix", r.prefix);
  scratch_.clear();
  JsonWriter w(&scratch_);
  w.BeginObject();
  w.Key("op");
  w.String("m");
  w.Key("ts_ms");
  w.Int(clock_() / 1000);
  w.Key("source");
  AppendSource(w, &scratch_, r.source, R"("schema":"","table":"")");
  w.Key("transaction");
  if (r.block != nullptr) {
    AppendBlock(*r.block, w);
  } else {
    w.Null();
  }
  w.Key("message");
  w.BeginObject();
  w.Key("prefix");
  w.String(r.prefix);
  w.Key("content");
  AppendBytes(options_.converter.binary, r.content, w);
  w.EndObject();
  w.EndObject();
  Wrap(&value_buf_, message_value_schema_, scratch_);
  *out = EncodedRecord{};
  out->topic = options_.message_topic;
  out->key = key_buf_;
  out->value = value_buf_;
  return Status::Ok();
}

Status JsonEncoder::EncodeHeartbeat(EncodedRecord* out) {
  WrapOneFieldKey(&key_buf_, HeartbeatKeySchemaJson(), "serverName", options_.name);
  scratch_.clear();
  JsonWriter w(&scratch_);
  w.BeginObject();
  w.Key("ts_ms");
  w.Int(clock_() / 1000);
  w.EndObject();
  Wrap(&value_buf_, HeartbeatValueSchemaJson(), scratch_);
  *out = EncodedRecord{};
  out->topic = options_.heartbeat_topic;
  out->key = key_buf_;
  out->value = value_buf_;
  return Status::Ok();
}

}  // namespace cdc
