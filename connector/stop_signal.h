#pragma once

// StopSignal: "stop when you can", requested by SIGINT/SIGTERM (or a test) and seen by every loop
// that waits: as a flag to check between steps, and as a descriptor that becomes readable, so a
// poll() wakes at once instead of at its timeout.
//
// One per process (signal handlers have no context to carry another): Process() returns it.
// Request() is async-signal-safe. requested() and fd() may be read from any thread. The
// descriptor is made by InstallHandlers(); before that fd() is -1 and waits sleep their timeout.

#include <atomic>

namespace cdc::connector {

class StopSignal {
 public:
  static StopSignal& Process();
  StopSignal() = default;  // a private one, for tests

  // Installs SIGINT/SIGTERM handlers that call Request(), and ignores SIGPIPE.
  void InstallHandlers();
  void Request();
  bool requested() const { return requested_.load(); }
  // Readable once a stop is requested; -1 before InstallHandlers().
  int fd() const { return pipe_[0]; }
  // Sleeps up to `ms`, returning early on a stop. True when no stop is requested.
  bool SleepFor(int ms) const;

 private:
  std::atomic<bool> requested_{false};
  int pipe_[2] = {-1, -1};
};

}  // namespace cdc::connector
