#include "connector/stop_signal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace cdc::connector {

namespace {
void OnSignal(int) { StopSignal::Process().Request(); }
}  // namespace

StopSignal& StopSignal::Process() {
  static StopSignal s;
  return s;
}

void StopSignal::InstallHandlers() {
  if (pipe_[0] < 0 && pipe2(pipe_, O_NONBLOCK | O_CLOEXEC) != 0) pipe_[0] = pipe_[1] = -1;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void StopSignal::Request() {
  requested_.store(true);
  if (pipe_[1] >= 0) {
    char c = 1;
    [[maybe_unused]] ssize_t n = write(pipe_[1], &c, 1);
  }
}

bool StopSignal::SleepFor(int ms) const {
  if (pipe_[0] >= 0) {
    pollfd p{pipe_[0], POLLIN, 0};
    poll(&p, 1, ms);
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  return !requested();
}

}  // namespace cdc::connector
