#pragma once

// Small helpers shared by the two halves of NatsSink (nats_sink.cc: publishing and PubAcks;
// nats_stream.cc: the connection and the JetStream stream). Internal to sinks/.

#include <nats/nats.h>

#include <string>
#include <string_view>

namespace cdc::sinks::nats_util {

// The status text and, when cnats has one, its more precise last error of this thread.
std::string NatsError(natsStatus s);

// True when every subject `wanted` matches is also matched by the stream subject `have`
// (NATS wildcards: '*' one token, '>' the rest), so a stream with `have` stores them all.
bool Covers(std::string_view have, std::string_view wanted);

// "a, b, c" of cnats's string arrays (a stream's subjects), for error lines.
std::string Joined(const char* const* items, int n);

}  // namespace cdc::sinks::nats_util
