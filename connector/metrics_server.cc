#include "connector/metrics_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>

namespace cdc::connector {

MetricsServer::MetricsServer(const Metrics* metrics, int64_t max_blocked_ms)
    : metrics_(metrics), max_blocked_ms_(max_blocked_ms) {}

MetricsServer::~MetricsServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

Result<int> MetricsServer::Start(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("metrics.listen: expected host:port, got '" + listen + "'");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const int port = std::atoi(listen.c_str() + colon + 1);

  server_ = std::make_unique<httplib::Server>();
  // cpp-httplib's default sets SO_REUSEPORT, which lets a second process bind the same port and
  // take a random share of the scrapes and health checks. SO_REUSEADDR alone still allows a quick
  // restart (TIME_WAIT) but makes a port held by a live listener a bind error.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_->Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    std::string why;
    const bool ready = metrics_->Ready(UnixMillis(), max_blocked_ms_, &why);
    res.status = ready ? 200 : 503;
    res.set_content((ready ? "ready: " : "not ready: ") + why + "\n", "text/plain");
  });

  int bound = port;
  if (port == 0) {
    bound = server_->bind_to_any_port(host.c_str());
    if (bound < 0) bound = 0;
  } else if (!server_->bind_to_port(host.c_str(), port)) {
    bound = 0;
  }
  if (bound <= 0) {
    return Status::Unavailable("metrics.listen " + listen +
                               ": cannot bind (address in use, e.g. by another pgcdc, or not "
                               "local); give each connector on a host its own metrics.listen "
                               "port, or set metrics.listen: \"\" to turn the endpoint off");
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() is a no-op until the accept loop runs: wait for it, so an early shutdown (a start-up
  // error right after this) cannot leave the thread accepting forever.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return bound;
}

}  // namespace cdc::connector
