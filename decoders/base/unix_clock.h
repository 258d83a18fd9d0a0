#pragma once

// The wall clock in Unix microseconds: the processing time records carry (payload ts_ms/us/ns).
// Encoders take a clock function so that tests can pass a fixed one; this is the default.
// Thread-safe.

#include <chrono>
#include <cstdint>

namespace cdc {

using UnixMicrosClock = int64_t (*)();

inline int64_t UnixMicrosNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace cdc
