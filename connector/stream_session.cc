#include "connector/runner.h"

// The Runner's streaming room: one replication session (StreamSession): the checks before it,
// START_REPLICATION, then the StreamLoop; and the gauges and progress line it updates.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "connector/publication_reconciler.h"
#include "connector/stop_signal.h"
#include "connector/stream_loop.h"

namespace cdc::connector {

namespace {

constexpr auto kProgressInterval = std::chrono::seconds(60);

bool IsSlotActiveError(const Status& s) {
  return s.sqlstate() == "55006";  // object_in_use: the slot is active for another PID
}

}  // namespace

void Runner::LogProgress(bool force) {
  const auto now = Clock::Steady().Now();
  if (!force && now - last_progress_ < kProgressInterval) return;
  last_progress_ = now;
  // Counted by the Publisher, snapshot records included: sent and acknowledged agree.
  spdlog::info("progress: {} events sent, {} acknowledged, {} in flight, confirmed {}",
               publisher_->published(), publisher_->acknowledged(), publisher_->inflight_events(),
               committer_->persisted().ToString());
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
  const auto timeline =
      static_cast<uint32_t>(std::strtoul(PQgetvalue(ident->get(), 0, 1), nullptr, 10));
  if (timeline != identity_.timeline) {
    spdlog::warn(
        "postgres: timeline changed from {} to {} (the server was promoted); continuing "
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
  auto transfer =
      DecideValueTransfer(transfer_in, cfg_.source.dsn, *rules_, *catalog_, event_options_);
  if (!transfer.ok()) return transfer.status();
  spdlog::info("{}", DescribeTransfer(transfer_in, *transfer));
  ReplicationStream stream(std::move(*conn));
  StartOptions opts{cfg_.source.slot,          resume,
                    cfg_.source.publication,   ProtoVersionFor(server_version_),
                    server_version_ >= 140000, transfer->binary};
  for (int attempt = 0;; ++attempt) {
    Status s = stream.Start(opts);
    if (s.ok()) break;
    // Right after a crash the old walsender may still hold the slot (pgoutput.md §6.7).
    if (!IsSlotActiveError(s) || attempt >= 30) return s;
    if (attempt == 0) spdlog::warn("{}; retrying", s.message());
    if (!StopSignal::Process().SleepFor(1000)) return Status::Ok();
  }
  metrics_.state.store(static_cast<int>(RunState::kStreaming));
  processor_->ResetSession(resume, transfer->binary, transfer_in.utf8_client);
  spdlog::info("streaming from slot {} at {}", cfg_.source.slot, resume.ToString());

  int idle_timeout_ms = std::min(cfg_.offsets.commit_interval_ms, cfg_.source.status_interval_ms);
  if (heartbeat_.interval_ms() > 0) {
    idle_timeout_ms = std::min(idle_timeout_ms, heartbeat_.interval_ms());
  }
  // The publication follows source.tables while streaming (the start reconciled it already).
  PublicationReconciler reconciler(cfg_, Clock::Steady(), &metrics_);
  StreamLoop loop(*processor_, *tracker_, *publisher_, *committer_, StopSignal::Process());
  return loop.Run(
      stream,
      [this, &reconciler] {
        UpdateGauges();
        const auto joined = reconciler.MaybeRun();
        if (incremental_) {
          incremental_->AddTables(TablesToSnapshot(cfg_, joined));
          incremental_->Step(publisher_->blocked());
          if (incremental_->TakeDurableChanged()) {
            CDC_RETURN_IF_ERROR(offsets_.Save(OffsetAt(committer_->persisted())));
          }
        } else {
          for (const auto& t : joined) WarnNotSnapshotted(cfg_.source.publication, t);
        }
        CDC_RETURN_IF_ERROR(heartbeat_.MaybeBeat(*processor_));
        CDC_RETURN_IF_ERROR(lock_.Check());  // lost: end the session; the next takes it again
        LogProgress(false);
        return Status::Ok();
      },
      idle_timeout_ms);
}

void Runner::UpdateGauges() {
  const int64_t inflight = publisher_->inflight_events();
  metrics_.inflight_events.store(inflight, std::memory_order_relaxed);
  metrics_.inflight_bytes.store(publisher_->inflight_bytes(), std::memory_order_relaxed);
  const Lsn persisted = committer_->persisted();
  metrics_.confirmed_lsn.store(persisted.value, std::memory_order_relaxed);
  metrics_.wal_end_lsn.store(std::max(committer_->received(), persisted).value,
                             std::memory_order_relaxed);
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

}  // namespace cdc::connector
