#pragma once

// A scripted EventSink for in-process tests: every accepted event's report is queued and
// delivered, in order, on Poll() (or held while `hold` is set). `full` makes the next Send()
// calls report a full local queue; `fail_nth` makes the n-th report (1-based, counting every
// report since the sink was made) a failure.

#include <deque>
#include <utility>

#include "sinks/event_sink.h"

namespace cdc::testing {

class ScriptedSink final : public sinks::EventSink {
 public:
  explicit ScriptedSink(sinks::DeliveryListener* l) : listener_(l) {}
  Status Send(const ChangeEvent& ev, void* opaque) override {
    if (full > 0) {
      --full;
      return Status::Unavailable("queue full");
    }
    pending_.push_back({opaque, ev.size_bytes()});
    ++sent;
    return Status::Ok();
  }
  void Poll(int) override {
    while (!hold && !pending_.empty()) {
      auto [opaque, bytes] = pending_.front();
      pending_.pop_front();
      const bool fail = ++reported == fail_nth;
      listener_->OnDelivery(opaque, bytes, fail ? Status::DeliveryFailed("refused") : Status::Ok());
    }
  }
  int wakeup_fd() const override { return -1; }
  Status Flush(int) override {
    Poll(0);
    return pending_.empty() ? Status::Ok() : Status::Unavailable("held");
  }
  Status CheckReachable(int) override { return Status::Ok(); }

  int full = 0;
  int fail_nth = 0;
  bool hold = false;
  int sent = 0;
  int reported = 0;

 private:
  sinks::DeliveryListener* listener_;
  std::deque<std::pair<void*, size_t>> pending_;
};

}  // namespace cdc::testing
