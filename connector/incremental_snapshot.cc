#include "connector/incremental_snapshot.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "connector/record_encoders.h"

namespace cdc::connector {

namespace {

constexpr auto kRetryAfterError = std::chrono::seconds(2);
// A chunk thrown away by the visibility check is read again after this: the transaction it
// waits for is committing (its commit record is in the WAL), often behind a synchronous standby.
constexpr auto kRetryAfterInvisible = std::chrono::milliseconds(200);
constexpr size_t kMaxStreamed = 1 << 16;

std::string RandomId() {
  std::random_device rd;
  std::mt19937_64 gen((uint64_t{rd()} << 32) ^ rd());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) s += kHex[gen() % 16];
  return s;
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Describe(const KeyValues& k) {
  std::string s = "(";
  for (size_t i = 0; i < k.size(); ++i) s += (i ? ", " : "") + k[i].value_or("NULL");
  return s + ")";
}

}  // namespace

// Keeps what the EventBuilder builds for a chunk row, to be published at the HW.
class IncrementalSnapshot::Collector : public EventEmitter {
 public:
  explicit Collector(std::vector<Buffered>* out) : out_(out) {}
  Status Emit(const ChangeEvent& ev) override {
    if (!ev.key) return Status::FailedPrecondition("incremental snapshot: a row with a null key");
    Buffered b;
    b.key = std::string(*ev.key);
    b.topic = std::string(ev.topic);
    if (ev.value) b.value = std::string(*ev.value);
    for (const auto& h : ev.headers) b.headers.emplace_back(h.name, h.value);
    b.op = ev.op;
    out_->push_back(std::move(b));
    return Status::Ok();
  }

