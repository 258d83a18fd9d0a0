#pragma once

// Publisher: the one path from a built event to the sink and back, for streaming and the
// snapshot alike. It owns the sink, counts what is in flight against limits.*, and routes each
// delivery report to the DeliveryTicket the event was sent under (the LsnTracker's transaction
// record while streaming, a table's record during a snapshot). It is the sink's
// DeliveryListener: reports never climb up to the Runner and back down.
//
// Room for what comes next: transaction boundaries (BeginBatch/CommitBatch with the batch's
// offset) belong here, beside the tickets they would settle.
//
// Threads: Publish(), WaitForRoom(), Serve() and Drain() may be called from several threads at
// once (the snapshot's workers); for a sink that is not thread_safe() they are serialized here.
// Reports are served inside Serve()/Drain()/Publish() on the calling thread, so tickets settle
// there. Counters are atomics, readable from any thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "connector/delivery_ticket.h"
#include "connector/metrics.h"
#include "decoders/base/status.h"
#include "decoders/base/thread_annotations.h"
#include "decoders/events/event.h"
#include "sinks/event_sink.h"

namespace cdc::connector {

struct InflightLimits {
  int64_t events = 50000;      // limits.max_inflight_events
  int64_t bytes = 16LL << 20;  // limits.max_inflight_bytes (key + value)
};

class Publisher final : public sinks::DeliveryListener {
 public:
  // Called for an event the destination refused for good and no dead-letter topic took, with
  // where its ticket says it came from; just before its failed report. Any thread that serves
  // reports; the views are valid during the call only.
  using RefusalHandler = std::function<void(const TicketOrigin&, const Refusal&)>;

  // `metrics` must outlive the Publisher.
  Publisher(InflightLimits limits, Metrics* metrics, RefusalHandler on_refusal);
  ~Publisher() override;

  // Hands over the sink, made with this Publisher as its listener. Once, before any Publish.
  void Attach(std::unique_ptr<sinks::EventSink> sink);
  sinks::EventSink& sink() { return *sink_; }

  // Sends `ev` under `ticket` (ticket.Sent() first). While the sink's local queue is full it
  // calls `while_full`, which must let reports be served (e.g. Serve(100)), and tries again; an
  // error from `while_full` ends the wait and is returned. Another sink error is permanent and
  // returned with the table and LSN. The in-flight limits are not waited for here: streaming
  // checks blocked() between frames, the snapshot calls WaitForRoom() first.
  Status Publish(const ChangeEvent& ev, DeliveryTicket& ticket,
                 const std::function<Status()>& while_full);
  // Serves reports until in-flight is below the limits. Unavailable once `cancelled` is true.
  Status WaitForRoom(const std::function<bool()>& cancelled);
  // Serves delivery reports, waiting up to `timeout_ms`.
  void Serve(int timeout_ms);
  // Waits up to `timeout_ms` for every event in flight to be reported; Unavailable on timeout.
  Status Drain(int timeout_ms);

  bool blocked() const {
    return inflight_events_.load() >= limits_.events || inflight_bytes_.load() >= limits_.bytes;
  }
  int64_t inflight_events() const { return inflight_events_.load(); }
  int64_t inflight_bytes() const { return inflight_bytes_.load(); }
  uint64_t acknowledged() const { return acknowledged_.load(); }
  uint64_t published() const { return published_.load(); }
  // Readable when reports wait to be served, or -1 (then serve on a short cadence).
  int wakeup_fd() const { return sink_->wakeup_fd(); }
  // The first failed report, OK while there is none. Nothing past it may be confirmed.
  Status failure() const;

  // For an owner of tickets that goes away with events still in flight (a snapshot ended by a
  // stop or a failure; nothing is published after it): later reports only update the counters
  // and no longer touch a ticket, and a refusal among them is placed at `origin`.
  void StopSettling(TicketOrigin origin);

  void OnDelivery(void* opaque, size_t bytes, const Status& status) override;
  void OnDeadLettered(const Status& cause) override;
  void OnRefused(void* opaque, const Refusal& refusal) override;

 private:
  // Holds sink_mu_ unless the sink is thread_safe(). A conditional lock, which the analysis
  // cannot express: sink_ itself is not GUARDED_BY.
  std::unique_lock<std::mutex> LockSink();

  const InflightLimits limits_;
  Metrics* metrics_;
  RefusalHandler on_refusal_;
  std::mutex sink_mu_;
  std::atomic<int64_t> inflight_events_{0};
  std::atomic<int64_t> inflight_bytes_{0};
  std::atomic<uint64_t> acknowledged_{0};
  std::atomic<uint64_t> published_{0};
  mutable Mutex failure_mu_;
  Status failure_ GUARDED_BY(failure_mu_);
  std::atomic<bool> settling_{true};
  TicketOrigin orphan_origin_;              // written before settling_ turns false, read after
  std::unique_ptr<sinks::EventSink> sink_;  // last: destroyed first, while we still listen
};

}  // namespace cdc::connector
