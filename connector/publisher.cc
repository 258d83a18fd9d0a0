#include "connector/publisher.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <thread>

namespace cdc::connector {

Publisher::Publisher(InflightLimits limits, Metrics* metrics, RefusalHandler on_refusal)
    : limits_(limits), metrics_(metrics), on_refusal_(std::move(on_refusal)) {}

Publisher::~Publisher() = default;

void Publisher::Attach(std::unique_ptr<sinks::EventSink> sink) { sink_ = std::move(sink); }

std::unique_lock<std::mutex> Publisher::LockSink() {
  if (sink_->thread_safe()) return std::unique_lock<std::mutex>(sink_mu_, std::defer_lock);
  return std::unique_lock<std::mutex>(sink_mu_);
}

Status Publisher::Publish(const ChangeEvent& ev, DeliveryTicket& ticket,
                          const std::function<Status()>& while_full) {
  const auto bytes = static_cast<int64_t>(ev.size_bytes());
  // Counted before the sink has it: on a thread-safe sink its report may be served by another
  // thread before Send() returns. An event the sink never took stays counted by its ticket, so
  // nothing after it is confirmed.
  ticket.Sent();
  inflight_events_.fetch_add(1);
  inflight_bytes_.fetch_add(bytes);
  for (;;) {
    Status s;
    {
      auto lock = LockSink();
      s = sink_->Send(ev, &ticket);
    }
    if (s.ok()) {
      published_.fetch_add(1, std::memory_order_relaxed);
      return s;
    }
    if (s.code() == Status::Code::kUnavailable) s = while_full();  // the local queue is full
    if (!s.ok()) {
      inflight_events_.fetch_sub(1);
      inflight_bytes_.fetch_sub(bytes);
      return s.code() == Status::Code::kUnavailable
                 ? s
                 : s.WithContext("sending " + std::string(ev.table) + " change at " +
                                 ev.lsn.ToString());
    }
  }
}

Status Publisher::WaitForRoom(const std::function<bool()>& cancelled) {
  while (blocked()) {
    if (cancelled()) return Status::Unavailable("cancelled while waiting for acknowledgements");
    Serve(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Status::Ok();
}

void Publisher::Serve(int timeout_ms) {
  auto lock = LockSink();
  sink_->Poll(timeout_ms);
}

Status Publisher::Drain(int timeout_ms) {
  auto lock = LockSink();
  return sink_->Flush(timeout_ms);
}

Status Publisher::failure() const {
  MutexLock lock(&failure_mu_);
  return failure_;
}

void Publisher::OnDelivery(void* opaque, size_t bytes, const Status& status) {
  inflight_events_.fetch_sub(1);
  inflight_bytes_.fetch_sub(static_cast<int64_t>(bytes));
  if (status.ok()) {
    acknowledged_.fetch_add(1, std::memory_order_relaxed);
    metrics_->last_ack_unix_ms.store(UnixMillis(), std::memory_order_relaxed);
  } else {
    metrics_->delivery_errors.fetch_add(1);
    MutexLock lock(&failure_mu_);
    if (failure_.ok()) failure_ = status;
  }
  if (settling_.load()) static_cast<DeliveryTicket*>(opaque)->Settle(status);
}

void Publisher::StopSettling(TicketOrigin origin) {
  orphan_origin_ = origin;
  settling_.store(false);
}

void Publisher::OnDeadLettered(const Status& cause) {
  metrics_->dead_lettered.fetch_add(1);
  spdlog::warn("{}", cause.message());
}

void Publisher::OnRefused(void* opaque, const Refusal& refusal) {
  if (!on_refusal_) return;
  on_refusal_(
      settling_.load() ? static_cast<const DeliveryTicket*>(opaque)->Origin() : orphan_origin_,
      refusal);
}

}  // namespace cdc::connector
