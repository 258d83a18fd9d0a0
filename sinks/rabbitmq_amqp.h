#pragma once

// The AMQP helpers the two halves of RabbitmqSink share (rabbitmq_sink.cc: publishing and
// confirms; rabbitmq_connect.cc: the connection, login and declarations). Internal to sinks/.

#include <amqp.h>
#include <amqp_framing.h>
#include <sys/time.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace cdc::sinks::amqp_util {

// The channel events are published on, and the one `validate` risks on passive declares (a
// missing exchange closes the channel it was asked on).
inline constexpr amqp_channel_t kChannel = 1;
inline constexpr amqp_channel_t kProbeChannel = 2;
// Where pgcdc puts the event's key, as the NATS sink does (Debezium Server drops it).
inline constexpr std::string_view kKeyHeader = "pgcdc.key";
// Sent by the client so a dead TCP peer is noticed; Poll() runs every turn of the stream loop,
// which lets rabbitmq-c send ours in time.
inline constexpr int kHeartbeatSeconds = 60;

// A view of `s` as AMQP bytes (valid while `s` is).
amqp_bytes_t Bytes(std::string_view s);
std::string Text(amqp_bytes_t b);
timeval ToTimeval(int ms);
// One line for a failed RPC: the library's error, or what the broker said when it closed.
std::string ReplyError(const amqp_rpc_reply_t& r);
// The reply code of a channel.close, or 0.
uint16_t ChannelCloseCode(const amqp_rpc_reply_t& r);

}  // namespace cdc::sinks::amqp_util
