#include "decoders/event_builder.h"

#include <array>
#include <charconv>
#include <chrono>

#include "decoders/debezium_schema.h"
#include "decoders/json_writer.h"
#include "decoders/pg_binary.h"

namespace cdc {

namespace {

int64_t SystemClockMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

void AppendUInt(std::string* out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

// The bytes of a tuple's text values: the size of the row's JSON, roughly (bytea's hex shrinks to
// base64, escapes grow a little).
size_t TextBytes(const pgoutput::Tuple* tuple) {
  size_t n = 0;
  if (tuple != nullptr) {
    for (const auto& v : *tuple) n += v.data.size();
  }
  return n;
}

// True when any key column of `tuple` was not sent ('n' in a 'K' tuple, or 'u'): the tuple then
// cannot tell whether the key changed.
bool KeyIncomplete(const TableSchema& t, const pgoutput::Tuple& tuple) {
  for (size_t i : t.key_columns) {
    if (tuple[i].kind != pgoutput::ValueKind::kText &&
        tuple[i].kind != pgoutput::ValueKind::kBinary) {
      return true;
    }
  }
  return false;
}

}  // namespace

EventBuilder::EventBuilder(const EventOptions& options, Clock now_unix_micros)
    : options_(options),
      clock_(now_unix_micros ? now_unix_micros : &SystemClockMicros),
      transaction_topic_(options.name + ".transaction"),
      message_topic_(options.name + ".message"),
      heartbeat_topic_("__debezium-heartbeat." + options.name),
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
  // Left open: the per-event members follow.
}

Status EventBuilder::CheckArity(const TableSchema& t, const pgoutput::Tuple& tuple) const {
  if (tuple.size() != t.relation.columns.size()) {
    return Status::Corruption("tuple for " + t.qualified_name + " has " +
                              std::to_string(tuple.size()) + " columns, its Relation has " +
                              std::to_string(t.relation.columns.size()));
  }
  return Status::Ok();
}

Status EventBuilder::AppendRow(const TableSchema& t, const pgoutput::Tuple& tuple,
                               const pgoutput::Tuple* fallback, bool key_only, JsonWriter& w) {
  w.BeginObject();
  for (size_t i = 0; i < tuple.size(); ++i) {
    if (!t.included[i]) continue;
    const auto& col = t.relation.columns[i];
    w.RawKey(t.json_keys[i]);
    const pgoutput::TupleValue* v = &tuple[i];
    if (v->kind == pgoutput::ValueKind::kUnchanged && fallback != nullptr &&
        (*fallback)[i].kind != pgoutput::ValueKind::kUnchanged) {
      v = &(*fallback)[i];
    }
    Status s;
    switch (v->kind) {
      case pgoutput::ValueKind::kNull:
        if (key_only && !t.optional[i]) {
          AppendZeroValue(t.codecs[i], w);
        } else {
          w.Null();
        }
        break;
      case pgoutput::ValueKind::kUnchanged:
        s = AppendUnavailable(t.codecs[i], options_.converter, w);
        break;
      case pgoutput::ValueKind::kText:
        s = AppendValue(t.codecs[i], v->data, w);
        break;
      case pgoutput::ValueKind::kBinary:
        s = AppendBinaryValue(t.codecs[i], v->data, w);
        break;
    }
    if (!s.ok()) return s.WithContext(t.qualified_name + "." + col.name);
  }
  w.EndObject();
  return Status::Ok();
}

Status EventBuilder::BuildKeyPayload(const TableSchema& t, const pgoutput::Tuple& tuple,
                                     const pgoutput::Tuple* fallback, std::string* out) {
  out->clear();
  JsonWriter w(out);
  w.BeginObject();
  for (size_t i : t.key_columns) {
    const auto& col = t.relation.columns[i];
    w.RawKey(t.json_keys[i]);
    const pgoutput::TupleValue* v = &tuple[i];
    if (v->kind == pgoutput::ValueKind::kUnchanged && fallback != nullptr) v = &(*fallback)[i];
    if (v->kind == pgoutput::ValueKind::kText || v->kind == pgoutput::ValueKind::kBinary) {
      Status s = v->kind == pgoutput::ValueKind::kText
                     ? AppendValue(t.codecs[i], v->data, w)
                     : AppendBinaryValue(t.codecs[i], v->data, w);
      if (!s.ok()) return s.WithContext(t.qualified_name + "." + col.name + " (key)");
    } else {
      w.Null();
    }
  }
  w.EndObject();
  return Status::Ok();
}

EventBuilder::SourceFields EventBuilder::Streamed(const TxnContext& txn, Lsn lsn) {
  SourceFields f;
  f.ts_us = PgTimestampToUnixMicros(txn.commit_ts);
  f.xid = txn.xid;
  f.last_commit = txn.last_commit_lsn;
  f.lsn = lsn;
  if (txn.origin) f.origin = &*txn.origin;
  f.origin_lsn = txn.origin_lsn;
  return f;
}

void EventBuilder::AppendSource(JsonWriter& w, std::string* v, const SourceFields& f,
                                std::string_view schema_table_json) {
  // The fixed parts are cached per builder (source_head_) and per table (schema_table_json).
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

void EventBuilder::AppendTransactionBlock(const TableSchema* t, TxnContext& txn, JsonWriter& w) {
  uint64_t* per_table = t == nullptr ? &txn.messages : nullptr;
  if (t != nullptr) {
    for (auto& [name, count] : txn.collections) {
      if (name == t->qualified_name) per_table = &count;
    }
    if (per_table == nullptr) per_table = &txn.collections.emplace_back(t->qualified_name, 0).second;
  }
  ++txn.total_order;
  ++*per_table;
  w.BeginObject();
  w.Key("id");
  w.String(txn.id);
  w.Key("total_order");
  w.UInt(txn.total_order);
  w.Key("data_collection_order");
  w.UInt(*per_table);
  w.EndObject();
}

void EventBuilder::WrapOneFieldKey(std::string* buf, std::string_view schema,
                                   std::string_view field, std::string_view value) {
  scratch_.clear();
  JsonWriter k(&scratch_);
  k.BeginObject();
  k.Key(field);
  k.String(value);
  k.EndObject();
  Wrap(buf, schema, scratch_);
}

void EventBuilder::Wrap(std::string* buf, std::string_view schema, std::string_view payload) {
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

void EventBuilder::WrapKey(const TableSchema& t, const std::string& payload) {
  key_buf_.clear();
  if (!options_.schemas) {
    key_buf_.append(payload);
    return;
  }
  key_buf_.append("{\"schema\":");
  key_buf_.append(t.key_schema_json);
  key_buf_.append(",\"payload\":");
  key_buf_.append(payload);
  key_buf_.push_back('}');
}

Status EventBuilder::EmitChange(const TableSchema& t, char op, const std::string* key_payload,
                                const pgoutput::Tuple* before, bool before_key_only,
                                const pgoutput::Tuple* after,
                                const pgoutput::Tuple* after_fallback,
                                const SourceFields& source, TxnContext* txn,
                                std::span<const EventHeader> headers, EventEmitter& out) {
  value_buf_.clear();
  // A large row is written into a buffer reserved once for it, not grown by doubling (which
  // holds the old and the new copy at once), and is then handed to the sink (value_owner).
  const size_t row_bytes = TextBytes(before) + TextBytes(after);
  if (row_bytes >= kLargeEventBytes) {
    value_buf_.reserve(row_bytes + t.envelope_schema_json.size() + 1024);
  }
  JsonWriter w(&value_buf_);
  w.BeginObject();
  if (options_.schemas) {
    w.RawKey(R"("schema":)");
    w.Raw(t.envelope_schema_json);
    w.RawKey(R"("payload":)");
    w.BeginObject();
  }
  w.RawKey(R"("before":)");
  if (before) {
    CDC_RETURN_IF_ERROR(AppendRow(t, *before, nullptr, before_key_only, w));
  } else {
    w.Null();
  }
  w.RawKey(R"("after":)");
  if (after) {
    CDC_RETURN_IF_ERROR(AppendRow(t, *after, after_fallback, false, w));
  } else {
    w.Null();
  }

  w.RawKey(R"("source":)");
  AppendSource(w, &value_buf_, source, t.source_tail_json);
  w.RawKey(R"("transaction":)");
  if (options_.transaction_metadata && txn != nullptr) {
    AppendTransactionBlock(&t, *txn, w);
  } else {
    w.Null();
  }
  w.RawKey(R"("op":)");
  const char op_json[3] = {'"', op, '"'};  // ops are single letters: nothing to escape
  w.Raw(std::string_view(op_json, 3));
  const int64_t now_us = source.processed_us != 0 ? source.processed_us : clock_();
  w.RawKey(R"("ts_ms":)");
  w.Int(now_us / 1000);
  w.RawKey(R"("ts_us":)");
  w.Int(now_us);
  w.RawKey(R"("ts_ns":)");
  w.Int(now_us * 1000);
  if (options_.schemas) w.EndObject();
  w.EndObject();

  ChangeEvent ev;
  ev.topic = t.topic;
  if (key_payload) {
    WrapKey(t, *key_payload);
    ev.key = key_buf_;
  }
  ev.value = value_buf_;
  if (value_buf_.size() >= kLargeEventBytes) ev.value_owner = &value_buf_;
  ev.headers = headers;
  ev.table = t.qualified_name;
  ev.op = op;
  ev.lsn = source.lsn;
  Status s = out.Emit(ev);
  // Whether or not the sink took it, a large buffer is not kept for the next event.
  if (value_buf_.capacity() >= kLargeEventBytes) std::string().swap(value_buf_);
  return s;
}

Status EventBuilder::EmitTombstone(const TableSchema& t, const std::string* key_payload, Lsn lsn,
                                   EventEmitter& out, std::span<const EventHeader> headers) {
  // A tombstone without a key compacts nothing; Debezium sends none for key-less tables.
  if (!options_.tombstones || key_payload == nullptr) return Status::Ok();
  WrapKey(t, *key_payload);
  ChangeEvent ev;
  ev.topic = t.topic;
  ev.key = key_buf_;
  ev.headers = headers;
  ev.table = t.qualified_name;
  ev.lsn = lsn;
  return out.Emit(ev);
}

Status EventBuilder::OnInsert(const TableSchema& t, const pgoutput::Insert& m,
                              TxnContext& txn, Lsn lsn, EventEmitter& out) {
  CDC_RETURN_IF_ERROR(CheckArity(t, m.new_tuple));
  if (options_.skip_create) return Status::Ok();
  const std::string* key = nullptr;
  if (!t.key_columns.empty()) {
    CDC_RETURN_IF_ERROR(BuildKeyPayload(t, m.new_tuple, nullptr, &key_payload_));
    key = &key_payload_;
  }
  return EmitChange(t, 'c', key, nullptr, false, &m.new_tuple, nullptr, Streamed(txn, lsn), &txn, {}, out);
}

TxnContext TxnContext::Of(const pgoutput::Begin& b, bool with_id) {
  TxnContext txn;
  txn.xid = b.xid;
  txn.commit_ts = b.commit_ts;
  txn.final_lsn = b.final_lsn;
  if (with_id) txn.id = std::to_string(b.xid.value) + ":" + std::to_string(b.final_lsn.value);
  return txn;
}

Result<bool> EventBuilder::BuildUpdateKeys(const TableSchema& t, const pgoutput::Update& m,
                                            const pgoutput::Tuple* old) {
  CDC_RETURN_IF_ERROR(BuildKeyPayload(t, m.new_tuple, old, &key_payload_));
  if (old == nullptr || KeyIncomplete(t, *old)) return false;
  CDC_RETURN_IF_ERROR(BuildKeyPayload(t, *old, nullptr, &other_key_payload_));
  return other_key_payload_ != key_payload_;
}

Status EventBuilder::EmitKeyChangeDelete(const TableSchema& t, const pgoutput::Update& m,
                                         const std::string& old_key, const std::string& new_key,
                                         TxnContext& txn, Lsn lsn, EventEmitter& out) {
  const std::array<EventHeader, 1> newkey_header{EventHeader{"__debezium.newkey", new_key}};
  CDC_RETURN_IF_ERROR(EmitChange(t, 'd', &old_key, &m.old_tuple, m.old_kind == 'K', nullptr,
                                 nullptr, Streamed(txn, lsn), &txn, newkey_header, out));
  return EmitTombstone(t, &old_key, lsn, out, newkey_header);
}

Status EventBuilder::OnUpdate(const TableSchema& t, const pgoutput::Update& m,
                              TxnContext& txn, Lsn lsn, EventEmitter& out) {
  CDC_RETURN_IF_ERROR(CheckArity(t, m.new_tuple));
  const pgoutput::Tuple* old = m.old_kind != 0 ? &m.old_tuple : nullptr;
  if (old) CDC_RETURN_IF_ERROR(CheckArity(t, *old));
  // 'O' (FULL) carries every old value, so it also fills unchanged TOAST values of the new row.
  const pgoutput::Tuple* fallback = m.old_kind == 'O' ? old : nullptr;

  const std::string* key = nullptr;
  if (!t.key_columns.empty()) {
    Result<bool> moved = BuildUpdateKeys(t, m, old);
    if (!moved.ok()) return moved.status();
    key = &key_payload_;
    if (*moved) {
      // Primary-key change: delete under the old key (+ tombstone), create under the new one,
      // with headers naming the other key (debezium-format.md §1.1).
      if (options_.skip_update) return Status::Ok();
      const std::string new_key = key_payload_;
      const std::string old_key = other_key_payload_;
      CDC_RETURN_IF_ERROR(EmitKeyChangeDelete(t, m, old_key, new_key, txn, lsn, out));
      const std::array<EventHeader, 1> oldkey_header{EventHeader{"__debezium.oldkey", old_key}};
      return EmitChange(t, 'c', &new_key, nullptr, false, &m.new_tuple, fallback,
                        Streamed(txn, lsn), &txn, oldkey_header, out);
    }
  }
  if (options_.skip_update) return Status::Ok();
  return EmitChange(t, 'u', key, old, m.old_kind == 'K', &m.new_tuple, fallback,
                    Streamed(txn, lsn), &txn, {}, out);
}

Status EventBuilder::OnKeyChangeDelete(const TableSchema& t, const pgoutput::Update& m,
                                       TxnContext& txn, Lsn lsn, EventEmitter& out) {
  if (t.key_columns.empty() || m.old_kind == 0 || options_.skip_update) return Status::Ok();
  CDC_RETURN_IF_ERROR(CheckArity(t, m.new_tuple));
  CDC_RETURN_IF_ERROR(CheckArity(t, m.old_tuple));
  Result<bool> moved = BuildUpdateKeys(t, m, &m.old_tuple);
  if (!moved.ok()) return moved.status();
  if (!*moved) return Status::Ok();
  const std::string new_key = key_payload_;
  const std::string old_key = other_key_payload_;
  return EmitKeyChangeDelete(t, m, old_key, new_key, txn, lsn, out);
}

Status EventBuilder::OnDelete(const TableSchema& t, const pgoutput::Delete& m,
                              TxnContext& txn, Lsn lsn, EventEmitter& out) {
  CDC_RETURN_IF_ERROR(CheckArity(t, m.old_tuple));
  if (options_.skip_delete) return Status::Ok();
  const std::string* key = nullptr;
  if (!t.key_columns.empty()) {
    CDC_RETURN_IF_ERROR(BuildKeyPayload(t, m.old_tuple, nullptr, &key_payload_));
    key = &key_payload_;
  }
  CDC_RETURN_IF_ERROR(
      EmitChange(t, 'd', key, &m.old_tuple, m.old_kind == 'K', nullptr, nullptr, Streamed(txn, lsn), &txn, {}, out));
  return EmitTombstone(t, key, lsn, out);
}

Status EventBuilder::OnTruncate(const TableSchema& t, TxnContext& txn, Lsn lsn,
                                EventEmitter& out) {
  if (!options_.emit_truncate) return Status::Ok();
  return EmitChange(t, 't', nullptr, nullptr, false, nullptr, nullptr, Streamed(txn, lsn), &txn, {}, out);
}

Status EventBuilder::OnRead(const TableSchema& t, const pgoutput::Tuple& row,
                            const ReadContext& read, EventEmitter& out) {
  CDC_RETURN_IF_ERROR(CheckArity(t, row));
  const std::string* key = nullptr;
  if (!t.key_columns.empty()) {
    CDC_RETURN_IF_ERROR(BuildKeyPayload(t, row, nullptr, &key_payload_));
    key = &key_payload_;
  }
  // Like Debezium's snapshot records: no transaction, no previous commit, the snapshot's LSN.
  SourceFields source;
  source.ts_us = read.read_unix_micros;
  source.lsn = read.snapshot_lsn;
  source.snapshot = read.marker;
  source.processed_us = read.read_unix_micros;  // a read is processed as it is read
  return EmitChange(t, 'r', key, nullptr, false, &row, nullptr, source, nullptr, {}, out);
}

Status EventBuilder::OnTransactionBegin(const TxnContext& txn, EventEmitter& out) {
  return EmitTransactionRecord(txn, /*end=*/false, out);
}

Status EventBuilder::OnTransactionEnd(const TxnContext& txn, EventEmitter& out) {
  return EmitTransactionRecord(txn, /*end=*/true, out);
}

Status EventBuilder::EmitTransactionRecord(const TxnContext& txn, bool end, EventEmitter& out) {
  WrapOneFieldKey(&tx_key_buf_, kTransactionKeySchemaJson, "id", txn.id);

  scratch_.clear();
  JsonWriter w(&scratch_);
  w.BeginObject();
  w.Key("status");
  w.String(end ? "END" : "BEGIN");
  w.Key("id");
  w.String(txn.id);
  w.Key("event_count");
  if (end) {
    w.UInt(txn.total_order);
  } else {
    w.Null();
  }
  w.Key("data_collections");
  if (end) {
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
  Wrap(&tx_value_buf_, kTransactionValueSchemaJson, scratch_);

  ChangeEvent ev;
  ev.topic = transaction_topic_;
  ev.key = tx_key_buf_;
  ev.value = tx_value_buf_;
  ev.table = transaction_topic_;
  ev.lsn = txn.final_lsn;
  return out.Emit(ev);
}

Status EventBuilder::OnMessage(const MessageContext& m, EventEmitter& out) {
  WrapOneFieldKey(&key_buf_, kMessageKeySchemaJson, "prefix", m.prefix);

  scratch_.clear();
  JsonWriter w(&scratch_);
  w.BeginObject();
  w.Key("op");
  w.String("m");
  w.Key("ts_ms");
  w.Int(clock_() / 1000);
  w.Key("source");
  const bool tx = m.transactional && m.txn != nullptr;
  // Transactional messages take their time from the transaction; others from when pgcdc saw
  // them (debezium-format.md §1.3).
  SourceFields source;
  if (tx) {
    source = Streamed(*m.txn, m.lsn);
  } else {
    source.ts_us = m.seen_unix_micros;
    source.lsn = m.lsn;
    // Debezium treats a non-transactional message as its own commit: sequence [lsn, lsn], and
    // the next transaction's sequence starts from it (ChangeProcessor keeps that).
    source.last_commit = m.lsn;
  }
  AppendSource(w, &scratch_, source, R"("schema":"","table":"")");
  w.Key("transaction");
  if (tx && options_.transaction_metadata) {
    AppendTransactionBlock(nullptr, *m.txn, w);
  } else {
    w.Null();
  }
  w.Key("message");
  w.BeginObject();
  w.Key("prefix");
  w.String(m.prefix);
  w.Key("content");
  AppendBytes(options_.converter.binary, m.content, w);
  w.EndObject();
  w.EndObject();
  Wrap(&value_buf_, message_value_schema_, scratch_);

  ChangeEvent ev;
  ev.topic = message_topic_;
  ev.key = key_buf_;
  ev.value = value_buf_;
  ev.table = message_topic_;
  ev.op = 'm';
  ev.lsn = m.lsn;
  return out.Emit(ev);
}

Status EventBuilder::OnHeartbeat(EventEmitter& out) {
  WrapOneFieldKey(&key_buf_, kHeartbeatKeySchemaJson, "serverName", options_.name);

  scratch_.clear();
  JsonWriter w(&scratch_);
  w.BeginObject();
  w.Key("ts_ms");
  w.Int(clock_() / 1000);
  w.EndObject();
  Wrap(&value_buf_, kHeartbeatValueSchemaJson, scratch_);

  ChangeEvent ev;
  ev.topic = heartbeat_topic_;
  ev.key = key_buf_;
  ev.value = value_buf_;
  ev.table = heartbeat_topic_;
  return out.Emit(ev);
}

}  // namespace cdc
