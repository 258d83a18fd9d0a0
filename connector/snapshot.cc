#include "connector/snapshot.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>
#include <unordered_map>

#include "connector/name_list.h"
#include "connector/pg_connection.h"
#include "connector/snapshot_markers.h"
#include "decoders/copy_text.h"
#include "decoders/event_builder.h"
#include "decoders/pgoutput_decoder.h"

namespace cdc::connector {

namespace {

// Tables at least this large are split into at least `parallelism` ranges, so one big table
// keeps every worker busy.
constexpr int64_t kMinSplitPages = 1024;
constexpr int kFlushStepMs = 500;

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct PqFree {
  void operator()(char* p) const { PQfreemem(p); }
};
using CopyRow = std::unique_ptr<char, PqFree>;

// Opens a transaction that sees exactly the exported snapshot.
Status ImportSnapshot(PGconn* conn, const std::string& snapshot_name) {
  // A role-level statement_timeout would cut a long COPY short.
  CDC_RETURN_IF_ERROR(Exec(conn, "SET statement_timeout = 0", PGRES_COMMAND_OK).status());
  CDC_RETURN_IF_ERROR(
      Exec(conn, "SET idle_in_transaction_session_timeout = 0", PGRES_COMMAND_OK).status());
  CDC_RETURN_IF_ERROR(
      Exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", PGRES_COMMAND_OK).status());
  Status s = Exec(conn, "SET TRANSACTION SNAPSHOT " + QuoteLiteral(conn, snapshot_name),
                  PGRES_COMMAND_OK)
                 .status();
  return s.ok() ? s : s.WithContext("importing the slot's exported snapshot");
}

}  // namespace

Status CheckSnapshotPrivileges(PGconn* sql, const std::string& publication,
                               const CaptureRules& rules) {
  auto res = Exec(sql,
                  "SELECT pt.schemaname || '.' || pt.tablename, has_table_privilege(c.oid, "
                  "'SELECT') FROM pg_publication_tables pt JOIN pg_namespace n ON n.nspname = "
                  "pt.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = "
                  "pt.tablename WHERE pt.pubname = " +
                      QuoteLiteral(sql, publication) + " ORDER BY 1");
  if (!res.ok()) return res.status().WithContext("checking SELECT privileges for the snapshot");
  std::string denied;
  for (int i = 0; i < PQntuples(res->get()); ++i) {
    const std::string name = PQgetvalue(res->get(), i, 0);
    if (rules.Captured(name) && PQgetvalue(res->get(), i, 1)[0] != 't') {
      denied += (denied.empty() ? "" : ", ") + name;
    }
  }
  if (denied.empty()) return Status::Ok();
  const std::string user = PQuser(sql);
  return Status::FailedPrecondition("postgres: role '" + user + "' lacks SELECT on " + denied +
                                    ", which the snapshot reads (GRANT SELECT ON ... TO " + user +
                                    ", or leave them out of source.tables)");
}

struct Snapshot::Table {
  // The delivery ticket of the table's records: counts the acknowledged ones; a failed report
  // fails the snapshot. Settled on whichever thread serves reports, hence the atomics.
  struct Ticket final : DeliveryTicket {
    Ticket(Snapshot* s, Table* t) : snapshot(s), table(t) {}
    void Sent() override {}
    void Settle(const Status& status) override {
      if (status.ok()) {
        table->acked.fetch_add(1, std::memory_order_relaxed);
      } else {
        snapshot->Fail(status);
      }
    }
    TicketOrigin Origin() const override { return {snapshot->options_.lsn, true}; }
    Snapshot* snapshot;
    Table* table;
  };

  explicit Table(Snapshot* s) : ticket(s, this) {}

  Ticket ticket;
  const TableSchema* schema = nullptr;
  std::string name;         // schema.table
  std::string copy_source;  // "schema"."table" (quoted)
  std::string columns;      // quoted column list, in Relation order
  std::string row_filter;   // the publication's row filter (PG15+), or empty
  int64_t pages = 0;
  int64_t estimate = 0;
  int ranges = 1;
  std::atomic<int64_t> started_us{0};
  std::atomic<int64_t> rows_done{0};
  std::atomic<int> ranges_left{0};
  std::atomic<int64_t> acked{0};  // records the sink acknowledged
  std::atomic<int64_t> earlier{0};  // records of PublishEarlierDeletes (resumed snapshots)
  bool reported_done = false;     // Run()'s thread: handed to on_table_done
};

struct Snapshot::Range {
  size_t table = 0;
  int64_t first_page = 0;
  int64_t end_page = -1;  // -1: to the end of the table (rows in pages added since the planning)
  bool whole = true;
};

// One worker: its own connection, importing the snapshot, reading ranges until none are left.
// Also used on Run()'s thread to emit the final held-back row.
class Snapshot::Worker : public EventEmitter {
 public:
  explicit Worker(Snapshot* s) : s_(s), builder_(s->event_options_) {}

