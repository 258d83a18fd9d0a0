#include "connector/run_id.h"

#include <cstdio>
#include <random>

namespace cdc::connector {

std::string RunIdOf(uint64_t unix_ms, uint64_t rand_a, uint64_t rand_b) {
  // UUIDUtils.generateNewUUID: msb = ms << 16 | rand & 0x0fff | 0x7000 (version 7);
  // lsb = rand & 0x3fff... | 0x8000... (the IETF variant).
  const uint64_t msb = (unix_ms << 16) | (rand_a & 0x0fffULL) | 0x7000ULL;
  const uint64_t lsb = (rand_b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char out[37];
  std::snprintf(out, sizeof(out), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(msb >> 32),
                static_cast<unsigned>((msb >> 16) & 0xffff), static_cast<unsigned>(msb & 0xffff),
                static_cast<unsigned>(lsb >> 48),
                static_cast<unsigned long long>(lsb & 0xffffffffffffULL));
  return out;
}

std::string NewRunId(uint64_t unix_ms) {
  std::random_device rd;
  auto draw64 = [&rd] { return (static_cast<uint64_t>(rd()) << 32) | rd(); };
  const uint64_t rand_a = draw64();
  return RunIdOf(unix_ms, rand_a, draw64());
}

}  // namespace cdc::connector
