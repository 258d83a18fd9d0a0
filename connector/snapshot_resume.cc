#include <spdlog/spdlog.h>

#include "connector/snapshot_parts.h"
#include "decoders/wire/pgoutput_decoder.h"
#include "decoders/wire/pgoutput_dispatch.h"

// Resuming an interrupted snapshot: the deletes, key changes and truncates committed since its
// consistent point, read from a peek at the slot (never consumed) and published ahead of the
// resumed read (see SnapshotOptions::resumed_slot).

namespace cdc::connector {

// The peeked messages, through the stream's dispatcher: deletes, key changes and truncates of the
// tables to read become their records; the rest only keeps the relations and transaction current.
class Snapshot::Worker::EarlierChanges final : public pgoutput::MessageHandler {
 public:
  EarlierChanges(Worker* w, const std::unordered_map<std::string, size_t>& index)
      : w_(w), index_(index), relations_(w->s_->event_options_, w->s_->rules_, w->s_->catalog_) {}

  Status OnBegin(const pgoutput::Begin& b) override {
    txn_ = TxnContext::Of(b, w_->s_->event_options_.transaction_metadata);
    return Status::Ok();
  }
  Status OnRelation(pgoutput::Relation& r) override {
    // Wanted: a table this pass reads (captured and not finished by the interrupted pass).
    const bool wanted = index_.count(r.nspname + "." + r.relname) > 0;
    return relations_.Update(std::move(r), wanted).status();
  }
  Status OnType(const pgoutput::Type& y) override {
    relations_.AddType(y);
    return Status::Ok();
  }
  Status OnDelete(const pgoutput::Delete& d, Lsn lsn) override {
    const TableSchema* t = Wanted(d.relation_oid);
    return t ? w_->builder_.OnDelete(*t, d, txn_, lsn, *w_) : Status::Ok();
  }
  Status OnUpdate(const pgoutput::Update& u, Lsn lsn) override {
    const TableSchema* t = Wanted(u.relation_oid);
    return t ? w_->builder_.OnKeyChangeDelete(*t, u, txn_, lsn, *w_) : Status::Ok();
  }
  Status OnTruncate(const pgoutput::Truncate& tr, Lsn lsn) override {
    for (uint32_t oid : tr.relation_oids) {
      if (const TableSchema* t = Wanted(oid)) {
        CDC_RETURN_IF_ERROR(w_->builder_.OnTruncate(*t, txn_, lsn, *w_));
      }
    }
    return Status::Ok();
  }

 private:
  // The table among those to read, or nullptr; sets the worker's current table.
  const TableSchema* Wanted(uint32_t oid) {
    const TableSchema* t = relations_.Find(oid);
    if (t == nullptr || !t->captured) return nullptr;
    auto it = index_.find(t->qualified_name);
    if (it == index_.end()) return nullptr;  // captured means wanted: not reached
    w_->table_ = it->second;
    return t;
  }

  Worker* w_;
  const std::unordered_map<std::string, size_t>& index_;
  RelationRegistry relations_;
  TxnContext txn_;
};

Status Snapshot::Worker::PublishEarlier(PGresult* row, EarlierChanges& handler) {
  auto lsn = Lsn::Parse(PQgetvalue(row, 0, 0));
  if (!lsn.ok()) return lsn.status();
  const auto* bytes = reinterpret_cast<const uint8_t*>(PQgetvalue(row, 0, 1));
  const auto size = static_cast<size_t>(PQgetlength(row, 0, 1));
  auto msg = pgoutput::Decode(std::span<const uint8_t>(bytes, size));
  if (!msg.ok()) return msg.status().WithContext("pgoutput message at " + lsn->ToString());
  return pgoutput::Dispatch(*msg, *lsn, handler);
}

Status Snapshot::Worker::PublishEarlierDeletes() {
  auto conn = Connect(s_->options_.dsn, ConnKind::kSql);
  if (!conn.ok()) return conn.status();
  PGconn* c = conn->get();
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < s_->tables_.size(); ++i) index.emplace(s_->tables_[i]->name, i);
  const std::string q = "SELECT lsn::text, data FROM pg_logical_slot_peek_binary_changes(" +
                        QuoteLiteral(c, s_->options_.resumed_slot) + ", " +
                        QuoteLiteral(c, s_->options_.lsn.ToString()) +
                        "::pg_lsn, NULL, 'proto_version', '1', 'publication_names', " +
                        QuoteLiteral(c, QuoteIdent(c, s_->options_.publication)) + ")";
  // Binary results (raw pgoutput bytes), one row at a time: memory stays flat however much
  // changed while pgcdc was down.
  if (!PQsendQueryParams(c, q.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1) ||
      !PQsetSingleRowMode(c)) {
    return Status::Unavailable(std::string("postgres: peeking at the slot: ") + PQerrorMessage(c));
  }
  spdlog::info(
      "snapshot: reading the changes committed since the interrupted pass (slot {} up "
      "to {}) for rows gone since",
      s_->options_.resumed_slot, s_->options_.lsn.ToString());
  EarlierChanges handler(this, index);
  earlier_ = true;
  Status st;
  for (PgResultPtr res(PQgetResult(c)); res; res.reset(PQgetResult(c))) {
    const ExecStatusType rs = PQresultStatus(res.get());
    if (rs == PGRES_TUPLES_OK) continue;  // the end of the rows
    if (rs != PGRES_SINGLE_TUPLE) {
      if (st.ok()) {
        st = Status::Unavailable("postgres: peeking at the slot: " + ResultError(res.get()));
      }
      continue;
    }
    if (!st.ok() || s_->cancelled()) continue;  // drain the rest
    st = PublishEarlier(res.get(), handler);
  }
  earlier_ = false;
  if (!st.ok()) return st.WithContext("resuming the snapshot");
  int64_t published = 0;
  for (const auto& t : s_->tables_) published += t->earlier.load(std::memory_order_relaxed);
  spdlog::info(
      "snapshot: {} records (deletes, tombstones, truncates) for changes committed "
      "since the interrupted pass published ahead of the resumed read",
      published);
  return Status::Ok();
}

}  // namespace cdc::connector
