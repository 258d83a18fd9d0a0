#include "connector/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <thread>

#include "decoders/replication_frame.h"
#include "connector/counting_sink.h"
#include "sinks/kafka_sink.h"
#include "sinks/stdout_sink.h"

namespace cdc::connector {

namespace {

std::atomic<bool> g_stop{false};
int g_stop_pipe[2] = {-1, -1};

void OnSignal(int) { Runner::RequestStop(); }

constexpr int kFlushTimeoutMs = 30000;
constexpr int kMaxFramesPerTurn = 1024;
constexpr auto kProgressInterval = std::chrono::seconds(60);

DecimalHandling ParseDecimal(const std::string& s) {
  return s == "double" ? DecimalHandling::kDouble
         : s == "string" ? DecimalHandling::kString
                         : DecimalHandling::kPrecise;
}
BinaryHandling ParseBinary(const std::string& s) {
  return s == "base64"            ? BinaryHandling::kBase64
         : s == "base64-url-safe" ? BinaryHandling::kBase64UrlSafe
         : s == "hex"             ? BinaryHandling::kHex
                                  : BinaryHandling::kBytes;
}
TimePrecision ParseTimePrecision(const std::string& s) {
  return s == "connect"                      ? TimePrecision::kConnect
         : s == "adaptive_time_microseconds" ? TimePrecision::kAdaptiveTimeMicroseconds
                                             : TimePrecision::kAdaptive;
}

bool Skipped(const config::Config& c, const char* op) {
  for (const auto& s : c.format.skipped_operations) {
    if (s == op) return true;
  }
  return false;
}

bool IsSlotActiveError(const Status& s) {
  return s.message().find("SQLSTATE 55006") != std::string::npos;
}

}  // namespace

void Runner::RequestStop() {
  g_stop.store(true);
  if (g_stop_pipe[1] >= 0) {
    char c = 1;
    [[maybe_unused]] ssize_t n = write(g_stop_pipe[1], &c, 1);
  }
}

void Runner::InstallSignalHandlers() {
  if (g_stop_pipe[0] < 0 && pipe2(g_stop_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
    g_stop_pipe[0] = g_stop_pipe[1] = -1;
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

Runner::Runner(config::Config cfg, std::string version)
    : cfg_(std::move(cfg)),
      version_(std::move(version)),
      lock_(cfg_.source.dsn, cfg_.source.slot, cfg_.name),
      offsets_(cfg_.offsets.file) {
  event_options_.name = cfg_.name;
  event_options_.source_version =
      cfg_.format.source_version.empty() ? "pgcdc-" + version_ : cfg_.format.source_version;
  event_options_.schemas = cfg_.format.schemas;
  event_options_.tombstones = cfg_.format.tombstones;
  event_options_.emit_truncate = !Skipped(cfg_, "t");
  event_options_.skip_create = Skipped(cfg_, "c");
  event_options_.skip_update = Skipped(cfg_, "u");
  event_options_.skip_delete = Skipped(cfg_, "d");
  event_options_.converter.decimal = ParseDecimal(cfg_.format.decimal_handling);
  event_options_.converter.binary = ParseBinary(cfg_.format.binary_handling);
  event_options_.converter.time_precision = ParseTimePrecision(cfg_.format.time_precision);
  event_options_.converter.interval = cfg_.format.interval_handling == "string"
                                          ? IntervalHandling::kString
                                          : IntervalHandling::kNumeric;
  event_options_.converter.unavailable_placeholder = cfg_.format.unavailable_value_placeholder;
  event_options_.transaction_metadata = cfg_.format.transaction_metadata;
  event_options_.converter.hstore =
      cfg_.format.hstore_handling == "map" ? HstoreHandling::kMap : HstoreHandling::kJson;
  event_options_.converter.unknown_types = cfg_.format.unknown_types == "string"
                                               ? UnknownTypePolicy::kString
                                           : cfg_.format.unknown_types == "skip"
                                               ? UnknownTypePolicy::kSkip
                                               : UnknownTypePolicy::kFail;
}

Runner::~Runner() = default;

Offset Runner::OffsetAt(Lsn lsn) const {
  Offset o{cfg_.source.slot, identity_.system_id, identity_.database, identity_.timeline,
           lsn, snapshot_state_, snapshot_lsn_, {}, stuck_};
  for (const auto& [table, read_lsn] : snapshot_tables_) {
    // Once complete, a table's entry matters only until the stream passes its read.
    if (snapshot_state_ == "running" || read_lsn > lsn) o.snapshot_tables[table] = read_lsn;
  }
  return o;
}

Status Runner::Prepare() {
  auto sql = Connect(cfg_.source.dsn, ConnKind::kSql);
  if (!sql.ok()) return sql.status();
  // Also the connection that exports the snapshot: it must stay open and idle until the
  // snapshot is read, so it lives as long as this function.
  auto repl = Connect(cfg_.source.dsn, ConnKind::kReplication);
  if (!repl.ok()) return repl.status();
  spdlog::info("connected to {}", Describe(sql->get()));

  auto facts = InspectSource(sql->get(), repl->get(), cfg_);
  if (!facts.ok()) return facts.status();
  identity_ = facts->identity;
  server_version_ = facts->server_version;
  event_options_.database = identity_.database;

  auto stored = offsets_.Load();
  if (!stored.ok()) return stored.status();
  const Offset* o = *stored ? &**stored : nullptr;
  if (o && (o->slot != cfg_.source.slot || o->system_id != identity_.system_id)) {
    return Status::FailedPrecondition(
        "offsets file " + offsets_.path() + " belongs to slot '" + o->slot + "' on system " +
        o->system_id + ", not slot '" + cfg_.source.slot + "' on system " + identity_.system_id +
        "; refusing to use or overwrite it (point offsets.file elsewhere)");
  }
  if (o && o->timeline != identity_.timeline) {
    spdlog::warn("postgres: timeline is {} but the offsets file was written on timeline {} (the "
                 "server was promoted since)",
                 identity_.timeline, o->timeline);
  }
  if (o) {
    snapshot_state_ = o->snapshot;
    snapshot_lsn_ = o->snapshot_lsn;
    snapshot_tables_ = o->snapshot_tables;
    stuck_ = o->stuck;
    if (stuck_) {
      spdlog::warn("the previous run stopped on an event the broker refused: {}; sending it again",
                   DescribeStuck(*stuck_));
    }
  }

  auto decision = DecideStart(cfg_, offsets_.path(), o, facts->slot);
  if (!decision.ok()) return decision.status();
  const bool snapshot = !decision->empty();
  if (!snapshot && cfg_.snapshot.mode == "initial_only") {
    spdlog::info("snapshot.mode initial_only: the snapshot was already taken ({}); nothing to do",
                 offsets_.path());
    finished_ = true;
    return Status::Ok();
  }

  // The sink is checked before anything is created on the server.
  std::unique_ptr<sinks::EventSink> sink;
  if (cfg_.sink.type == "kafka") {
    auto kafka = sinks::KafkaSink::Create(cfg_.sink.kafka, this, cfg_.sink.dead_letter_topic);
    if (!kafka.ok()) return kafka.status();
    sink = std::move(*kafka);
  } else {
    sink = std::make_unique<sinks::StdoutSink>(this);
  }
  sink_ = std::make_unique<CountingSink>(std::move(sink), &metrics_);
  CDC_RETURN_IF_ERROR(sink_->CheckReachable(15000));

  // Everything checked: now create what is missing (publication first: pgoutput.md §6.8).
  CDC_RETURN_IF_ERROR(EnsurePublication(sql->get(), cfg_, *facts));
  WarnAboutToast(sql->get(), cfg_.source.publication, cfg_.source.tables);
  rules_ = std::make_unique<CaptureRules>(CaptureOptions{
      cfg_.source.tables, cfg_.source.column_exclude_list, cfg_.format.message_key_columns});
  catalog_ = std::make_unique<CatalogReader>(cfg_.source.dsn);

  if (snapshot) {
    CDC_RETURN_IF_ERROR(CheckSnapshotPrivileges(sql->get(), cfg_.source.publication, *rules_));
    spdlog::info("taking a snapshot: {}", *decision);
    auto taken = TakeSnapshot(repl->get(), facts->slot, o);
    if (!taken.ok()) return taken.status();
    if (!*taken) {
      spdlog::info("stopped during the snapshot; the next start resumes it ({} tables read)",
                   snapshot_tables_.size());
      finished_ = true;
      return Status::Ok();
    }
    if (cfg_.snapshot.mode == "initial_only") {
      spdlog::info("snapshot.mode initial_only: done. Slot {} keeps WAL from {} until pgcdc "
                   "streams from it (snapshot.mode initial) or it is dropped",
                   cfg_.source.slot, snapshot_lsn_.ToString());
      finished_ = true;
      return Status::Ok();
    }
    start_lsn_ = snapshot_lsn_;
  } else {
    if (!facts->slot.exists) {
      auto created = CreateSlot(repl->get(), cfg_.source.slot, server_version_, false);
      if (!created.ok()) return created.status();
      start_lsn_ = created->consistent_point;
    } else {
      start_lsn_ = facts->slot.confirmed_flush.value_or(Lsn());
    }
    // Ahead of the slot is normal: the server may lose its last confirmation in a crash
    // (pgoutput.md §4.5); transactions before our offset are skipped.
    if (o) start_lsn_ = o->lsn;
  }
  repl->reset();

  persisted_ = start_lsn_;
  received_ = start_lsn_;
  tracker_ = std::make_unique<LsnTracker>(start_lsn_);
  tracker_->set_on_retired([this](const LsnTracker::Txn& t) {
    const int64_t now_us = UnixMillis() * 1000;
    metrics_.ObserveCommitToAck(static_cast<double>(now_us - t.commit_unix_us) / 1e6);
    metrics_.last_commit_unix_ms.store(t.commit_unix_us / 1000);
  });
  CDC_RETURN_IF_ERROR(offsets_.Save(OffsetAt(persisted_)));

  ProcessorOptions popts;
  popts.emit_messages = cfg_.format.messages;
  popts.message_prefixes = cfg_.format.message_prefixes;
  processor_ = std::make_unique<ChangeProcessor>(event_options_, std::move(popts), rules_.get(),
                                                 catalog_.get(), tracker_.get(), sink_.get(),
                                                 [this] { OnSinkFull(); });
  std::map<std::string, Lsn> read_later;  // tables a resumed snapshot read after start_lsn_
  for (const auto& [table, read_lsn] : snapshot_tables_) {
    if (read_lsn > start_lsn_) read_later[table] = read_lsn;
  }
  if (!read_later.empty()) {
    spdlog::info("{} tables were read by a resumed snapshot: their changes committed before "
                 "their read are skipped",
                 read_later.size());
  }
  processor_->SetSnapshotReads(std::move(read_later));
  spdlog::info("slot {} publication {} on system {} timeline {}: resuming at {}",
               cfg_.source.slot, cfg_.source.publication, identity_.system_id,
               identity_.timeline, start_lsn_.ToString());
  return Status::Ok();
}

Result<bool> Runner::TakeSnapshot(PGconn* repl, const SlotState& slot, const Offset* stored) {
  std::optional<CreatedSlot> created;
  if (CanResumeSnapshot(stored, slot)) {
    // The slot still starts at the interrupted snapshot's consistent point, and the tables in
    // snapshot_tables_ were read and delivered in full. The others are read in the snapshot of
    // a temporary slot: it sees exactly the transactions committed before its consistent point,
    // so the stream skips those tables' changes before it (ChangeProcessor::SetSnapshotReads).
    // The temporary slot goes when `repl` closes.
    // Named after the slot (unique on the server), within the 63 characters a name may have.
    auto temp = CreateSlot(repl, cfg_.source.slot.substr(0, 56) + "_resume", server_version_,
                           /*export_snapshot=*/true, /*temporary=*/true);
    if (temp.ok()) {
      created = std::move(*temp);
      spdlog::info("resuming the interrupted snapshot of slot {} at {}: {} tables already read; "
                   "the others are read as of {}",
                   cfg_.source.slot, snapshot_lsn_.ToString(), snapshot_tables_.size(),
                   created->consistent_point.ToString());
    } else {
      spdlog::warn("cannot resume the interrupted snapshot ({}); taking it again",
                   temp.status().message());
    }
  }
  if (!created) {
    // Recorded before the slot changes: a crash from here on finds "running" and starts over.
    snapshot_state_ = "running";
    snapshot_lsn_ = Lsn();
    snapshot_tables_.clear();
    CDC_RETURN_IF_ERROR(offsets_.Save(OffsetAt(stored ? stored->lsn : Lsn())));
    if (slot.exists) CDC_RETURN_IF_ERROR(DropSlot(repl, cfg_.source.slot));
    auto fresh = CreateSlot(repl, cfg_.source.slot, server_version_, /*export_snapshot=*/true);
    if (!fresh.ok()) return fresh.status();
    created = std::move(*fresh);
    snapshot_lsn_ = created->consistent_point;
    CDC_RETURN_IF_ERROR(offsets_.Save(OffsetAt(snapshot_lsn_)));
  }
  const Lsn read_lsn = created->consistent_point;
  snapshot_read_lsn_ = read_lsn;

  SnapshotOptions opts;
  opts.dsn = cfg_.source.dsn;
  opts.publication = cfg_.source.publication;
  opts.snapshot_name = created->snapshot_name;
  opts.lsn = read_lsn;
  for (const auto& [table, lsn] : snapshot_tables_) opts.done_tables.insert(table);
  if (read_lsn != snapshot_lsn_) opts.resumed_slot = cfg_.source.slot;
  opts.on_table_done = [this, read_lsn](const std::string& table) {
    snapshot_tables_[table] = read_lsn;
    return offsets_.Save(OffsetAt(snapshot_lsn_));
  };
  opts.parallelism = cfg_.snapshot.parallelism;
  opts.chunk_pages = cfg_.snapshot.chunk_pages;
  opts.progress_interval_ms = cfg_.snapshot.progress_interval_ms;
  opts.max_inflight_events = cfg_.limits.max_inflight_events;
  opts.max_inflight_bytes = cfg_.limits.max_inflight_bytes;
  Snapshot snap(std::move(opts), event_options_, rules_.get(), catalog_.get(), sink_.get(),
                &g_stop, g_stop_pipe[0]);
  snapshot_ = &snap;
  metrics_.state.store(static_cast<int>(RunState::kSnapshotting));
  metrics_.SetSnapshotSource([&snap] { return snap.Progress(); });
  auto done = snap.Run();
  metrics_.SetSnapshotSource(nullptr);
  snapshot_ = nullptr;
  if (!done.ok() || !*done) return done;
  snapshot_state_ = "complete";
  // Every record of the snapshot was acknowledged, the one refused in an earlier one included.
  if (stuck_ && stuck_->in_snapshot) ClearStuck();
  CDC_RETURN_IF_ERROR(offsets_.Save(OffsetAt(snapshot_lsn_)));
  return true;
}

void Runner::OnDelivery(void* opaque, size_t bytes, const Status& status) {
  if (status.ok()) {
    metrics_.last_ack_unix_ms.store(UnixMillis(), std::memory_order_relaxed);
  } else {
    metrics_.delivery_errors.fetch_add(1);
  }
  if (processor_ == nullptr) {  // nothing but the snapshot sends before streaming
    if (snapshot_ != nullptr && snapshot_->Owns(opaque)) {
      snapshot_->OnDelivery(opaque, bytes, status);
    }
    return;
  }
  processor_->OnDelivered(bytes);
  if (status.ok()) {
    tracker_->Acknowledge(static_cast<LsnTracker::Txn*>(opaque));
    ++events_acked_;
    return;
  }
  // Never acknowledged: the transaction stays outstanding and the LSN cannot pass it.
  if (delivery_error_.ok()) delivery_error_ = status;
}

void Runner::OnRefused(void* opaque, const Refusal& r) {
  StuckEvent e;
  e.topic = std::string(r.topic);
  // Topics are <name>.<schema>.<table>; the others (<name>.transaction, heartbeats) name no table.
  const std::string prefix = cfg_.name + ".";
  e.table = e.topic;
  if (e.topic.rfind(prefix, 0) == 0 && e.topic.find('.', prefix.size()) != std::string::npos) {
    e.table = e.topic.substr(prefix.size());
  }
  e.SetKey(r.key, r.key_len);
  e.cause = std::string(r.cause);
  e.error = std::string(r.error_name);
  e.at = UtcNow();
  if (processor_ == nullptr) {
    // A snapshot record (possibly reported on one of the snapshot's workers).
    e.in_snapshot = true;
    e.lsn = snapshot_read_lsn_;
  } else {
    // Streaming, on the replication thread: the opaque is the event's transaction record.
    const auto* txn = static_cast<const LsnTracker::Txn*>(opaque);
    e.lsn = txn != nullptr && txn->final_lsn.valid() ? txn->final_lsn
            : txn != nullptr && txn->end_lsn.valid() ? txn->end_lsn
                                                      : tracker_->confirmed();
  }
  std::lock_guard<std::mutex> lock(refused_mu_);
  if (!refused_) refused_ = std::move(e);
}

bool Runner::stuck() const {
  std::lock_guard<std::mutex> lock(refused_mu_);
  return refused_.has_value();
}

void Runner::ClearStuck() {
  spdlog::info("the event the broker refused earlier went through: {}; record cleared",
               DescribeStuck(*stuck_));
  stuck_.reset();
}

Status Runner::StopOnRefusal(const StuckEvent& e) {
  Status saved = offsets_.SaveStuck(e);
  const std::string where =
      saved.ok() ? "recorded in " + offsets_.path() + " (see pgcdc status)"
                 : "not recorded (" + saved.message() + ")";
  return Status::DeliveryFailed("event refused by the broker for good: " + DescribeStuck(e) +
                                ". pgcdc stops here so that nothing is skipped; " + where +
                                ". Ways out: " + StuckWaysOut(e));
}

Status Runner::CheckSlotStillOurs(Lsn resume) const {
  // Between sessions the slot may have been invalidated (the server then ends our walsender, so
  // this runs next), dropped, or re-created or advanced by someone else. START_REPLICATION would
  // fail with a bare SQL error, or on PG15+ silently begin at the slot's position and leave a
  // gap; the server never confirms past what pgcdc reported, so a slot ahead of us is foreign.
  auto sql = Connect(cfg_.source.dsn, ConnKind::kSql);
  if (!sql.ok()) return sql.status();  // unavailable: the session is retried
  auto slot = ReadSlot(sql->get(), cfg_.source.slot);
  if (!slot.ok()) return slot.status();
  if (!slot->exists) {
    return Status::FailedPrecondition(
        "slot '" + cfg_.source.slot + "' was dropped while pgcdc was reconnecting at " +
        resume.ToString() +
        "; changes after that position are lost: restart with snapshot.mode: when_needed to "
        "take a new snapshot");
  }
  if (slot->wal_status == "lost") {
    return Status::FailedPrecondition(
        "slot '" + cfg_.source.slot + "' was invalidated (wal_status = lost) while pgcdc was "
        "streaming at " + resume.ToString() +
        "; changes after that position are lost: restart with snapshot.mode: when_needed to "
        "take a new snapshot");
  }
  const Lsn slot_position = slot->confirmed_flush.value_or(Lsn());
  if (slot_position > resume) {
    // Re-created or advanced by someone else while pgcdc was reconnecting; the offsets file
    // holds `resume` (the session's end committed it), so the way out is the same as at start.
    return Status::FailedPrecondition(
        "slot '" + cfg_.source.slot +
        "' was re-created or advanced by someone else while pgcdc was reconnecting: " +
        SlotAheadMessage(cfg_.source.slot, slot_position, offsets_.path(), resume));
  }
  return Status::Ok();
}

void Runner::OnDeadLettered(const Status& cause) {
  metrics_.dead_lettered.fetch_add(1);
  spdlog::warn("{}", cause.message());
}

bool Runner::Blocked() const {
  return tracker_->inflight_events() >= cfg_.limits.max_inflight_events ||
         processor_->inflight_bytes() >= cfg_.limits.max_inflight_bytes;
}

void Runner::OnSinkFull() {
  sink_->Poll(100);
  (void)Commit(false);
}

Status Runner::SendStatus(bool reply_requested) {
  last_status_ = Clock::now();
  if (stream_ == nullptr) return Status::Ok();
  // Never report a flush position we have not persisted, and never one lower than before.
  return stream_->SendStatus(std::max(received_, persisted_), persisted_, reply_requested);
}

Status Runner::Commit(bool force) {
  const auto now = Clock::now();
  const Lsn confirmed = tracker_->confirmed();
  // Past the refused event's transaction: it was delivered (or dead-lettered) this time.
  if (stuck_ && !stuck_->in_snapshot && confirmed > stuck_->lsn) ClearStuck();
  if (confirmed > persisted_ &&
      (force || now - last_commit_ >= std::chrono::milliseconds(cfg_.offsets.commit_interval_ms))) {
    CDC_RETURN_IF_ERROR(offsets_.Save(OffsetAt(confirmed)));
    persisted_ = confirmed;
    last_commit_ = now;
    return SendStatus(false);
  }
  if (now - last_status_ >= std::chrono::milliseconds(cfg_.source.status_interval_ms)) {
    return SendStatus(false);
  }
  return Status::Ok();
}

Status Runner::HandleFrame(std::span<const uint8_t> bytes) {
  auto frame = ParseReplicationFrame(bytes);
  if (!frame.ok()) return frame.status();
  if (auto* d = std::get_if<XLogData>(&*frame)) {
    if (d->wal_end > received_) received_ = d->wal_end;
    return processor_->OnXLogData(*d);
  }
  if (auto* k = std::get_if<Keepalive>(&*frame)) {
    if (k->wal_end > received_) received_ = k->wal_end;
    // Everything sent before this keepalive has been processed; with nothing outstanding, its
    // walEnd can be confirmed so an idle slot releases WAL (pgoutput.md §4.3).
    if (!processor_->in_transaction()) tracker_->OnIdle(k->wal_end);
    if (k->reply_requested) {
      CDC_RETURN_IF_ERROR(Commit(true));
      return SendStatus(false);
    }
    return Status::Ok();
  }
  spdlog::debug("ignoring replication frame kind {}", std::get<UnknownFrame>(*frame).kind);
  return Status::Ok();
}

void Runner::DrainSink(int timeout_ms) {
  Status s = sink_->Flush(timeout_ms);
  if (!s.ok()) spdlog::warn("{}", s.message());
}

bool Runner::SleepUnlessStopped(int ms) {
  pollfd p{g_stop_pipe[0], POLLIN, 0};
  if (g_stop_pipe[0] >= 0) {
    poll(&p, 1, ms);
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  return !g_stop.load();
}

Status Runner::MaybeHeartbeat() {
  if (cfg_.heartbeat.interval_ms <= 0 || processor_->in_transaction()) return Status::Ok();
  const auto now = Clock::now();
  if (now - last_heartbeat_ < std::chrono::milliseconds(cfg_.heartbeat.interval_ms)) {
    return Status::Ok();
  }
  last_heartbeat_ = now;
  if (!cfg_.heartbeat.action_query.empty()) {
    // Writes WAL on the source so the slot has something to confirm even when the captured
    // database is quiet (debezium-format.md §2.2). A failure is logged, not fatal: the
    // heartbeat record itself still goes out.
    if (!heartbeat_conn_ || PQstatus(heartbeat_conn_.get()) != CONNECTION_OK) {
      auto c = Connect(cfg_.source.dsn, ConnKind::kSql);
      if (!c.ok()) {
        spdlog::warn("heartbeat.action_query: {}", c.status().message());
      } else {
        heartbeat_conn_ = std::move(*c);
      }
    }
    if (heartbeat_conn_) {
      // An INSERT returns COMMAND_OK, a SELECT pg_logical_emit_message(...) TUPLES_OK.
      PgResultPtr res(PQexec(heartbeat_conn_.get(), cfg_.heartbeat.action_query.c_str()));
      const ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        spdlog::warn("heartbeat.action_query failed: {}",
                     res ? ResultError(res.get()) : std::string(PQerrorMessage(heartbeat_conn_.get())));
        heartbeat_conn_.reset();
      }
    }
  }
  return processor_->EmitHeartbeat();
}

void Runner::LogProgress(bool force) {
  const auto now = Clock::now();
  if (!force && now - last_progress_ < kProgressInterval) return;
  last_progress_ = now;
  spdlog::info("progress: {} events sent, {} acknowledged, {} in flight, confirmed {}",
               processor_->events_sent(), events_acked_, tracker_->inflight_events(),
               persisted_.ToString());
}

Status Runner::StreamSession() {
  auto conn = Connect(cfg_.source.dsn, ConnKind::kReplication);
  if (!conn.ok()) return conn.status();
  auto ident = Exec(conn->get(), "IDENTIFY_SYSTEM");
  if (!ident.ok()) return ident.status();
  std::string system_id = PQgetvalue(ident->get(), 0, 0);
  if (system_id != identity_.system_id) {
    return Status::FailedPrecondition("postgres: system identifier changed from " +
                                      identity_.system_id + " to " + system_id +
                                      ": this is another cluster; refusing to continue");
  }
  // A new timeline means a promotion (failover or PITR). The slot decides whether the position
  // is still served (PG17 failover slots are; earlier, a missing slot fails the start below).
  const auto timeline = static_cast<uint32_t>(std::strtoul(PQgetvalue(ident->get(), 0, 1), nullptr, 10));
  if (timeline != identity_.timeline) {
    spdlog::warn("postgres: timeline changed from {} to {} (the server was promoted); continuing "
                 "from slot {} at {}",
                 identity_.timeline, timeline, cfg_.source.slot, tracker_->confirmed().ToString());
    identity_.timeline = timeline;
  }

  const Lsn resume = tracker_->confirmed();
  CDC_RETURN_IF_ERROR(lock_.Reassert());
  CDC_RETURN_IF_ERROR(CheckSlotStillOurs(resume));
  // Binary or text values, decided anew for every session: the catalog may have changed.
  const char* encoding = PQparameterStatus(conn->get(), "client_encoding");
  TransferInputs transfer_in{cfg_.source.value_transfer, server_version_,
                             encoding != nullptr && std::string_view(encoding) == "UTF8",
                             cfg_.source.publication, processor_->text_required()};
  auto transfer = DecideValueTransfer(transfer_in, cfg_.source.dsn, *rules_, *catalog_,
                                      event_options_);
  if (!transfer.ok()) return transfer.status();
  spdlog::info("{}", DescribeTransfer(transfer_in, *transfer));
  ReplicationStream stream(std::move(*conn));
  StartOptions opts{cfg_.source.slot, resume, cfg_.source.publication,
                    ProtoVersionFor(server_version_), server_version_ >= 140000,
                    transfer->binary};
  for (int attempt = 0;; ++attempt) {
    Status s = stream.Start(opts);
    if (s.ok()) break;
    // Right after a crash the old walsender may still hold the slot (pgoutput.md §6.7).
    if (!IsSlotActiveError(s) || attempt >= 30) return s;
    if (attempt == 0) spdlog::warn("{}; retrying", s.message());
    if (!SleepUnlessStopped(1000)) return Status::Ok();
  }
  stream_ = &stream;
  metrics_.state.store(static_cast<int>(RunState::kStreaming));
  processor_->ResetSession(resume, transfer->binary, transfer_in.utf8_client);
  spdlog::info("streaming from slot {} at {}", cfg_.source.slot, resume.ToString());

  Status result;
  std::span<const uint8_t> frame;
  while (!g_stop.load()) {
    if (!delivery_error_.ok()) {
      result = delivery_error_;
      break;
    }
    sink_->Poll(0);
    int frames = 0;
    bool blocked = Blocked();
    while (!blocked && frames < kMaxFramesPerTurn) {
      auto next = stream.Next(&frame);
      if (!next.ok()) {
        result = next.status();
        break;
      }
      if (!*next) break;
      result = HandleFrame(frame);
      // Freed now, not at the next Next(): while the sink is full that call waits, and a large
      // message would be held beside its event and librdkafka's compressed copy of it.
      stream.Release();
      if (!result.ok()) break;
      ++frames;
      blocked = Blocked();
    }
    if (!result.ok()) break;
    result = Commit(false);
    if (!result.ok()) break;
    UpdateGauges();
    result = MaybeHeartbeat();
    if (!result.ok()) break;
    result = lock_.Check();  // lost: end the session; the next one takes the lock again
    if (!result.ok()) break;
    LogProgress(false);
    if (frames == kMaxFramesPerTurn) continue;  // more is likely buffered already

    auto out_pending = stream.FlushOutput();
    if (!out_pending.ok()) {
      result = out_pending.status();
      break;
    }
    pollfd fds[3];
    nfds_t n = 0;
    fds[n++] = pollfd{stream.socket(),
                      static_cast<short>((blocked ? 0 : POLLIN) | (*out_pending ? POLLOUT : 0)), 0};
    if (sink_->wakeup_fd() >= 0) fds[n++] = pollfd{sink_->wakeup_fd(), POLLIN, 0};
    if (g_stop_pipe[0] >= 0) fds[n++] = pollfd{g_stop_pipe[0], POLLIN, 0};
    int timeout_ms = std::min(cfg_.offsets.commit_interval_ms, cfg_.source.status_interval_ms);
    if (cfg_.heartbeat.interval_ms > 0) timeout_ms = std::min(timeout_ms, cfg_.heartbeat.interval_ms);
    if (sink_->wakeup_fd() < 0 && tracker_->inflight_events() > 0) timeout_ms = 5;
    if (blocked) timeout_ms = std::min(timeout_ms, 50);
    if (poll(fds, n, timeout_ms) < 0 && errno != EINTR) {
      result = Status::IoError("poll failed");
      break;
    }
    if (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) {
      result = stream.ConsumeInput();
      if (!result.ok()) break;
    }
  }

  // Leaving the session: deliver what is in flight, confirm it, tell the server, end COPY.
  DrainSink(kFlushTimeoutMs);
  Status commit = Commit(true);
  if (result.ok() && !delivery_error_.ok()) result = delivery_error_;
  if (result.ok()) result = commit;
  (void)SendStatus(false);
  stream.Finish();
  stream_ = nullptr;
  return result;
}

Status Runner::Run() {
  // Before anything starts: a directory pgcdc cannot write would fail the first save.
  CDC_RETURN_IF_ERROR(offsets_.CheckWritable());
  // Then a second instance on this slot is refused before it creates or writes anything, and
  // before the metrics port (it would otherwise be told the port is taken).
  CDC_RETURN_IF_ERROR(lock_.Acquire());
  if (!cfg_.metrics.listen.empty()) {
    metrics_server_ = std::make_unique<MetricsServer>(&metrics_, cfg_.metrics.readiness_max_blocked_ms);
    auto port = metrics_server_->Start(cfg_.metrics.listen);
    if (!port.ok()) return port.status();
    const std::string host = cfg_.metrics.listen.substr(0, cfg_.metrics.listen.rfind(':'));
    spdlog::info("metrics on http://{}:{}/metrics (also /healthz, /readyz)", host, *port);
  }
  Status s = RunUntilStopped();
  metrics_.state.store(static_cast<int>(RunState::kStopping));
  std::optional<StuckEvent> refused;
  {
    std::lock_guard<std::mutex> lock(refused_mu_);
    refused = refused_;
  }
  if (refused) return StopOnRefusal(*refused);
  return s;
}

void Runner::UpdateGauges() {
  const int64_t inflight = tracker_->inflight_events();
  metrics_.inflight_events.store(inflight, std::memory_order_relaxed);
  metrics_.inflight_bytes.store(processor_->inflight_bytes(), std::memory_order_relaxed);
  metrics_.confirmed_lsn.store(persisted_.value, std::memory_order_relaxed);
  metrics_.wal_end_lsn.store(std::max(received_, persisted_).value, std::memory_order_relaxed);
  // Blocked: events wait and nothing was acknowledged since they started waiting.
  const int64_t now = UnixMillis();
  if (inflight == 0) {
    inflight_since_ms_ = 0;
    metrics_.blocked_since_unix_ms.store(0, std::memory_order_relaxed);
  } else {
    if (inflight_since_ms_ == 0) inflight_since_ms_ = now;
    metrics_.blocked_since_unix_ms.store(
        std::max(inflight_since_ms_, metrics_.last_ack_unix_ms.load(std::memory_order_relaxed)),
        std::memory_order_relaxed);
  }
}

Status Runner::RunUntilStopped() {
  CDC_RETURN_IF_ERROR(Prepare());
  if (finished_) return Status::Ok();
  int backoff_ms = 500;
  std::mt19937 rng(std::random_device{}());
  for (;;) {
    const auto session_start = Clock::now();
    Status s = StreamSession();
    LogProgress(true);
    if (s.ok()) {
      spdlog::info("stopped cleanly at {}", persisted_.ToString());
      return Status::Ok();
    }
    // Only a lost connection is worth retrying; bad bytes, unrepresentable values and refused
    // deliveries would fail the same way again.
    if (s.code() != Status::Code::kUnavailable || !delivery_error_.ok() || g_stop.load()) return s;
    // A session that streamed for a while was healthy: start the backoff over.
    if (Clock::now() - session_start > std::chrono::seconds(60)) backoff_ms = 500;
    int wait = backoff_ms / 2 + static_cast<int>(rng() % static_cast<unsigned>(backoff_ms / 2 + 1));
    spdlog::warn("{}; reconnecting in {} ms", s.message(), wait);
    metrics_.state.store(static_cast<int>(RunState::kReconnecting));
    metrics_.reconnects.fetch_add(1);
    if (!SleepUnlessStopped(wait)) return Status::Ok();
    backoff_ms = std::min(backoff_ms * 2, cfg_.source.reconnect_max_backoff_ms);
  }
}

}  // namespace cdc::connector
