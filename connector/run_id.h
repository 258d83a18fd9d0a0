#pragma once

// The run id of Debezium's __debezium.context.runId header: a fresh UUID each time the connector
// starts (CdcSourceTaskContext draws one per task start with UUIDUtils.generateNewUUID, a
// version-7 UUID: 48 bits of Unix milliseconds, then random bits).

#include <cstdint>
#include <string>

namespace cdc::connector {

// A version-7 UUID for `unix_ms` with random bits from the system's random device, in Java's
// UUID.toString() spelling (lowercase, 8-4-4-4-12). Any thread.
std::string NewRunId(uint64_t unix_ms);

// The same, with the random bits given: `rand_a` (12 bits used) and `rand_b` (62 bits used).
// Exposed for tests.
std::string RunIdOf(uint64_t unix_ms, uint64_t rand_a, uint64_t rand_b);

}  // namespace cdc::connector