 private:
  std::vector<Buffered>* out_;
};

IncrementalSnapshot::IncrementalSnapshot(IncrementalOptions options,
                                         const EventOptions& event_options,
                                         const CaptureRules* rules, CatalogReader* catalog,
                                         Metrics* metrics, IncrementalState restored)
    : options_(std::move(options)),
      event_options_(event_options),
      rules_(rules),
      metrics_(metrics),
      registry_(event_options, rules, catalog),
      builder_(event_options, MakeRecordEncoder(event_options)),
      snapshot_id_(RandomId()),
      state_(std::move(restored)),
      durable_(state_) {
  if (!state_.empty()) {
    spdlog::info(
        "incremental snapshot: resuming {} ({} chunks, {} rows acknowledged, from key {}); "
        "{} tables queued{}",
        state_.queue.front().name, state_.chunks, state_.rows,
        state_.cursor ? Describe(*state_.cursor) : std::string("(start)"), state_.queue.size(),
        state_.paused ? ", paused" : "");
  }
}

IncrementalSnapshot::~IncrementalSnapshot() = default;

bool IncrementalSnapshot::Claims(std::string_view prefix) {
  return prefix == kWatermarkPrefix || prefix == kSignalPrefix;
}

void IncrementalSnapshot::OnBegin(Xid xid) {
  txn_xid_ = xid;
  txn_tables_.clear();
  txn_signals_.clear();
}

void IncrementalSnapshot::OnCommit(Lsn end_lsn) {
  for (auto& t : txn_tables_) {
    streamed_.emplace_back(txn_xid_.value, std::move(t));
    if (streamed_.size() > kMaxStreamed) streamed_.pop_front();
  }
  txn_tables_.clear();
  for (const auto& signal : txn_signals_) ApplySignal(signal);
  txn_signals_.clear();
  if (!dirty_) return;
  dirty_ = false;
  pending_.emplace_back(end_lsn, state_);
}

void IncrementalSnapshot::ApplyNow() {
  if (pending_.empty()) {
    durable_ = state_;
    durable_changed_ = true;
  } else {
    pending_.emplace_back(pending_.back().first, state_);
  }
}

void IncrementalSnapshot::Confirm(Lsn confirmed) {
  while (!pending_.empty() && pending_.front().first <= confirmed) {
    durable_ = std::move(pending_.front().second);
    pending_.pop_front();
  }
}

void IncrementalSnapshot::ResetSession() {
  // Transactions after the confirmed LSN are sent again: what they changed is forgotten, and
  // the window (whose watermarks may or may not come again) is abandoned.
  if (phase_ != Phase::kIdle) {
    spdlog::info("incremental snapshot: chunk {} of {} abandoned with the session; read again",
                 chunk_, state_.empty() ? std::string() : state_.queue.front().name);
  }
  phase_ = Phase::kIdle;
  buffer_.clear();
  by_key_.clear();
  dirty_ = false;
  txn_tables_.clear();
  txn_signals_.clear();
  state_ = pending_.empty() ? durable_ : pending_.back().second;
}

void IncrementalSnapshot::DropWindow() {
  phase_ = Phase::kIdle;
  buffer_.clear();
  by_key_.clear();
  table_.reset();
}

void IncrementalSnapshot::Touched(std::string_view table) {
  if (table.empty()) return;
  for (const auto& t : txn_tables_) {
    if (t == table) return;
  }
  txn_tables_.emplace_back(table);
}

void IncrementalSnapshot::OnStreamed(const ChangeEvent& ev) {
  if (emitting_) return;
  Touched(ev.table);
  if (state_.empty() || phase_ != Phase::kOpen || !ev.key ||
      ev.table != state_.queue.front().name) {
    return;
  }
  auto it = by_key_.find(std::string(*ev.key));
  if (it == by_key_.end()) return;
  for (size_t i : it->second) buffer_[i].removed = true;
  by_key_.erase(it);
}

void IncrementalSnapshot::OnTruncate(const std::string& table) {
  Touched(table);
  if (state_.empty() || table != state_.queue.front().name || phase_ != Phase::kOpen) return;
  for (auto& b : buffer_) b.removed = true;
  by_key_.clear();
}

Status IncrementalSnapshot::OnMessage(const pgoutput::LogicalMessage& m, EventEmitter& out) {
  if (m.prefix == kSignalPrefix) {
    auto s = ParseSignalMessage(m.content);
    if (!s.ok()) {
      spdlog::warn("ignoring a pgcdc-signal message at {}: {}", m.lsn.ToString(),
                   s.status().message());
    } else {
      txn_signals_.push_back(std::move(*s));
    }
    return Status::Ok();
  }
  auto w = ParseWatermark(m.content);
  // Another process's (an earlier run of ours, or forged): not ours to act on.
  if (!w || w->snapshot_id != snapshot_id_) return Status::Ok();
  return OnWatermark(*w, out);
}

Status IncrementalSnapshot::OnWatermark(const Watermark& w, EventEmitter& out) {
  if (w.chunk != chunk_) return Status::Ok();  // an abandoned chunk's
  if (w.kind == Watermark::Kind::kLow) {
    if (phase_ != Phase::kAwaitLow) return Status::Ok();
    // Every commit before LW is decoded now: each one that changed the table must be visible to
    // the chunk's snapshot, or its row may be older than the change already published.
    for (const auto& [x, table] : streamed_) {
      if (table == state_.queue.front().name && !chunk_snapshot_.Sees(x)) {
        ++rereads_;
        spdlog::info(
            "incremental snapshot: chunk {} of {} read again: transaction {} was streamed "
            "before it, but is not yet visible to new snapshots",
            chunk_, state_.queue.front().name, x);
        phase_ = Phase::kIdle;
        buffer_.clear();
        by_key_.clear();
        retry_at_ = Clock::Steady().Now() + kRetryAfterInvisible;
        return Status::Ok();
      }
    }
    // Visible to this snapshot, hence to every later one: no need to check them again.
    const uint32_t xmin = static_cast<uint32_t>(chunk_snapshot_.xmin & 0xffffffffu);
    std::erase_if(streamed_,
                  [xmin](const auto& e) { return static_cast<int32_t>(e.first - xmin) < 0; });
    phase_ = Phase::kOpen;
    return Status::Ok();
  }
  if (phase_ != Phase::kOpen) return Status::Ok();
  uint64_t sent = 0;
  emitting_ = true;
  for (const auto& b : buffer_) {
    if (b.removed) continue;
    std::vector<EventHeader> headers;
    for (const auto& [name, value] : b.headers) headers.push_back(EventHeader{name, value});
    ChangeEvent ev;
    ev.topic = b.topic;
    ev.key = b.key;
    if (b.value) ev.value = *b.value;
    ev.headers = headers;
    ev.table = state_.queue.front().name;
    ev.op = b.op;
    ev.lsn = chunk_snapshot_.wal_lsn;
    Status s = out.Emit(ev);
    if (!s.ok()) {
      // The session ends on it; the chunk is not counted, so it is read again.
      emitting_ = false;
      DropWindow();
      return s.WithContext("incremental snapshot of " + std::string(ev.table));
    }
    if (b.op == 'r') ++sent;
  }
  emitting_ = false;
  const std::string name = state_.queue.front().name;
  state_.chunks += 1;
  state_.rows += sent;
  state_.cursor = chunk_end_;
  if (metrics_ != nullptr) metrics_->ObserveIncremental(name, sent, 1, chunk_last_);
  dirty_ = true;
  phase_ = Phase::kIdle;
  buffer_.clear();
  by_key_.clear();
  if (chunk_last_) {
    spdlog::info("incremental snapshot of {} done: {} rows in {} chunks", name, state_.rows,
                 state_.chunks);
    state_.PopFront();
    table_.reset();
  }
  return Status::Ok();
}

Status IncrementalSnapshot::Connected() {
  if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) return Status::Ok();
  conn_.reset();
  auto c = Connect(options_.dsn, ConnKind::kSql);
  if (!c.ok()) return c.status();
  // Watermarks must not wait for a synchronous standby (reference §6.1), and a chunk must not
  // be cut short by a role's statement_timeout.
  CDC_RETURN_IF_ERROR(Exec(c->get(), "SET synchronous_commit = local", PGRES_COMMAND_OK).status());
  CDC_RETURN_IF_ERROR(Exec(c->get(), "SET statement_timeout = 0", PGRES_COMMAND_OK).status());
  conn_ = std::move(*c);
  return Status::Ok();
}