  void Run() {
    Status st = ReadRanges();
    if (!st.ok()) s_->Fail(st.WithContext("snapshot worker"));
    s_->workers_done_.fetch_add(1);
  }

  Status EmitRow(size_t table, std::string_view line, std::string_view marker) {
    Table& t = *s_->tables_[table];
    table_ = table;
    Status s = ParseCopyTextRow(line, t.schema->relation.columns.size(), &storage_, &tuple_);
    if (!s.ok()) return s.WithContext("snapshot of " + t.name);
    // One clock read per kClockRows rows: ts_ms has millisecond resolution and a worker reads
    // a row every microsecond or two.
    if (clock_rows_++ % kClockRows == 0) read_us_ = NowMicros();
    ReadContext read{s_->options_.lsn, read_us_, marker};
    return builder_.OnRead(*t.schema, tuple_, read, *this);
  }

  Status Emit(const ChangeEvent& ev) override {
    if (earlier_) s_->tables_[table_]->earlier.fetch_add(1, std::memory_order_relaxed);
    return s_->Send(ev, table_);
  }

  // See SnapshotOptions::resumed_slot. Runs before the workers start.
  Status PublishEarlierDeletes() {
    auto conn = Connect(s_->options_.dsn, ConnKind::kSql);
    if (!conn.ok()) return conn.status();
    PGconn* c = conn->get();
    std::unordered_map<std::string, size_t> index;
    for (size_t i = 0; i < s_->tables_.size(); ++i) index.emplace(s_->tables_[i]->name, i);
    const std::string q =
        "SELECT lsn::text, data FROM pg_logical_slot_peek_binary_changes(" +
        QuoteLiteral(c, s_->options_.resumed_slot) + ", " +
        QuoteLiteral(c, s_->options_.lsn.ToString()) +
        "::pg_lsn, NULL, 'proto_version', '1', 'publication_names', " +
        QuoteLiteral(c, QuoteIdent(c, s_->options_.publication)) + ")";
    // Binary results (raw pgoutput bytes), one row at a time: memory stays flat however much
    // changed while pgcdc was down.
    if (!PQsendQueryParams(c, q.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1) ||
        !PQsetSingleRowMode(c)) {
      return Status::Unavailable(std::string("postgres: peeking at the slot: ") +
                                 PQerrorMessage(c));
    }
    spdlog::info("snapshot: reading the changes committed since the interrupted pass (slot {} up "
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
    spdlog::info("snapshot: {} records (deletes, tombstones, truncates) for changes committed "
                 "since the interrupted pass published ahead of the resumed read",
                 published);
    return Status::Ok();
  }

 private:
  Status ReadRanges() {
    auto conn = Connect(s_->options_.dsn, ConnKind::kSql);
    if (!conn.ok()) return conn.status().WithContext("snapshot worker");
    conn_ = std::move(*conn);
    CDC_RETURN_IF_ERROR(ImportSnapshot(conn_.get(), s_->options_.snapshot_name));
    Range r;
    while (!s_->cancelled() && s_->NextRange(&r)) CDC_RETURN_IF_ERROR(CopyRange(r));
    if (!s_->cancelled()) CDC_RETURN_IF_ERROR(Exec(conn_.get(), "COMMIT", PGRES_COMMAND_OK).status());
    return Status::Ok();
  }

  std::string Query(const Range& r, const Table& t) const {
    std::string where;
    if (!r.whole) {
      where = "ctid >= '(" + std::to_string(r.first_page) + ",0)'::tid";
      if (r.end_page >= 0) where += " AND ctid < '(" + std::to_string(r.end_page) + ",0)'::tid";
    }
    if (!t.row_filter.empty()) {
      if (!where.empty()) where += " AND ";
      where += "(" + t.row_filter + ")";
    }
    if (where.empty()) return "COPY " + t.copy_source + " (" + t.columns + ") TO STDOUT";
    return "COPY (SELECT " + t.columns + " FROM " + t.copy_source + " WHERE " + where +
           ") TO STDOUT";
  }

  Status CopyRange(const Range& r) {
    Table& t = *s_->tables_[r.table];
    PGconn* c = conn_.get();
    const std::string q = Query(r, t);
    if (!PQsendQuery(c, q.c_str())) {
      return Status::Unavailable("postgres: snapshot of " + t.name + ": " + PQerrorMessage(c));
    }
    {
      PgResultPtr res(PQgetResult(c));
      if (!res || PQresultStatus(res.get()) != PGRES_COPY_OUT) {
        return Status::FailedPrecondition("postgres: snapshot of " + t.name + ": " +
                                          (res ? ResultError(res.get()) : PQerrorMessage(c)));
      }
    }
    // Each row is emitted once the next one arrives: the range's final row is handed to the
    // markers, which decide whether it closes its table or the whole snapshot.
    CopyRow prev;
    int prev_len = 0;
    int64_t unreported_rows = 0;
    for (;;) {
      char* buf = nullptr;
      const int n = PQgetCopyData(c, &buf, 0);
      if (n == -1) break;
      if (n < 0) {
        return Status::Unavailable("postgres: snapshot connection lost while reading " + t.name +
                                   ": " + PQerrorMessage(c));
      }
      CopyRow row(buf);
      // The shared counters are bumped in steps: per row, two workers would fight over them.
      if (++unreported_rows == kCountStep) ReportRows(t, &unreported_rows);
      if (prev) {
        CDC_RETURN_IF_ERROR(EmitRow(r.table, std::string_view(prev.get(), static_cast<size_t>(prev_len)),
                                    s_->markers_->ForRow(r.table)));
      }
      prev = std::move(row);
      prev_len = n;
      if (s_->cancelled()) return Status::Ok();
    }
    ReportRows(t, &unreported_rows);
    for (PgResultPtr res(PQgetResult(c)); res; res.reset(PQgetResult(c))) {
      if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
        return Status::Unavailable("postgres: snapshot of " + t.name + ": " +
                                   ResultError(res.get()));
      }
    }
    std::optional<RowText> last;  // libpq's buffer itself: a large row is not copied
    if (prev) last.emplace(prev.release(), static_cast<size_t>(prev_len), &PQfreemem);
    for (auto& held : s_->markers_->FinishRange(r.table, std::move(last))) {
      CDC_RETURN_IF_ERROR(EmitRow(held.table, held.row.view(), held.marker));
    }
    if (t.ranges_left.fetch_sub(1) == 1) {
      const double secs = static_cast<double>(NowMicros() - t.started_us.load()) / 1e6;
      // A line per table only for a handful of them: the summary at the end covers the rest.
      spdlog::log(s_->tables_.size() <= kNamesShown ? spdlog::level::info : spdlog::level::debug,
                  "snapshot: {} done, {} rows in {:.1f} s", t.name, t.rows_done.load(), secs);
    }
    return Status::Ok();
  }

