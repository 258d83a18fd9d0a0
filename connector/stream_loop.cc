#include "connector/stream_loop.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>

#include "decoders/wire/replication_frame.h"

namespace cdc::connector {

namespace {

constexpr int kFlushTimeoutMs = 30000;
constexpr int kMaxFramesPerTurn = 1024;

}  // namespace

Status StreamLoop::HandleFrame(std::span<const uint8_t> bytes) {
  auto frame = ParseReplicationFrame(bytes);
  if (!frame.ok()) return frame.status();
  if (auto* d = std::get_if<XLogData>(&*frame)) {
    committer_.OnReceived(d->wal_end);
    return processor_.OnXLogData(*d);
  }
  if (auto* k = std::get_if<Keepalive>(&*frame)) {
    committer_.OnReceived(k->wal_end);
    // Everything sent before this keepalive has been processed; with nothing outstanding, its
    // walEnd can be confirmed so an idle slot releases WAL (pgoutput.md §4.3).
    if (!processor_.in_transaction()) tracker_.OnIdle(k->wal_end);
    if (k->reply_requested) {
      CDC_RETURN_IF_ERROR(committer_.Commit(true));
      return committer_.SendStatus(false);
    }
    return Status::Ok();
  }
  spdlog::debug("ignoring replication frame kind {}", std::get<UnknownFrame>(*frame).kind);
  return Status::Ok();
}

Status StreamLoop::Run(ReplicationSource& source, const std::function<Status()>& every_turn,
                       int idle_timeout_ms) {
  committer_.Attach(&source);
  Status result;
  std::span<const uint8_t> frame;
  while (!stop_.requested()) {
    result = publisher_.failure();
    if (!result.ok()) break;
    publisher_.Serve(0);
    int frames = 0;
    bool blocked = publisher_.blocked();
    while (!blocked && frames < kMaxFramesPerTurn) {
      auto next = source.Next(&frame);
      if (!next.ok()) {
        result = next.status();
        break;
      }
      if (!*next) break;
      result = HandleFrame(frame);
      // Freed now, not at the next Next(): while the sink is full that call waits, and a large
      // message would be held beside its event and librdkafka's compressed copy of it.
      source.Release();
      if (!result.ok()) break;
      ++frames;
      blocked = publisher_.blocked();
    }
    if (!result.ok()) break;
    result = committer_.Commit(false);
    if (!result.ok()) break;
    result = every_turn();
    if (!result.ok()) break;
    if (frames == kMaxFramesPerTurn) continue;  // more is likely buffered already

    auto out_pending = source.FlushOutput();
    if (!out_pending.ok()) {
      result = out_pending.status();
      break;
    }
    pollfd fds[3];
    nfds_t n = 0;
    fds[n++] = pollfd{source.socket(),
                      static_cast<short>((blocked ? 0 : POLLIN) | (*out_pending ? POLLOUT : 0)), 0};
    if (publisher_.wakeup_fd() >= 0) fds[n++] = pollfd{publisher_.wakeup_fd(), POLLIN, 0};
    if (stop_.fd() >= 0) fds[n++] = pollfd{stop_.fd(), POLLIN, 0};
    int timeout_ms = idle_timeout_ms;
    if (publisher_.wakeup_fd() < 0 && publisher_.inflight_events() > 0) timeout_ms = 5;
    if (blocked) timeout_ms = std::min(timeout_ms, 50);
    if (poll(fds, n, timeout_ms) < 0 && errno != EINTR) {
      result = Status::IoError("poll failed");
      break;
    }
    if (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) {
      result = source.ConsumeInput();
      if (!result.ok()) break;
    }
  }

  // Leaving the session: deliver what is in flight, confirm it, tell the server, end it.
  if (Status s = publisher_.Drain(kFlushTimeoutMs); !s.ok()) spdlog::warn("{}", s.message());
  Status commit = committer_.Commit(true);
  if (result.ok()) result = publisher_.failure();
  if (result.ok()) result = commit;
  (void)committer_.SendStatus(false);  // best effort: the session is ending either way
  source.Finish();
  committer_.Attach(nullptr);
  return result;
}

}  // namespace cdc::connector
