#pragma once

// PgoutputDecoder: pure, bounds-checked decoding of one pgoutput message (the payload of one
// XLogData frame). No I/O, no logging of row data, no sink calls. Malformed or truncated bytes
// give a Corruption status, never a crash or an out-of-bounds read; trailing bytes are an error.
//
// Streaming-mode messages (S/E/c/A) and two-phase messages are not requested by pgcdc yet and are
// reported as unsupported.

#include <cstdint>
#include <span>

#include "decoders/base/status.h"
#include "decoders/wire/pgoutput_messages.h"

namespace cdc::pgoutput {

// Decodes `payload`. Views in the result point into `payload`. Thread-compatible (stateless).
Result<Message> Decode(std::span<const uint8_t> payload);

}  // namespace cdc::pgoutput
