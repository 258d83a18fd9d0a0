#pragma once

// The parsers of the non-Kafka sink sections of the configuration (sink.redis, sink.nats,
// sink.rabbitmq, sink.kinesis), kept beside the loader that calls them. Each throws ConfigError
// with one line naming the key; the secrets they meet (passwords in URLs, tokens) are registered
// with redact.h. Start-up only.

#include <yaml-cpp/yaml.h>

#include "config/config.h"

namespace cdc::config {

// sink.redis.url: "redis://[[user]:password@]host[:port][/db]" into host, port, db, user and
// password. The password may hold any character once percent-encoded; the last '@' ends it.
void ParseRedisUrl(RedisConfig* r);

// sink.nats: servers, stream, credentials, TLS files and the PubAck timeout.
void ParseNats(const YAML::Node& node, SinkConfig::Nats* n);

// sink.rabbitmq: url ("amqp://[user:password@]host[:port][/vhost]", vhost percent-encoded:
// %2f is "/"), exchange, celery_task, celery_queue, ack_timeout_ms.
void ParseRabbitmq(const YAML::Node& node, SinkConfig::Rabbitmq* r);

// sink.kinesis: region (required when `required`), endpoint (http:// or https://), create_streams,
// shard_count.
void ParseKinesis(const YAML::Node& node, SinkConfig::Kinesis* k, bool required);

}  // namespace cdc::config
