#pragma once

// CountingSink: an EventSink decorator that counts every event the wrapped sink accepted into
// Metrics (by table and op), so streaming and the snapshot are counted the same way without
// either knowing about metrics. Thread-safety is the wrapped sink's.

#include <memory>

#include "connector/metrics.h"
#include "sinks/event_sink.h"

namespace cdc::connector {

class CountingSink final : public sinks::EventSink {
 public:
  CountingSink(std::unique_ptr<sinks::EventSink> inner, Metrics* metrics)
      : inner_(std::move(inner)), metrics_(metrics) {}

  Status Send(const ChangeEvent& event, void* opaque) override {
    Status s = inner_->Send(event, opaque);
    if (s.ok()) {
      metrics_->CountEvent(event.table, event.op, event.size_bytes());
    } else if (s.code() == Status::Code::kUnavailable) {
      metrics_->queue_full_waits.fetch_add(1, std::memory_order_relaxed);
    }
    return s;
  }
  void Poll(int timeout_ms) override { inner_->Poll(timeout_ms); }
  int wakeup_fd() const override { return inner_->wakeup_fd(); }
  Status Flush(int timeout_ms) override { return inner_->Flush(timeout_ms); }
  Status CheckReachable(int timeout_ms) override { return inner_->CheckReachable(timeout_ms); }
  bool thread_safe() const override { return inner_->thread_safe(); }

 private:
  std::unique_ptr<sinks::EventSink> inner_;
  Metrics* metrics_;
};

}  // namespace cdc::connector
