#pragma once

// Clock: the time source for cadences (offset commits, status updates), so tests can move time
// by hand. Steady time: intervals, never wall-clock dates.

#include <chrono>

namespace cdc::connector {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;

  // The process's steady clock.
  static const Clock& Steady();
};

}  // namespace cdc::connector
