#include "connector/runner.h"

// The Runner's life: construction, Run(), reconnecting, refusals. Its two other rooms:
// start_up.cc (Prepare, the snapshot) and stream_session.cc (one replication session).

#include <spdlog/spdlog.h>

#include <random>

#include "connector/options.h"
#include "connector/stop_signal.h"

namespace cdc::connector {

Runner::Runner(config::Config cfg, std::string version)
    : cfg_(std::move(cfg)),
      version_(std::move(version)),
      lock_(cfg_.source.dsn, cfg_.source.slot, cfg_.name),
      event_options_(EventOptionsFrom(cfg_, version_)),
      offsets_(cfg_.offsets.file),
      heartbeat_(cfg_.heartbeat, cfg_.source.dsn) {
  if (cfg_.format.type != config::FormatType::kJson) {
    registry_ = std::make_unique<SchemaRegistryClient>(cfg_.format.schema_registry,
                                                       StopSignal::Process(), &metrics_);
    event_options_.registrar = registry_.get();
  }
}

Runner::~Runner() = default;

void Runner::OnRefusal(const TicketOrigin& origin, const sinks::DeliveryListener::Refusal& r) {
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
  // A snapshot record carries the snapshot's read LSN; a streamed one its transaction's. A
  // record with none (a heartbeat) is placed at the confirmed LSN: only streaming sends those,
  // on the replication thread.
  e.in_snapshot = origin.in_snapshot;
  e.lsn = origin.lsn ? *origin.lsn : tracker_->confirmed();
  MutexLock lock(&refused_mu_);
  if (!refused_) refused_ = std::move(e);
}

bool Runner::stuck() const {
  MutexLock lock(&refused_mu_);
  return refused_.has_value();
}

void Runner::ClearStuck() {
  spdlog::info("the event the broker refused earlier went through: {}; record cleared",
               DescribeStuck(*stuck_));
  stuck_.reset();
}

Status Runner::StopOnRefusal(const StuckEvent& e) {
  Status saved = offsets_.SaveStuck(e);
  const std::string where = saved.ok() ? "recorded in " + offsets_.path() + " (see pgcdc status)"
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
  if (slot->wal_status == WalStatus::kLost) {
    return Status::FailedPrecondition(
        "slot '" + cfg_.source.slot +
        "' was invalidated (wal_status = lost) while pgcdc was "
        "streaming at " +
        resume.ToString() +
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

Status Runner::Run() {
  // Before anything starts: a directory pgcdc cannot write would fail the first save.
  CDC_RETURN_IF_ERROR(offsets_.CheckWritable());
  // Then a second instance on this slot is refused before it creates or writes anything, and
  // before the metrics port (it would otherwise be told the port is taken).
  CDC_RETURN_IF_ERROR(lock_.Acquire());
  if (!cfg_.metrics.listen.empty()) {
    metrics_server_ =
        std::make_unique<MetricsServer>(&metrics_, cfg_.metrics.readiness_max_blocked_ms);
    auto port = metrics_server_->Start(cfg_.metrics.listen);
    if (!port.ok()) return port.status();
    const std::string host = cfg_.metrics.listen.substr(0, cfg_.metrics.listen.rfind(':'));
    spdlog::info("metrics on http://{}:{}/metrics (also /healthz, /readyz)", host, *port);
  }
  Status s = RunUntilStopped();
  metrics_.state.store(static_cast<int>(RunState::kStopping));
  std::optional<StuckEvent> refused;
  {
    MutexLock lock(&refused_mu_);
    refused = refused_;
  }
  if (refused) return StopOnRefusal(*refused);
  return s;
}

Status Runner::RunUntilStopped() {
  CDC_RETURN_IF_ERROR(Prepare());
  if (finished_) return Status::Ok();
  int backoff_ms = 500;
  std::mt19937 rng(std::random_device{}());
  for (;;) {
    const auto session_start = Clock::Steady().Now();
    Status s = StreamSession();
    LogProgress(true);
    if (s.ok()) {
      spdlog::info("stopped cleanly at {}", committer_->persisted().ToString());
      return Status::Ok();
    }
    // Only a lost connection is worth retrying; bad bytes, unrepresentable values and refused
    // deliveries would fail the same way again.
    if (s.code() != Status::Code::kUnavailable || !publisher_->failure().ok() ||
        StopSignal::Process().requested()) {
      return s;
    }
    // A session that streamed for a while was healthy: start the backoff over.
    if (Clock::Steady().Now() - session_start > std::chrono::seconds(60)) backoff_ms = 500;
    int wait = backoff_ms / 2 + static_cast<int>(rng() % static_cast<unsigned>(backoff_ms / 2 + 1));
    spdlog::warn("{}; reconnecting in {} ms", s.message(), wait);
    metrics_.state.store(static_cast<int>(RunState::kReconnecting));
    metrics_.reconnects.fetch_add(1);
    if (!StopSignal::Process().SleepFor(wait)) return Status::Ok();
    backoff_ms = std::min(backoff_ms * 2, cfg_.source.reconnect_max_backoff_ms);
  }
}

}  // namespace cdc::connector
