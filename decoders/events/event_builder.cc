#include "decoders/events/event_builder.h"

#include <array>

namespace cdc {

namespace {

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

TxnContext TxnContext::Of(const pgoutput::Begin& b, bool with_id) {
  TxnContext txn;
  txn.xid = b.xid;
  txn.commit_ts = b.commit_ts;
  txn.final_lsn = b.final_lsn;
  if (with_id) txn.id = std::to_string(b.xid.value) + ":" + std::to_string(b.final_lsn.value);
  return txn;
}

EventBuilder::EventBuilder(const EventOptions& options, std::unique_ptr<RecordEncoder> encoder)
    : options_(options), encoder_(std::move(encoder)) {}

Status EventBuilder::CheckArity(const TableSchema& t, const pgoutput::Tuple& tuple) const {
  if (tuple.size() != t.relation.columns.size()) {
    return Status::Corruption("tuple for " + t.qualified_name + " has " +
                              std::to_string(tuple.size()) + " columns, its Relation has " +
                              std::to_string(t.relation.columns.size()));
  }
  return Status::Ok();
}

SourceInfo EventBuilder::Streamed(const TxnContext& txn, Lsn lsn) {
  SourceInfo f;
  f.ts_us = PgTimestampToUnixMicros(txn.commit_ts);
  f.xid = txn.xid;
  f.last_commit = txn.last_commit_lsn;
  f.lsn = lsn;
  if (txn.origin) f.origin = &*txn.origin;
  f.origin_lsn = txn.origin_lsn;
  return f;
}

Result<const TxnBlock*> EventBuilder::NextBlock(const TableSchema* t, TxnContext& txn,
                                                EventEmitter& out) {
  if (!options_.transaction_metadata) return static_cast<const TxnBlock*>(nullptr);
  // BEGIN goes out just before the transaction's first record, so transactions without captured
  // records produce no BEGIN/END (as Debezium).
  if (!txn.begin_emitted) {
    txn.begin_emitted = true;
    EncodedRecord e;
    CDC_RETURN_IF_ERROR(encoder_->Encode(TransactionRecord{&txn, false}, &e));
    CDC_RETURN_IF_ERROR(Emit(e, e.topic, 0, txn.final_lsn, txn.final_lsn, {}, out));
  }
  uint64_t* per_table = t == nullptr ? &txn.messages : nullptr;
  if (t != nullptr) {
    for (auto& [name, count] : txn.collections) {
      if (name == t->qualified_name) per_table = &count;
    }
    if (per_table == nullptr)
      per_table = &txn.collections.emplace_back(t->qualified_name, 0).second;
  }
  ++txn.total_order;
  ++*per_table;
  block_ = TxnBlock{txn.id, txn.total_order, *per_table};
  return static_cast<const TxnBlock*>(&block_);
}

Status EventBuilder::Emit(const EncodedRecord& e, std::string_view table, char op, Lsn lsn,
                          Lsn commit, std::span<const EventHeader> headers, EventEmitter& out) {
  ChangeEvent ev;
  ev.topic = e.topic;
  ev.key = e.key;
  ev.value = e.value;
  ev.value_owner = e.value_owner;
  ev.headers = headers;
  ev.table = table;
  ev.op = op;
  ev.lsn = lsn;
  ev.commit_lsn = commit;
  Status s = out.Emit(ev);
  // Whether or not the sink took it, a large buffer is not kept for the next event.
  encoder_->ReleaseLarge();
  return s;
}

std::span<const EventHeader> EventBuilder::WithContext(std::span<const EventHeader> headers) {
  if (options_.context_headers.empty()) return headers;
  headers_.assign(headers.begin(), headers.end());
  for (const auto& [name, value] : options_.context_headers) {
    headers_.push_back(EventHeader{name, value});
  }
  return headers_;
}

Status EventBuilder::EmitChange(ChangeRecord r, TxnContext* txn, EventEmitter& out) {
  if (txn != nullptr) {
    auto block = NextBlock(r.table, *txn, out);
    if (!block.ok()) return block.status();
    r.block = *block;
  }
  EncodedRecord e;
  CDC_RETURN_IF_ERROR(encoder_->Encode(r, &e));
  return Emit(e, r.table->qualified_name, r.op, r.source.lsn,
              txn != nullptr ? txn->final_lsn : Lsn(), WithContext(r.headers), out);
}

Status EventBuilder::EmitTombstone(const TableSchema& t, const std::string* key, Lsn lsn,
                                   Lsn commit, EventEmitter& out,
                                   std::span<const EventHeader> headers) {
  // A tombstone without a key compacts nothing; Debezium sends none for key-less tables.
  if (!options_.tombstones || key == nullptr) return Status::Ok();
  EncodedRecord e;
  CDC_RETURN_IF_ERROR(encoder_->EncodeTombstone(t, *key, &e));
  return Emit(e, t.qualified_name, 0, lsn, commit, WithContext(headers), out);
}

Status EventBuilder::OnInsert(const TableSchema& t, const pgoutput::Insert& m, TxnContext& txn,
                              Lsn lsn, EventEmitter& out) {
  CDC_RETURN_IF_ERROR(CheckArity(t, m.new_tuple));
  if (options_.skip_create) return Status::Ok();
  ChangeRecord r{&t, 'c'};
  if (!t.key_columns.empty()) {
    CDC_RETURN_IF_ERROR(encoder_->EncodeKeyPayload(t, m.new_tuple, nullptr, &key_payload_));
    r.key = &key_payload_;
  }
  r.after.tuple = &m.new_tuple;
  r.source = Streamed(txn, lsn);
  return EmitChange(r, &txn, out);
}

Result<bool> EventBuilder::BuildUpdateKeys(const TableSchema& t, const pgoutput::Update& m,
                                           const pgoutput::Tuple* old) {
  CDC_RETURN_IF_ERROR(encoder_->EncodeKeyPayload(t, m.new_tuple, old, &key_payload_));
  if (old == nullptr || KeyIncomplete(t, *old)) return false;
  CDC_RETURN_IF_ERROR(encoder_->EncodeKeyPayload(t, *old, nullptr, &other_key_payload_));
  return other_key_payload_ != key_payload_;
}

Status EventBuilder::EmitKeyChangeDelete(const TableSchema& t, const pgoutput::Update& m,
                                         const std::string& old_key, const std::string& new_key,
                                         TxnContext& txn, Lsn lsn, EventEmitter& out) {
  const std::array<EventHeader, 1> newkey_header{EventHeader{"__debezium.newkey", new_key}};
  ChangeRecord r{&t, 'd', &old_key};
  r.before = RowImage{&m.old_tuple, nullptr, m.old_kind == 'K'};
  r.source = Streamed(txn, lsn);
  r.headers = newkey_header;
  CDC_RETURN_IF_ERROR(EmitChange(r, &txn, out));
  return EmitTombstone(t, &old_key, lsn, txn.final_lsn, out, newkey_header);
}

Status EventBuilder::OnUpdate(const TableSchema& t, const pgoutput::Update& m, TxnContext& txn,
                              Lsn lsn, EventEmitter& out) {
  CDC_RETURN_IF_ERROR(CheckArity(t, m.new_tuple));
  const pgoutput::Tuple* old = m.old_kind != 0 ? &m.old_tuple : nullptr;
  if (old) CDC_RETURN_IF_ERROR(CheckArity(t, *old));
  // 'O' (FULL) carries every old value, so it also fills unchanged TOAST values of the new row.
  const pgoutput::Tuple* fallback = m.old_kind == 'O' ? old : nullptr;

  ChangeRecord r{&t, 'u'};
  r.after = RowImage{&m.new_tuple, fallback, false};
  r.source = Streamed(txn, lsn);
  if (!t.key_columns.empty()) {
    Result<bool> moved = BuildUpdateKeys(t, m, old);
    if (!moved.ok()) return moved.status();
    r.key = &key_payload_;
    if (*moved) {
      // Primary-key change: delete under the old key (+ tombstone), create under the new one,
      // with headers naming the other key (debezium-format.md §1.1).
      if (options_.skip_update) return Status::Ok();
      const std::string new_key = key_payload_;
      const std::string old_key = other_key_payload_;
      CDC_RETURN_IF_ERROR(EmitKeyChangeDelete(t, m, old_key, new_key, txn, lsn, out));
      const std::array<EventHeader, 1> oldkey_header{EventHeader{"__debezium.oldkey", old_key}};
      r.op = 'c';
      r.key = &new_key;
      r.headers = oldkey_header;
      return EmitChange(r, &txn, out);
    }
  }
  if (options_.skip_update) return Status::Ok();
  r.before = RowImage{old, nullptr, m.old_kind == 'K'};
  return EmitChange(r, &txn, out);
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

Status EventBuilder::OnDelete(const TableSchema& t, const pgoutput::Delete& m, TxnContext& txn,
                              Lsn lsn, EventEmitter& out) {
  CDC_RETURN_IF_ERROR(CheckArity(t, m.old_tuple));
  if (options_.skip_delete) return Status::Ok();
  ChangeRecord r{&t, 'd'};
  if (!t.key_columns.empty()) {
    CDC_RETURN_IF_ERROR(encoder_->EncodeKeyPayload(t, m.old_tuple, nullptr, &key_payload_));
    r.key = &key_payload_;
  }
  r.before = RowImage{&m.old_tuple, nullptr, m.old_kind == 'K'};
  r.source = Streamed(txn, lsn);
  CDC_RETURN_IF_ERROR(EmitChange(r, &txn, out));
  return EmitTombstone(t, r.key, lsn, txn.final_lsn, out);
}

Status EventBuilder::OnTruncate(const TableSchema& t, TxnContext& txn, Lsn lsn, EventEmitter& out) {
  if (!options_.emit_truncate) return Status::Ok();
  ChangeRecord r{&t, 't'};
  r.source = Streamed(txn, lsn);
  return EmitChange(r, &txn, out);
}

Status EventBuilder::OnRead(const TableSchema& t, const pgoutput::Tuple& row,
                            const ReadContext& read, EventEmitter& out) {
  CDC_RETURN_IF_ERROR(CheckArity(t, row));
  ChangeRecord r{&t, 'r'};
  if (!t.key_columns.empty()) {
    CDC_RETURN_IF_ERROR(encoder_->EncodeKeyPayload(t, row, nullptr, &key_payload_));
    r.key = &key_payload_;
  }
  r.after.tuple = &row;
  // Like Debezium's snapshot records: no transaction, no previous commit, the snapshot's LSN.
  r.source.ts_us = read.read_unix_micros;
  r.source.lsn = read.snapshot_lsn;
  r.source.snapshot = read.marker;
  r.source.processed_us = read.read_unix_micros;  // a read is processed as it is read
  return EmitChange(r, nullptr, out);
}

Status EventBuilder::OnTransactionEnd(const TxnContext& txn, EventEmitter& out) {
  EncodedRecord e;
  CDC_RETURN_IF_ERROR(encoder_->Encode(TransactionRecord{&txn, true}, &e));
  return Emit(e, e.topic, 0, txn.final_lsn, txn.final_lsn, {}, out);
}

Status EventBuilder::OnMessage(const MessageContext& m, EventEmitter& out) {
  MessageRecord r;
  r.prefix = m.prefix;
  r.content = m.content;
  // Transactional messages take their time from the transaction; others from when pgcdc saw
  // them (debezium-format.md §1.3).
  if (m.transactional && m.txn != nullptr) {
    r.source = Streamed(*m.txn, m.lsn);
    auto block = NextBlock(nullptr, *m.txn, out);
    if (!block.ok()) return block.status();
    r.block = *block;
  } else {
    r.source.ts_us = m.seen_unix_micros;
    r.source.lsn = m.lsn;
    // Debezium treats a non-transactional message as its own commit: sequence [lsn, lsn], and
    // the next transaction's sequence starts from it (ChangeProcessor keeps that).
    r.source.last_commit = m.lsn;
  }
  EncodedRecord e;
  CDC_RETURN_IF_ERROR(encoder_->Encode(r, &e));
  // A non-transactional message is its own commit.
  const Lsn commit = m.transactional && m.txn != nullptr ? m.txn->final_lsn : m.lsn;
  return Emit(e, e.topic, 'm', m.lsn, commit, {}, out);
}

Status EventBuilder::OnHeartbeat(EventEmitter& out) {
  EncodedRecord e;
  CDC_RETURN_IF_ERROR(encoder_->EncodeHeartbeat(&e));
  return Emit(e, e.topic, 0, Lsn(), Lsn(), {}, out);
}

}  // namespace cdc
