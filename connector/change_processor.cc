#include "connector/change_processor.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string_view>

#include "connector/incremental_snapshot.h"
#include "connector/record_encoders.h"
#include "decoders/values/pg_binary.h"
#include "decoders/wire/pgoutput_decoder.h"

namespace cdc::connector {

namespace {

// Whether `label` is one of `allowed`'s comma-separated labels.
bool ListsLabel(std::string_view allowed, std::string_view label) {
  for (size_t start = 0; start <= allowed.size();) {
    size_t end = allowed.find(',', start);
    if (end == std::string_view::npos) end = allowed.size();
    if (allowed.substr(start, end - start) == label) return true;
    start = end + 1;
  }
  return false;
}

// The first enum column of `tuple` whose label `t`'s schema does not list, or npos. An enum's
// text and binary forms are both its label.
size_t NewEnumLabel(const TableSchema& t, const pgoutput::Tuple& tuple) {
  for (size_t i = 0; i < t.codecs.size() && i < tuple.size(); ++i) {
    if (t.codecs[i].type != ValueType::kEnum || !t.included[i]) continue;
    const auto kind = tuple[i].kind;
    if (kind != pgoutput::ValueKind::kText && kind != pgoutput::ValueKind::kBinary) continue;
    if (!ListsLabel(t.codecs[i].enum_allowed, tuple[i].data)) return i;
  }
  return std::string::npos;
}

}  // namespace

ChangeProcessor::ChangeProcessor(const EventOptions& options, ProcessorOptions processor_options,
                                 const CaptureRules* rules, CatalogReader* catalog,
                                 LsnTracker* tracker, Publisher* publisher,
                                 std::function<Status()> while_full)
    : options_(options),
      processor_options_(std::move(processor_options)),
      tracker_(tracker),
      publisher_(publisher),
      while_full_(std::move(while_full)),
      relations_(options, rules, catalog),
      builder_(options, MakeRecordEncoder(options)) {}

void ChangeProcessor::ResetSession(Lsn resume_lsn, bool binary_values, bool utf8_client) {
  relations_.Clear();
  resume_lsn_ = resume_lsn;
  binary_values_ = binary_values;
  utf8_client_ = utf8_client;
  // A transaction cut off by a reconnect is re-sent whole; its partial record (if any) was never
  // committed, so it never confirms anything. Drop our view of it.
  if (txn_record_ != nullptr) tracker_->Abandon(txn_record_);
  in_txn_ = false;
  skip_txn_ = false;
  txn_record_ = nullptr;
  if (incremental_ != nullptr) incremental_->ResetSession();
}

const TableSchema* ChangeProcessor::Table(uint32_t oid, Status* error) const {
  const TableSchema* t = relations_.Find(oid);
  if (t == nullptr) {
    *error = Status::Corruption("change for relation OID " + std::to_string(oid) +
                                " arrived before its Relation message");
  }
  return t;
}

Status ChangeProcessor::OnRelation(pgoutput::Relation& rel) {
  const uint32_t oid = rel.oid;
  const std::string name = rel.nspname + "." + rel.relname;
  const bool captured = relations_.Captured(name);
  CatalogHints hints;
  auto updated = relations_.Update(std::move(rel), captured, &hints);
  if (!updated.ok()) return updated.status();
  const TableSchema& t = **updated;
  if (binary_values_ && captured) {
    // Its values would arrive in a binary form pgcdc cannot decode: stop before any change of
    // this relation version is processed (nothing after the last confirmed commit is confirmed),
    // so the reconnect starts here again, in text mode.
    for (size_t i = 0; i < t.codecs.size(); ++i) {
      if (!t.included[i] || BinaryDecodable(t.codecs[i], utf8_client_)) continue;
      text_required_ = true;
      return Status::Unavailable(
          "column " + name + "." + t.relation.columns[i].name + " has type " +
          BinaryUndecodableTypeName(t.codecs[i]) +
          ", which pgcdc decodes only in text form, and this session streams binary values; "
          "ending the session to stream in text from its last confirmed position");
    }
  }
  // The server re-announces relations on every session and after harmless DDL; say so only
  // when the definition really changed.
  std::string signature(1, t.relation.replica_identity);
  for (const auto& col : t.relation.columns) {
    signature += " " + col.name + ":" + std::to_string(col.type_oid) + "(" +
                 std::to_string(col.typmod) + ")";
  }
  auto [known, inserted] = signatures_.try_emplace(oid, signature);
  if (!inserted && known->second != signature) {
    spdlog::info("schema of {} changed: [{}] -> [{}]; events use the new schema from here on", name,
                 known->second, signature);
    known->second = signature;
  } else if (inserted) {
    spdlog::debug("relation {} (oid {}): {} columns, key [{}], captured={}", name, oid,
                  t.relation.columns.size(), t.key_columns.size(), captured);
  }
  if (captured) {
    std::string skipped;
    for (size_t i = 0; i < t.relation.columns.size(); ++i) {
      if (!t.included[i] && !hints.excluded_columns.count(t.relation.columns[i].name)) {
        skipped += (skipped.empty() ? "" : ", ") + t.relation.columns[i].name;
        ++columns_skipped_;
      }
    }
    if (!skipped.empty()) {
      spdlog::warn(
          "table {}: leaving out columns of unmappable types ({}) as "
          "format.unknown_types: skip says (bytes: arrays Debezium has no schema for)",
          name, skipped);
    }
  }
  if (captured && t.key_columns.empty() && warned_no_key_.insert(oid).second) {
    spdlog::warn(
        "table {} has no primary key or replica identity index: its events have a null "
        "key",
        name);
  }
  return Status::Ok();
}

bool ChangeProcessor::ReadBySnapshot(const TableSchema& t) const {
  if (snapshot_reads_.empty()) return false;
  auto it = snapshot_reads_.find(t.qualified_name);
  // Its commit record precedes the read's consistent point: the read saw it (pgoutput.md §1.4).
  return it != snapshot_reads_.end() && txn_.final_lsn < it->second;
}

Status ChangeProcessor::OnXLogData(const XLogData& frame) {
  Result<pgoutput::Message> decoded = pgoutput::Decode(frame.payload);
  if (!decoded.ok()) {
    return decoded.status().WithContext("pgoutput message at " + frame.wal_start.ToString());
  }
  return pgoutput::Dispatch(*decoded, frame.wal_start, *this);
}

Status ChangeProcessor::OnBegin(const pgoutput::Begin& b) {
  if (in_txn_) return Status::Corruption("Begin inside an open transaction");
  in_txn_ = true;
  // Already confirmed in an earlier run: its commit starts before our resume point.
  skip_txn_ = b.final_lsn < resume_lsn_;
  txn_ = TxnContext::Of(b, options_.transaction_metadata);
  txn_.last_commit_lsn = last_commit_lsn_;
  txn_record_ = skip_txn_ ? nullptr : tracker_->Begin();
  if (txn_record_ != nullptr) txn_record_->final_lsn = b.final_lsn;
  if (incremental_ != nullptr && !skip_txn_) incremental_->OnBegin(b.xid);
  return Status::Ok();
}

Status ChangeProcessor::OnCommit(const pgoutput::Commit& c) {
  if (!in_txn_) return Status::Corruption("Commit without Begin");
  if (txn_.begin_emitted) CDC_RETURN_IF_ERROR(builder_.OnTransactionEnd(txn_, *this));
  in_txn_ = false;
  if (txn_record_ != nullptr) {
    txn_record_->commit_unix_us = PgTimestampToUnixMicros(c.commit_ts);
    tracker_->Commit(txn_record_, c.end_lsn);
  }
  txn_record_ = nullptr;
  last_commit_lsn_ = c.end_lsn;
  if (incremental_ != nullptr && !skip_txn_) incremental_->OnCommit(c.end_lsn);
  return Status::Ok();
}

Status ChangeProcessor::OnType(const pgoutput::Type& y) {
  relations_.AddType(y);
  return Status::Ok();
}

Status ChangeProcessor::OnOrigin(pgoutput::Origin& o) {
  // Sent after Begin for a transaction replayed from another node: source.origin.
  if (in_txn_) {
    txn_.origin = std::move(o.name);
    txn_.origin_lsn = o.origin_lsn;
  }
  return Status::Ok();
}

Result<const TableSchema*> ChangeProcessor::ChangeTarget(uint32_t oid) {
  // Row changes and truncates: only inside a transaction.
  if (!in_txn_) return Status::Corruption("row change outside a transaction");
  if (skip_txn_) return static_cast<const TableSchema*>(nullptr);
  Status err;
  const TableSchema* t = Table(oid, &err);
  if (t == nullptr) return err;
  return t->captured && !ReadBySnapshot(*t) ? t : nullptr;
}

Result<const TableSchema*> ChangeProcessor::WithCurrentEnumLabels(const TableSchema* t,
                                                                  const pgoutput::Tuple& tuple) {
  const size_t col = NewEnumLabel(*t, tuple);
  if (col == std::string::npos || !enum_labels_reread_.insert(t->version).second) return t;
  const std::string column = t->relation.columns[col].name;
  const std::string type = t->codecs[col].type_name;
  auto fresh = relations_.Update(t->relation, /*captured=*/true);
  if (!fresh.ok()) return fresh.status();
  enum_labels_reread_.insert((*fresh)->version);  // one catalog read per new label, not per row
  spdlog::info(
      "table {}: column {} carries a label enum type {} gained (ALTER TYPE ... ADD "
      "VALUE); its events list the new labels from here on",
      (*fresh)->qualified_name, column, type);
  return fresh;
}

Status ChangeProcessor::OnInsert(const pgoutput::Insert& m, Lsn lsn) {
  if (incremental_ != nullptr && in_txn_ && !skip_txn_) {
    // A signal-table row steers the snapshots; it is published too when the table is captured.
    const TableSchema* signal = relations_.Find(m.relation_oid);
    if (signal != nullptr && incremental_->IsSignalTable(signal->qualified_name)) {
      incremental_->OnSignalRow(*signal, m.new_tuple);
    }
  }
  auto t = ChangeTarget(m.relation_oid);
  if (!t.ok() || *t == nullptr) return t.status();
  t = WithCurrentEnumLabels(*t, m.new_tuple);
  if (!t.ok()) return t.status();
  return builder_.OnInsert(**t, m, txn_, lsn, *this);
}

Status ChangeProcessor::OnUpdate(const pgoutput::Update& m, Lsn lsn) {
  auto t = ChangeTarget(m.relation_oid);
  if (!t.ok() || *t == nullptr) return t.status();
  t = WithCurrentEnumLabels(*t, m.new_tuple);
  if (t.ok() && *t != nullptr) t = WithCurrentEnumLabels(*t, m.old_tuple);
  if (!t.ok()) return t.status();
  return builder_.OnUpdate(**t, m, txn_, lsn, *this);
}

Status ChangeProcessor::OnDelete(const pgoutput::Delete& m, Lsn lsn) {
  auto t = ChangeTarget(m.relation_oid);
  if (!t.ok() || *t == nullptr) return t.status();
  t = WithCurrentEnumLabels(*t, m.old_tuple);
  if (!t.ok()) return t.status();
  return builder_.OnDelete(**t, m, txn_, lsn, *this);
}

Status ChangeProcessor::OnTruncate(const pgoutput::Truncate& m, Lsn lsn) {
  for (uint32_t oid : m.relation_oids) {
    auto t = ChangeTarget(oid);
    if (!t.ok()) return t.status();
    if (*t == nullptr) continue;
    if (incremental_ != nullptr) incremental_->OnTruncate((*t)->qualified_name);
    CDC_RETURN_IF_ERROR(builder_.OnTruncate(**t, txn_, lsn, *this));
  }
  return Status::Ok();
}

template <typename Fn>
Status ChangeProcessor::EmitStandalone(Lsn end_lsn, Fn&& build) {
  LsnTracker::Txn* record = tracker_->Begin();
  txn_record_ = record;
  Status s = build();
  txn_record_ = nullptr;
  // Committed even on failure: a record left open would block every later confirmation, and
  // an event that failed is never acknowledged, so the LSN still cannot pass it.
  tracker_->Commit(record, end_lsn);
  return s;
}

Status ChangeProcessor::OnLogicalMessage(const pgoutput::LogicalMessage& m) {
  // Watermarks and signals: read, never published as op "m" records (whatever format.messages
  // says), and confirmed with their transaction like any other.
  if (IncrementalSnapshot::Claims(m.prefix)) {
    if (incremental_ == nullptr || !m.transactional || !in_txn_ || skip_txn_) return Status::Ok();
    return incremental_->OnMessage(m, *this);
  }
  if (!processor_options_.emit_messages) return Status::Ok();
  if (!processor_options_.message_prefixes.empty()) {
    bool match = false;
    for (const auto& p : processor_options_.message_prefixes) {
      match = match || GlobMatch(p, std::string(m.prefix));
    }
    if (!match) return Status::Ok();
  }
  MessageContext ctx;
  ctx.transactional = m.transactional;
  ctx.lsn = m.lsn;
  ctx.prefix = m.prefix;
  ctx.content = m.content;
  if (m.transactional) {
    if (!in_txn_) return Status::Corruption("transactional message outside a transaction");
    if (skip_txn_) return Status::Ok();
    ctx.txn = &txn_;
    return builder_.OnMessage(ctx, *this);
  }
  // Non-transactional: arrives on its own, positioned by its LSN; confirmed once delivered.
  if (in_txn_) return Status::Corruption("non-transactional message inside a transaction");
  if (m.lsn < resume_lsn_) return Status::Ok();
  // Debezium counts it as a commit: the next transaction's source.sequence starts from it.
  last_commit_lsn_ = m.lsn;
  ctx.seen_unix_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  return EmitStandalone(m.lsn, [&] { return builder_.OnMessage(ctx, *this); });
}

Status ChangeProcessor::EmitHeartbeat() {
  if (in_txn_) return Status::Ok();
  return EmitStandalone(Lsn(), [&] { return builder_.OnHeartbeat(*this); });
}

Status ChangeProcessor::Emit(const ChangeEvent& ev) {
  // The ticket is the transaction record: its delivery report settles one of its events.
  CDC_RETURN_IF_ERROR(publisher_->Publish(ev, *txn_record_, while_full_));
  ++events_sent_;
  if (incremental_ != nullptr) incremental_->OnStreamed(ev);
  return Status::Ok();
}

}  // namespace cdc::connector
