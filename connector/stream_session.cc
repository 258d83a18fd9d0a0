#include "connector/runner.h"

// The Runner's streaming room: one replication session (StreamSession), its frames, and the
// offset commit cadence: persist the confirmed LSN, then report it (Commit/SendStatus), in that
// order, as pg_recvlogical does.

#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "connector/stop_signal.h"
#include "decoders/replication_frame.h"

namespace cdc::connector {

namespace {

constexpr int kFlushTimeoutMs = 30000;
constexpr int kMaxFramesPerTurn = 1024;
constexpr auto kProgressInterval = std::chrono::seconds(60);

bool IsSlotActiveError(const Status& s) {
  return s.sqlstate() == "55006";  // object_in_use: the slot is active for another PID
}

}  // namespace

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
  Status s = publisher_->Drain(timeout_ms);
  if (!s.ok()) spdlog::warn("{}", s.message());
}

void Runner::LogProgress(bool force) {
  const auto now = Clock::now();
  if (!force && now - last_progress_ < kProgressInterval) return;
  last_progress_ = now;
  spdlog::info("progress: {} events sent, {} acknowledged, {} in flight, confirmed {}",
               processor_->events_sent(), publisher_->acknowledged(),
               publisher_->inflight_events(),
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
  const auto timeline =
      static_cast<uint32_t>(std::strtoul(PQgetvalue(ident->get(), 0, 1), nullptr, 10));
  if (timeline != identity_.timeline) {
    spdlog::warn("postgres: timeline changed from {} to {} (the server was promoted); continuing "
                 "from slot {} at {}",
                 identity_.timeline, timeline, cfg_.source.slot, tracker_->confirmed().ToString());
    identity_.timeline = timeline;
  }

  const Lsn resume = tracker_->confirmed();
  CDC_RETURN_IF_ERROR(lock_.Reassert());
  CDC_RETURN_IF_ERROR(CheckSlotStillOurs(resume));
  ReplicationStream stream(std::move(*conn));
  StartOptions opts{cfg_.source.slot, resume, cfg_.source.publication,
                    ProtoVersionFor(server_version_), server_version_ >= 140000};
  for (int attempt = 0;; ++attempt) {
    Status s = stream.Start(opts);
    if (s.ok()) break;
    // Right after a crash the old walsender may still hold the slot (pgoutput.md §6.7).
    if (!IsSlotActiveError(s) || attempt >= 30) return s;
    if (attempt == 0) spdlog::warn("{}; retrying", s.message());
    if (!StopSignal::Process().SleepFor(1000)) return Status::Ok();
  }
  stream_ = &stream;
  metrics_.state.store(static_cast<int>(RunState::kStreaming));
  processor_->ResetSession(resume);
  spdlog::info("streaming from slot {} at {}", cfg_.source.slot, resume.ToString());

  Status result;
  std::span<const uint8_t> frame;
  while (!StopSignal::Process().requested()) {
    result = publisher_->failure();
    if (!result.ok()) break;
    publisher_->Serve(0);
    int frames = 0;
    bool blocked = publisher_->blocked();
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
      blocked = publisher_->blocked();
    }
    if (!result.ok()) break;
    result = Commit(false);
    if (!result.ok()) break;
    UpdateGauges();
    result = heartbeat_.MaybeBeat(*processor_);
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
    if (publisher_->wakeup_fd() >= 0) fds[n++] = pollfd{publisher_->wakeup_fd(), POLLIN, 0};
    if (const int fd = StopSignal::Process().fd(); fd >= 0) fds[n++] = pollfd{fd, POLLIN, 0};
    int timeout_ms = std::min(cfg_.offsets.commit_interval_ms, cfg_.source.status_interval_ms);
    if (heartbeat_.interval_ms() > 0) timeout_ms = std::min(timeout_ms, heartbeat_.interval_ms());
    if (publisher_->wakeup_fd() < 0 && publisher_->inflight_events() > 0) timeout_ms = 5;
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
  if (result.ok()) result = publisher_->failure();
  if (result.ok()) result = commit;
  (void)SendStatus(false);
  stream.Finish();
  stream_ = nullptr;
  return result;
}

void Runner::UpdateGauges() {
  const int64_t inflight = publisher_->inflight_events();
  metrics_.inflight_events.store(inflight, std::memory_order_relaxed);
  metrics_.inflight_bytes.store(publisher_->inflight_bytes(), std::memory_order_relaxed);
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

}  // namespace cdc::connector