void IncrementalSnapshot::Refuse(const Status& s) {
  spdlog::error("{}", s.message());
  state_.PopFront();
  table_.reset();
  ApplyNow();
}

void IncrementalSnapshot::Step(bool sink_blocked) {
  Report(false);
  if (state_.empty() || state_.paused || phase_ != Phase::kIdle || sink_blocked) return;
  if (Clock::Steady().Now() < retry_at_) return;
  Status s = ReadNextChunk();
  if (s.ok()) return;
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    spdlog::warn("incremental snapshot: {}; retrying", s.message());
    conn_.reset();
    table_.reset();
    retry_at_ = Clock::Steady().Now() + kRetryAfterError;
    return;
  }
  Refuse(s);  // the table's own problem (a bad filter, no key): it would fail again
}

Status IncrementalSnapshot::ReadNextChunk() {
  CDC_RETURN_IF_ERROR(Connected());
  PGconn* c = conn_.get();
  const IncrementalTable& front = state_.queue.front();
  if (!table_ || table_->name != front.name) {
    auto t = DescribeChunkTable(c, options_.publication, front, &registry_);
    if (!t.ok()) return t.status();
    table_ = std::move(*t);
    spdlog::info("incremental snapshot of {} {} (chunks of {} rows{}{})", front.name,
                 state_.cursor ? "continues after key " + Describe(*state_.cursor) : "starts",
                 options_.chunk_size, front.filter.empty() ? "" : ", where ", front.filter);
  }
  if (!state_.max_key) {
    auto max = ReadMaxKey(c, *table_);
    if (!max.ok()) return max.status();
    if (!*max) {
      spdlog::info("incremental snapshot of {} done: no rows to read", front.name);
      if (metrics_ != nullptr) metrics_->ObserveIncremental(front.name, 0, 0, true);
      state_.PopFront();
      table_.reset();
      ApplyNow();
      return Status::Ok();
    }
    state_.max_key = std::move(**max);
  }
  const uint64_t chunk = chunk_ + 1;
  const std::string name = front.name;
  CDC_RETURN_IF_ERROR(
      EmitWatermark(c, Watermark{Watermark::Kind::kLow, snapshot_id_, chunk, name}));
  // From here the number is used: if this attempt fails, the next one writes a new LW, and this
  // one, arriving while no window is awaited, is ignored.
  chunk_ = chunk;
  auto rows = ReadChunk(c, *table_, state_.cursor, *state_.max_key, options_.chunk_size);
  if (!rows.ok()) return rows.status();
  if (rows->rows() == 0) {
    // Nothing after the cursor up to the max key (rows deleted since): the table is done. The LW
    // just written opens no window (it arrives while none is awaited).
    spdlog::info("incremental snapshot of {} done: {} rows in {} chunks", name, state_.rows,
                 state_.chunks);
    if (metrics_ != nullptr) metrics_->ObserveIncremental(name, 0, 0, true);
    state_.PopFront();
    table_.reset();
    ApplyNow();
    return Status::Ok();
  }
  // Build the records now, while the rows are at hand; only the survivors are published.
  std::vector<Buffered> buffer;
  Collector collect(&buffer);
  pgoutput::Tuple tuple(table_->column_count);
  const ReadContext read{rows->snapshot.wal_lsn, NowMicros(), "incremental"};
  PGresult* r = rows->result.get();
  for (int i = 0; i < rows->rows(); ++i) {
    for (size_t col = 0; col < table_->column_count; ++col) {
      const int f = static_cast<int>(col);
      if (PQgetisnull(r, i, f)) {
        tuple[col] = pgoutput::TupleValue{pgoutput::ValueKind::kNull, {}};
      } else {
        tuple[col] = pgoutput::TupleValue{
            pgoutput::ValueKind::kText,
            std::string_view(PQgetvalue(r, i, f), static_cast<size_t>(PQgetlength(r, i, f)))};
      }
    }
    CDC_RETURN_IF_ERROR(builder_.OnRead(*table_->schema, tuple, read, collect));
  }
  KeyValues end = rows->Key(rows->rows() - 1, *table_);
  const bool last = rows->rows() < options_.chunk_size || end == *state_.max_key;
  CDC_RETURN_IF_ERROR(
      EmitWatermark(c, Watermark{Watermark::Kind::kHigh, snapshot_id_, chunk, name}));
  chunk_last_ = last;
  chunk_end_ = std::move(end);
  chunk_snapshot_ = std::move(rows->snapshot);
  buffer_ = std::move(buffer);
  by_key_.clear();
  for (size_t i = 0; i < buffer_.size(); ++i) by_key_[buffer_[i].key].push_back(i);
  phase_ = Phase::kAwaitLow;
  return Status::Ok();
}

void IncrementalSnapshot::Report(bool force) {
  const auto now = Clock::Steady().Now();
  if (state_.empty()) return;
  if (!force && now - last_report_ < std::chrono::milliseconds(options_.progress_interval_ms)) {
    return;
  }
  last_report_ = now;
  spdlog::info("incremental snapshot: {} {} rows in {} chunks, at key {}{}; {} more tables queued",
               state_.queue.front().name, state_.rows, state_.chunks,
               state_.cursor ? Describe(*state_.cursor) : std::string("(start)"),
               state_.paused ? " (paused)" : "", state_.queue.size() - 1);
}

}  // namespace cdc::connector
