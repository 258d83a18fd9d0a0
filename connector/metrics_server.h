#pragma once

// MetricsServer: the HTTP endpoints operators scrape. Built on cpp-httplib (Debian's
// libcpp-httplib-dev) rather than a hand-written server.
//   GET /metrics  Prometheus text format (Metrics::Render)
//   GET /healthz  200 while the process runs
//   GET /readyz   200 while streaming or snapshotting and not blocked on the sink for longer
//                 than `max_blocked_ms`; 503 with the reason otherwise
//
// Start() binds exclusively (no SO_REUSEPORT: a port another process listens on, such as a
// second pgcdc with the same metrics.listen, is a start-up error) and serves on a thread of its
// own; the destructor stops it. `metrics` must outlive the server.

#include <memory>
#include <string>
#include <thread>

#include "connector/metrics.h"
#include "decoders/base/status.h"

namespace httplib {
class Server;
}

namespace cdc::connector {

class MetricsServer {
 public:
  MetricsServer(const Metrics* metrics, int64_t max_blocked_ms);
  ~MetricsServer();

  // `listen` is "host:port"; port 0 picks a free one. Returns the bound port.
  Result<int> Start(const std::string& listen);

 private:
  const Metrics* metrics_;
  int64_t max_blocked_ms_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace cdc::connector