  // One peeked pgoutput message: deletes, key changes and truncates of the tables to read.
  Status PublishEarlier(PGresult* row, const std::unordered_map<std::string, size_t>& index,
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

  void ReportRows(Table& t, int64_t* rows) {
    t.rows_done.fetch_add(*rows, std::memory_order_relaxed);
    s_->rows_total_.fetch_add(*rows, std::memory_order_relaxed);
    *rows = 0;
  }

  static constexpr uint64_t kClockRows = 16;
  static constexpr int64_t kCountStep = 256;

  Snapshot* s_;
  EventBuilder builder_;
  size_t table_ = 0;  // of the row being emitted
  bool earlier_ = false;  // emitting for PublishEarlierDeletes
  uint64_t clock_rows_ = 0;
  int64_t read_us_ = 0;
  PgConnPtr conn_;
  std::string storage_;
  pgoutput::Tuple tuple_;
};

Snapshot::Snapshot(SnapshotOptions options, const EventOptions& event_options,
                   const CaptureRules* rules, CatalogReader* catalog, Publisher* publisher,
                   const StopSignal* stop)
    : options_(std::move(options)),
      event_options_(event_options),
      rules_(rules),
      catalog_(catalog),
      publisher_(publisher),
      stop_(stop),
      relations_(event_options) {}

Snapshot::~Snapshot() {
  // Ended by a stop or a failure with records in flight: their tickets die with us, and nothing
  // is published after an unfinished snapshot (the process ends; the next start resumes it).
  if (publisher_->inflight_events() > 0) publisher_->StopSettling({options_.lsn, true});
}


void Snapshot::Fail(const Status& s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error_.ok()) error_ = s;
  cancel_.store(true);
}

Status Snapshot::Send(const ChangeEvent& ev, size_t table) {
  // Bounded memory: wait for acknowledgements while the limits are reached. Whoever waits
  // serves the delivery reports.
  CDC_RETURN_IF_ERROR(publisher_->WaitForRoom([this] { return cancelled(); }));
  return publisher_->Publish(ev, tables_[table]->ticket, [this] {
    if (cancelled()) return Status::Unavailable("snapshot cancelled");
    publisher_->Serve(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return Status::Ok();
  });
}

bool Snapshot::NextRange(Range* out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (next_range_ >= ranges_.size()) return false;
  *out = ranges_[next_range_++];
  Table& t = *tables_[out->table];
  if (t.started_us.load() == 0) t.started_us.store(NowMicros());
  return true;
}

Status Snapshot::Plan() {
  auto conn = Connect(options_.dsn, ConnKind::kSql);
  if (!conn.ok()) return conn.status();
  PGconn* c = conn->get();
  CDC_RETURN_IF_ERROR(ImportSnapshot(c, options_.snapshot_name));
  const int version = PQserverVersion(c);
  const bool pg15 = version >= 150000;
  const std::string pub = QuoteLiteral(c, options_.publication);
  auto tables = Exec(c,
                     "SELECT c.oid, n.nspname, c.relname, c.relreplident, "
                     "pg_relation_size(c.oid) / current_setting('block_size')::bigint, "
                     "c.reltuples::bigint, " +
                         std::string(pg15 ? "pt.rowfilter" : "NULL") +
                         " FROM pg_publication_tables pt JOIN pg_namespace n ON n.nspname = "
                         "pt.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = "
                         "pt.tablename WHERE pt.pubname = " +
                         pub + " ORDER BY 5 DESC, 2, 3");
  if (!tables.ok()) return tables.status().WithContext("snapshot: listing the publication's tables");
  PGresult* tr = tables->get();
  std::vector<std::string> keyless;  // warned about together, after the loop
  for (int i = 0; i < PQntuples(tr); ++i) {
    pgoutput::Relation rel;
    rel.oid = static_cast<uint32_t>(std::strtoul(PQgetvalue(tr, i, 0), nullptr, 10));
    rel.nspname = PQgetvalue(tr, i, 1);
    rel.relname = PQgetvalue(tr, i, 2);
    rel.replica_identity = PQgetvalue(tr, i, 3)[0];
    const std::string name = rel.nspname + "." + rel.relname;
    if (!rules_->Captured(name) || options_.done_tables.count(name)) continue;
    // The columns exactly as pgoutput announces them: no dropped or generated columns, only the
    // publication's column list (15+), flagged when part of the replica identity.
    const std::string oid = std::to_string(rel.oid);
    auto cols = Exec(
        c, "SELECT a.attname, a.atttypid, a.atttypmod, COALESCE(CASE c.relreplident "
           "WHEN 'f' THEN true "
           "WHEN 'd' THEN a.attnum = ANY((SELECT i.indkey FROM pg_index i WHERE i.indrelid = "
           "c.oid AND i.indisprimary)::int2[]) "
           "WHEN 'i' THEN a.attnum = ANY((SELECT i.indkey FROM pg_index i WHERE i.indrelid = "
           "c.oid AND i.indisreplident)::int2[]) ELSE false END, false) "
           "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE a.attrelid = " +
               oid + " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''" +
               (pg15 ? " AND a.attname IN (SELECT unnest(pt.attnames) FROM pg_publication_tables pt "
                       "WHERE pt.pubname = " +
                           pub + " AND pt.schemaname = " + QuoteLiteral(c, rel.nspname) +
                           " AND pt.tablename = " + QuoteLiteral(c, rel.relname) + ")"
                     : std::string()) +
               " ORDER BY a.attnum");
    if (!cols.ok()) return cols.status().WithContext("snapshot: columns of " + name);
    auto t = std::make_unique<Table>(this);
    t->name = name;
    t->copy_source = QuoteIdent(c, rel.nspname) + "." + QuoteIdent(c, rel.relname);
    for (int j = 0; j < PQntuples(cols->get()); ++j) {
      pgoutput::Column col;
      col.name = PQgetvalue(cols->get(), j, 0);
      col.type_oid = static_cast<uint32_t>(std::strtoul(PQgetvalue(cols->get(), j, 1), nullptr, 10));
      col.typmod = std::atoi(PQgetvalue(cols->get(), j, 2));
      col.flags = PQgetvalue(cols->get(), j, 3)[0] == 't' ? 1 : 0;
      if (j) t->columns += ", ";
      t->columns += QuoteIdent(c, col.name);
      rel.columns.push_back(std::move(col));
    }
    if (!PQgetisnull(tr, i, 6)) t->row_filter = PQgetvalue(tr, i, 6);
    t->pages = std::strtoll(PQgetvalue(tr, i, 4), nullptr, 10);
    t->estimate = std::strtoll(PQgetvalue(tr, i, 5), nullptr, 10);

    CatalogHints hints = catalog_->Lookup(rel.oid);
    rules_->Apply(rel, &hints);
    auto schema = relations_.Update(std::move(rel), hints, /*captured=*/true);
    if (!schema.ok()) return schema.status().WithContext("snapshot of " + name);
    t->schema = *schema;
    if (t->schema->key_columns.empty()) keyless.push_back(name);

    // CTID ranges need a TID range scan (14+) to be cheap; before that a table is read whole.
    const size_t index = tables_.size();
    int64_t n = 1;
    if (version >= 140000 && t->pages > 0) {
      n = (t->pages + options_.chunk_pages - 1) / options_.chunk_pages;
      if (t->pages >= kMinSplitPages) n = std::max<int64_t>(n, options_.parallelism);
      n = std::min(n, t->pages);
    }
    const int64_t step = (t->pages + n - 1) / std::max<int64_t>(n, 1);
    for (int64_t k = 0; k < n; ++k) {
      Range r;
      r.table = index;
      r.whole = n == 1;
      r.first_page = k * step;
      r.end_page = k + 1 == n ? -1 : (k + 1) * step;
      ranges_.push_back(r);
    }
    t->ranges = static_cast<int>(n);
    t->ranges_left.store(t->ranges);
    tables_.push_back(std::move(t));
  }
  (void)Exec(c, "COMMIT", PGRES_COMMAND_OK);
  if (keyless.size() <= kNamesShown) {
    for (const auto& name : keyless) {
      spdlog::warn("table {} has no primary key (or replica identity index): its events have a "
                   "null key",
                   name);
    }
  } else {
    spdlog::warn("{} tables have no primary key (or replica identity index), so their events "
                 "have a null key: {} (log.level debug lists every table)",
                 keyless.size(), FirstNames(keyless));
    spdlog::debug("tables without a primary key (or replica identity index): {}",
                  AllNames(keyless));
  }
  return Status::Ok();
}

Status Snapshot::ReportTablesDone() {
  for (auto& t : tables_) {
    // rows_done is final once ranges_left is 0 (workers count a range's rows before finishing
    // it); a table is durable when every row it read was acknowledged, held-back rows included.
    if (t->reported_done || t->ranges_left.load() != 0 ||
        t->acked.load() != t->rows_done.load() + t->earlier.load()) {
      continue;
    }
    t->reported_done = true;
    if (options_.on_table_done) CDC_RETURN_IF_ERROR(options_.on_table_done(t->name));
  }
  return Status::Ok();
}

void Snapshot::LogProgress() {
  const int64_t now = NowMicros();
  if (now - last_progress_us_ < int64_t{options_.progress_interval_ms} * 1000) return;
  last_progress_us_ = now;
  const double secs = static_cast<double>(now - started_us_) / 1e6;
  int64_t remaining = 0;
  bool unknown = false;  // a table never analyzed has no row estimate
  for (const auto& t : tables_) {
    const int64_t done = t->rows_done.load();
    if (t->ranges_left.load() > 0) {
      remaining += std::max<int64_t>(t->estimate - done, 0);
      unknown = unknown || t->estimate < 0;
    }
    if (t->started_us.load() == 0 || t->ranges_left.load() == 0) continue;
    if (t->estimate > 0) {
      spdlog::info("snapshot: {} {}/~{} rows ({}%)", t->name, done, t->estimate,
                   std::min<int64_t>(100, done * 100 / t->estimate));
    } else {
      spdlog::info("snapshot: {} {} rows", t->name, done);
    }
  }
  const double rate = secs > 0 ? static_cast<double>(rows_total_.load()) / secs : 0;
  if (unknown) {
    spdlog::info("snapshot: {} rows in {:.0f} s ({:.0f} rows/s), ETA unknown (tables never "
                 "analyzed)",
                 rows_total_.load(), secs, rate);
  } else {
    spdlog::info("snapshot: {} rows in {:.0f} s ({:.0f} rows/s), ~{} to go, ETA {:.0f} s",
                 rows_total_.load(), secs, rate, remaining,
                 rate > 0 ? static_cast<double>(remaining) / rate : 0.0);
  }
}

std::vector<TableProgress> Snapshot::Progress() const {
  std::vector<TableProgress> out;
  if (!planned_.load()) return out;
  for (const auto& t : tables_) {
    out.push_back(TableProgress{t->name, t->rows_done.load(), t->estimate,
                                t->ranges_left.load() == 0});
  }
  return out;
}

Result<bool> Snapshot::Run() {
  started_us_ = NowMicros();
  last_progress_us_ = started_us_;
  CDC_RETURN_IF_ERROR(Plan());
  std::vector<int> ranges_per_table;
  int64_t estimate = 0;
  for (const auto& t : tables_) {
    ranges_per_table.push_back(t->ranges);
    estimate += std::max<int64_t>(t->estimate, 0);  // -1: never analyzed
  }
  markers_ = std::make_unique<SnapshotMarkers>(ranges_per_table);
  planned_.store(true);
  const int workers = static_cast<int>(
      std::min<size_t>(static_cast<size_t>(options_.parallelism), std::max<size_t>(ranges_.size(), 1)));
  spdlog::info("snapshot at {}: {} tables in {} ranges, ~{} rows, {} workers",
               options_.lsn.ToString(), tables_.size(), ranges_.size(), estimate, workers);
  if (!options_.resumed_slot.empty()) {
    Worker earlier(this);
    CDC_RETURN_IF_ERROR(earlier.PublishEarlierDeletes());
  }

  std::vector<std::unique_ptr<Worker>> pool;
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) {
    pool.push_back(std::make_unique<Worker>(this));
    threads.emplace_back([w = pool.back().get()] { w->Run(); });
  }
  while (workers_done_.load() < workers) {
    publisher_->Serve(0);
    if (Status s = ReportTablesDone(); !s.ok()) Fail(s);
    LogProgress();
    pollfd fds[2];
    nfds_t n = 0;
    if (publisher_->wakeup_fd() >= 0) fds[n++] = pollfd{publisher_->wakeup_fd(), POLLIN, 0};
    if (stop_->fd() >= 0) fds[n++] = pollfd{stop_->fd(), POLLIN, 0};
    poll(fds, n, 50);
  }
  for (auto& th : threads) th.join();
  if (stop_->requested()) return false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_.ok()) return error_;
  }

  Worker last(this);
  if (auto held = markers_->TakeLast()) {
    CDC_RETURN_IF_ERROR(last.EmitRow(held->table, held->row.view(), held->marker));
  }
  // Every record acknowledged before the snapshot counts as done.
  while (publisher_->inflight_events() > 0) {
    (void)publisher_->Drain(kFlushStepMs);  // Unavailable until all is reported: loop
    if (stop_->requested()) return false;
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_.ok()) return error_;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_.ok()) return error_;
  }
  CDC_RETURN_IF_ERROR(ReportTablesDone());
  for (const auto& t : tables_) {
    if (!t->reported_done) {
      return Status::FailedPrecondition("snapshot: " + t->name +
                                        " finished without every row acknowledged");
    }
  }
  const double secs = static_cast<double>(NowMicros() - started_us_) / 1e6;
  spdlog::info("snapshot complete: {} rows from {} tables in {:.3f} s ({:.0f} rows/s)",
               rows_total_.load(), tables_.size(), secs,
               secs > 0 ? static_cast<double>(rows_total_.load()) / secs : 0.0);
  return true;
}

}  // namespace cdc::connector
