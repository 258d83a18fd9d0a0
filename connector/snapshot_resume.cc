#include <spdlog/spdlog.h>

#include "connector/snapshot_parts.h"
#include "decoders/pgoutput_decoder.h"

// Resuming an interrupted snapshot: the deletes, key changes and truncates committed since its
// consistent point, read from a peek at the slot (never consumed) and published ahead of the
// resumed read (see SnapshotOptions::resumed_slot).
// TODO([craft] #14): dispatch these messages through the stream's dispatcher, not a second one.

namespace cdc::connector {

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
  RelationCache relations(s_->event_options_);
  TxnContext txn;
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
    st = PublishEarlier(res.get(), index, relations, txn);
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

Status Snapshot::Worker::PublishEarlier(PGresult* row,
                                        const std::unordered_map<std::string, size_t>& index,
                                        RelationCache& relations, TxnContext& txn) {
  auto lsn = Lsn::Parse(PQgetvalue(row, 0, 0));
  if (!lsn.ok()) return lsn.status();
  const auto* bytes = reinterpret_cast<const uint8_t*>(PQgetvalue(row, 0, 1));
  const auto size = static_cast<size_t>(PQgetlength(row, 0, 1));
  auto msg = pgoutput::Decode(std::span<const uint8_t>(bytes, size));
  if (!msg.ok()) return msg.status().WithContext("pgoutput message at " + lsn->ToString());
  // Finds the table's index among those to read, or nullptr.
  auto table = [&](uint32_t oid) -> const TableSchema* {
    const TableSchema* t = relations.Find(oid);
    if (t == nullptr || !t->captured) return nullptr;
    auto it = index.find(t->qualified_name);
    if (it == index.end()) return nullptr;  // captured means wanted: not reached
    table_ = it->second;
    return t;
  };
  if (auto* b = std::get_if<pgoutput::Begin>(&*msg)) {
    txn = TxnContext::Of(*b, s_->event_options_.transaction_metadata);
  } else if (auto* r = std::get_if<pgoutput::Relation>(&*msg)) {
    const std::string name = r->nspname + "." + r->relname;
    const bool wanted = index.count(name) > 0;
    CatalogHints hints;
    if (wanted) {
      hints = s_->catalog_->Lookup(r->oid);
      s_->rules_->Apply(*r, &hints);
    }
    auto updated = relations.Update(std::move(*r), hints, wanted);
    if (!updated.ok()) return updated.status();
  } else if (auto* y = std::get_if<pgoutput::Type>(&*msg)) {
    relations.AddType(*y);
  } else if (auto* d = std::get_if<pgoutput::Delete>(&*msg)) {
    if (const TableSchema* t = table(d->relation_oid)) {
      return builder_.OnDelete(*t, *d, txn, *lsn, *this);
    }
  } else if (auto* u = std::get_if<pgoutput::Update>(&*msg)) {
    if (const TableSchema* t = table(u->relation_oid)) {
      return builder_.OnKeyChangeDelete(*t, *u, txn, *lsn, *this);
    }
  } else if (auto* tr = std::get_if<pgoutput::Truncate>(&*msg)) {
    for (uint32_t oid : tr->relation_oids) {
      if (const TableSchema* t = table(oid)) {
        CDC_RETURN_IF_ERROR(builder_.OnTruncate(*t, txn, *lsn, *this));
      }
    }
  }
  return Status::Ok();
}

}  // namespace cdc::connector
