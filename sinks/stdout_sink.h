#pragma once

// StdoutSink: writes each event as one JSON line {"topic","key","value","headers"} to a stdio
// stream (stdout by default), for debugging and demos. An event counts as delivered once the
// stream is flushed without error. Called from the replication thread only.

#include <cstdio>
#include <vector>

#include "sinks/event_sink.h"

namespace cdc::sinks {

class StdoutSink final : public EventSink {
 public:
  explicit StdoutSink(DeliveryListener* listener, std::FILE* out = stdout)
      : listener_(listener), out_(out) {}

  Status Send(const ChangeEvent& event, void* opaque) override;
  void Poll(int timeout_ms) override;
  int wakeup_fd() const override { return -1; }
  Status Flush(int timeout_ms) override;
  Status CheckReachable(int) override { return Status::Ok(); }

 private:
  DeliveryListener* listener_;
  std::FILE* out_;
  std::string line_;
  std::vector<std::pair<void*, size_t>> pending_;
};

}  // namespace cdc::sinks
